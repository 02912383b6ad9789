#include "tests/kernels/reference.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>

namespace rectifier::ref {
namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "reference: %s\n", what);
  std::abort();
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// clang 14 lacks C++20's deduction for aggregates (the sanitizer build uses it).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

// ---- Half types -------------------------------------------------------------------------------------

uint16_t FloatToHalf(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) {  // NaN: quiet, keep the top payload bits.
    return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  }
  // 65520 = 65504 + half an ulp (2^5 / 2): from there on, round-to-nearest-even goes to infinity.
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  const uint32_t biased_exp = abs >> 23;
  const uint32_t mantissa = abs & 0x7fffffu;
  if (biased_exp >= 113) {  // |value| >= 2^-14: a normal half.
    uint32_t result = ((biased_exp - 127 + 15) << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (result & 1u))) ++result;  // May carry into the exponent.
    return static_cast<uint16_t>(sign | result);
  }
  // Subnormal half (or zero): result = round(|value| / 2^-24) = round(M * 2^(E - 126)), M with the hidden 1.
  if (biased_exp == 0) return sign;  // Float subnormals are < 2^-126, far below half a half-subnormal.
  const uint32_t significand = mantissa | 0x800000u;
  const uint32_t shift = 126 - biased_exp;  // >= 14
  if (shift > 24) return sign;              // < 2^-25 (significand < 2^24): rounds to zero.
  uint32_t result = significand >> shift;
  const uint32_t rest = significand & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (result & 1u))) ++result;  // 0x400 is the smallest normal.
  return static_cast<uint16_t>(sign | result);
}

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  if (exp == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // Exact.
    return sign ? -magnitude : magnitude;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exp - 15 + 127) << 23) | (mantissa << 13));
}

uint16_t FloatToBFloat16(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);  // Quiet NaN.
  uint32_t result = x >> 16;
  const uint32_t rest = x & 0xffffu;
  if (rest > 0x8000u || (rest == 0x8000u && (result & 1u))) ++result;  // Carries to inf past the max.
  return static_cast<uint16_t>(result);
}

float BFloat16ToFloat(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

// ---- Classification -----------------------------------------------------------------------------------

bool IsPiecewiseLinearKind(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kRelu:
    case ActivationKind::kLeakyRelu:
    case ActivationKind::kPrelu:
    case ActivationKind::kCrelu:
    case ActivationKind::kRelu6:
    case ActivationKind::kHardtanh:
    case ActivationKind::kThreshold:
    case ActivationKind::kHardswish:
    case ActivationKind::kHardsigmoid:
      return true;
    default:
      return false;
  }
}

// ---- Parameters of half-type tensors ---------------------------------------------------------------------

Activation WithHalfTypeParameters(const Activation& activation, HalfType type) {
  auto round = [type](double v) -> double {
    const float f = static_cast<float>(v);
    return type == HalfType::kFloat16 ? HalfToFloat(FloatToHalf(f)) : BFloat16ToFloat(FloatToBFloat16(f));
  };
  Activation result = activation;
  if (auto* p = std::get_if<act::Hardtanh>(&result)) {
    p->min_val = round(p->min_val);
    p->max_val = round(p->max_val);
  } else if (auto* t = std::get_if<act::Threshold>(&result)) {
    t->threshold = round(t->threshold);
    t->value = round(t->value);
  } else if (auto* w = std::get_if<act::Prelu>(&result)) {
    for (double& weight : w->weight) weight = round(weight);
  }
  return result;
}

// ---- Piecewise-linear -----------------------------------------------------------------------------------
namespace {

// PyTorch's expressions, in T, every intermediate rounded to T (no contraction: ISO mode, no FMA target).
template <class T>
T Clamp(T x, T lo, T hi) {
  return x < lo ? lo : (x > hi ? hi : x);  // NaN fails both compares and stays NaN; -0.0 stays -0.0.
}

template <class T>
T ExactImpl(const Activation& activation, T x) {
  return std::visit(
      Overloaded{
          [&](const act::Relu&) -> T { return x < T(0) ? T(0) : x; },
          [&](const act::LeakyRelu& p) -> T { return x > T(0) ? x : x * static_cast<T>(p.negative_slope); },
          [&](const act::Relu6&) -> T { return Clamp<T>(x, T(0), T(6)); },
          [&](const act::Hardtanh& p) -> T {
            return Clamp<T>(x, static_cast<T>(p.min_val), static_cast<T>(p.max_val));
          },
          [&](const act::Threshold& p) -> T {
            return x <= static_cast<T>(p.threshold) ? static_cast<T>(p.value) : x;
          },
          [&](const act::Hardswish&) -> T {
            // x * min(max(x + 3, 0), 6) / 6. A NaN x + 3 fails both compares and propagates.
            const T shifted = x + T(3);
            T m = shifted < T(0) ? T(0) : shifted;
            m = m > T(6) ? T(6) : m;
            const T product = x * m;
            return product / T(6);
          },
          [&](const act::Hardsigmoid&) -> T {
            const T shifted = x + T(3);
            T m = shifted < T(0) ? T(0) : shifted;
            m = m > T(6) ? T(6) : m;
            return m / T(6);
          },
          [&](const auto&) -> T { Fail("ExactElementwise: not a piecewise-linear elementwise activation"); },
      },
      activation);
}

}  // namespace

