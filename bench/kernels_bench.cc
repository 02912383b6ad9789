// rectifier-kernel-bench: Rectifier's Apply() against libtorch (the C++ library under PyTorch 1.13) on the
// same inputs, thread count and machine, plus the memcpy limit. bench/kernels.sh builds and runs it and turns
// the Google Benchmark JSON into bench/results/kernels.json; bench/README.md explains the columns.
//
// Benchmark names are `impl:dtype:elements:key`:
//   impl      rectifier (Apply, Backend::kAuto), onednn / simd (Apply with that backend forced; float32 only,
//             where the backend implements the case), pytorch (libtorch, out= preallocated where such a
//             kernel exists), copy-1t / copy-<T>t (memcpy of the same bytes on 1 / T threads)
//   key       the activation's canonical text (FormatActivation), except for specs too long to read in a
//             table (PReLU's 64 weights); the context entry `spec:<key>` holds the canonical text of each.
// Bytes per call = bytes read + bytes written (CReLU writes twice what it reads); Google Benchmark reports
// them as bytes_per_second. Every case runs a fixed number of repetitions and reports mean/median/stddev/cv;
// the median is the figure of record.
//
// Timing: each repetition is one Google Benchmark iteration whose (manual) time is the time per call,
// measured by calling in batches of ~1 ms until the repetition's minimum time has passed. Unlike Google
// Benchmark's own loop, whose iteration count is fixed after the first repetition, this bounds every
// repetition's duration even when another process stalls a multi-threaded call for whole scheduler slices.
//
// Flags (before Google Benchmark's own --benchmark_* flags, which all work):
//   --threads=N  threads for both libraries (default: the cores this process may use, as Rectifier counts)
//   --quick      sizes up to 1Mi, 3 short repetitions: a smoke test of the harness, not a measurement
//   --no_check   skip comparing Rectifier's outputs with PyTorch's before timing (done for sizes <= 64Ki)
// Repetitions are interleaved at random across all cases unless --benchmark_enable_random_interleaving=false.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "kernels/activation.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/core_budget.h"
#include "kernels/data_type.h"
#include "kernels/onednn/onednn_eltwise.h"
#include "kernels/simd/simd_kernels.h"
#include "kernels/tensor.h"
#include "kernels/validation.h"

#ifdef RECTIFIER_BENCH_WITH_TORCH
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/version.h>
#endif

