// Batcher: dynamic batching. Requests that can share one kernel call (same activation and parameters,
// same input data type, a layout that concatenates) wait in a per-key queue and are computed together by
// one of the batcher's own threads, then answered one by one. Transport-free: it sees PreparedRequests and
// CallControls, never gRPC.
//
// Like Triton's dynamic batcher and TF Serving's shared batch scheduler:
// - a key's batch is sent when it holds max_batch_requests requests or max_batch_elements elements, or
//   when its oldest request has waited max_queue_delay. With the default delay of 0 a request is sent as
//   soon as a batch thread is free; batches form from what arrives while the batch threads are busy, so a
//   lone request never waits for company. At most batch_threads batches are computed at once.
// - with a delay of 0, a request its caller may compute (Submit's `may_run_on_caller`: one the server
//   would compute inline without batching) that finds a batch slot free is computed at once on the
//   calling thread, together with whatever of its key is queued: batching then costs no thread hop
//   (bench/README.md). Batch threads serve what queues while every slot is busy.
// - at most max_queue_requests requests wait in all queues together; over it Submit answers UNAVAILABLE
//   ("batch queue is full (N requests); retry later").
// - a queued request whose call was cancelled or whose deadline passed is removed when its batch is
//   formed and never computed (CANCELLED / DEADLINE_EXCEEDED). A request cancelled while its batch is
//   computing is answered CANCELLED once the kernel returns; its output is left as the kernel wrote it.
//
// How a batch is computed (bench/batch_kernel_bench.cc, bench/README.md): its inputs are concatenated into
// a scratch buffer, computed by one Apply and copied back when the batch is small enough for the copies
// to cost less than the per-call dispatch they save, and the layout allows a flat concatenation
// (element-wise activations; PReLU and CReLU along dim 0 when their channel or concat axis is not dim 0);
// otherwise each request gets its own Apply within the batch's task.
//
// Threads: Submit never blocks on computation (it takes a mutex briefly). `done` callbacks and the
// on_batch observer run on a batch thread. The destructor stops accepting, computes (or rejects, per the
// rules above) every request already queued, and joins the threads: nothing accepted is lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/data_type.h"
#include "server/clock.h"
#include "server/prepared_request.h"
#include "server/request_runner.h"

namespace rectifier::server {

struct BatcherOptions {
  // Most requests in one kernel call; >= 1.
  int max_batch_requests = 64;
  // Most input elements in one kernel call; >= 1. Requests larger than this are not batched (the
  // RequestRunner computes them alone). 64Ki elements: above it a call already amortises its dispatch.
  int64_t max_batch_elements = int64_t{64} << 10;
  // How long a key's oldest request may wait for more requests before its batch is sent anyway; >= 0.
  // 0 (the default, as in Triton): send as soon as a batch thread is free.
  std::chrono::microseconds max_queue_delay{0};
  // Requests that may wait in all queues together; >= 1. Over it: UNAVAILABLE.
  int64_t max_queue_requests = 4096;
  // Threads computing batches, and the most batches computed at once (callers included); >= 1.
  int batch_threads = 1;
  // Batches up to this many input bytes are computed by concatenation (one Apply plus two copies); larger
  // ones by one Apply per request. 0: never concatenate. See bench/README.md.
  size_t max_concat_bytes = 64 * 1024;
  // Borrowed; null means the real clock.
  Clock* clock = nullptr;
  // Optional; called on a batch thread once per executed kernel call with its requests and input elements
  // (for metrics). Must not block.
  std::function<void(int requests, int64_t elements)> on_batch;
};

class Batcher {
 public:
  using Done = RequestRunner::Done;

  static absl::StatusOr<std::unique_ptr<Batcher>> Create(const BatcherOptions& options);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Whether `request` can be batched: small enough (at most max_batch_elements input elements) and
  // contiguous (not held in PreparedRequest::in_place_runs).
  bool Accepts(const PreparedRequest& request) const;

  // Queues `request`; `done` is called exactly once, on a batch thread, or on the calling thread before
  // Submit returns: when the queue is full or the batcher is stopping (UNAVAILABLE), or when the request
  // was computed on the caller (see the class comment). The RunReport's `queued` is the time spent in the
  // queue, `computed` the batch's kernel time and `batch_requests` the requests in that kernel call.
  void Submit(PreparedRequest request, CallControl call, Done done, bool may_run_on_caller = false);

  // Requests waiting in the queues now (not those being computed).
  int64_t queue_depth() const;
  int64_t queue_capacity() const { return options_.max_queue_requests; }
  const BatcherOptions& options() const { return options_; }

 private:
  struct Queued;
  struct KeyQueue;
  struct Batch;

  explicit Batcher(const BatcherOptions& options);
  void BatchLoop();
  // The queue whose batch should be sent now, or null; sets `wake_at` to when one will be due.
  KeyQueue* ReadyQueue(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::time_point& wake_at)
      const;
  // Moves up to a batch's worth of requests off `queue`.
  Batch TakeBatch(KeyQueue& queue);
  // Ends a computation begun by taking a slot (computing_), and wakes a batch thread if work waits.
  void ReleaseSlot();
  // Answers the batch's requests (computing those still wanted), releasing its slot once the kernel has
  // run, before the answers. `on_caller`: on the submitting thread.
  void Execute(Batch& batch, std::vector<std::byte>& input_scratch, std::vector<std::byte>& output_scratch,
               bool on_caller);

  const BatcherOptions options_;
  Clock& clock_;
  mutable std::mutex mutex_;
  // Signalled when a request is queued, a computation ends or stopping_ is set.
  std::condition_variable wake_;
  // Guarded by mutex_: the non-empty queues, oldest key first; and their total length.
  std::vector<std::unique_ptr<KeyQueue>> queues_;
  int64_t queued_ = 0;
  // Guarded by mutex_: batches whose kernels are being computed (by batch threads or callers).
  int computing_ = 0;
  bool stopping_ = false;  // Guarded by mutex_.
  std::vector<std::thread> threads_;  // Written only by Create and the destructor.
};

}  // namespace rectifier::server
