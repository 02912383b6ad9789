// Apply() against the independent reference (reference.h): every activation, several parameter sets, every
// data type it accepts, every backend, odd sizes, misaligned buffers, threads and in-place.
//
// TOLERANCES (what "correct" means here; `got` is the kernel's output, `ref` the reference)
//
// | activation                                   | float32 / float64                  | float16 / bfloat16         |
// |----------------------------------------------|------------------------------------|----------------------------|
// | relu, leaky_relu, prelu, crelu, relu6,       | bit-exact, incl. the sign of zero  | bit-exact: the float32     |
// | hardtanh, threshold, hardswish, hardsigmoid  | (PyTorch's operation sequence in   | sequence, rounded once to  |
// |                                              | the compute type; NaN is any NaN)  | nearest even               |
// | integer inputs (relu, relu6, hardtanh,       | bit-exact                          | -                          |
// | threshold)                                   |                                    |                            |
// | elu, selu, celu                              | 4 ulp, or |err| <= 8 eps           | 1 ulp (see below)          |
// | gelu (none and tanh)                         | 8 ulp, or |err| <= 16 eps          | 1 ulp                      |
// | silu, sigmoid, tanh, softplus, logsigmoid    | 4 ulp, or |err| <= tiny            | 1 ulp                      |
// | mish                                         | 8 ulp, or |err| <= tiny            | 1 ulp                      |
// | sigmoid, tanh of integers (float32 output)   | as float32 sigmoid/tanh of float(x)| -                          |
//
//  * ulp: distance in representable values of the output type from the correctly rounded reference
//    (+0.0 and -0.0 count as one value for the smooth functions).
//  * eps: machine epsilon of the compute type (float32: 2^-23, float64: 2^-52). ELU's expm1 and GELU's
//    1 + erf / 1 + tanh lose absolute, not relative, accuracy near their zeros in PyTorch's own formulas;
//    the absolute bound covers an implementation that evaluates them that way.
//  * tiny: 1e-36 (float32), 1e-305 (float64): results below this may be flushed or lose bits through
//    intermediate exp() overflow/underflow (e.g. silu(-89) = -4e-37 where exp(89) overflows float32).
//  * Half types: hardtanh/relu6 bounds, threshold's parameters and PReLU weights are first rounded to the
//    element type (PyTorch converts them to the tensor's dtype; leaky_relu, elu, celu and softplus
//    parameters stay float32): see ref::WithHalfTypeParameters.
//  * Half types are computed in float32 and rounded once; the result must be within 1 half-type ulp of
//    RN_half(y) for some y within the float32 absolute bound of `ref` (so: within 1 ulp of the correctly
//    rounded float32 reference result, with the same allowance near zero as float32).
//  * A reference that is exactly +-inf must be matched exactly; a NaN reference must give NaN and a finite
//    one must not.
// Formally, for the smooth functions: let lo = RN(ref - abs), hi = RN(ref + abs) in the output type; the
// result passes if lo - ulps <= got <= hi + ulps in the order of representable values.
#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "kernels/activation.h"
#include "kernels/apply.h"
#include "kernels/catalogue.h"
#include "kernels/data_type.h"
#include "kernels/tensor.h"
#include "tests/kernels/reference.h"

namespace rectifier {
namespace {

using ref::Precision;

// ---------------------------------------------------------------------------------------------------------
// Tolerance table (see the top of the file).

struct Tolerance {
  int ulps = 0;
  long double abs = 0;
};

Tolerance SmoothTolerance(ActivationKind kind, Precision precision) {
  const long double eps = precision == Precision::kFloat32 ? 0x1p-23L : 0x1p-52L;
  const long double tiny = precision == Precision::kFloat32 ? 1e-36L : 1e-305L;
  switch (kind) {
    case ActivationKind::kElu:
    case ActivationKind::kSelu:
    case ActivationKind::kCelu:
      return {4, 8 * eps};
    case ActivationKind::kGelu:
      return {8, 16 * eps};
    case ActivationKind::kMish:
      return {8, tiny};
    case ActivationKind::kSilu:
    case ActivationKind::kSigmoid:
    case ActivationKind::kTanh:
    case ActivationKind::kSoftplus:
    case ActivationKind::kLogsigmoid:
      return {4, tiny};
    default:
      ADD_FAILURE() << "no smooth tolerance for kind " << static_cast<int>(kind);
      return {};
  }
}

// Size of the large cases: prime, so that no vector width or thread count divides it.
constexpr int64_t kLarge = 1000003;

// ---------------------------------------------------------------------------------------------------------
// Cases.

struct Case {
  std::string name;
  Activation activation;
};

std::vector<Case> AllCases() {
  return {
      {"relu", act::Relu{}},
      {"leaky_relu", act::LeakyRelu{}},
      {"leaky_relu_0p2", act::LeakyRelu{0.2}},
      {"leaky_relu_m0p5", act::LeakyRelu{-0.5}},
      {"prelu", act::Prelu{}},
      {"prelu_3ch", act::Prelu{{0.1, -0.2, 1.3}}},  // A negative weight maps -0.0 to +0.0 (w * x).
      {"elu", act::Elu{}},
      {"elu_0p5", act::Elu{0.5}},
      {"selu", act::Selu{}},
      {"celu", act::Celu{}},
      {"celu_2", act::Celu{2.0}},
      {"celu_0p3", act::Celu{0.3}},
      {"crelu", act::Crelu{}},
      {"crelu_axis0", act::Crelu{0}},
      {"crelu_axis1", act::Crelu{1}},
      {"crelu_axism2", act::Crelu{-2}},
      {"relu6", act::Relu6{}},
      {"hardtanh", act::Hardtanh{}},
      {"hardtanh_m2_3", act::Hardtanh{-2.0, 3.0}},
      {"hardtanh_m0p3_0p7", act::Hardtanh{-0.3, 0.7}},
      {"hardtanh_m2p7_3p9", act::Hardtanh{-2.7, 3.9}},
      {"gelu", act::Gelu{}},
      {"gelu_tanh", act::Gelu{GeluApproximate::kTanh}},
      {"silu", act::Silu{}},
      {"mish", act::Mish{}},
      {"sigmoid", act::Sigmoid{}},
      {"tanh", act::Tanh{}},
      {"softplus", act::Softplus{}},
      {"softplus_b2_t5", act::Softplus{2.0, 5.0}},
      {"softplus_b0p7_t3", act::Softplus{0.7, 3.0}},
      {"hardswish", act::Hardswish{}},
      {"hardsigmoid", act::Hardsigmoid{}},
      {"logsigmoid", act::Logsigmoid{}},
      {"threshold_0p5_m1", act::Threshold{0.5, -1.0}},
      {"threshold_m2p5_0p1", act::Threshold{-2.5, 0.1}},
      {"threshold_m3p5_7p2", act::Threshold{-3.5, 7.2}},
      {"threshold_0_0", act::Threshold{0.0, 0.0}},
      {"threshold_0p1_0p3", act::Threshold{0.1, 0.3}},  // 0.1 rounds up in bfloat16: parameter rounding shows.
  };
}

// The integer types each activation accepts (PyTorch 1.13, measured): everything else is float-only.
std::vector<DataType> IntegerTypesFor(ActivationKind kind) {
  using enum DataType;
  switch (kind) {
    case ActivationKind::kRelu:
    case ActivationKind::kRelu6:
    case ActivationKind::kSigmoid:
    case ActivationKind::kTanh:
      return {kInt8, kUInt8, kInt16, kInt32, kInt64};
    case ActivationKind::kHardtanh:
    case ActivationKind::kThreshold:
      return {kInt8, kInt16, kInt32, kInt64};
    default:
      return {};
  }
}

constexpr DataType kFloatTypes[] = {DataType::kFloat32, DataType::kFloat64, DataType::kFloat16,
                                    DataType::kBFloat16};

// ---------------------------------------------------------------------------------------------------------
// Element types: storage, conversion to the compute type, bits.

struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

template <class S>
struct FloatTraits;

template <>
struct FloatTraits<float> {
  static constexpr DataType kType = DataType::kFloat32;
  static constexpr Precision kPrecision = Precision::kFloat32;
  static constexpr int kBits = 32;
  using Compute = float;
  static float ToCompute(float s) { return s; }
  static float FromCompute(float c) { return c; }
  static float FromLongDouble(long double v) { return static_cast<float>(v); }
  static float FromDouble(double v) { return static_cast<float>(v); }
  static uint64_t Bits(float s) { return std::bit_cast<uint32_t>(s); }
  static float FromBits(uint64_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b)); }
};

