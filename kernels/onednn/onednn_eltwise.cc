// oneDNN eltwise backend (contract in onednn_eltwise.h).
//
// ===================================================================================================
// Which functions oneDNN computes the way PyTorch 1.13 does: the measurements behind Supports()
// ===================================================================================================
// Measured on an AVX2-only AMD EPYC (oneDNN 2.6.3 chooses "jit:avx2"), f32, forward_inference, against
// Debian's PyTorch 1.13.1 (torch.nn.functional, 1 thread, contiguous tensor = its vectorised AVX2 path).
// Inputs (12,438,098): NaN, -NaN, +-inf, +-0, +-1.4e-45, +-1e-40, +-FLT_MIN, +-1e-30, +-1e-7, +-0.5, +-1,
// +-3 and its neighbours, +-6, +-20 and its neighbours, +-88.7, +-89, +-100, +-1e4, +-1e30, +-FLT_MAX;
// 2,000,001 points evenly over [-30, 30]; 1,000,001 over [-120, 120]; every 509th bit pattern of all 2^32
// (NaNs, subnormals and huge values included); 1,000,000 log-uniform magnitudes in [1e-45, 3e38], both signs.
//
// Columns: NaN = inputs where exactly one of oneDNN/PyTorch gives NaN; inf = finite-vs-infinite or
// +inf-vs--inf mismatches; +-0 = both zero with different signs; max|d| = max absolute difference over finite
// results; ulp>=2^-20 = max ulp distance where |PyTorch| >= 2^-20; ulp(normal) = the same over every
// result with |PyTorch| >= FLT_MIN; scaled = max |d| / (2^-23 * max(|PyTorch|, s)), s = |alpha| for elu and
// 1 otherwise, i.e. ulps relative to the function's output scale.
// "torch self" = the same two metrics for PyTorch's own scalar path (what it runs on strided tensors and on
// the last < 16 elements of every contiguous tensor) against its vectorised path: the disagreement PyTorch
// has with itself, which bounds how close any implementation can be held.
//
// Acceptance rule: NaN, inf and +-0 columns all 0 (NaN stays NaN, identical +-inf and signed-zero results)
// AND scaled <= 4. Large ulp figures for accepted functions occur only (a) where PyTorch 1.13's own formula
// cancels (elu evaluates exp(x)-1, not expm1, so near x = 0 both sides carry a 1-ulp difference of exp(x);
// gelu_tanh evaluates 1 + tanh(u) with tanh(u) ~ -1 for x in [-8, -2]) or (b) where the result underflows
// (sigmoid and silu for x < -64: |result| < 2e-28; oneDNN flushes exp(x) to 0 below x = -87.3 where PyTorch
// returns subnormals; abs difference <= 5e-35).
//
//   function (oneDNN alg)            NaN    inf    +-0    max|d|  ulp>=2^-20  ulp(normal)  scaled | torch self: ulp>=2^-20 scaled | decision
//   leaky_relu 0.01 (relu a=0.01)      0      0      0         0           0            0    0.00 |                     0   0.00 | YES
//   leaky_relu 0.2, -0.5, 1.5          0      0      0         0           0            0    0.00 |                     0   0.00 | YES
//   leaky_relu 0 (relu a=0)        32963      0  6.2e6         0           0            0    0.00 |                     0   0.00 | no: NaN->0, -inf->0 (PyTorch NaN), x<0 -> +0 (PyTorch x*0 = -0)
//   relu (relu a=0)                32962      0      1         0           0            0    0.00 |                     0   0.00 | no: NaN->0, relu(-0.0) = +0
//   elu alpha=1 (elu)                  0      0      0   1.19e-7      262144       262144    1.00 |                 32768   0.50 | YES (cancellation zone -1 < x < 0)
//   elu alpha=0.5 / 2.5 / 0 / -1       0      0      0   3.58e-7      327680       327680    1.20 |                 20480   0.80 | YES (alpha=2.5 worst; alpha=0 exact)
//   tanh (tanh)                        0      0      0   5.96e-8           1            1    0.50 |                     0   0.00 | YES
//   sigmoid (logistic)                 0      0      0   1.19e-7           4     11861066    1.00 |                     2   1.00 | YES (underflow zone x < -64)
//   gelu erf (gelu_erf)                0      0      0         0           0            0    0.00 |               1736652   2.46 | YES (bit-identical to PyTorch's vector path)
//   gelu tanh (gelu_tanh)              0      0      0   4.77e-7     1248712      8388608    1.29 |                  7897   1.94 | YES (cancellation zone x in [-8, -2])
//   silu (swish alpha=1)               0      0      0   1.91e-6           5     66453460    1.53 |                     2   1.83 | YES (underflow zone x < -64)
//   mish (mish)                        0      0      0   9.92e-7   897914195    897914195    8.32 |                     4   1.00 | no: returns -0 for x < ~-16 where PyTorch gives ~-1e-6; 47-4e6 ulp on [-16, -2]
//   hardswish (hardswish)              0  48467      0   2.5e+30           2            2    1.00 |                     0   0.00 | no: PyTorch's x*min(..)/6 overflows to +-inf for |x| > FLT_MAX/6, oneDNN stays finite
//   logsigmoid (logsigmoid)            0      0  2.3e6   7.63e-6     8388580   1756693432   64.00 |                     0   0.00 | no: wrong sign (+1.9e-6 for x = 20, PyTorch -2.1e-9); logsigmoid(+inf) = -0 (PyTorch +0)
//   softplus b=1 t=20 (soft_relu)      0      0      0   7.63e-6     8388580   1756693432   64.00 |                     2   1.00 | no: softplus(-20) = -1.9e-6 (PyTorch +2.1e-9); 36734 ulp on [-8, -4]; 2.6's soft_relu has no beta/threshold
//   hardtanh -1,1 / relu6 (clip_v2)  32962      0    0/1         0           0            0    0.00 |                     0   0.00 | no: NaN -> lower bound; relu6(-0.0) = +0
// Not expressible in one oneDNN 2.6 primitive, so unsupported: selu (output scale != 1), celu with
// alpha != 1 (input scale != 1; celu alpha = 1 is plain elu and is supported), hardsigmoid (added in 2.7),
// threshold. Post-ops or a second pass would round twice and fall back to oneDNN's slow reference kernels.
//
// bfloat16 (only where the CPU has avx512_core; not available on the measuring machine): oneDNN computes
// bf16 eltwise in f32 and rounds once (RNE). Emulated exhaustively over all 65536 bf16 inputs (this CPU's f32
// kernels, rounded to bf16) against PyTorch 1.13's bf16 kernels:
//   leaky_relu, elu, tanh: bit-identical.   sigmoid: identical except the underflow zone (x <= -87).
//   silu: <= 2 bf16 ulp where |y| >= 2^-20 (1 ulp on 1.6% of inputs; PyTorch rounds intermediates).
//   gelu erf/tanh: PyTorch 1.13's bf16 gelu evaluates in bf16 and returns -0 for x <= ~-3.1 (oneDNN the
//   correct -0.0029): 15167 bf16 ulp, and gelu(-0.0) sign differs -> bf16 gelu excluded.
// float16 and float64: oneDNN 2.6 has no CPU eltwise for them -> never supported.
//
// Caveat: the f32 results depend on the instruction set oneDNN dispatches to (forcing DNNL_MAX_CPU_ISA=SSE41
// changes elu, tanh, sigmoid, gelu and silu results in the last bits; sigmoid then differs by > 2 ulp on
// 800k inputs instead of 77k). The table holds for jit:avx2; re-measure on AVX-512 machines (jit:avx512_core).
// Supports() requires a JIT implementation: oneDNN's reference kernels have other NaN/inf semantics.
//
// ===================================================================================================
// Primitive cache
// ===================================================================================================
// A oneDNN primitive is specialised to its tensor shape and costs 20-400 us to create, so primitives are
// created only for 1-D sizes 2^0 .. 2^20 and a tensor is run as a sequence of executions on offset pointers:
// full 2^20-element chunks, then the remainder split by binary decomposition. When input and output do not
// overlap, the remainder's last part is instead covered by one execution of the next power of two that ends
// at the tensor's end (recomputing at most max(4096, remainder/16) already-written elements with identical
// values; verified bit-identical to one whole-tensor primitive). A tensor costs at most (count >> 20) + 8
// executions out of place, (count >> 20) + 20 in place, and any count is served by at most 21 cached
// primitives per (algorithm, alpha, beta, dtype, threads). 2^20 elements (4 MiB f32) per execution keeps the
// per-execution overhead (~0.4 us on one thread, ~1.3 us with two OpenMP threads) at or below 1%.
//
// Threads: oneDNN's JIT eltwise splits every execution over all omp_get_max_threads() threads of the calling
// thread (a per-thread OpenMP setting) and runs inline when that is 1; the thread count is also baked into a
// primitive at creation. Eltwise() sets it to `threads` for the call and restores the caller's value.
// Thread safety: the primitive cache is guarded by a mutex; primitives are executed concurrently by several
// threads (allowed by oneDNN); streams and memory objects are thread_local. Every calling thread that uses
// threads > 1 gets its own OpenMP team from libgomp. The cache is LRU-bounded (kCacheCapacity primitives); entries
// are dnnl::primitive handles (reference counted), copied out under the mutex and executed outside it, so
// eviction never invalidates a primitive in use.