namespace rectifier::bench {
namespace {

constexpr int64_t kKi = 1024;
constexpr int64_t kMi = kKi * kKi;
constexpr int kPreluChannels = 64;

// ---------------------------------------------------------------------------------------------------------
// Settings

struct Settings {
  int threads = 1;
  bool quick = false;
  bool check = true;
};
Settings g_settings;

// Repetitions and minimum time per repetition by size: many short repetitions where a call is cheap, a few
// where one call already takes milliseconds. Keeps the whole run under ~10 minutes on 2 cores.
struct Timing {
  int repetitions;
  double min_time;  // seconds per repetition: calls are repeated until it has passed (at least one call)
};
Timing TimingFor(int64_t elements) {
  if (g_settings.quick) return {3, 0.005};
  if (elements <= 64 * kKi) return {9, 0.03};
  if (elements <= kMi) return {7, 0.03};
  return {5, 0.05};
}

// ---------------------------------------------------------------------------------------------------------
// Data: one input buffer per dtype (filled once with the same values), one shared output buffer.

uint16_t FloatToBFloat16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if (std::isnan(f)) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fff + ((u >> 16) & 1);  // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

float BFloat16ToFloat(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t FloatToHalf(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (u >> 16) & 0x8000;
  const uint32_t abs = u & 0x7fffffff;
  if (abs > 0x7f800000) return static_cast<uint16_t>(sign | 0x7e00);           // NaN
  if (abs >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);          // overflow to inf
  if (abs < 0x38800000) {                                                      // subnormal or zero
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;              // * 2^24: integer units
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)));
  }
  uint32_t h = ((abs >> 13) - (112u << 10));                                   // rebias exponent
  const uint32_t rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;                       // round to nearest even
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    const float v = static_cast<float>(mant) / 16777216.0f;
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000 | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

double ElementAt(DataType dtype, const void* data, size_t i) {
  switch (dtype) {
    case DataType::kFloat32: return static_cast<const float*>(data)[i];
    case DataType::kFloat64: return static_cast<const double*>(data)[i];
    case DataType::kBFloat16: return BFloat16ToFloat(static_cast<const uint16_t*>(data)[i]);
    case DataType::kFloat16: return HalfToFloat(static_cast<const uint16_t*>(data)[i]);
    default: return std::nan("");
  }
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<char, FreeDeleter>;

Buffer Allocate(size_t bytes) {
  constexpr size_t kAlign = 4096;
  bytes = std::max<size_t>(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  Buffer buffer(static_cast<char*>(std::aligned_alloc(kAlign, bytes)));
  if (!buffer) {
    std::fprintf(stderr, "rectifier-kernel-bench: cannot allocate %zu bytes\n", bytes);
    std::exit(1);
  }
  std::memset(buffer.get(), 0, bytes);  // touch every page before timing
  return buffer;
}

std::map<DataType, Buffer> g_inputs;
Buffer g_output;
size_t g_output_bytes = 0;

// Uniform in [-8, 8): both sides of every piecewise function, the saturating tails of sigmoid and tanh and
// the non-linear regions of the others. Deterministic, and the same values (rounded) for every dtype.
void FillInput(DataType dtype, int64_t elements) {
  Buffer buffer = Allocate(static_cast<size_t>(elements) * ElementSizeBytes(dtype));
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int64_t i = 0; i < elements; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const float v = static_cast<float>(static_cast<double>(state >> 11) * 0x1p-53 * 16.0 - 8.0);
    switch (dtype) {
      case DataType::kFloat32: reinterpret_cast<float*>(buffer.get())[i] = v; break;
      case DataType::kFloat64: reinterpret_cast<double*>(buffer.get())[i] = v; break;
      case DataType::kBFloat16: reinterpret_cast<uint16_t*>(buffer.get())[i] = FloatToBFloat16(v); break;
      case DataType::kFloat16: reinterpret_cast<uint16_t*>(buffer.get())[i] = FloatToHalf(v); break;
      default: break;
    }
  }
  g_inputs[dtype] = std::move(buffer);
}

// ---------------------------------------------------------------------------------------------------------
// Cases

struct SpecDef {
  std::string text;  // as written; parsed with ParseActivation
  std::string key;   // short form for benchmark names when the canonical text is unwieldy; else empty
  bool memory_bound; // also measured at 64Mi float32 against the copy limit
};

std::vector<SpecDef> Specs() {
  // PReLU with per-channel weights 0.01, 0.02, ..., 0.64 on [N, 64, H*W].
  std::string prelu = "prelu(weight=[";
  for (int c = 0; c < kPreluChannels; ++c) {
    prelu += (c ? ", " : "") + std::to_string(c + 1) + "e-2";
  }
  prelu += "])";
  return {
      {"relu", "", true},
      {"leaky_relu", "", true},
      {prelu, "prelu(weight=[64 channels])", true},
      {"elu", "", false},
      {"selu", "", false},
      {"celu", "", false},
      {"crelu", "", true},
      {"relu6", "", true},
      {"hardtanh", "", true},
      {"gelu", "", false},
      {"gelu(approximate=tanh)", "", false},
      {"silu", "", false},
      {"mish", "", false},
      {"sigmoid", "", false},
      {"tanh", "", false},
      {"softplus", "", false},
      {"hardswish", "", false},
      {"hardsigmoid", "", false},
      {"logsigmoid", "", false},
      {"threshold(threshold=0.1, value=20)", "", true},
  };
}

struct Case {
  std::string key;   // used in benchmark names
  std::string spec;  // canonical text
  Activation activation;
  DataType dtype = DataType::kFloat32;
  DataType out_dtype = DataType::kFloat32;
  int64_t elements = 0;
  int64_t out_elements = 0;
  std::vector<int64_t> in_shape;
  std::vector<int64_t> out_shape;
  int64_t bytes_per_call = 0;  // read + written

  TensorView In() const { return {dtype, in_shape, g_inputs.at(dtype).get()}; }
  MutableTensorView Out() const { return {out_dtype, out_shape, g_output.get()}; }
  size_t OutBytes() const { return static_cast<size_t>(out_elements) * ElementSizeBytes(out_dtype); }
};

// PReLU: [N, 64, inner] with inner = min(1024, elements / 64). Everything else: [elements / 1024, 1024]
// (CReLU doubles the last axis; the element-wise functions do not care about the shape).
std::vector<int64_t> ShapeFor(const Activation& activation, int64_t elements) {
  if (KindOf(activation) == ActivationKind::kPrelu) {
    const int64_t inner = std::min<int64_t>(1024, elements / kPreluChannels);
    return {elements / (kPreluChannels * inner), kPreluChannels, inner};
  }
  return {elements / 1024, 1024};
}

Case MakeCase(const SpecDef& def, DataType dtype, int64_t elements) {
  absl::StatusOr<Activation> parsed = ParseActivation(def.text);
  if (!parsed.ok()) {
    std::fprintf(stderr, "rectifier-kernel-bench: cannot parse %s: %s\n", def.text.c_str(),
                 std::string(parsed.status().message()).c_str());
    std::exit(1);
  }
  Case c;
  c.activation = *std::move(parsed);
  c.spec = FormatActivation(c.activation);
  c.key = def.key.empty() ? c.spec : def.key;
  c.dtype = dtype;
  c.out_dtype = OutputDataType(c.activation, dtype);
  c.elements = elements;
  c.in_shape = ShapeFor(c.activation, elements);
  c.out_shape = OutputShape(c.activation, c.in_shape);
  c.out_elements = NumElements(c.out_shape).value();
  c.bytes_per_call = elements * static_cast<int64_t>(ElementSizeBytes(dtype)) +
                     c.out_elements * static_cast<int64_t>(ElementSizeBytes(c.out_dtype));
  return c;
}

std::string Name(std::string_view impl, const Case& c) {
  return std::string(impl) + ":" + std::string(DataTypeName(c.dtype)) + ":" + std::to_string(c.elements) +
         ":" + c.key;
}

// ---------------------------------------------------------------------------------------------------------
// Timing helpers

struct Calibration {
  bool warmed = false;
  int64_t batch = 1;  // calls between two reads of the clock: ~1 ms worth
};

// Times `call` for one repetition (see the header): warms up first (10 ms and a batch-size calibration
// before a benchmark's first repetition; before each later one, which may follow other benchmarks'
// repetitions since they are interleaved, two calls, or one where a call takes over a millisecond), then
// runs batches until `min_time` has passed.
template <typename F>
void TimeCalls(benchmark::State& state, Calibration* calibration, int64_t bytes_per_call, F&& call) {
  using Clock = std::chrono::steady_clock;
  const double min_time = TimingFor(static_cast<int64_t>(state.range(0))).min_time;
  auto seconds_since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  if (!calibration->warmed) {
    const auto start = Clock::now();
    for (int calls = 0; calls < 2 || seconds_since(start) < 0.01; ++calls) call();
    for (;;) {
      const auto batch_start = Clock::now();
      for (int64_t i = 0; i < calibration->batch; ++i) call();
      if (seconds_since(batch_start) >= 1e-3 || calibration->batch >= (int64_t{1} << 24)) break;
      calibration->batch *= 2;
    }
    calibration->warmed = true;
  } else {
    call();
    if (calibration->batch > 1) call();
  }
  for (auto _ : state) {
    int64_t calls = 0;
    double elapsed = 0;
    const auto start = Clock::now();
    do {
      for (int64_t i = 0; i < calibration->batch; ++i) call();
      calls += calibration->batch;
      elapsed = seconds_since(start);
    } while (elapsed < min_time);
    state.SetIterationTime(elapsed / static_cast<double>(calls));
  }
  state.SetBytesProcessed(state.iterations() * bytes_per_call);
}

// One repetition = one iteration with manual time = time per call; the argument is the element count.
benchmark::internal::Benchmark* Configure(benchmark::internal::Benchmark* b, int64_t elements) {
  return b->Arg(elements)
      ->ArgName("n")
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kNanosecond)
      ->Repetitions(TimingFor(elements).repetitions)
      // The fastest repetition besides the median: under load from other processes it is the better
      // estimate of what the code can do (kernels_table.py reports both).
      ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
      ->ReportAggregatesOnly(true);
}

// ---------------------------------------------------------------------------------------------------------
// Rectifier

void RegisterRectifier(std::shared_ptr<const Case> c, std::string_view impl, Backend backend) {
  auto calibration = std::make_shared<Calibration>();
  Configure(benchmark::RegisterBenchmark(
                Name(impl, *c).c_str(),
                [c, backend, calibration](benchmark::State& state) {
                  const TensorView in = c->In();
                  const MutableTensorView out = c->Out();
                  const ApplyOptions options{.backend = backend, .max_threads = g_settings.threads};
                  const absl::Status status = Apply(c->activation, in, out, options);
                  if (!status.ok()) {
                    state.SkipWithError(std::string(status.ToString()).c_str());
                    return;
                  }
                  TimeCalls(state, calibration.get(), c->bytes_per_call, [&] {
                    benchmark::DoNotOptimize(Apply(c->activation, in, out, options));
                  });
                }),
            c->elements);
}

// ---------------------------------------------------------------------------------------------------------
// PyTorch (libtorch C++)

#ifdef RECTIFIER_BENCH_WITH_TORCH
at::ScalarType TorchType(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return at::kFloat;
    case DataType::kFloat64: return at::kDouble;
    case DataType::kBFloat16: return at::kBFloat16;
    case DataType::kFloat16: return at::kHalf;
    default: return at::kFloat;
  }
}

