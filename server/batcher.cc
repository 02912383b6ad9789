#include "server/batcher.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "kernels/apply.h"
#include "kernels/str_cat.h"
#include "server/call_gate.h"

namespace rectifier::server {

struct Batcher::Queued {
  PreparedRequest request;
  CallControl call;
  Done done;
  std::chrono::steady_clock::time_point enqueued;
  int64_t elements = 0;
};

// What requests must share to be computed by one kernel call.
struct BatchKey {
  Activation activation;
  DataType dtype = DataType::kFloat32;
  // Whether the requests' inputs concatenate into one valid input: flat for element-wise activations,
  // along dim 0 (with equal `trailing_dims`) for per-channel PReLU and for CReLU along another axis.
  // Requests that do not concatenate still share a batch (one Apply each, in the batch's task).
  bool concatenates = true;
  std::vector<int64_t> trailing_dims;  // Input dims 1.. when concatenating along dim 0; else empty.

  bool operator==(const BatchKey&) const = default;
};

struct Batcher::KeyQueue {
  BatchKey key;
  std::deque<Queued> requests;
  int64_t elements = 0;  // Input elements of `requests`.
};

struct Batcher::Batch {
  BatchKey key;
  std::vector<Queued> requests;
};

namespace {

BatchKey KeyOf(const PreparedRequest& request) {
  BatchKey key{.activation = request.activation, .dtype = request.input.dtype};
  const std::span<const int64_t> shape = request.input.shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  bool along_dim0 = false;
  if (const auto* prelu = std::get_if<act::Prelu>(&request.activation)) {
    // One weight per channel (dim 1): dims 1.. must agree for the channel of each element to stay put.
    along_dim0 = prelu->weight.size() > 1;
  } else if (const auto* crelu = std::get_if<act::Crelu>(&request.activation)) {
    const int64_t axis = crelu->axis < 0 ? crelu->axis + rank : crelu->axis;
    // Concatenating along the CReLU axis itself would interleave the halves of different requests.
    if (rank == 0 || axis == 0) {
      key.concatenates = false;
      return key;
    }
    along_dim0 = true;
  }
  if (along_dim0 && rank >= 1) key.trailing_dims.assign(shape.begin() + 1, shape.end());
  return key;
}

int64_t ElementsOf(const PreparedRequest& request) {
  return static_cast<int64_t>(request.input_bytes / ElementSizeBytes(request.input.dtype));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Batcher>> Batcher::Create(const BatcherOptions& options) {
  if (options.max_batch_requests < 1) {
    return absl::InvalidArgumentError(
        StrCat("max_batch_requests must be positive; was ", options.max_batch_requests));
  }
  if (options.max_batch_elements < 1) {
    return absl::InvalidArgumentError(
        StrCat("max_batch_elements must be positive; was ", options.max_batch_elements));
  }
  if (options.max_queue_delay.count() < 0) {
    return absl::InvalidArgumentError(
        StrCat("max_queue_delay must not be negative; was ", options.max_queue_delay.count(), "us"));
  }
  if (options.max_queue_requests < 1) {
    return absl::InvalidArgumentError(
        StrCat("max_queue_requests must be positive; was ", options.max_queue_requests));
  }
  if (options.batch_threads < 1) {
    return absl::InvalidArgumentError(StrCat("batch_threads must be positive; was ", options.batch_threads));
  }
  std::unique_ptr<Batcher> batcher(new Batcher(options));
  for (int i = 0; i < options.batch_threads; ++i) batcher->threads_.emplace_back([b = batcher.get()] { b->BatchLoop(); });
  return batcher;
}

Batcher::Batcher(const BatcherOptions& options)
    : options_(options), clock_(options.clock != nullptr ? *options.clock : RealClockInstance()) {}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool Batcher::Accepts(const PreparedRequest& request) const {
  // A batch copies its requests' inputs into one buffer: a request held in runs has no contiguous input.
  return request.in_place_runs.empty() && ElementsOf(request) <= options_.max_batch_elements;
}

int64_t Batcher::queue_depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_;
}

void Batcher::Submit(PreparedRequest request, CallControl call, Done done, bool may_run_on_caller) {
  BatchKey key = KeyOf(request);
  const int64_t elements = ElementsOf(request);
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_ || queued_ >= options_.max_queue_requests) {
    const bool stopping = stopping_;
    lock.unlock();
    done(stopping ? StoppingError()
                  : absl::UnavailableError(
                        StrCat("batch queue is full (", options_.max_queue_requests, " requests); retry later")),
         RunReport{.request = &request});
    return;
  }
  auto same_key = [&key](const std::unique_ptr<KeyQueue>& queue) { return queue->key == key; };
  auto it = std::find_if(queues_.begin(), queues_.end(), same_key);
  if (it == queues_.end()) {
    queues_.push_back(std::make_unique<KeyQueue>(KeyQueue{.key = std::move(key)}));
    it = std::prev(queues_.end());
  }
  (*it)->requests.push_back(
      Queued{std::move(request), std::move(call), std::move(done), clock_.Now(), elements});
  (*it)->elements += elements;
  ++queued_;
  if (may_run_on_caller && options_.max_queue_delay.count() == 0 && computing_ < options_.batch_threads) {
    // Nothing to wait for and a free slot: the caller computes its key's batch (its own request and any
    // queued before it) at once. Waking a batch thread instead costs a hop, and on a busy machine a
    // scheduling delay during which every new request of the key queues behind it.
    Batch batch = TakeBatch(**it);
    ++computing_;
    lock.unlock();
    thread_local std::vector<std::byte> input_scratch;
    thread_local std::vector<std::byte> output_scratch;
    Execute(batch, input_scratch, output_scratch, /*on_caller=*/true);
    return;
  }
  lock.unlock();
  wake_.notify_one();
}

Batcher::KeyQueue* Batcher::ReadyQueue(std::chrono::steady_clock::time_point now,
                                       std::chrono::steady_clock::time_point& wake_at) const {
  KeyQueue* ready = nullptr;
  for (const std::unique_ptr<KeyQueue>& queue : queues_) {
    const auto due_at = queue->requests.front().enqueued + options_.max_queue_delay;
    const bool full = static_cast<int64_t>(queue->requests.size()) >= options_.max_batch_requests ||
                      queue->elements >= options_.max_batch_elements;
    if (full || due_at <= now || stopping_) {
      // The longest-waiting ready queue first, so that no key starves.
      if (ready == nullptr || queue->requests.front().enqueued < ready->requests.front().enqueued) {
        ready = queue.get();
      }
    } else {
      wake_at = std::min(wake_at, due_at);
    }
  }
  return ready;
}

Batcher::Batch Batcher::TakeBatch(KeyQueue& queue) {
  Batch batch{.key = queue.key};
  int64_t elements = 0;
  while (!queue.requests.empty() && static_cast<int>(batch.requests.size()) < options_.max_batch_requests) {
    Queued& next = queue.requests.front();
    if (!batch.requests.empty() && elements + next.elements > options_.max_batch_elements) break;
    elements += next.elements;
    queue.elements -= next.elements;
    batch.requests.push_back(std::move(next));
    queue.requests.pop_front();
  }
  queued_ -= static_cast<int64_t>(batch.requests.size());
  if (queue.requests.empty()) {
    std::erase_if(queues_, [&queue](const std::unique_ptr<KeyQueue>& q) { return q.get() == &queue; });
  }
  return batch;
}

void Batcher::ReleaseSlot() {
  bool waiting = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --computing_;
    waiting = queued_ > 0;
  }
  if (waiting) wake_.notify_one();
}