template <>
struct FloatTraits<double> {
  static constexpr DataType kType = DataType::kFloat64;
  static constexpr Precision kPrecision = Precision::kFloat64;
  static constexpr int kBits = 64;
  using Compute = double;
  static double ToCompute(double s) { return s; }
  static double FromCompute(double c) { return c; }
  static double FromLongDouble(long double v) { return static_cast<double>(v); }
  static double FromDouble(double v) { return v; }
  static uint64_t Bits(double s) { return std::bit_cast<uint64_t>(s); }
  static double FromBits(uint64_t b) { return std::bit_cast<double>(b); }
};

template <>
struct FloatTraits<Half> {
  static constexpr DataType kType = DataType::kFloat16;
  static constexpr Precision kPrecision = Precision::kFloat32;
  static constexpr int kBits = 16;
  using Compute = float;
  static float ToCompute(Half s) { return ref::HalfToFloat(s.bits); }
  static Half FromCompute(float c) { return {ref::FloatToHalf(c)}; }
  static Half FromLongDouble(long double v) { return FromCompute(static_cast<float>(v)); }
  static Half FromDouble(double v) { return FromCompute(static_cast<float>(v)); }
  static uint64_t Bits(Half s) { return s.bits; }
  static Half FromBits(uint64_t b) { return {static_cast<uint16_t>(b)}; }
};

template <>
struct FloatTraits<BFloat16> {
  static constexpr DataType kType = DataType::kBFloat16;
  static constexpr Precision kPrecision = Precision::kFloat32;
  static constexpr int kBits = 16;
  using Compute = float;
  static float ToCompute(BFloat16 s) { return ref::BFloat16ToFloat(s.bits); }
  static BFloat16 FromCompute(float c) { return {ref::FloatToBFloat16(c)}; }
  static BFloat16 FromLongDouble(long double v) { return FromCompute(static_cast<float>(v)); }
  static BFloat16 FromDouble(double v) { return FromCompute(static_cast<float>(v)); }
  static uint64_t Bits(BFloat16 s) { return s.bits; }
  static BFloat16 FromBits(uint64_t b) { return {static_cast<uint16_t>(b)}; }
};

template <class S>
bool IsNaN(S s) {
  return std::isnan(FloatTraits<S>::ToCompute(s));
}

// Position in the ordered sequence of representable values (+0.0 and -0.0 both map to 0).
template <class S>
int64_t Ordered(S s) {
  constexpr int kBits = FloatTraits<S>::kBits;
  const uint64_t bits = FloatTraits<S>::Bits(s);
  const uint64_t sign = uint64_t{1} << (kBits - 1);
  const int64_t magnitude = static_cast<int64_t>(bits & (sign - 1));
  return (bits & sign) ? -magnitude : magnitude;
}

template <class S>
std::string Describe(S s) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%.17Lg (0x%0*llx)", static_cast<long double>(FloatTraits<S>::ToCompute(s)),
                FloatTraits<S>::kBits / 4, static_cast<unsigned long long>(FloatTraits<S>::Bits(s)));
  return buffer;
}

std::string DescribeLongDouble(long double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.21Lg", v);
  return buffer;
}

// Whether a smooth function's result `got` is within `tol` of the reference `ref` (see the file comment).
template <class S>
bool SmoothAcceptable(long double ref, S got, Tolerance tol) {
  using T = FloatTraits<S>;
  const long double g = T::ToCompute(got);
  if (std::isnan(ref) || std::isnan(g)) return std::isnan(ref) && std::isnan(g);
  if (std::isinf(ref)) return g == ref;
  const int64_t lo = Ordered(T::FromLongDouble(ref - tol.abs));
  const int64_t hi = Ordered(T::FromLongDouble(ref + tol.abs));
  const int64_t o = Ordered(got);
  return o >= std::min(lo, hi) - tol.ulps && o <= std::max(lo, hi) + tol.ulps;
}

// ---------------------------------------------------------------------------------------------------------
// Shapes and the element each output element comes from.

std::vector<int64_t> OutputShapeOf(const Activation& activation, const std::vector<int64_t>& shape) {
  std::vector<int64_t> out = shape;
  if (const auto* crelu = std::get_if<act::Crelu>(&activation)) {
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t axis = crelu->axis < 0 ? crelu->axis + rank : crelu->axis;
    out[axis] *= 2;
  }
  return out;
}

