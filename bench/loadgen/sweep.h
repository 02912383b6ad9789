// RunSweep: the whole measurement of one rectifier-bench invocation. For every input size, every load
// level and every alternation, each target is driven in turn (the order flips every alternation, so slow
// drift in the machine's load hits both alike) through a warm-up and a measurement window. The same
// serialized request goes to every target.
//
// Blocks for the whole sweep; progress lines go to stderr.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "bench/loadgen/bench_options.h"
#include "bench/loadgen/results.h"

namespace rectifier::bench {

absl::StatusOr<std::vector<RunResult>> RunSweep(const BenchOptions& options);

}  // namespace rectifier::bench
