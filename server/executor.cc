#include "server/executor.h"

#include "kernels/core_budget.h"
#include "kernels/str_cat.h"

namespace rectifier::server {

absl::StatusOr<std::unique_ptr<Executor>> Executor::Create(const ExecutorOptions& options) {
  ExecutorOptions resolved = options;
  if (resolved.threads == 0) resolved.threads = AvailableCores();
  if (resolved.threads < 0) {
    return absl::InvalidArgumentError(StrCat("threads must be positive; was ", resolved.threads));
  }
  if (resolved.max_queued_tasks == 0) {
    return absl::InvalidArgumentError("max_queued_tasks must be positive; was 0");
  }
  return std::unique_ptr<Executor>(new Executor(resolved));
}

Executor::Executor(const ExecutorOptions& options) : options_(options) {
  workers_.reserve(options_.threads);
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

bool Executor::Schedule(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queued_tasks) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void Executor::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Drain before exiting: every accepted task runs.
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

size_t Executor::queued_tasks() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

}  // namespace rectifier::server