struct TorchCall {
  std::function<void()> run;  // one call, writing into `result`
  std::shared_ptr<at::Tensor> result;
};

// The call a PyTorch user makes for `c`, with the output preallocated (out=) where libtorch has such a
// kernel. Returns nothing for activations libtorch cannot compute on this dtype (detected by running it).
std::optional<TorchCall> MakeTorchCall(const Case& c) {
  const auto options = at::TensorOptions().dtype(TorchType(c.dtype)).device(at::kCPU);
  at::Tensor x = at::from_blob(const_cast<void*>(c.In().data), c.in_shape, options);
  at::Tensor y = at::from_blob(c.Out().data, c.out_shape, at::TensorOptions().dtype(TorchType(c.out_dtype)));
  auto result = std::make_shared<at::Tensor>(y);
  std::function<void()> run;
  const Activation& a = c.activation;
  switch (KindOf(a)) {
    case ActivationKind::kRelu:  // F.relu is at::clamp_min(x, 0) in 1.13
      run = [x, y]() mutable { at::clamp_min_out(y, x, 0); };
      break;
    case ActivationKind::kLeakyRelu: {
      const double slope = std::get<act::LeakyRelu>(a).negative_slope;
      run = [x, y, slope]() mutable { at::leaky_relu_out(y, x, slope); };
      break;
    }
    case ActivationKind::kPrelu: {
      // prelu.out in 1.13 is the allocating prelu followed by a copy, so time the allocating form
      // (F.prelu): its output allocation is part of what a PyTorch user pays.
      const std::vector<double>& w = std::get<act::Prelu>(a).weight;
      at::Tensor weight =
          at::tensor(at::ArrayRef<double>(w.data(), w.size()), at::TensorOptions().dtype(at::kDouble))
              .to(TorchType(c.dtype));
      run = [x, weight, result]() { *result = at::prelu(x, weight); };
      break;
    }
    case ActivationKind::kElu: {
      const double alpha = std::get<act::Elu>(a).alpha;
      run = [x, y, alpha]() mutable { at::elu_out(y, x, alpha, 1, 1); };
      break;
    }
    case ActivationKind::kSelu:  // F.selu is at::elu(x, alpha, scale)
      run = [x, y]() mutable { at::elu_out(y, x, kSeluAlpha, kSeluScale, 1); };
      break;
    case ActivationKind::kCelu: {  // F.celu is at::elu(x, alpha, 1, 1 / alpha)
      const double alpha = std::get<act::Celu>(a).alpha;
      run = [x, y, alpha]() mutable { at::elu_out(y, x, alpha, 1, 1.0 / alpha); };
      break;
    }
    case ActivationKind::kCrelu: {
      // torch.cat([F.relu(x), F.relu(-x)], axis) without temporaries: each half of the output is a strided
      // view written in place (measured faster than cat_out of two preallocated halves).
      const int64_t axis = std::get<act::Crelu>(a).axis;
      const int64_t dim = axis < 0 ? axis + x.dim() : axis;
      const int64_t n = x.size(dim);
      at::Tensor lo = y.narrow(dim, 0, n);
      at::Tensor hi = y.narrow(dim, n, n);
      run = [x, lo, hi]() mutable {
        at::clamp_min_out(lo, x, 0);
        at::neg_out(hi, x);
        hi.clamp_min_(0);
      };
      break;
    }
    case ActivationKind::kRelu6:  // F.relu6 is at::hardtanh(x, 0, 6) in 1.13
      run = [x, y]() mutable { at::hardtanh_out(y, x, 0, 6); };
      break;
    case ActivationKind::kHardtanh: {
      const act::Hardtanh p = std::get<act::Hardtanh>(a);
      run = [x, y, p]() mutable { at::hardtanh_out(y, x, p.min_val, p.max_val); };
      break;
    }
    case ActivationKind::kGelu: {
      const std::string approximate =
          std::get<act::Gelu>(a).approximate == GeluApproximate::kTanh ? "tanh" : "none";
      run = [x, y, approximate]() mutable { at::gelu_out(y, x, approximate); };
      break;
    }
    case ActivationKind::kSilu:
      run = [x, y]() mutable { at::silu_out(y, x); };
      break;
    case ActivationKind::kMish:
      run = [x, y]() mutable { at::mish_out(y, x); };
      break;
    case ActivationKind::kSigmoid:
      run = [x, y]() mutable { at::sigmoid_out(y, x); };
      break;
    case ActivationKind::kTanh:
      run = [x, y]() mutable { at::tanh_out(y, x); };
      break;
    case ActivationKind::kSoftplus: {
      const act::Softplus p = std::get<act::Softplus>(a);
      run = [x, y, p]() mutable { at::softplus_out(y, x, p.beta, p.threshold); };
      break;
    }
    case ActivationKind::kHardswish:
      run = [x, y]() mutable { at::hardswish_out(y, x); };
      break;
    case ActivationKind::kHardsigmoid:
      run = [x, y]() mutable { at::hardsigmoid_out(y, x); };
      break;
    case ActivationKind::kLogsigmoid: {
      // F.logsigmoid is log_sigmoid_forward, which also fills a buffer for the backward pass; the buffer is
      // preallocated here (log_sigmoid_out would allocate it on every call).
      at::Tensor buffer = at::empty_like(x);
      run = [x, y, buffer]() mutable { at::log_sigmoid_forward_out(y, buffer, x); };
      break;
    }
    case ActivationKind::kThreshold: {
      const act::Threshold p = std::get<act::Threshold>(a);
      run = [x, y, p]() mutable { at::threshold_out(y, x, p.threshold, p.value); };
      break;
    }
  }
  try {
    run();
  } catch (const c10::Error&) {
    return std::nullopt;  // e.g. "not implemented for 'Half'"
  }
  return TorchCall{std::move(run), std::move(result)};
}