int64_t Product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Where output element `j` comes from: input element `index`, negated first (crelu's second half), and
// for prelu the channel's weight.
struct Source {
  int64_t index;
  bool negate = false;
  double weight = 0.0;
};

Source SourceOf(const Activation& activation, const std::vector<int64_t>& shape, int64_t j) {
  if (const auto* prelu = std::get_if<act::Prelu>(&activation)) {
    double weight = prelu->weight[0];
    if (prelu->weight.size() > 1) {
      int64_t inner = 1;
      for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
      weight = prelu->weight[(j / inner) % shape[1]];
    }
    return {j, false, weight};
  }
  if (const auto* crelu = std::get_if<act::Crelu>(&activation)) {
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t axis = crelu->axis < 0 ? crelu->axis + rank : crelu->axis;
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= shape[d];
    const int64_t n = shape[axis];
    const int64_t outer_index = j / (2 * n * inner);
    const int64_t k = (j / inner) % (2 * n);
    const int64_t i = j % inner;
    const bool negate = k >= n;
    return {(outer_index * n + (negate ? k - n : k)) * inner + i, negate};
  }
  return {j};
}

// ---------------------------------------------------------------------------------------------------------
// Checking one output against the reference.

struct Mismatches {
  int64_t count = 0;
  std::string examples;
  void Add(const std::string& what) {
    if (++count <= 12) examples += "    " + what + "\n";
  }
};

// Checks `out` (floating-point, same type as `in`) against the reference. Reports through gtest.
template <class S>
void CheckFloatOutput(const Activation& spec, const std::vector<int64_t>& shape, const S* in, const S* out,
                      const std::string& label) {
  using T = FloatTraits<S>;
  using C = typename T::Compute;
  // Half types: some parameters are first rounded to the element type, as PyTorch does (reference.h).
  Activation activation = spec;
  if constexpr (std::is_same_v<S, Half>) activation = ref::WithHalfTypeParameters(spec, ref::HalfType::kFloat16);
  if constexpr (std::is_same_v<S, BFloat16>) activation = ref::WithHalfTypeParameters(spec, ref::HalfType::kBFloat16);
  const ActivationKind kind = KindOf(activation);
  const auto out_shape = OutputShapeOf(activation, shape);
  const int64_t n = Product(out_shape);
  Mismatches bad;
  const bool exact = ref::IsPiecewiseLinearKind(kind);
  const Tolerance tol = exact ? Tolerance{} : SmoothTolerance(kind, T::kPrecision);
  const bool half = sizeof(S) == 2;
  const Tolerance used = half ? Tolerance{1, tol.abs} : tol;
  for (int64_t j = 0; j < n; ++j) {
    const Source src = SourceOf(activation, shape, j);
    C x = T::ToCompute(in[src.index]);
    if (src.negate) x = -x;
    const S got = out[j];
    if (exact) {
      C r;
      if (kind == ActivationKind::kPrelu) {
        r = ref::ExactPrelu(x, src.weight);
      } else if (kind == ActivationKind::kCrelu) {
        r = ref::ExactElementwise(act::Relu{}, x);
      } else {
        r = ref::ExactElementwise(activation, x);
      }
      const S expected = T::FromCompute(r);
      const bool ok = (IsNaN(expected) && IsNaN(got)) || T::Bits(expected) == T::Bits(got);
      if (!ok) {
        bad.Add("out[" + std::to_string(j) + "]: x = " + Describe(in[src.index]) + (src.negate ? " (negated)" : "") +
                "  expected " + Describe(expected) + "  got " + Describe(got));
      }
    } else {
      const long double r = ref::SmoothElementwise(activation, static_cast<long double>(x), T::kPrecision);
      if (!SmoothAcceptable(r, got, used)) {
        bad.Add("out[" + std::to_string(j) + "]: x = " + Describe(in[src.index]) + "  reference " +
                DescribeLongDouble(r) + " (rounded " + Describe(T::FromLongDouble(r)) + ")  got " + Describe(got));
      }
    }
  }
  EXPECT_EQ(bad.count, 0) << label << ": " << bad.count << " of " << n << " elements out of tolerance (ulps "
                          << used.ulps << ", abs " << static_cast<double>(used.abs) << "):\n"
                          << bad.examples;
}

// ---------------------------------------------------------------------------------------------------------
// Inputs.

// Values derived from the parameters (boundaries of the pieces): p, its neighbours, -p; and for softplus
// the input where x * beta crosses the threshold.
std::vector<double> ParameterValues(const Activation& activation) {
  std::vector<double> params;
  std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, act::LeakyRelu>) params = {a.negative_slope};
        if constexpr (std::is_same_v<A, act::Elu> || std::is_same_v<A, act::Celu>) params = {a.alpha, -a.alpha};
        if constexpr (std::is_same_v<A, act::Hardtanh>) params = {a.min_val, a.max_val};
        if constexpr (std::is_same_v<A, act::Threshold>) params = {a.threshold, a.value};
        if constexpr (std::is_same_v<A, act::Softplus>) params = {a.threshold / a.beta, a.threshold};
        if constexpr (std::is_same_v<A, act::Prelu>) params = a.weight;
      },
      activation);
  return params;
}

template <class S>
std::vector<S> SpecialInputs(const Activation& activation) {
  using T = FloatTraits<S>;
  using C = typename T::Compute;
  std::vector<S> values;
  auto add = [&](double v) {
    values.push_back(T::FromDouble(v));
    values.push_back(T::FromDouble(-v));
  };
  const double inf = std::numeric_limits<double>::infinity();
  values.push_back(T::FromDouble(std::numeric_limits<double>::quiet_NaN()));
  values.push_back(T::FromCompute(-std::numeric_limits<C>::quiet_NaN()));
  for (double v : {inf, 0.0, 1e-30, 3.0, 100.0, 1e30, 0.5, 1.0, 2.0, 2.5, 6.0, 7.0, 20.0, 5.0, 10.0, 30.0, 88.0,
                   88.75, 89.0, 104.0, 710.0, 1e-8, 1e-3, 0.1, 1.5, 2.9999, 3.0001, 5.9999, 6.0001, 1e5, 1e10}) {
    add(v);
  }
  add(FLT_MIN);
  add(std::numeric_limits<float>::denorm_min());
  add(FLT_MAX);
  // The element type's own extremes.
  const uint64_t sign = uint64_t{1} << (T::kBits - 1);
  for (uint64_t bits : {uint64_t{1}, uint64_t{2}}) {  // Smallest subnormals.
    values.push_back(T::FromBits(bits));
    values.push_back(T::FromBits(bits | sign));
  }
  // Smallest normal and largest finite: from the compute type's view of the storage type.
  if constexpr (sizeof(S) == 2) {
    const uint64_t min_normal = std::is_same_v<S, Half> ? 0x0400 : 0x0080;
    const uint64_t max_finite = std::is_same_v<S, Half> ? 0x7bff : 0x7f7f;
    for (uint64_t bits : {min_normal, max_finite, max_finite - 1}) {
      values.push_back(T::FromBits(bits));
      values.push_back(T::FromBits(bits | sign));
    }
  } else {
    for (C v : {std::numeric_limits<C>::min(), std::numeric_limits<C>::max()}) {
      values.push_back(T::FromCompute(v));
      values.push_back(T::FromCompute(-v));
    }
  }
  for (double p : ParameterValues(activation)) {
    const C c = static_cast<C>(p);
    for (C v : {c, std::nextafter(c, std::numeric_limits<C>::infinity()),
                std::nextafter(c, -std::numeric_limits<C>::infinity())}) {
      values.push_back(T::FromCompute(v));
      values.push_back(T::FromCompute(-v));
    }
  }
  return values;
}

