#include "bench/loadgen/machine_info.h"

#include <sched.h>
#include <sys/utsname.h>

#include <fstream>
#include <string>

#include "grpcpp/grpcpp.h"

namespace rectifier::bench {

double LoadAverage1m() {
  std::ifstream file("/proc/loadavg");
  double load = -1;
  file >> load;
  return load;
}

nlohmann::json MachineInfo() {
  nlohmann::json info;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      info["cpu"] = line.substr(line.find(':') + 2);
      break;
    }
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) info["cores"] = CPU_COUNT(&set);
  utsname name;
  if (uname(&name) == 0) info["kernel"] = std::string(name.sysname) + " " + name.release;
  info["grpc"] = grpc::Version();
  info["load_average_1m"] = LoadAverage1m();
  return info;
}

}  // namespace rectifier::bench