float ExactElementwise(const Activation& activation, float x) { return ExactImpl<float>(activation, x); }
double ExactElementwise(const Activation& activation, double x) { return ExactImpl<double>(activation, x); }
float ExactPrelu(float x, double weight) { return x > 0.0f ? x : static_cast<float>(weight) * x; }
double ExactPrelu(double x, double weight) { return x > 0.0 ? x : weight * x; }

// ---- Smooth -----------------------------------------------------------------------------------------
namespace {

constexpr long double kSqrtHalf = 0.707106781186547524400844362104849039L;   // 1/sqrt(2)
constexpr long double kSqrt2OverPi = 0.797884560802865355879892119868763737L;  // sqrt(2/pi)
constexpr long double kGeluKappa = 0.044715L;
constexpr long double kInf = std::numeric_limits<long double>::infinity();
constexpr long double kNaN = std::numeric_limits<long double>::quiet_NaN();

long double RoundParam(double value, Precision precision) {
  return precision == Precision::kFloat32 ? static_cast<long double>(static_cast<float>(value))
                                          : static_cast<long double>(value);
}

// s * a * expm1(x * c) for x <= 0, s * x for x > 0; never -0.0.
long double Elu(long double x, long double alpha, long double scale, long double input_scale) {
  if (std::isnan(x)) return kNaN;
  if (x > 0) return scale * x;
  const long double r = scale * alpha * std::expm1(x * input_scale);
  return r + 0.0L;
}

// 1 / (1 + exp(-x)), accurate for every x (exp overflows to inf for very negative x, giving 0).
long double Sigmoid(long double x) { return 1.0L / (1.0L + std::exp(-x)); }

}  // namespace

long double SmoothElementwise(const Activation& activation, long double x, Precision precision) {
  return std::visit(
      Overloaded{
          [&](const act::Elu& p) { return Elu(x, RoundParam(p.alpha, precision), 1.0L, 1.0L); },
          [&](const act::Selu&) {
            return Elu(x, static_cast<long double>(kSeluAlpha), static_cast<long double>(kSeluScale), 1.0L);
          },
          [&](const act::Celu& p) {
            const long double alpha = RoundParam(p.alpha, precision);
            return Elu(x, alpha, 1.0L, 1.0L / alpha);
          },
          [&](const act::Gelu& p) -> long double {
            if (x == -kInf) return kNaN;  // PyTorch: -inf * 0.
            if (p.approximate == GeluApproximate::kNone) {
              // x * Phi(x) = x/2 * erfc(-x / sqrt(2)): no cancellation for negative x.
              return 0.5L * x * std::erfc(-x * kSqrtHalf);
            }
            // 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3).
            const long double u = kSqrt2OverPi * (x + kGeluKappa * x * x * x);
            return x / (1.0L + std::exp(-2.0L * u));
          },
          [&](const act::Silu&) -> long double {
            if (x == -kInf) return kNaN;  // PyTorch: -inf / inf.
            return x / (1.0L + std::exp(-x));
          },
          [&](const act::Mish&) -> long double {
            if (x == -kInf) return kNaN;  // PyTorch: -inf * tanh(0).
            return x * std::tanh(std::log1p(std::exp(x)));
          },
          [&](const act::Sigmoid&) { return Sigmoid(x); },
          [&](const act::Tanh&) { return std::tanh(x); },
          [&](const act::Softplus& p) -> long double {
            const long double beta = RoundParam(p.beta, precision);
            const long double threshold = RoundParam(p.threshold, precision);
            // x * beta is one IEEE multiplication in the compute type, in PyTorch and in the kernels: both
            // the threshold decision and exp() see the rounded product (exp(p) amplifies a relative error
            // in p by |p|, so the exact product would be a different function, tens of ulp away).
            long double product;
            bool linear;
            if (precision == Precision::kFloat32) {
              const float p = static_cast<float>(x) * static_cast<float>(beta);
              linear = p > static_cast<float>(threshold);
              product = p;
            } else {
              const double p = static_cast<double>(x) * static_cast<double>(beta);
              linear = p > static_cast<double>(threshold);
              product = p;
            }
            if (linear) return x;
            return std::log1p(std::exp(product)) / beta;
          },
          [&](const act::Logsigmoid&) -> long double {
            if (std::isnan(x)) return kNaN;
            return std::fmin(x, 0.0L) - std::log1p(std::exp(-std::fabs(x)));
          },
          [&](const auto&) -> long double { Fail("SmoothElementwise: not a smooth elementwise activation"); },
      },
      activation);
}

// ---- Integers -------------------------------------------------------------------------------------------

int64_t IntegerElementwise(const Activation& activation, int64_t x) {
  auto trunc = [](double v) { return static_cast<int64_t>(std::trunc(v)); };
  auto clamp = [](int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); };
  return std::visit(
      Overloaded{
          [&](const act::Relu&) -> int64_t { return x < 0 ? 0 : x; },
          [&](const act::Relu6&) -> int64_t { return clamp(x, 0, 6); },
          [&](const act::Hardtanh& p) -> int64_t { return clamp(x, trunc(p.min_val), trunc(p.max_val)); },
          [&](const act::Threshold& p) -> int64_t { return x <= trunc(p.threshold) ? trunc(p.value) : x; },
          [&](const auto&) -> int64_t { Fail("IntegerElementwise: not an integer activation"); },
      },
      activation);
}

}  // namespace rectifier::ref