template <class S>
std::vector<S> RandomInputs(uint64_t seed) {
  using T = FloatTraits<S>;
  std::vector<S> values;
  if constexpr (sizeof(S) == 2) {
    // Every value of the half type.
    for (uint32_t bits = 0; bits < 65536; ++bits) values.push_back(T::FromBits(bits));
    return values;
  } else {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> moderate(-12.0, 12.0);
    const int min_exp = std::numeric_limits<S>::min_exponent - std::numeric_limits<S>::digits;
    const int max_exp = std::numeric_limits<S>::max_exponent;
    std::uniform_real_distribution<double> exponent(min_exp, max_exp);
    for (int i = 0; i < 2000; ++i) values.push_back(T::FromDouble(moderate(rng)));
    for (int i = 0; i < 1000; ++i) {
      const double magnitude = std::exp2(exponent(rng));
      values.push_back(T::FromDouble((rng() & 1) ? magnitude : -magnitude));
    }
    for (int i = 0; i < 500; ++i) values.push_back(T::FromBits(rng()));  // Includes NaN payloads, subnormals.
    return values;
  }
}

// A shape for `count` elements (rounded up) suitable for the activation, and the padded count.
std::vector<int64_t> ShapeFor(const Activation& activation, int64_t count) {
  if (const auto* prelu = std::get_if<act::Prelu>(&activation); prelu && prelu->weight.size() > 1) {
    const int64_t c = static_cast<int64_t>(prelu->weight.size());
    return {2, c, (count + 2 * c - 1) / (2 * c)};
  }
  if (std::holds_alternative<act::Crelu>(activation)) return {2, 3, (count + 5) / 6};
  return {count};
}

// A shape with `count` elements in its last dimension (used for the odd sizes).
std::vector<int64_t> SmallShapeFor(const Activation& activation, int64_t count) {
  if (const auto* prelu = std::get_if<act::Prelu>(&activation); prelu && prelu->weight.size() > 1) {
    return {1, static_cast<int64_t>(prelu->weight.size()), count};
  }
  if (std::holds_alternative<act::Crelu>(activation)) return {1, 1, count};
  return {count};
}

// ---------------------------------------------------------------------------------------------------------
// Running Apply on every backend.

struct BackendCase {
  Backend backend;
  const char* name;
};
constexpr BackendCase kBackends[] = {
    {Backend::kSimd, "simd"},
    {Backend::kAuto, "auto"},
    {Backend::kOnednn, "onednn"},
};

// Runs `activation` on `input` (shape `shape`) with every backend and checks each result. `offset`
// elements of padding shift both buffers off their natural alignment.
template <class S>
void RunAndCheckFloat(const Activation& activation, const std::vector<int64_t>& shape, const std::vector<S>& input,
                      const std::string& label, int offset = 0) {
  using T = FloatTraits<S>;
  const auto out_shape = OutputShapeOf(activation, shape);
  const int64_t n_in = Product(shape);
  const int64_t n_out = Product(out_shape);
  ASSERT_EQ(static_cast<int64_t>(input.size()), n_in);
  std::vector<S> in_buffer(n_in + offset + 1);
  std::copy(input.begin(), input.end(), in_buffer.begin() + offset);
  for (const BackendCase& backend : kBackends) {
    // Pre-fill the output with a recognisable pattern so that unwritten elements show up.
    std::vector<S> out_buffer(n_out + offset + 1, T::FromBits(0x5a5a5a5a5a5a5a5aull));
    const TensorView in_view{T::kType, shape, in_buffer.data() + offset};
    const MutableTensorView out_view{T::kType, out_shape, out_buffer.data() + offset};
    const absl::Status status = Apply(activation, in_view, out_view, ApplyOptions{.backend = backend.backend});
    const std::string where = label + " [backend " + backend.name + "]";
    if (backend.backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) continue;
    ASSERT_TRUE(status.ok()) << where << ": " << status;
    CheckFloatOutput<S>(activation, shape, in_buffer.data() + offset, out_buffer.data() + offset, where);
    // The element after the output is untouched.
    EXPECT_EQ(T::Bits(out_buffer[n_out + offset]), T::Bits(T::FromBits(0x5a5a5a5a5a5a5a5aull))) << where
                                                                                                 << ": wrote past the end";
    if (offset > 0) {
      EXPECT_EQ(T::Bits(out_buffer[offset - 1]), T::Bits(T::FromBits(0x5a5a5a5a5a5a5a5aull)))
          << where << ": wrote before the start";
    }
  }
}

template <class S>
void CheckFloatCase(const Case& c) {
  std::vector<S> values = SpecialInputs<S>(c.activation);
  const std::vector<S> random = RandomInputs<S>(0x5eed + c.name.size());
  values.insert(values.end(), random.begin(), random.end());
  const auto shape = ShapeFor(c.activation, static_cast<int64_t>(values.size()));
  std::mt19937_64 rng(7);
  while (static_cast<int64_t>(values.size()) < Product(shape)) values.push_back(FloatTraits<S>::FromDouble(
      std::uniform_real_distribution<double>(-8, 8)(rng)));
  RunAndCheckFloat<S>(c.activation, shape, values, c.name + " special+random");
}

