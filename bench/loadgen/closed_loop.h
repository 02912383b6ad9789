// Closed-loop load: `concurrency` workers, each sending its next call as soon as the previous one answers,
// until the recorder's window ends. Unary workers make one Apply call at a time; streaming workers keep one
// stream each with one request in flight (perf_analyzer's streaming mode). Worker i uses stub i % stubs.
//
// Blocks until every worker has stopped (the window has ended and its last call has finished).
#pragma once

#include "bench/loadgen/load_spec.h"
#include "bench/loadgen/recorder.h"

namespace rectifier::bench {

void RunClosedLoop(const LoadSpec& spec, int concurrency, Recorder& recorder);

}  // namespace rectifier::bench
