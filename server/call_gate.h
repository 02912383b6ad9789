// CallGate: admission of RPCs and the drain on shutdown.
//
// Every RPC enters the gate when it starts and leaves when it finishes. Once BeginShutdown() is called the
// gate refuses new calls (the caller answers UNAVAILABLE), tells open streams to wind down (their drain
// listeners run once), and WaitIdle() lets the server wait, up to the grace period, for calls in flight to
// finish. Thread-safe; all members are guarded by mutex_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "absl/status/status.h"

namespace rectifier::server {

// UNAVAILABLE (retryable elsewhere): what a call or a queued request gets once the server is stopping.
absl::Status StoppingError();

class CallGate {
 public:
  // Admits a call; false once shutting down. Every true must be matched by one Leave().
  bool TryEnter();
  void Leave();

  // Registers `listener` to run (once, on the shutdown thread) when shutdown begins; returns an id for
  // RemoveDrainListener. If shutdown has already begun the listener is not stored and 0 is returned.
  uint64_t AddDrainListener(std::function<void()> listener);
  void RemoveDrainListener(uint64_t id);

  void BeginShutdown();
  bool stopping() const;
  // Blocks until no call is in flight or `deadline` passes; returns the calls still in flight.
  int64_t WaitIdle(std::chrono::steady_clock::time_point deadline);
  int64_t in_flight() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;  // Signalled when in_flight_ drops to 0.
  bool stopping_ = false;
  int64_t in_flight_ = 0;
  uint64_t next_listener_id_ = 1;
  std::map<uint64_t, std::function<void()>> drain_listeners_;
};

}  // namespace rectifier::server
