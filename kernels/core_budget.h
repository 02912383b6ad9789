// CoreBudget: a process-wide count of the cores that kernel calls may use, so that many server threads
// calling Apply() at once never run more kernel threads than there are cores.
//
// A call asks for the threads its size deserves and is granted what is free, never fewer than one (its
// own calling thread, which always runs). The grant is returned when the lease is destroyed. Lock-free
// (one atomic counter); never blocks.
#pragma once

#include <atomic>

namespace rectifier {

class CoreBudget {
 public:
  // The process-wide budget, sized from the cores this process may run on (sched_getaffinity), capped by
  // the environment variable RECTIFIER_KERNEL_THREADS when it holds a positive integer (1: every kernel
  // runs on its calling thread only; ignored otherwise).
  static CoreBudget& Global();

  explicit CoreBudget(int cores);
  CoreBudget(const CoreBudget&) = delete;
  CoreBudget& operator=(const CoreBudget&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept : budget_(other.budget_), extra_(other.extra_) { other.extra_ = 0; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    // Threads this call may run, including the caller: at least 1.
    int threads() const { return extra_ + 1; }

   private:
    friend class CoreBudget;
    Lease(CoreBudget* budget, int extra) : budget_(budget), extra_(extra) {}
    CoreBudget* budget_;
    int extra_;  // Threads granted beyond the caller's own.
  };

  // Grants up to `wanted` threads (the caller's own included).
  Lease Acquire(int wanted);
  int cores() const { return cores_; }

 private:
  const int cores_;
  // Extra threads (beyond callers' own) currently granted; at most cores_ - 1.
  std::atomic<int> extra_in_use_{0};
};

// Cores this process may run on.
int AvailableCores();
// AvailableCores(), capped by RECTIFIER_KERNEL_THREADS (see CoreBudget::Global).
int KernelCoresFromEnvironment();

}  // namespace rectifier