void RegisterTorch(std::shared_ptr<const Case> c, TorchCall call) {
  auto calibration = std::make_shared<Calibration>();
  Configure(benchmark::RegisterBenchmark(Name("pytorch", *c).c_str(),
                                         [c, call, calibration](benchmark::State& state) {
                                           TimeCalls(state, calibration.get(), c->bytes_per_call, call.run);
                                         }),
            c->elements);
}

// Compares Rectifier's output with libtorch's on the whole case. A benchmark of a wrong kernel is worthless;
// the test suite is the real check, this only catches a broken build before its numbers are believed.
bool OutputsAgree(const Case& c, const TorchCall& call, std::string* detail) {
  if (!Apply(c.activation, c.In(), c.Out()).ok()) return true;  // reported by the benchmark itself
  std::vector<char> ours(g_output.get(), g_output.get() + c.OutBytes());
  call.run();
  at::Tensor theirs = call.result->contiguous();
  double rtol = 1e-5, atol = 1e-6;
  if (c.dtype == DataType::kFloat64) rtol = 1e-12, atol = 1e-14;
  // PyTorch computes some bfloat16 functions partly in bfloat16 (gelu is off by several ulp near zero).
  if (c.dtype == DataType::kBFloat16) rtol = 1.6e-2, atol = 4e-3;
  for (int64_t i = 0; i < c.out_elements; ++i) {
    const double a = ElementAt(c.out_dtype, ours.data(), i);
    const double b = ElementAt(c.out_dtype, theirs.data_ptr(), i);
    if (std::isnan(a) && std::isnan(b)) continue;
    if (!(std::fabs(a - b) <= atol + rtol * std::fabs(b))) {
      char buffer[160];
      std::snprintf(buffer, sizeof buffer, "element %lld: rectifier %.9g, pytorch %.9g",
                    static_cast<long long>(i), a, b);
      *detail = buffer;
      return false;
    }
  }
  return true;
}
#endif  // RECTIFIER_BENCH_WITH_TORCH

