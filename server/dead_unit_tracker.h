// DeadUnitTracker: finds the dead channels of one ReLU-family model. A channel (dim 1 of the input) is
// dead when, in every request of a sliding window (the model's last `window_requests` requests) that had
// that channel, none of its input elements was > 0: it never reached the active region, so its output
// carried no signal (ReLU networks fail quietly this way).
//
// Keeps a ring of the window's per-request ChannelActivity bitsets and, per channel, how many requests of
// the window had the channel and how many found it active; Record() adds the new request and evicts the
// oldest in O(channels). Memory: at most window_requests * max_channels / 8 bytes (1000 x 4096 channels:
// 512 KiB). Thread-safe: mutex_ guards everything mutable; the scan of the tensor happens before Record,
// outside the lock.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "server/output_statistics.h"

namespace rectifier::server {

struct DeadUnitTrackerOptions {
  // Requests in the sliding window; positive.
  int64_t window_requests = 1000;
  // Channels tracked per request (the first ones); positive. Bounds memory and per-request work.
  int64_t max_channels = 4096;
};

struct DeadUnitStats {
  int64_t window_requests = 0;     // The configured window.
  int64_t requests_in_window = 0;  // Requests the window holds now (<= window_requests).
  // Per channel c: requests of the window that had channel c, and those in which it was active.
  std::vector<int64_t> channel_requests;
  std::vector<int64_t> channel_active_requests;
  std::vector<int64_t> dead_channels;  // Channels with channel_requests > 0 and no active request.
  // dead_channels / channels with channel_requests > 0; 0 when the window is empty.
  double dead_ratio = 0.0;
};

class DeadUnitTracker {
 public:
  static absl::StatusOr<std::unique_ptr<DeadUnitTracker>> Create(const DeadUnitTrackerOptions& options);

  // Adds one request's activity (its channels beyond max_channels ignored), evicting the oldest request
  // once the window is full.
  void Record(ChannelActivity activity);

  DeadUnitStats Stats() const;
  const DeadUnitTrackerOptions& options() const { return options_; }

 private:
  explicit DeadUnitTracker(const DeadUnitTrackerOptions& options) : options_(options) {}
  void Count(const ChannelActivity& activity, int64_t delta);  // Needs mutex_.

  const DeadUnitTrackerOptions options_;
  mutable std::mutex mutex_;
  std::deque<ChannelActivity> window_;           // Guarded by mutex_. Oldest first.
  std::vector<int64_t> channel_requests_;        // Guarded by mutex_.
  std::vector<int64_t> channel_active_requests_; // Guarded by mutex_.
};

}  // namespace rectifier::server