#include "kernels/onednn/onednn_eltwise.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace rectifier::onednn {
namespace {

constexpr int kMaxLog2 = 20;                        // Largest primitive: 2^20 elements (4 MiB of f32).
constexpr size_t kChunk = size_t{1} << kMaxLog2;
constexpr size_t kMinOverlapWaste = 4096;           // Elements worth recomputing to save one execution.
constexpr size_t kCacheCapacity = 512;              // Primitives kept (21 sizes x ~24 configurations).

// Index of a supported dtype in per-dtype tables.
enum DtypeIndex { kF32 = 0, kBf16 = 1, kNumDtypes = 2 };

const char* FnName(ElementwiseFn fn) {
  switch (fn) {
    case ElementwiseFn::kRelu: return "relu";
    case ElementwiseFn::kLeakyRelu: return "leaky_relu";
    case ElementwiseFn::kElu: return "elu";
    case ElementwiseFn::kHardtanh: return "hardtanh";
    case ElementwiseFn::kGeluErf: return "gelu";
    case ElementwiseFn::kGeluTanh: return "gelu_tanh";
    case ElementwiseFn::kSilu: return "silu";
    case ElementwiseFn::kMish: return "mish";
    case ElementwiseFn::kSigmoid: return "sigmoid";
    case ElementwiseFn::kTanh: return "tanh";
    case ElementwiseFn::kSoftplus: return "softplus";
    case ElementwiseFn::kHardswish: return "hardswish";
    case ElementwiseFn::kHardsigmoid: return "hardsigmoid";
    case ElementwiseFn::kLogsigmoid: return "logsigmoid";
    case ElementwiseFn::kThreshold: return "threshold";
  }
  return "unknown";
}

// The oneDNN algorithms Supports() may accept, each with a representative alpha for the JIT probe.
struct Candidate {
  dnnl::algorithm alg;
  float probe_alpha;
};
constexpr std::array<Candidate, 7> kCandidates = {{
    {dnnl::algorithm::eltwise_relu, 0.01f},
    {dnnl::algorithm::eltwise_elu, 1.0f},
    {dnnl::algorithm::eltwise_tanh, 0.0f},
    {dnnl::algorithm::eltwise_logistic, 0.0f},
    {dnnl::algorithm::eltwise_gelu_erf, 0.0f},
    {dnnl::algorithm::eltwise_gelu_tanh, 0.0f},
    {dnnl::algorithm::eltwise_swish, 1.0f},
}};

int CandidateIndex(dnnl::algorithm alg) {
  for (size_t i = 0; i < kCandidates.size(); ++i) {
    if (kCandidates[i].alg == alg) return static_cast<int>(i);
  }
  return -1;
}

struct Algo {
  dnnl::algorithm alg;
  float alpha;
  float beta;
};

// The oneDNN algorithm computing `op` on `dtype` as PyTorch does (table above), ignoring CPU capabilities.
std::optional<Algo> MapOp(const ElementwiseOp& op, DataType dtype) {
  if (dtype != DataType::kFloat32 && dtype != DataType::kBFloat16) return std::nullopt;
  // Parameters travel to oneDNN as float; PyTorch also rounds them to float for f32 tensors.
  auto as_float = [](double v) -> std::optional<float> {
    if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(FLT_MAX)) return std::nullopt;
    return static_cast<float>(v);
  };
  switch (op.fn) {
    case ElementwiseFn::kLeakyRelu: {
      // relu with alpha == 0 (also a slope that rounds to 0 in float) takes oneDNN's max(x, 0) path,
      // which turns NaN and -inf into 0; PyTorch computes x * 0.
      std::optional<float> slope = as_float(op.a);
      if (!slope || *slope == 0.0f) return std::nullopt;
      return Algo{dnnl::algorithm::eltwise_relu, *slope, 0.0f};
    }
    case ElementwiseFn::kElu: {
      // Plain elu only (celu with alpha == 1 lowers to this too); selu and other celu need scales.
      if (op.scale != 1.0 || op.input_scale != 1.0) return std::nullopt;
      std::optional<float> alpha = as_float(op.a);
      if (!alpha) return std::nullopt;
      return Algo{dnnl::algorithm::eltwise_elu, *alpha, 0.0f};
    }
    case ElementwiseFn::kTanh:
      return Algo{dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f};
    case ElementwiseFn::kSigmoid:
      return Algo{dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f};
    case ElementwiseFn::kGeluErf:
      if (dtype == DataType::kBFloat16) return std::nullopt;  // PyTorch's bf16 gelu computes in bf16.
      return Algo{dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f};
    case ElementwiseFn::kGeluTanh:
      if (dtype == DataType::kBFloat16) return std::nullopt;
      return Algo{dnnl::algorithm::eltwise_gelu_tanh, 0.0f, 0.0f};
    case ElementwiseFn::kSilu:
      return Algo{dnnl::algorithm::eltwise_swish, 1.0f, 0.0f};
    default:
      // relu, hardtanh/relu6, mish, softplus, hardswish, logsigmoid: measured divergences (table above);
      // hardsigmoid, threshold: no oneDNN 2.6 algorithm.
      return std::nullopt;
  }
}