// ---------------------------------------------------------------------------------------------------------
// Copy limit: memcpy of `bytes` from the float32 input to the output, split evenly over `threads` OpenMP
// threads (glibc switches to non-temporal stores for large copies, so this is the best a kernel that reads
// and writes each byte once can do).

void CopyOnce(const char* src, char* dst, size_t bytes, int threads) {
  if (threads <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const size_t parts = static_cast<size_t>(omp_get_num_threads());
    const size_t chunk = (bytes / parts + 63) / 64 * 64;
    const size_t begin = std::min(bytes, chunk * static_cast<size_t>(omp_get_thread_num()));
    const size_t end = std::min(bytes, begin + chunk);
    std::memcpy(dst + begin, src + begin, end - begin);
  }
}

void RegisterCopy(int64_t elements, int threads) {
  const size_t bytes = static_cast<size_t>(elements) * sizeof(float);
  const std::string name = "copy-" + std::to_string(threads) + "t:float32:" + std::to_string(elements) + ":copy";
  auto calibration = std::make_shared<Calibration>();
  Configure(benchmark::RegisterBenchmark(name.c_str(),
                                         [bytes, threads, calibration](benchmark::State& state) {
                                           const char* src = g_inputs.at(DataType::kFloat32).get();
                                           char* dst = g_output.get();
                                           TimeCalls(state, calibration.get(), static_cast<int64_t>(2 * bytes),
                                                     [&] {
                                                       CopyOnce(src, dst, bytes, threads);
                                                       benchmark::ClobberMemory();
                                                     });
                                         }),
            elements);
}

