// RECTIFIER_KERNEL_THREADS caps the process-wide core budget (what the ThreadSanitizer stage relies on to
// keep OpenMP teams out of its runs); CoreBudget never grants more than it holds.
#include <stdlib.h>

#include "gtest/gtest.h"
#include "kernels/core_budget.h"

namespace rectifier {
namespace {

class KernelThreadsEnvironment : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("RECTIFIER_KERNEL_THREADS"); }
};

TEST_F(KernelThreadsEnvironment, CapsTheCoresAndIgnoresInvalidValues) {
  unsetenv("RECTIFIER_KERNEL_THREADS");
  EXPECT_EQ(KernelCoresFromEnvironment(), AvailableCores());
  setenv("RECTIFIER_KERNEL_THREADS", "1", 1);
  EXPECT_EQ(KernelCoresFromEnvironment(), 1);
  setenv("RECTIFIER_KERNEL_THREADS", "100000", 1);
  EXPECT_EQ(KernelCoresFromEnvironment(), AvailableCores()) << "never above the cores available";
  for (const char* invalid : {"", "0", "-2", "two", "1x"}) {
    setenv("RECTIFIER_KERNEL_THREADS", invalid, 1);
    EXPECT_EQ(KernelCoresFromEnvironment(), AvailableCores()) << "'" << invalid << "'";
  }
}

TEST(CoreBudgetTest, OneCoreGrantsOnlyTheCallersThread) {
  CoreBudget budget(1);
  CoreBudget::Lease lease = budget.Acquire(8);
  EXPECT_EQ(lease.threads(), 1);
  CoreBudget four(4);
  CoreBudget::Lease first = four.Acquire(3);
  EXPECT_EQ(first.threads(), 3);
  CoreBudget::Lease second = four.Acquire(3);
  EXPECT_EQ(second.threads(), 2) << "one extra core left";
}

}  // namespace
}  // namespace rectifier
