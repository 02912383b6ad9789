#include "bench/loadgen/closed_loop.h"

#include <latch>
#include <mutex>

#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"

namespace rectifier::bench {
namespace {

class UnaryWorker {
 public:
  UnaryWorker(const LoadSpec& spec, grpc::GenericStub* stub, Recorder* recorder, std::latch* stopped)
      : spec_(spec), stub_(stub), recorder_(recorder), stopped_(stopped) {}

  void Issue() {
    // Replacing the context from inside the previous call's callback is safe: the callback was moved out of
    // the call, which keeps its own reference until the callback returns.
    context_ = std::make_unique<grpc::ClientContext>();
    start_ = Clock::now();
    context_->set_deadline(std::chrono::system_clock::now() + spec_.call_timeout);
    response_.Clear();
    stub_->UnaryCall(context_.get(), *spec_.method, {}, spec_.request, &response_,
                     [this](grpc::Status status) { OnDone(status); });
  }

 private:
  void OnDone(const grpc::Status& status) {
    const Clock::time_point end = Clock::now();
    recorder_->Record(start_, end, status, status.ok() ? &response_ : nullptr, spec_.request->Length());
    if (end < recorder_->window_end()) {
      Issue();
    } else {
      stopped_->count_down();
    }
  }

  const LoadSpec& spec_;
  grpc::GenericStub* const stub_;
  Recorder* const recorder_;
  std::latch* const stopped_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer response_;
  Clock::time_point start_;
};

// One stream; the next request is written when the previous response has been read. gRPC allows one write
// in flight at a time, so a write (or the final WritesDone) that falls due while the previous write has not
// completed yet is deferred to OnWriteDone. mutex_ guards the write state.
class StreamWorker final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamWorker(const LoadSpec& spec, grpc::GenericStub* stub, Recorder* recorder, std::latch* stopped)
      : spec_(spec), stub_(stub), recorder_(recorder), stopped_(stopped) {}

  void Begin() {
    // gRPC deadlines are system_clock times.
    context_.set_deadline(std::chrono::system_clock::now() + (recorder_->window_end() - Clock::now()) +
                          spec_.call_timeout);
    stub_->PrepareBidiStreamingCall(&context_, *spec_.method, {}, this);
    StartRead(&response_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      start_ = Clock::now();
      writing_ = true;
    }
    StartWrite(spec_.request);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The stream ended; OnDone has its status.
    const Clock::time_point end = Clock::now();
    recorder_->Record(start_, end, grpc::Status::OK, &response_, spec_.request->Length());
    const bool more = end < recorder_->window_end();
    if (more) {
      response_.Clear();
      StartRead(&response_);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    start_ = Clock::now();
    if (writing_) {
      (more ? write_due_ : writes_done_due_) = true;
      return;
    }
    writing_ = true;
    lock.unlock();
    more ? StartWrite(spec_.request) : StartWritesDone();
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mutex_);
    writing_ = false;
    if (!ok) return;
    if (write_due_ || writes_done_due_) {
      const bool write = write_due_;
      write_due_ = writes_done_due_ = false;
      writing_ = true;
      lock.unlock();
      write ? StartWrite(spec_.request) : StartWritesDone();
    }
  }

  void OnWritesDoneDone(bool) override {}

  void OnDone(const grpc::Status& status) override {
    if (!status.ok()) recorder_->Record(start_, Clock::now(), status, nullptr, 0);
    stopped_->count_down();
  }

 private:
  const LoadSpec& spec_;
  grpc::GenericStub* const stub_;
  Recorder* const recorder_;
  std::latch* const stopped_;
  grpc::ClientContext context_;
  grpc::ByteBuffer response_;
  std::mutex mutex_;
  Clock::time_point start_;       // When the request in flight fell due. Guarded by mutex_.
  bool writing_ = false;          // A write or WritesDone is in flight. Guarded by mutex_.
  bool write_due_ = false;        // Guarded by mutex_.
  bool writes_done_due_ = false;  // Guarded by mutex_.
};

}  // namespace

void RunClosedLoop(const LoadSpec& spec, int concurrency, Recorder& recorder) {
  std::latch stopped(concurrency);
  const auto& stubs = *spec.stubs;
  if (spec.streaming) {
    std::vector<std::unique_ptr<StreamWorker>> workers;
    for (int i = 0; i < concurrency; ++i) {
      workers.push_back(std::make_unique<StreamWorker>(spec, stubs[i % stubs.size()].get(), &recorder, &stopped));
    }
    for (auto& worker : workers) worker->Begin();
    stopped.wait();
  } else {
    std::vector<std::unique_ptr<UnaryWorker>> workers;
    for (int i = 0; i < concurrency; ++i) {
      workers.push_back(std::make_unique<UnaryWorker>(spec, stubs[i % stubs.size()].get(), &recorder, &stopped));
    }
    for (auto& worker : workers) worker->Issue();
    stopped.wait();
  }
}

}  // namespace rectifier::bench