// ---------------------------------------------------------------------------------------------------------

std::vector<int64_t> SizesFor(DataType dtype) {
  if (g_settings.quick) return {kKi, 64 * kKi, kMi};
  if (dtype == DataType::kFloat32) return {kKi, 64 * kKi, kMi, 16 * kMi, 64 * kMi};
  return {kKi, 64 * kKi, kMi};
}

// Removes this program's flags from argv and adds --benchmark_enable_random_interleaving=true unless the
// caller set it: repetitions of all cases run in random order, so that a burst of load from other processes
// spreads over Rectifier's and PyTorch's repetitions alike instead of hitting one case.
std::vector<char*> ParseOwnFlags(int argc, char** argv) {
  g_settings.threads = AvailableCores();
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  std::vector<char*> kept = {argv[0]};
  bool interleave_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--threads=")) {
      g_settings.threads = std::max(1, std::atoi(argv[i] + 10));
    } else if (arg == "--quick") {
      g_settings.quick = true;
    } else if (arg == "--no_check") {
      g_settings.check = false;
    } else {
      interleave_set = interleave_set || arg.starts_with("--benchmark_enable_random_interleaving");
      kept.push_back(argv[i]);
    }
  }
  if (!interleave_set) kept.push_back(interleave);
  kept.push_back(nullptr);
  return kept;
}

