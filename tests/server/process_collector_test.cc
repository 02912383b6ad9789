// ProcessCollector: exact values from a fake /proc tree, plausible values from the real one.
#include "server/process_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/server/test_util.h"

namespace rectifier::server {
namespace {

std::map<std::string, double> Collect(const ProcessCollector& collector) {
  std::map<std::string, double> values;
  for (const prometheus::MetricFamily& family : collector.Collect()) {
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
    if (family.metric.empty()) continue;
    values[family.name] = family.type == prometheus::MetricType::Counter ? family.metric[0].counter.value
                                                                         : family.metric[0].gauge.value;
  }
  return values;
}

TEST(ProcessCollectorTest, ReadsAFakeProcTree) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.Path("42/fd"));
  for (const char* fd : {"0", "1", "2", "7"}) dir.Write(std::string("42/fd/") + fd, "");
  // The command name holds spaces and a ')': fields are counted after the last ')'.
  // Fields 3..24: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
  // cutime cstime priority nice threads itrealvalue starttime(22) vsize(23) rss(24) ...
  dir.Write("42/stat", "42 (rect) ifier x) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 5000 "
                       "123456789 1000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  dir.Write("42/limits", "Limit                     Soft Limit           Hard Limit           Units     \n"
                         "Max cpu time              unlimited            unlimited            seconds   \n"
                         "Max open files            1024                 524288               files     \n");
  dir.Write("stat", "cpu  1 2 3 4\nintr 5\nbtime 1700000000\nprocesses 9\n");
  ProcessCollector collector(
      {.proc_root = dir.path(), .process_dir = "42", .ticks_per_second = 100, .page_size_bytes = 4096});
  std::map<std::string, double> values = Collect(collector);
  EXPECT_DOUBLE_EQ(values["process_cpu_seconds_total"], 4.0);
  EXPECT_DOUBLE_EQ(values["process_virtual_memory_bytes"], 123456789);
  EXPECT_DOUBLE_EQ(values["process_resident_memory_bytes"], 1000 * 4096);
  EXPECT_DOUBLE_EQ(values["process_start_time_seconds"], 1700000050);
  EXPECT_DOUBLE_EQ(values["process_open_fds"], 4);
  EXPECT_DOUBLE_EQ(values["process_max_fds"], 1024);
  EXPECT_EQ(values.size(), 6u);
}

TEST(ProcessCollectorTest, MissingOrMalformedFilesDropTheirMetrics) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.Path("1"));
  dir.Write("1/stat", "1 (init) S garbage\n");
  EXPECT_TRUE(ProcessCollector({.proc_root = dir.path(), .process_dir = "1"}).Collect().empty());
  EXPECT_TRUE(ProcessCollector({.proc_root = dir.Path("absent")}).Collect().empty());
}

TEST(ProcessCollectorTest, RealProcIsPlausible) {
  std::map<std::string, double> values = Collect(ProcessCollector());
  ASSERT_EQ(values.size(), 6u);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(values["process_start_time_seconds"], now + 1);
  EXPECT_GT(values["process_start_time_seconds"], now - 3600);
  EXPECT_GT(values["process_resident_memory_bytes"], 1 << 20);
  EXPECT_GE(values["process_virtual_memory_bytes"], values["process_resident_memory_bytes"]);
  EXPECT_GE(values["process_cpu_seconds_total"], 0);
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(values["process_max_fds"], static_cast<double>(limit.rlim_cur));
  // Opening a descriptor shows.
  const double before = Collect(ProcessCollector())["process_open_fds"];
  const int fd = dup(0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(Collect(ProcessCollector())["process_open_fds"], before + 1);
  close(fd);
}

}  // namespace
}  // namespace rectifier::server
