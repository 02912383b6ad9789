#include "server/call_gate.h"

#include <vector>

namespace rectifier::server {

absl::Status StoppingError() {
  return absl::UnavailableError("the server is shutting down; retry on another replica");
}

bool CallGate::TryEnter() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  ++in_flight_;
  return true;
}

void CallGate::Leave() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--in_flight_ == 0) idle_.notify_all();
}

uint64_t CallGate::AddDrainListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return 0;
  uint64_t id = next_listener_id_++;
  drain_listeners_.emplace(id, std::move(listener));
  return id;
}

void CallGate::RemoveDrainListener(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  drain_listeners_.erase(id);
}

void CallGate::BeginShutdown() {
  std::map<uint64_t, std::function<void()>> listeners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    listeners.swap(drain_listeners_);
  }
  // Outside the lock: a listener may finish its call, which calls Leave().
  for (auto& [id, listener] : listeners) listener();
}

bool CallGate::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

int64_t CallGate::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
  return in_flight_;
}

int64_t CallGate::in_flight() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_flight_;
}

}  // namespace rectifier::server
