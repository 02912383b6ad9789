// Executor: a fixed pool of threads that runs kernel work off gRPC's callback threads, whose reactions
// must not block.
//
// Tasks run in submission order (FIFO) on `threads` worker threads. Schedule() never blocks: when
// `max_queued_tasks` are already waiting it refuses the task (returns false) so the caller can answer
// UNAVAILABLE. The destructor runs every task already accepted, then joins the workers: nothing accepted is
// lost.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace rectifier::server {

struct ExecutorOptions {
  // Worker threads; must be positive. Default: one per available core.
  int threads = 0;
  // Tasks that may wait for a worker; must be positive.
  size_t max_queued_tasks = 4096;
};

class Executor {
 public:
  static absl::StatusOr<std::unique_ptr<Executor>> Create(const ExecutorOptions& options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; false (task dropped unrun) when the queue is full or the executor is stopping.
  bool Schedule(std::function<void()> task);

  int threads() const { return static_cast<int>(workers_.size()); }
  // Tasks waiting for a worker now, and the most that may wait (the queue metrics).
  size_t queued_tasks();
  size_t max_queued_tasks() const { return options_.max_queued_tasks; }

 private:
  explicit Executor(const ExecutorOptions& options);
  void WorkerLoop();

  const ExecutorOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;          // Signalled when a task is queued or stopping_ is set.
  std::deque<std::function<void()>> queue_;  // Guarded by mutex_.
  bool stopping_ = false;                 // Guarded by mutex_.
  std::vector<std::thread> workers_;      // Written only by the constructor and destructor.
};

}  // namespace rectifier::server