template <class S>
void CheckFloatOddSizes(const Case& c) {
  std::vector<S> pool = SpecialInputs<S>(c.activation);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 64; ++i) pool.push_back(FloatTraits<S>::FromDouble(std::uniform_real_distribution<double>(-8, 8)(rng)));
  for (int64_t size : {0, 1, 15, 17}) {
    const auto shape = SmallShapeFor(c.activation, size);
    std::vector<S> values(Product(shape));
    for (size_t i = 0; i < values.size(); ++i) values[i] = pool[(i * 7 + size) % pool.size()];
    for (int offset : {0, 1}) {
      RunAndCheckFloat<S>(c.activation, shape, values,
                          c.name + " size " + std::to_string(size) + " offset " + std::to_string(offset), offset);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Integers.

template <class I>
struct IntTraits;
template <>
struct IntTraits<int8_t> {
  static constexpr DataType kType = DataType::kInt8;
};
template <>
struct IntTraits<uint8_t> {
  static constexpr DataType kType = DataType::kUInt8;
};
template <>
struct IntTraits<int16_t> {
  static constexpr DataType kType = DataType::kInt16;
};
template <>
struct IntTraits<int32_t> {
  static constexpr DataType kType = DataType::kInt32;
};
template <>
struct IntTraits<int64_t> {
  static constexpr DataType kType = DataType::kInt64;
};

template <class I>
std::vector<I> IntegerInputs() {
  std::vector<I> values;
  if constexpr (sizeof(I) <= 2) {
    for (int64_t v = std::numeric_limits<I>::min(); v <= std::numeric_limits<I>::max(); ++v) {
      values.push_back(static_cast<I>(v));
    }
  } else {
    const I lo = std::numeric_limits<I>::min();
    const I hi = std::numeric_limits<I>::max();
    for (I v : {lo, static_cast<I>(lo + 1), static_cast<I>(hi - 1), hi}) values.push_back(v);
    for (int64_t v = -300; v <= 300; ++v) values.push_back(static_cast<I>(v));
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
      const I v = static_cast<I>(rng() >> (rng() % 64));  // All magnitudes.
      values.push_back((i & 1) ? static_cast<I>(~v) : v);  // And both signs.
    }
  }
  return values;
}

template <class I>
void RunAndCheckInteger(const Activation& activation, const std::vector<I>& input, const std::string& label,
                        int offset = 0) {
  const ActivationKind kind = KindOf(activation);
  const bool float_output = kind == ActivationKind::kSigmoid || kind == ActivationKind::kTanh;
  const int64_t n = static_cast<int64_t>(input.size());
  const std::vector<int64_t> shape = {n};
  std::vector<I> in_buffer(n + offset + 1);
  std::copy(input.begin(), input.end(), in_buffer.begin() + offset);
  for (const BackendCase& backend : kBackends) {
    const std::string where = label + " [backend " + backend.name + "]";
    const TensorView in_view{IntTraits<I>::kType, shape, in_buffer.data() + offset};
    const ApplyOptions options{.backend = backend.backend};
    if (float_output) {
      std::vector<float> out(n + offset + 1, 12345.0f);
      const absl::Status status =
          Apply(activation, in_view, MutableTensorView{DataType::kFloat32, shape, out.data() + offset}, options);
      if (backend.backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) continue;
      ASSERT_TRUE(status.ok()) << where << ": " << status;
      const Tolerance tol = SmoothTolerance(kind, Precision::kFloat32);
      Mismatches bad;
      for (int64_t i = 0; i < n; ++i) {
        const I x = in_buffer[offset + i];
        const float xf = static_cast<float>(x);
        const long double r = ref::SmoothElementwise(activation, xf, Precision::kFloat32);
        const float got = out[offset + i];
        if (!SmoothAcceptable(r, got, tol)) {
          bad.Add("x = " + std::to_string(static_cast<int64_t>(x)) + " reference " + DescribeLongDouble(r) +
                  " got " + Describe(got));
        }
      }
      EXPECT_EQ(bad.count, 0) << where << ":\n" << bad.examples;
      EXPECT_EQ(out[n + offset], 12345.0f) << where << ": wrote past the end";
    } else {
      std::vector<I> out(n + offset + 1, static_cast<I>(0x5a));
      const absl::Status status =
          Apply(activation, in_view, MutableTensorView{IntTraits<I>::kType, shape, out.data() + offset}, options);
      if (backend.backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) continue;
      ASSERT_TRUE(status.ok()) << where << ": " << status;
      Mismatches bad;
      for (int64_t i = 0; i < n; ++i) {
        const I x = in_buffer[offset + i];
        const I expected = static_cast<I>(ref::IntegerElementwise(activation, static_cast<int64_t>(x)));
        if (out[offset + i] != expected) {
          bad.Add("x = " + std::to_string(static_cast<int64_t>(x)) + " expected " +
                  std::to_string(static_cast<int64_t>(expected)) + " got " +
                  std::to_string(static_cast<int64_t>(out[offset + i])));
        }
      }
      EXPECT_EQ(bad.count, 0) << where << ":\n" << bad.examples;
      EXPECT_EQ(out[n + offset], static_cast<I>(0x5a)) << where << ": wrote past the end";
    }
  }
}

template <class I>
void CheckIntegerCase(const Case& c) {
  const std::vector<I> values = IntegerInputs<I>();
  RunAndCheckInteger<I>(c.activation, values, c.name + " all/special+random");
  for (int64_t size : {0, 1, 15, 17}) {
    std::vector<I> small(values.begin(), values.begin() + size);
    // Mix in small values around the parameters' boundaries.
    for (int64_t i = 0; i < size; ++i) {  // Modular arithmetic: no signed overflow at the extremes.
      small[i] = static_cast<I>(static_cast<uint64_t>(small[i]) + static_cast<uint64_t>(i % 9) - 4u);
    }
    RunAndCheckInteger<I>(c.activation, small, c.name + " size " + std::to_string(size), 0);
    RunAndCheckInteger<I>(c.activation, small, c.name + " size " + std::to_string(size) + " offset 1", 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The parameterised suite: (case, dtype).

struct Param {
  Case c;
  DataType dtype;
};

std::vector<Param> FloatParams() {
  std::vector<Param> params;
  for (const Case& c : AllCases()) {
    for (DataType dtype : kFloatTypes) params.push_back({c, dtype});
  }
  return params;
}

// Integer threshold/hardtanh parameters truncate to the element type; all of ours fit int8.
std::vector<Param> IntegerParams() {
  std::vector<Param> params;
  for (const Case& c : AllCases()) {
    for (DataType dtype : IntegerTypesFor(KindOf(c.activation))) params.push_back({c, dtype});
  }
  return params;
}

void PrintTo(const Param& p, std::ostream* os) { *os << p.c.name << " on " << DataTypeName(p.dtype); }

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return info.param.c.name + "_" + std::string(DataTypeName(info.param.dtype));
}

template <class F>
void DispatchFloat(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::kFloat32:
      return f(float{});
    case DataType::kFloat64:
      return f(double{});
    case DataType::kFloat16:
      return f(Half{});
    case DataType::kBFloat16:
      return f(BFloat16{});
    default:
      FAIL() << "not a float type";
  }
}

template <class F>
void DispatchInteger(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::kInt8:
      return f(int8_t{});
    case DataType::kUInt8:
      return f(uint8_t{});
    case DataType::kInt16:
      return f(int16_t{});
    case DataType::kInt32:
      return f(int32_t{});
    case DataType::kInt64:
      return f(int64_t{});
    default:
      FAIL() << "not an integer type";
  }
}

class ApplyFloatTest : public ::testing::TestWithParam<Param> {};

TEST_P(ApplyFloatTest, SpecialAndRandomValues) {
  const Param& p = GetParam();
  DispatchFloat(p.dtype, [&](auto tag) { CheckFloatCase<decltype(tag)>(p.c); });
}

TEST_P(ApplyFloatTest, OddSizesAndMisalignedBuffers) {
  const Param& p = GetParam();
  DispatchFloat(p.dtype, [&](auto tag) { CheckFloatOddSizes<decltype(tag)>(p.c); });
}

INSTANTIATE_TEST_SUITE_P(All, ApplyFloatTest, ::testing::ValuesIn(FloatParams()), ParamName);

class ApplyIntegerTest : public ::testing::TestWithParam<Param> {};

// All values (int8, uint8, int16) or specials and random values (int32, int64), then odd sizes.
TEST_P(ApplyIntegerTest, AllOrSpecialAndRandomValues) {
  const Param& p = GetParam();
  DispatchInteger(p.dtype, [&](auto tag) { CheckIntegerCase<decltype(tag)>(p.c); });
}

INSTANTIATE_TEST_SUITE_P(All, ApplyIntegerTest, ::testing::ValuesIn(IntegerParams()), ParamName);

// crelu of integers: the signed types (CatalogueTest.CreluTakesFloatsAndSignedIntegers in
// validation_test.cc). Expected: cat([relu(x), relu(-x)], axis) as PyTorch computes it on integer tensors,
// where -x of the most negative value wraps to itself, so its relu(-x) is 0.
template <class I>
void CheckIntegerCreluShape(const std::vector<I>& pool, const std::vector<int64_t>& shape, int64_t axis,
                            const ApplyOptions& options, std::vector<I>* result = nullptr) {
  const DataType dtype = IntTraits<I>::kType;
  const act::Crelu crelu{axis};
  const auto out_shape = OutputShapeOf(crelu, shape);
  const int64_t n = Product(shape);
  std::vector<I> input(n + 1);
  for (int64_t i = 0; i < n; ++i) input[i] = pool[(i * 7919) % pool.size()];
  std::vector<I> out(Product(out_shape) + 1, static_cast<I>(0x5a));
  const std::string where = std::string(DataTypeName(dtype)) + " crelu(axis=" + std::to_string(axis) +
                            ") on " + std::to_string(shape.size()) + "-d shape, " + std::to_string(n) + " elements";
  const absl::Status status =
      Apply(crelu, TensorView{dtype, shape, input.data()}, MutableTensorView{dtype, out_shape, out.data()}, options);
  if (options.backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) return;
  ASSERT_TRUE(status.ok()) << where << ": " << status;
  Mismatches bad;
  for (int64_t j = 0; j < Product(out_shape); ++j) {
    const Source src = SourceOf(crelu, shape, j);
    const int64_t x = input[src.index];
    int64_t expected = x < 0 ? 0 : x;
    if (src.negate) {
      const bool most_negative = x == static_cast<int64_t>(std::numeric_limits<I>::min());
      expected = (most_negative || x >= 0) ? 0 : -x;
    }
    if (static_cast<int64_t>(out[j]) != expected) {
      bad.Add("out[" + std::to_string(j) + "]: x = " + std::to_string(x) + (src.negate ? " (negated)" : "") +
              " expected " + std::to_string(expected) + " got " + std::to_string(static_cast<int64_t>(out[j])));
    }
  }
  EXPECT_EQ(bad.count, 0) << where << ":\n" << bad.examples;
  EXPECT_EQ(out.back(), static_cast<I>(0x5a)) << where << ": wrote past the end";
  if (result) *result = std::move(out);
}

template <class I>
void CheckIntegerCrelu() {
  const DataType dtype = IntTraits<I>::kType;
  if (!AcceptsDataType(ActivationKind::kCrelu, dtype)) {
    EXPECT_TRUE(std::is_unsigned_v<I>) << DataTypeName(dtype) << ": signed integers take crelu";
    std::vector<I> buffer(8);
    EXPECT_EQ(Apply(act::Crelu{}, TensorView{dtype, std::vector<int64_t>{4}, buffer.data()},
                    MutableTensorView{dtype, std::vector<int64_t>{8}, buffer.data() + 4})
                  .code(),
              absl::StatusCode::kInvalidArgument);
    return;
  }
  const std::vector<I> pool = IntegerInputs<I>();
  for (const BackendCase& backend : kBackends) {
    const ApplyOptions options{.backend = backend.backend};
    CheckIntegerCreluShape<I>(pool, {static_cast<int64_t>(pool.size())}, -1, options);
    for (int64_t size : {0, 1, 15, 17}) CheckIntegerCreluShape<I>(pool, {1, size}, -1, options);
    for (int64_t axis : {0, 1, 2, -1, -2, -3}) CheckIntegerCreluShape<I>(pool, {2, 3, 37}, axis, options);
  }
  // Threads: the same bits with 1 and 2 threads, for a row split and for many rows.
  for (const auto& [shape, axis] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
           {{kLarge}, -1}, {{1001, 1000}, 1}, {{3, 333334}, 0}}) {
    std::vector<I> one, two;
    CheckIntegerCreluShape<I>(pool, shape, axis, ApplyOptions{.backend = Backend::kSimd, .max_threads = 1}, &one);
    CheckIntegerCreluShape<I>(pool, shape, axis, ApplyOptions{.backend = Backend::kSimd, .max_threads = 2}, &two);
    EXPECT_TRUE(one == two) << DataTypeName(dtype) << ": crelu differs between 1 and 2 threads";
  }
}

