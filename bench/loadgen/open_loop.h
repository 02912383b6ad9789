// Open-loop load: unary calls sent at a target rate regardless of how fast answers come (Poisson arrivals or
// a fixed interval), from the start of the warm-up to the end of the recorder's window. Latency runs from
// the moment a call was *due*, so a client or server that falls behind shows it (no coordinated omission).
// Calls due while `max_outstanding` are in flight are dropped and counted.
//
// Runs the schedule on the calling thread; blocks until every call has finished.
#pragma once

#include <cstdint>

#include "bench/loadgen/load_spec.h"
#include "bench/loadgen/recorder.h"

namespace rectifier::bench {

struct RateSpec {
  double requests_per_s = 100;
  bool poisson = true;
  int max_outstanding = 1024;
  uint64_t seed = 1;
};

void RunOpenLoop(const LoadSpec& spec, const RateSpec& rate, Clock::time_point start, Recorder& recorder);

}  // namespace rectifier::bench