dnnl::memory::data_type DnnlType(DtypeIndex d) {
  return d == kF32 ? dnnl::memory::data_type::f32 : dnnl::memory::data_type::bf16;
}

// Process-wide CPU engine; never destroyed, so that thread_local streams and memory objects released at
// thread exit, and primitives released at process exit, never outlive it. Throws dnnl::error.
const dnnl::engine& Engine() {
  static const dnnl::engine* const engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

bool IsJit(const dnnl::eltwise_forward::primitive_desc& pd) {
  const char* impl = pd.impl_info_str();
  return impl != nullptr && std::strncmp(impl, "jit", 3) == 0;
}

dnnl::eltwise_forward::primitive_desc MakePd(dnnl::algorithm alg, float alpha, float beta, DtypeIndex dtype,
                                             size_t count) {
  dnnl::memory::desc md({static_cast<dnnl::memory::dim>(count)}, DnnlType(dtype),
                        dnnl::memory::format_tag::a);
  return dnnl::eltwise_forward::primitive_desc(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, alg, md, alpha, beta), Engine());
}

// Which candidates have a JIT implementation, per dtype, on this CPU. Computed once; never throws.
struct JitTable {
  std::array<std::array<bool, kCandidates.size()>, kNumDtypes> jit{};
};

const JitTable& Jit() {
  static const JitTable table = [] {
    JitTable t;
    bool bf16_isa = false;
    try {
      const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
      bf16_isa = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
    } catch (...) {
    }
    for (int d = 0; d < kNumDtypes; ++d) {
      if (d == kBf16 && !bf16_isa) continue;
      for (size_t i = 0; i < kCandidates.size(); ++i) {
        try {
          t.jit[d][i] = IsJit(MakePd(kCandidates[i].alg, kCandidates[i].probe_alpha, 0.0f,
                                     static_cast<DtypeIndex>(d), 1024));
        } catch (...) {
          t.jit[d][i] = false;
        }
      }
    }
    return t;
  }();
  return table;
}