TEST(ApplyIntegerCreluTest, WhereAccepted) {
  CheckIntegerCrelu<int8_t>();
  CheckIntegerCrelu<uint8_t>();
  CheckIntegerCrelu<int16_t>();
  CheckIntegerCrelu<int32_t>();
  CheckIntegerCrelu<int64_t>();
}

// ---------------------------------------------------------------------------------------------------------
// Large tensors: kLarge elements, several threads, against the reference.

template <class S>
std::vector<S> LargeInputs(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> moderate(-10.0, 10.0);
  std::vector<S> values(n);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = rng();
    values[i] = (r % 64 == 0) ? FloatTraits<S>::FromBits(rng()) : FloatTraits<S>::FromDouble(moderate(rng));
  }
  // Some specials at the start, the end and across any thread boundaries.
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(), -0.0, 0.0, std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), -1e-45};
  for (int64_t i = 0; i < 6; ++i) {
    values[i] = FloatTraits<S>::FromDouble(specials[i]);
    values[n - 1 - i] = FloatTraits<S>::FromDouble(specials[i]);
  }
  return values;
}

template <class S>
void CheckLargeThreaded(const Activation& activation, const std::vector<int64_t>& shape, const std::string& label) {
  using T = FloatTraits<S>;
  const std::vector<S> input = LargeInputs<S>(Product(shape), 99);
  const auto out_shape = OutputShapeOf(activation, shape);
  const TensorView in_view{T::kType, shape, input.data()};
  const size_t n_out = static_cast<size_t>(Product(out_shape));
  std::vector<std::vector<S>> verified;  // Outputs already checked against the reference.
  for (const BackendCase& backend : kBackends) {
    std::vector<S> single_threaded;
    for (int threads : {1, 2, 0}) {
      std::vector<S> out(n_out, T::FromBits(0x5a5a5a5a5a5a5a5aull));
      const absl::Status status = Apply(activation, in_view, MutableTensorView{T::kType, out_shape, out.data()},
                                        ApplyOptions{.backend = backend.backend, .max_threads = threads});
      const std::string where = label + " [" + backend.name + ", max_threads " + std::to_string(threads) + "]";
      if (backend.backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) continue;
      ASSERT_TRUE(status.ok()) << where << ": " << status;
      if (threads == 1) {
        single_threaded = out;
      } else if (backend.backend != Backend::kAuto) {
        // A backend splits the work across threads; every element is computed the same way.
        EXPECT_EQ(std::memcmp(out.data(), single_threaded.data(), n_out * sizeof(S)), 0)
            << where << ": differs from the same backend's single-threaded result";
      }
      const bool seen = std::any_of(verified.begin(), verified.end(), [&](const std::vector<S>& v) {
        return std::memcmp(v.data(), out.data(), n_out * sizeof(S)) == 0;
      });
      if (!seen) {
        CheckFloatOutput<S>(activation, shape, input.data(), out.data(), where);
        verified.push_back(std::move(out));
      }
    }
  }
}

