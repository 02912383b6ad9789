// What the numbers were measured on: CPU model, cores, load average, gRPC version, kernel. Read from /proc
// and uname; fields that cannot be read are left out.
#pragma once

#include "nlohmann/json.hpp"

namespace rectifier::bench {

nlohmann::json MachineInfo();
// The 1-minute load average (from /proc/loadavg), or -1.
double LoadAverage1m();

}  // namespace rectifier::bench