// Debian's Abseil has its own absl::string_view (not std::string_view), so StrCat needs a conversion.
absl::string_view DtypeName(DataType dtype) {
  const std::string_view name = DataTypeName(dtype);
  return absl::string_view(name.data(), name.size());
}

std::optional<DtypeIndex> ToDtypeIndex(DataType dtype) {
  if (dtype == DataType::kFloat32) return kF32;
  if (dtype == DataType::kBFloat16) return kBf16;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------
// Primitive cache.

struct PrimKey {
  dnnl::algorithm alg;
  uint32_t alpha_bits;
  uint32_t beta_bits;
  DtypeIndex dtype;
  int threads;  // OpenMP thread count at creation (oneDNN bakes it in).
  int log2;     // The primitive computes 2^log2 elements.
  bool operator==(const PrimKey&) const = default;
};

struct PrimKeyHash {
  size_t operator()(const PrimKey& k) const {
    uint64_t a = (uint64_t{k.alpha_bits} << 32) | k.beta_bits;
    uint64_t b = (static_cast<uint64_t>(static_cast<uint32_t>(k.alg)) << 32) ^
                 (static_cast<uint64_t>(static_cast<uint32_t>(k.threads)) << 8) ^
                 (static_cast<uint64_t>(k.dtype) << 6) ^ static_cast<uint64_t>(k.log2);
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 29;
    return static_cast<size_t>(h * 0xBF58476D1CE4E5B9ull);
  }
};

class PrimitiveCache {
 public:
  // The primitive for `key`, created on a miss with the calling thread's OpenMP thread count (which the
  // caller has set to key.threads). Throws dnnl::error; std::runtime_error if oneDNN picks a non-JIT kernel.
  dnnl::primitive Get(const PrimKey& key) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(key);
      if (it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
      }
    }
    // Create outside the lock: creation takes 20-400 us and must not block other requests.
    float alpha, beta;
    std::memcpy(&alpha, &key.alpha_bits, sizeof alpha);
    std::memcpy(&beta, &key.beta_bits, sizeof beta);
    auto pd = MakePd(key.alg, alpha, beta, key.dtype, size_t{1} << key.log2);
    if (!IsJit(pd)) {
      throw std::runtime_error(absl::StrCat("oneDNN chose the non-JIT implementation ", pd.impl_info_str()));
    }
    dnnl::primitive created = dnnl::eltwise_forward(pd);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {  // Another thread created it meanwhile: use theirs.
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
    lru_.emplace_front(key, created);
    index_.emplace(key, lru_.begin());
    while (lru_.size() > kCacheCapacity) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    return created;
  }

 private:
  std::mutex mu_;
  // Both guarded by mu_. lru_ holds the entries, most recently used first; index_ maps each key to its
  // entry in lru_ (list iterators stay valid across splice and other entries' erasure).
  std::list<std::pair<PrimKey, dnnl::primitive>> lru_;
  std::unordered_map<PrimKey, std::list<std::pair<PrimKey, dnnl::primitive>>::iterator, PrimKeyHash> index_;
};