void Batcher::BatchLoop() {
  // Reused across batches: a batch thread allocates its scratch once it has seen its largest batch.
  std::vector<std::byte> input_scratch;
  std::vector<std::byte> output_scratch;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    auto wake_at = std::chrono::steady_clock::time_point::max();
    KeyQueue* queue = computing_ < options_.batch_threads ? ReadyQueue(clock_.Now(), wake_at) : nullptr;
    if (queue != nullptr) {
      Batch batch = TakeBatch(*queue);
      ++computing_;
      lock.unlock();
      Execute(batch, input_scratch, output_scratch, /*on_caller=*/false);
      lock.lock();
      continue;
    }
    if (stopping_ && queued_ == 0) return;
    clock_.WaitUntil(lock, wake_, wake_at);
  }
}

void Batcher::Execute(Batch& batch, std::vector<std::byte>& input_scratch, std::vector<std::byte>& output_scratch,
                      bool on_caller) {
  // Requests cancelled or out of time while queued are answered now and never computed.
  const auto formed = clock_.Now();
  const auto wall_now = clock_.SystemNow();
  std::vector<Queued*> live;
  for (Queued& queued : batch.requests) {
    const RunReport report{
        .request = &queued.request, .queued = formed - queued.enqueued, .batch_requests = 0, .batched = true};
    if (queued.call.cancelled && queued.call.cancelled()) {
      queued.done(absl::CancelledError("the call was cancelled before it was computed"), report);
    } else if (queued.call.deadline <= wall_now) {
      queued.done(absl::DeadlineExceededError("the deadline passed before the request was computed"), report);
    } else {
      live.push_back(&queued);
    }
  }
  if (live.empty()) {
    ReleaseSlot();
    return;
  }

  size_t input_bytes = 0;
  size_t output_bytes = 0;
  int64_t elements = 0;
  for (const Queued* queued : live) {
    input_bytes += queued->request.input_bytes;
    output_bytes += queued->request.output_bytes;
    elements += queued->elements;
  }
  const bool concatenate = live.size() > 1 && batch.key.concatenates && input_bytes <= options_.max_concat_bytes;
  std::vector<absl::Status> statuses(live.size());
  const auto start = clock_.Now();
  if (concatenate) {
    input_scratch.resize(std::max(input_scratch.size(), input_bytes));
    output_scratch.resize(std::max(output_scratch.size(), output_bytes));
    std::vector<int64_t> input_shape;
    std::vector<int64_t> output_shape;
    if (batch.key.trailing_dims.empty()) {
      input_shape = {elements};
      output_shape = {static_cast<int64_t>(output_bytes / ElementSizeBytes(live[0]->request.output.dtype))};
    } else {
      // Along dim 0: the dims after it are the same for every request (they are part of the key).
      input_shape.assign(live[0]->request.input.shape.begin(), live[0]->request.input.shape.end());
      output_shape.assign(live[0]->request.output.shape.begin(), live[0]->request.output.shape.end());
      input_shape[0] = 0;
      output_shape[0] = 0;
      for (const Queued* queued : live) {
        input_shape[0] += queued->request.input.shape[0];
        output_shape[0] += queued->request.output.shape[0];
      }
    }
    size_t offset = 0;
    for (const Queued* queued : live) {
      if (queued->request.input_bytes > 0) {
        std::memcpy(input_scratch.data() + offset, queued->request.input.data, queued->request.input_bytes);
      }
      offset += queued->request.input_bytes;
    }
    const absl::Status status =
        Apply(live[0]->request.activation, TensorView{live[0]->request.input.dtype, input_shape, input_scratch.data()},
              MutableTensorView{live[0]->request.output.dtype, output_shape, output_scratch.data()});
    offset = 0;
    for (size_t i = 0; i < live.size(); ++i) {
      if (status.ok() && live[i]->request.output_bytes > 0) {
        std::memcpy(live[i]->request.output.data, output_scratch.data() + offset, live[i]->request.output_bytes);
      }
      offset += live[i]->request.output_bytes;
      statuses[i] = status;
    }
  } else {
    for (size_t i = 0; i < live.size(); ++i) {
      statuses[i] = Apply(live[i]->request.activation, live[i]->request.input, live[i]->request.output);
    }
  }
  const auto computed = clock_.Now() - start;
  if (options_.on_batch) options_.on_batch(static_cast<int>(live.size()), elements);
  // Answering (gRPC's Finish, in the server) costs more than a small kernel: the slot is free meanwhile.
  ReleaseSlot();

  for (size_t i = 0; i < live.size(); ++i) {
    Queued& queued = *live[i];
    // The kernel was not interrupted, but a caller that has gone gets no result.
    if (statuses[i].ok() && queued.call.cancelled && queued.call.cancelled()) {
      statuses[i] = absl::CancelledError("the call was cancelled while its batch was computed");
    }
    queued.done(statuses[i], RunReport{.request = &queued.request,
                                       .queued = start - queued.enqueued,
                                       .computed = computed,
                                       .batch_requests = static_cast<int>(live.size()),
                                       .computed_inline = on_caller,
                                       .batched = true});
  }
}

}  // namespace rectifier::server
