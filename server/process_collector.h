// ProcessCollector: the standard process_* metrics of Prometheus client libraries, which prometheus-cpp
// lacks, read from Linux's /proc at scrape time:
//   process_cpu_seconds_total          user + system CPU time          /proc/self/stat utime, stime
//   process_resident_memory_bytes      resident set size               /proc/self/stat rss * page size
//   process_virtual_memory_bytes       virtual memory size             /proc/self/stat vsize
//   process_open_fds                   open file descriptors           entries of /proc/self/fd
//   process_max_fds                    the descriptor limit            /proc/self/limits "Max open files"
//   process_start_time_seconds         start, seconds since the epoch  /proc/stat btime + stat starttime
// A file that cannot be read drops its metrics from that scrape (never an error, never a throw).
// Thread-safe (stateless apart from its options).
#pragma once

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace rectifier::server {

struct ProcessCollectorOptions {
  // The proc file system and the process directory in it; tests point these at a fake tree.
  std::string proc_root = "/proc";
  std::string process_dir = "self";
  // Clock ticks per second (sysconf(_SC_CLK_TCK)) and page size in bytes (sysconf(_SC_PAGESIZE)); 0: ask
  // the system.
  long ticks_per_second = 0;
  long page_size_bytes = 0;
};

class ProcessCollector final : public prometheus::Collectable {
 public:
  explicit ProcessCollector(ProcessCollectorOptions options = {});
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ProcessCollectorOptions options_;
};

}  // namespace rectifier::server