TEST(ApplyLargeTest, ReluFloat32) { CheckLargeThreaded<float>(act::Relu{}, {kLarge}, "relu"); }
TEST(ApplyLargeTest, GeluFloat32) { CheckLargeThreaded<float>(act::Gelu{}, {kLarge}, "gelu"); }
TEST(ApplyLargeTest, SiluBFloat16) { CheckLargeThreaded<BFloat16>(act::Silu{}, {kLarge}, "silu"); }
TEST(ApplyLargeTest, HardswishFloat16) { CheckLargeThreaded<Half>(act::Hardswish{}, {kLarge}, "hardswish"); }
TEST(ApplyLargeTest, EluFloat64) { CheckLargeThreaded<double>(act::Elu{0.5}, {kLarge}, "elu"); }
TEST(ApplyLargeTest, PreluChannelsFloat32) {
  CheckLargeThreaded<float>(act::Prelu{{0.1, -0.2, 1.3}}, {7, 3, 47619}, "prelu 3ch");
}
TEST(ApplyLargeTest, CreluFloat32) { CheckLargeThreaded<float>(act::Crelu{}, {kLarge}, "crelu"); }

TEST(ApplyLargeTest, IntegerThreadsMatch) {
  std::vector<int8_t> input(kLarge);
  for (int64_t i = 0; i < kLarge; ++i) input[i] = static_cast<int8_t>(i * 37);
  const std::vector<int64_t> shape = {kLarge};
  for (const Activation& activation : {Activation{act::Relu{}}, Activation{act::Threshold{0.5, -1.0}}}) {
    std::vector<int8_t> one(kLarge), two(kLarge);
    ASSERT_TRUE(Apply(activation, TensorView{DataType::kInt8, shape, input.data()},
                      MutableTensorView{DataType::kInt8, shape, one.data()}, ApplyOptions{.max_threads = 1})
                    .ok());
    ASSERT_TRUE(Apply(activation, TensorView{DataType::kInt8, shape, input.data()},
                      MutableTensorView{DataType::kInt8, shape, two.data()}, ApplyOptions{.max_threads = 2})
                    .ok());
    EXPECT_EQ(one, two);
    for (int64_t i = 0; i < kLarge; ++i) {
      ASSERT_EQ(one[i], static_cast<int8_t>(ref::IntegerElementwise(activation, input[i]))) << "x = " << int{input[i]};
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Concurrency: Apply is thread-safe (apply.h). Several threads at once, on every backend, with thread
// counts that compete for the core budget, give the same bits as one call alone.

TEST(ApplyConcurrencyTest, ConcurrentCallsMatchSerialResults) {
  constexpr int64_t kCount = 200003;
  const std::vector<int64_t> shape = {kCount};
  const std::vector<float> input = LargeInputs<float>(kCount, 17);
  struct Job {
    Activation activation;
    Backend backend;
    int max_threads;
  };
  const std::vector<Job> jobs = {
      {act::Gelu{}, Backend::kSimd, 2},      {act::Sigmoid{}, Backend::kOnednn, 2},
      {act::Relu{}, Backend::kAuto, 0},      {act::Mish{}, Backend::kSimd, 1},
      {act::LeakyRelu{0.2}, Backend::kOnednn, 0}, {act::Tanh{}, Backend::kAuto, 2},
  };
  std::vector<std::vector<float>> expected(jobs.size());
  std::vector<bool> runs(jobs.size(), true);
  for (size_t j = 0; j < jobs.size(); ++j) {
    expected[j].resize(kCount);
    const absl::Status status = Apply(jobs[j].activation, TensorView{DataType::kFloat32, shape, input.data()},
                                      MutableTensorView{DataType::kFloat32, shape, expected[j].data()},
                                      ApplyOptions{.backend = jobs[j].backend, .max_threads = 1});
    if (jobs[j].backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) {
      runs[j] = false;
      continue;
    }
    ASSERT_TRUE(status.ok()) << status;
  }
  constexpr int kThreads = 6, kRounds = 3;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> out(kCount);
      for (int round = 0; round < kRounds; ++round) {
        const size_t j = static_cast<size_t>(t + round) % jobs.size();
        if (!runs[j]) continue;
        const absl::Status status = Apply(jobs[j].activation, TensorView{DataType::kFloat32, shape, input.data()},
                                          MutableTensorView{DataType::kFloat32, shape, out.data()},
                                          ApplyOptions{.backend = jobs[j].backend, .max_threads = jobs[j].max_threads});
        if (!status.ok()) {
          errors[t] += status.ToString() + "; ";
        } else if (jobs[j].backend != Backend::kAuto &&
                   std::memcmp(out.data(), expected[j].data(), kCount * sizeof(float)) != 0) {
          errors[t] += "job " + std::to_string(j) + " differs from its serial result; ";
        } else if (jobs[j].backend == Backend::kAuto) {
          // Auto may pick another backend under load; it must still be correct.
          CheckFloatOutput<float>(jobs[j].activation, shape, input.data(), out.data(),
                                  "concurrent job " + std::to_string(j));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;
}

// ---------------------------------------------------------------------------------------------------------
// In place: output buffer == input buffer.

template <class S>
void CheckInPlace(const Activation& activation, int64_t n, const std::string& label) {
  using T = FloatTraits<S>;
  const std::vector<int64_t> shape = {n};
  const std::vector<S> input = LargeInputs<S>(n, 5);
  for (const BackendCase& backend : kBackends) {
    for (int threads : {1, 2}) {
      const std::string where = label + " [" + backend.name + ", max_threads " + std::to_string(threads) + "]";
      const ApplyOptions options{.backend = backend.backend, .max_threads = threads};
      std::vector<S> separate(n);
      const absl::Status status = Apply(activation, TensorView{T::kType, shape, input.data()},
                                        MutableTensorView{T::kType, shape, separate.data()}, options);
      if (backend.backend == Backend::kOnednn && status.code() == absl::StatusCode::kUnimplemented) continue;
      ASSERT_TRUE(status.ok()) << where << ": " << status;
      std::vector<S> buffer = input;
      ASSERT_TRUE(Apply(activation, TensorView{T::kType, shape, buffer.data()},
                        MutableTensorView{T::kType, shape, buffer.data()}, options)
                      .ok())
          << where;
      EXPECT_EQ(std::memcmp(buffer.data(), separate.data(), n * sizeof(S)), 0) << where << ": in-place result differs";
      CheckFloatOutput<S>(activation, shape, input.data(), buffer.data(), where + " in place");
    }
  }
}

TEST(ApplyInPlaceTest, SigmoidFloat32) { CheckInPlace<float>(act::Sigmoid{}, 1001, "sigmoid"); }
TEST(ApplyInPlaceTest, LeakyReluBFloat16) { CheckInPlace<BFloat16>(act::LeakyRelu{0.2}, 1001, "leaky_relu"); }
TEST(ApplyInPlaceTest, HardtanhFloat64Large) { CheckInPlace<double>(act::Hardtanh{-2, 3}, kLarge, "hardtanh"); }

TEST(ApplyInPlaceTest, IntegerRelu) {
  std::vector<int16_t> buffer(1001);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<int16_t>(i * 977);
  const std::vector<int16_t> input = buffer;
  const std::vector<int64_t> shape = {1001};
  ASSERT_TRUE(Apply(act::Relu{}, TensorView{DataType::kInt16, shape, buffer.data()},
                    MutableTensorView{DataType::kInt16, shape, buffer.data()})
                  .ok());
  for (size_t i = 0; i < buffer.size(); ++i) EXPECT_EQ(buffer[i], input[i] < 0 ? 0 : input[i]);
}

// ---------------------------------------------------------------------------------------------------------
// Named semantics from PyTorch 1.13 (measured), as readable single cases.

float ApplyScalar(const Activation& activation, float x, Backend backend = Backend::kSimd) {
  float out = 12345.0f;
  const absl::Status status = Apply(activation, TensorView{DataType::kFloat32, {}, &x},
                                    MutableTensorView{DataType::kFloat32, {}, &out}, ApplyOptions{.backend = backend});
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

uint32_t BitsOf(float f) { return std::bit_cast<uint32_t>(f); }

TEST(ApplySemanticsTest, PyTorchSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float denorm = std::numeric_limits<float>::denorm_min();
  for (const BackendCase& backend : {kBackends[0], kBackends[1]}) {
    SCOPED_TRACE(backend.name);
    const Backend b = backend.backend;
    EXPECT_EQ(BitsOf(ApplyScalar(act::Relu{}, -0.0f, b)), BitsOf(-0.0f)) << "relu(-0.0) = -0.0";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Relu{}, -denorm, b)), BitsOf(0.0f)) << "relu(-1e-45) = +0.0 (no DAZ)";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Relu{}, denorm, b)), BitsOf(denorm)) << "relu(1e-45) = 1e-45 (no FTZ/DAZ)";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Relu{}, nan, b)));
    EXPECT_EQ(BitsOf(ApplyScalar(act::Elu{}, -0.0f, b)), BitsOf(0.0f)) << "elu(-0.0) = +0.0";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Hardswish{}, -inf, b))) << "hardswish(-inf) = NaN";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Silu{}, -inf, b))) << "silu(-inf) = NaN";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Mish{}, -inf, b))) << "mish(-inf) = NaN";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Gelu{}, -inf, b))) << "gelu(-inf) = NaN";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Gelu{GeluApproximate::kTanh}, -inf, b))) << "gelu_tanh(-inf) = NaN";
    EXPECT_EQ(ApplyScalar(act::Silu{}, inf, b), inf);
    EXPECT_EQ(ApplyScalar(act::Mish{}, inf, b), inf);
    EXPECT_EQ(ApplyScalar(act::Gelu{}, inf, b), inf);
    EXPECT_EQ(ApplyScalar(act::Hardswish{}, inf, b), inf);
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Relu6{}, nan, b))) << "relu6 keeps NaN";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Relu6{}, -0.0f, b)), BitsOf(-0.0f)) << "relu6 keeps -0.0";
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Hardtanh{}, nan, b))) << "hardtanh keeps NaN";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Hardtanh{}, -0.0f, b)), BitsOf(-0.0f)) << "hardtanh keeps -0.0";
    EXPECT_EQ(ApplyScalar(act::Threshold{0.5, -1.0}, 0.5f, b), -1.0f) << "threshold: x <= threshold -> value";
    EXPECT_EQ(ApplyScalar(act::Threshold{0.5, -1.0}, std::nextafter(0.5f, 1.0f), b), std::nextafter(0.5f, 1.0f));
    EXPECT_TRUE(std::isnan(ApplyScalar(act::Threshold{0.5, -1.0}, nan, b))) << "threshold keeps NaN";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Hardswish{}, -3.0f, b)), BitsOf(-0.0f)) << "hardswish(x <= -3) = -0.0";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Hardswish{}, -5.0f, b)), BitsOf(-0.0f)) << "hardswish(x <= -3) = -0.0";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Prelu{{-0.5}}, -0.0f, b)), BitsOf(0.0f)) << "prelu(-0.0, w<0) = w * -0.0 = +0.0";
    EXPECT_EQ(BitsOf(ApplyScalar(act::Prelu{{0.25}}, -0.0f, b)), BitsOf(-0.0f)) << "prelu(-0.0, w>0) = -0.0";
    EXPECT_EQ(BitsOf(ApplyScalar(act::LeakyRelu{-0.5}, -0.0f, b)), BitsOf(0.0f)) << "leaky_relu(-0.0, a<0) = +0.0";
    EXPECT_NEAR(ApplyScalar(act::Softplus{2.0, 5.0}, 2.5f, b), std::log1p(std::exp(5.0)) / 2, 1e-6)
        << "softplus: x*beta > threshold is false at x*beta = 5: the log1p branch";
    EXPECT_EQ(ApplyScalar(act::Softplus{2.0, 5.0}, 2.6f, b), 2.6f) << "softplus: linear above the threshold";
  }
}

