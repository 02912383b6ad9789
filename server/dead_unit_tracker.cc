#include "server/dead_unit_tracker.h"

#include <algorithm>
#include <utility>

#include "kernels/str_cat.h"

namespace rectifier::server {

absl::StatusOr<std::unique_ptr<DeadUnitTracker>> DeadUnitTracker::Create(const DeadUnitTrackerOptions& options) {
  if (options.window_requests <= 0) {
    return absl::InvalidArgumentError(StrCat("window_requests must be positive; was ", options.window_requests));
  }
  if (options.max_channels <= 0) {
    return absl::InvalidArgumentError(StrCat("max_channels must be positive; was ", options.max_channels));
  }
  return std::unique_ptr<DeadUnitTracker>(new DeadUnitTracker(options));
}

void DeadUnitTracker::Count(const ChannelActivity& activity, int64_t delta) {
  if (static_cast<int64_t>(channel_requests_.size()) < activity.channels) {
    channel_requests_.resize(static_cast<size_t>(activity.channels), 0);
    channel_active_requests_.resize(static_cast<size_t>(activity.channels), 0);
  }
  for (int64_t c = 0; c < activity.channels; ++c) {
    channel_requests_[c] += delta;
    if (activity.IsActive(c)) channel_active_requests_[c] += delta;
  }
}

void DeadUnitTracker::Record(ChannelActivity activity) {
  if (activity.channels > options_.max_channels) {
    activity.channels = options_.max_channels;
    activity.active.resize(static_cast<size_t>((activity.channels + 63) / 64));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Count(activity, +1);
  window_.push_back(std::move(activity));
  if (static_cast<int64_t>(window_.size()) > options_.window_requests) {
    Count(window_.front(), -1);
    window_.pop_front();
  }
}

DeadUnitStats DeadUnitTracker::Stats() const {
  DeadUnitStats stats;
  stats.window_requests = options_.window_requests;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats.requests_in_window = static_cast<int64_t>(window_.size());
    stats.channel_requests = channel_requests_;
    stats.channel_active_requests = channel_active_requests_;
  }
  // Trailing channels no request of the window had any more (wider requests evicted) are not reported.
  while (!stats.channel_requests.empty() && stats.channel_requests.back() == 0) {
    stats.channel_requests.pop_back();
    stats.channel_active_requests.pop_back();
  }
  int64_t seen = 0;
  for (size_t c = 0; c < stats.channel_requests.size(); ++c) {
    if (stats.channel_requests[c] == 0) continue;
    ++seen;
    if (stats.channel_active_requests[c] == 0) stats.dead_channels.push_back(static_cast<int64_t>(c));
  }
  if (seen > 0) stats.dead_ratio = static_cast<double>(stats.dead_channels.size()) / static_cast<double>(seen);
  return stats;
}

}  // namespace rectifier::server