PrimitiveCache& Cache() {
  static PrimitiveCache* const cache = new PrimitiveCache();  // Never destroyed (see Engine()).
  return *cache;
}

// ---------------------------------------------------------------------------------------------------
// Per-thread execution state: a stream and, per dtype and size, a src/dst memory object pair whose data
// handle is repointed for every execution (creating two memory objects costs ~0.7 us, repointing 17 ns).
// Thread-local, so no locking; objects are created on first use by each thread.

struct ThreadState {
  dnnl::stream stream;
  std::array<std::array<dnnl::memory, kMaxLog2 + 1>, kNumDtypes> src, dst;
};

ThreadState& State() {  // Throws dnnl::error.
  thread_local std::unique_ptr<ThreadState> state;
  if (!state) {
    auto s = std::make_unique<ThreadState>();
    s->stream = dnnl::stream(Engine());
    state = std::move(s);
  }
  return *state;
}

// Sets the calling thread's OpenMP thread count for the scope (oneDNN splits every JIT eltwise execution
// over omp_get_max_threads() threads of the caller) and restores the caller's value afterwards.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ScopedOmpThreads() { omp_set_num_threads(previous_); }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
};

absl::Status DnnlStatusError(const char* what, dnnl_status_t status, const ElementwiseOp& op,
                             DataType dtype) {
  return absl::InternalError(absl::StrCat("oneDNN ", what, " failed for ", FnName(op.fn), " on ",
                                          DtypeName(dtype), ": status ", static_cast<int>(status)));
}