int Main(int argc, char** argv) {
  std::vector<char*> args = ParseOwnFlags(argc, argv);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const int threads = g_settings.threads;
  omp_set_num_threads(threads);
#ifdef RECTIFIER_BENCH_WITH_TORCH
  at::set_num_threads(threads);
  benchmark::AddCustomContext("torch_version", TORCH_VERSION);
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
#else
  benchmark::AddCustomContext("torch_version", "");
#endif
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::AddCustomContext("rectifier_isa", simd::TargetName());
  benchmark::AddCustomContext("onednn_version", onednn::LibraryVersion());
  benchmark::AddCustomContext("quick", g_settings.quick ? "true" : "false");

  const std::vector<SpecDef> specs = Specs();
  const DataType dtypes[] = {DataType::kFloat32, DataType::kFloat64, DataType::kBFloat16, DataType::kFloat16};

  // Buffers, sized for the largest case of each dtype, allocated and filled once.
  for (DataType dtype : dtypes) {
    const int64_t largest = SizesFor(dtype).back();
    FillInput(dtype, largest);
    g_output_bytes = std::max(g_output_bytes, 2 * static_cast<size_t>(largest) * ElementSizeBytes(dtype));
  }
  g_output = Allocate(g_output_bytes);

  std::map<std::string, std::string> spec_of_key;
  std::string key_order;  // for the tables: catalogue order, whatever order the results arrive in
  std::vector<std::string> mismatches;
  int registered = 0;
  for (DataType dtype : dtypes) {
    const std::vector<int64_t> sizes = SizesFor(dtype);
    for (int64_t elements : sizes) {
      const bool huge = elements > 16 * kMi;  // only the memory-bound ones, against the copy limit
      if (dtype == DataType::kFloat32) {
        RegisterCopy(elements, 1);
        if (threads > 1) RegisterCopy(elements, threads);
      }
      for (const SpecDef& def : specs) {
        if (huge && !def.memory_bound) continue;
        auto c = std::make_shared<const Case>(MakeCase(def, dtype, elements));
        if (spec_of_key.emplace(c->key, c->spec).second) key_order += (key_order.empty() ? "" : "|") + c->key;
        RegisterRectifier(c, "rectifier", Backend::kAuto);
        ++registered;
#ifdef RECTIFIER_BENCH_WITH_TORCH
        if (std::optional<TorchCall> call = MakeTorchCall(*c)) {
          std::string detail;
          if (g_settings.check && elements <= 64 * kKi && !OutputsAgree(*c, *call, &detail)) {
            mismatches.push_back(Name("rectifier", *c) + " (" + detail + ")");
            std::fprintf(stderr, "rectifier-kernel-bench: WARNING: %s differs from PyTorch: %s\n",
                         Name("rectifier", *c).c_str(), detail.c_str());
          }
          RegisterTorch(c, std::move(*call));
        }
#endif
        // Both backends forced, float32 only, where each implements the case (Apply says UNIMPLEMENTED
        // otherwise): the numbers behind Backend::kAuto's choice. PReLU and CReLU have one kernel each
        // (Apply does not consult the backend for them).
        const ActivationKind kind = KindOf(c->activation);
        if (dtype == DataType::kFloat32 && kind != ActivationKind::kPrelu && kind != ActivationKind::kCrelu) {
          for (auto [impl, backend] : {std::pair{"onednn", Backend::kOnednn}, std::pair{"simd", Backend::kSimd}}) {
            const ApplyOptions options{.backend = backend, .max_threads = threads};
            const absl::Status status = Apply(c->activation, c->In(), c->Out(), options);
            if (status.code() == absl::StatusCode::kUnimplemented) continue;
            RegisterRectifier(c, impl, backend);
          }
        }
      }
    }
  }
  for (const auto& [key, spec] : spec_of_key) benchmark::AddCustomContext("spec:" + key, spec);
  benchmark::AddCustomContext("key_order", key_order);
  std::string check = g_settings.check ? "ok" : "skipped";
  if (!mismatches.empty()) {
    check = "MISMATCH:";
    for (const std::string& m : mismatches) check += " " + m + ";";
  }
  benchmark::AddCustomContext("output_check", check);
  std::fprintf(stderr, "rectifier-kernel-bench: %d cases, %d threads, ISA %s, output check: %s\n", registered,
               threads, simd::TargetName(), mismatches.empty() ? check.c_str() : "MISMATCH (see above)");

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace rectifier::bench

int main(int argc, char** argv) { return rectifier::bench::Main(argc, argv); }
