#include "kernels/core_budget.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>

namespace rectifier {

int AvailableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

int KernelCoresFromEnvironment() {
  // RECTIFIER_KERNEL_THREADS caps the cores kernels fan out over; 1 keeps every kernel on its calling
  // thread (ThreadSanitizer runs: Debian's libgomp is not instrumented, so its teams would report races).
  const char* text = std::getenv("RECTIFIER_KERNEL_THREADS");
  const int cores = AvailableCores();
  if (text == nullptr || *text == '\0') return cores;
  char* end = nullptr;
  const long cap = std::strtol(text, &end, 10);
  if (*end != '\0' || cap <= 0) return cores;
  return static_cast<int>(std::min<long>(cap, cores));
}

CoreBudget& CoreBudget::Global() {
  static CoreBudget* budget = new CoreBudget(KernelCoresFromEnvironment());
  return *budget;
}

CoreBudget::CoreBudget(int cores) : cores_(std::max(1, cores)) {}

CoreBudget::Lease CoreBudget::Acquire(int wanted) {
  int want_extra = std::min(wanted, cores_) - 1;
  if (want_extra <= 0) return Lease(this, 0);
  int in_use = extra_in_use_.load(std::memory_order_relaxed);
  while (true) {
    // Callers' own threads are not counted: the budget only stops calls from fanning out further than
    // the cores left over.
    int grant = std::min(want_extra, cores_ - 1 - in_use);
    if (grant <= 0) return Lease(this, 0);
    if (extra_in_use_.compare_exchange_weak(in_use, in_use + grant, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
      return Lease(this, grant);
    }
  }
}

CoreBudget::Lease::~Lease() {
  if (extra_ > 0) budget_->extra_in_use_.fetch_sub(extra_, std::memory_order_release);
}

}  // namespace rectifier