absl::Status Run(const Algo& algo, DtypeIndex d, const ElementwiseOp& op, DataType dtype, const void* in,
                 void* out, size_t count, int threads) {
  ScopedOmpThreads omp_threads(threads);
  ThreadState& state = State();
  const size_t esize = d == kF32 ? 4 : 2;
  auto* src_base = static_cast<char*>(const_cast<void*>(in));
  auto* dst_base = static_cast<char*>(out);

  PrimKey key{algo.alg, 0, 0, d, threads, 0};
  std::memcpy(&key.alpha_bits, &algo.alpha, sizeof algo.alpha);
  std::memcpy(&key.beta_bits, &algo.beta, sizeof algo.beta);
  dnnl::primitive prim;
  int prim_log2 = -1;

  // Computes elements [offset, offset + 2^log2).
  auto execute = [&](size_t offset, int log2) -> absl::Status {
    if (log2 != prim_log2) {
      key.log2 = log2;
      prim = Cache().Get(key);
      prim_log2 = log2;
    }
    dnnl::memory& src = state.src[d][log2];
    dnnl::memory& dst = state.dst[d][log2];
    if (!src) {
      dnnl::memory::desc md({dnnl::memory::dim{1} << log2}, DnnlType(d), dnnl::memory::format_tag::a);
      src = dnnl::memory(md, Engine(), DNNL_MEMORY_NONE);
      dst = dnnl::memory(md, Engine(), DNNL_MEMORY_NONE);
    }
    dnnl_status_t status = dnnl_memory_set_data_handle(src.get(), src_base + offset * esize);
    if (status == dnnl_success) status = dnnl_memory_set_data_handle(dst.get(), dst_base + offset * esize);
    if (status != dnnl_success) return DnnlStatusError("set_data_handle", status, op, dtype);
    const dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, src.get()}, {DNNL_ARG_DST, dst.get()}};
    status = dnnl_primitive_execute(prim.get(), state.stream.get(), 2, args);
    if (status != dnnl_success) return DnnlStatusError("execute", status, op, dtype);
    return absl::OkStatus();
  };

  // Recomputing an element is harmless only when the input is not overwritten by the output.
  const auto in_begin = reinterpret_cast<uintptr_t>(in);
  const auto out_begin = reinterpret_cast<uintptr_t>(out);
  const bool disjoint = in_begin + count * esize <= out_begin || out_begin + count * esize <= in_begin;

  size_t pos = 0;
  for (; count - pos >= kChunk; pos += kChunk) {
    absl::Status s = execute(pos, kMaxLog2);
    if (!s.ok()) return s;
  }
  size_t rest = count - pos;
  while (rest > 0) {
    const size_t ceil = std::bit_ceil(rest);
    if (disjoint && ceil <= count && ceil - rest <= std::max(kMinOverlapWaste, rest / 16)) {
      // One execution ending at the end of the tensor; elements before `pos` are recomputed identically.
      absl::Status s = execute(count - ceil, std::countr_zero(ceil));
      if (!s.ok()) return s;
      break;
    }
    const size_t floor = std::bit_floor(rest);
    absl::Status s = execute(pos, std::countr_zero(floor));
    if (!s.ok()) return s;
    pos += floor;
    rest -= floor;
  }
  const dnnl_status_t status = dnnl_stream_wait(state.stream.get());
  if (status != dnnl_success) return DnnlStatusError("stream wait", status, op, dtype);
  return absl::OkStatus();
}

}  // namespace

bool Supports(const ElementwiseOp& op, DataType dtype) {
  const std::optional<DtypeIndex> d = ToDtypeIndex(dtype);
  if (!d) return false;
  const std::optional<Algo> algo = MapOp(op, dtype);
  if (!algo) return false;
  const int index = CandidateIndex(algo->alg);
  return index >= 0 && Jit().jit[*d][index];
}

absl::Status Eltwise(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count,
                     int threads) {
  if (!Supports(op, dtype)) {
    return absl::UnimplementedError(absl::StrCat("oneDNN backend does not support ", FnName(op.fn), " on ",
                                                 DtypeName(dtype)));
  }
  if (threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("oneDNN eltwise: threads must be >= 1, got ", threads));
  }
  if (count == 0) return absl::OkStatus();
  if (in == nullptr || out == nullptr) {
    return absl::InvalidArgumentError("oneDNN eltwise: null buffer");
  }
  const Algo algo = *MapOp(op, dtype);
  const DtypeIndex d = *ToDtypeIndex(dtype);
  try {
    return Run(algo, d, op, dtype, in, out, count, threads);
  } catch (const dnnl::error& e) {
    return absl::InternalError(absl::StrCat("oneDNN error for ", FnName(op.fn), " on ", DtypeName(dtype),
                                            ": ", e.what(), " (status ", static_cast<int>(e.status), ")"));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("oneDNN backend error for ", FnName(op.fn), " on ", DtypeName(dtype), ": ", e.what()));
  } catch (...) {
    return absl::InternalError(
        absl::StrCat("oneDNN backend: unknown exception for ", FnName(op.fn), " on ", DtypeName(dtype)));
  }
}

const char* LibraryVersion() {
  static const std::string* const version = [] {
    const dnnl_version_t* v = dnnl_version();
    return new std::string(absl::StrCat(v->major, ".", v->minor, ".", v->patch));
  }();
  return version->c_str();
}

}  // namespace rectifier::onednn
