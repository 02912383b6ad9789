// rectifier-handoff-bench: where the server should stop computing on gRPC's callback thread and hand a
// request to its executor. Compares, per input size, the kernel time of a cheap (relu) and a costly (gelu)
// float32 activation with the round trip of handing an empty task to the Executor and waiting for it.
// A request is computed inline while its kernel costs less than the hand-off would let it save.
#include <benchmark/benchmark.h>

#include <future>
#include <vector>

#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/validation.h"
#include "server/executor.h"

namespace {

using rectifier::Activation;
using rectifier::DataType;

void KernelInline(benchmark::State& state, const char* spec) {
  const auto elements = static_cast<int64_t>(state.range(0));
  const Activation activation = *rectifier::ParseActivation(spec);
  const std::vector<int64_t> shape = {elements};
  std::vector<float> in(elements, -0.25f), out(elements);
  for (auto _ : state) {
    auto status = rectifier::Apply(activation, {DataType::kFloat32, shape, in.data()},
                                   {DataType::kFloat32, shape, out.data()}, {.max_threads = 1});
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * elements * 8);
}

void ExecutorRoundTrip(benchmark::State& state) {
  auto executor = rectifier::server::Executor::Create({.threads = 1}).value();
  for (auto _ : state) {
    std::promise<void> done;
    executor->Schedule([&done] { done.set_value(); });
    done.get_future().wait();
  }
}

}  // namespace

BENCHMARK_CAPTURE(KernelInline, relu, "relu")->RangeMultiplier(4)->Range(64, 1 << 20)->UseRealTime();
BENCHMARK_CAPTURE(KernelInline, gelu, "gelu")->RangeMultiplier(4)->Range(64, 1 << 20)->UseRealTime();
BENCHMARK(ExecutorRoundTrip)->UseRealTime();
BENCHMARK_MAIN();
