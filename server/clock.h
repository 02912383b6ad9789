// Clock: the time source of components whose behaviour depends on time (the batcher's queue delay and
// the deadlines of queued requests), so that tests drive time by hand instead of sleeping.
//
// RealClock reads std::chrono::steady_clock and system_clock and waits on the condition variable with a
// timeout. FakeClock's time moves only when a test calls Advance(); its WaitUntil waits for a notify or an
// Advance(), never for real time. WaitForParked() lets a test wait (without sleeping) until the component's
// threads have seen the latest Advance() and are waiting again, so that the state it then observes is
// stable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>

namespace rectifier::server {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for delays and durations.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall time, for gRPC deadlines (which are system_clock time points).
  virtual std::chrono::system_clock::time_point SystemNow() const = 0;
  // Waits on `wake` (whose mutex `lock` holds) until notified, or until Now() >= `until`. May return
  // spuriously: callers re-check their condition.
  virtual void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& wake,
                         std::chrono::steady_clock::time_point until) = 0;
};

class RealClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point SystemNow() const override { return std::chrono::system_clock::now(); }
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& wake,
                 std::chrono::steady_clock::time_point until) override;
};

// The process-wide RealClock (never destroyed).
Clock& RealClockInstance();

// A clock for tests: starts at an arbitrary fixed time and moves only through Advance(). Thread-safe;
// mutex_ guards every member. The components that wait on it must outlive the calls to Advance().
class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override;
  std::chrono::system_clock::time_point SystemNow() const override;
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& wake,
                 std::chrono::steady_clock::time_point until) override;

  // Moves time forward by `step` (0 allowed: "look again") and wakes every waiter.
  void Advance(std::chrono::nanoseconds step);
  // Blocks until `threads` waiters are waiting having seen the latest Advance() (and everything that
  // happened before it). Real-time safety net: gives up after `timeout` and returns false.
  bool WaitForParked(int threads, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Waiter {
    std::condition_variable* wake;
    std::mutex* mutex;
    uint64_t epoch;  // The Advance() count when it started waiting.
  };

  std::chrono::steady_clock::time_point NowLocked() const;

  mutable std::mutex mutex_;
  std::condition_variable parked_;  // Signalled when a waiter registers.
  std::chrono::nanoseconds elapsed_{0};
  uint64_t epoch_ = 0;
  std::list<Waiter> waiters_;
};

}  // namespace rectifier::server