// Half types compare against parameters rounded to the element type (PyTorch 1.13, measured on bfloat16):
// bfloat16(0.1) = 0.10009765625 > 0.1, and threshold(0.1) still maps it to the value.
TEST(ApplySemanticsTest, HalfTypeThresholdUsesRoundedParameter) {
  const uint16_t x = ref::FloatToBFloat16(0.1f);
  ASSERT_GT(ref::BFloat16ToFloat(x), 0.1f);
  uint16_t out = 0;
  ASSERT_TRUE(Apply(act::Threshold{0.1, -1.0}, TensorView{DataType::kBFloat16, {}, &x},
                    MutableTensorView{DataType::kBFloat16, {}, &out})
                  .ok());
  EXPECT_EQ(ref::BFloat16ToFloat(out), -1.0f);
}

// The same scalar (rank-0) semantics hold for every float type through the auto backend.
TEST(ApplySemanticsTest, ScalarShapes) {
  double x = -2.0, out = 0;
  ASSERT_TRUE(Apply(act::Relu6{}, TensorView{DataType::kFloat64, {}, &x}, MutableTensorView{DataType::kFloat64, {}, &out})
                  .ok());
  EXPECT_EQ(BitsOf(static_cast<float>(out)), BitsOf(0.0f));
  // Shapes with a zero dimension among others hold no elements and succeed.
  const std::vector<int64_t> empty_shape = {3, 0, 5};
  float dummy_in = 1.0f, dummy_out = 7.0f;
  EXPECT_TRUE(Apply(act::Gelu{}, TensorView{DataType::kFloat32, empty_shape, &dummy_in},
                    MutableTensorView{DataType::kFloat32, empty_shape, &dummy_out})
                  .ok());
  EXPECT_EQ(dummy_out, 7.0f);
}

}  // namespace
}  // namespace rectifier
