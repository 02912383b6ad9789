// rectifier-batch-kernel-bench: how the batcher should compute a batch of N requests of E float32 elements
// each. "Concat" copies the inputs into one scratch buffer, makes one Apply call and copies the outputs
// back (two extra copies, one dispatch); "PerRequest" makes one Apply call per request's own buffers (no
// copies, N dispatches). The batcher concatenates while that is the faster (BatcherOptions::
// max_concat_bytes; bench/README.md has the numbers).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "kernels/activation_text.h"
#include "kernels/apply.h"

namespace {

using rectifier::Activation;
using rectifier::DataType;

struct Requests {
  Requests(int64_t count, int64_t elements)
      : shape{elements}, inputs(count, std::vector<float>(elements, -0.25f)),
        outputs(count, std::vector<float>(elements)) {}
  std::vector<int64_t> shape;
  std::vector<std::vector<float>> inputs;
  std::vector<std::vector<float>> outputs;
};

void PerRequest(benchmark::State& state, const char* spec) {
  const Activation activation = *rectifier::ParseActivation(spec);
  Requests requests(state.range(0), state.range(1));
  for (auto _ : state) {
    for (size_t i = 0; i < requests.inputs.size(); ++i) {
      auto status = rectifier::Apply(activation, {DataType::kFloat32, requests.shape, requests.inputs[i].data()},
                                     {DataType::kFloat32, requests.shape, requests.outputs[i].data()});
      benchmark::DoNotOptimize(status);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void Concat(benchmark::State& state, const char* spec) {
  const Activation activation = *rectifier::ParseActivation(spec);
  Requests requests(state.range(0), state.range(1));
  const int64_t total = state.range(0) * state.range(1);
  const std::vector<int64_t> shape = {total};
  std::vector<float> in(total), out(total);
  const size_t bytes = static_cast<size_t>(state.range(1)) * sizeof(float);
  for (auto _ : state) {
    for (size_t i = 0; i < requests.inputs.size(); ++i) {
      std::memcpy(in.data() + i * state.range(1), requests.inputs[i].data(), bytes);
    }
    auto status = rectifier::Apply(activation, {DataType::kFloat32, shape, in.data()},
                                   {DataType::kFloat32, shape, out.data()});
    benchmark::DoNotOptimize(status);
    for (size_t i = 0; i < requests.outputs.size(); ++i) {
      std::memcpy(requests.outputs[i].data(), out.data() + i * state.range(1), bytes);
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// {requests, elements per request}.
void Sizes(benchmark::internal::Benchmark* b) {
  for (int64_t requests : {8, 64}) {
    for (int64_t elements : {256, 4096, 16384, 65536}) b->Args({requests, elements});
  }
  b->UseRealTime();
}

}  // namespace

BENCHMARK_CAPTURE(PerRequest, relu, "relu")->Apply(Sizes);
BENCHMARK_CAPTURE(Concat, relu, "relu")->Apply(Sizes);
BENCHMARK_CAPTURE(PerRequest, gelu, "gelu")->Apply(Sizes);
BENCHMARK_CAPTURE(Concat, gelu, "gelu")->Apply(Sizes);
BENCHMARK_MAIN();
