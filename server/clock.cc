#include "server/clock.h"

#include <vector>

namespace rectifier::server {
namespace {

// FakeClock's time zero: a fixed, recognisable instant (2026-01-01T00:00:00Z) rather than the epoch, so
// that deadlines computed from it look like real ones.
constexpr std::chrono::seconds kFakeSystemStart{1767225600};
// Steady time has no meaningful origin; an hour past it keeps "now - delay" positive in tests.
constexpr std::chrono::hours kFakeSteadyStart{1};

}  // namespace

void RealClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& wake,
                          std::chrono::steady_clock::time_point until) {
  if (until == std::chrono::steady_clock::time_point::max()) {
    wake.wait(lock);
  } else {
    wake.wait_until(lock, until);
  }
}

Clock& RealClockInstance() {
  static RealClock* const clock = new RealClock();
  return *clock;
}

std::chrono::steady_clock::time_point FakeClock::NowLocked() const {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(kFakeSteadyStart + elapsed_));
}

std::chrono::steady_clock::time_point FakeClock::Now() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return NowLocked();
}

std::chrono::system_clock::time_point FakeClock::SystemNow() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(kFakeSystemStart + elapsed_));
}

void FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& wake,
                          std::chrono::steady_clock::time_point until) {
  std::list<Waiter>::iterator self;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (NowLocked() >= until) return;
    self = waiters_.insert(waiters_.end(), Waiter{&wake, lock.mutex(), epoch_});
    parked_.notify_all();
  }
  // `lock` is held from the registration until wait() releases it, and Advance() takes the same mutex
  // before it notifies: a wake-up cannot fall between the two.
  wake.wait(lock);
  std::lock_guard<std::mutex> guard(mutex_);
  waiters_.erase(self);
}

void FakeClock::Advance(std::chrono::nanoseconds step) {
  std::vector<Waiter> to_wake;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    elapsed_ += step;
    ++epoch_;
    to_wake.assign(waiters_.begin(), waiters_.end());
  }
  for (const Waiter& waiter : to_wake) {
    std::lock_guard<std::mutex> guard(*waiter.mutex);
    waiter.wake->notify_all();
  }
}

bool FakeClock::WaitForParked(int threads, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return parked_.wait_for(lock, timeout, [&] {
    int current = 0;
    for (const Waiter& waiter : waiters_) current += waiter.epoch == epoch_ ? 1 : 0;
    return current >= threads;
  });
}

}  // namespace rectifier::server
