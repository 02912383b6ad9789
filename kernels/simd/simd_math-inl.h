// Vectorised math for Rectifier's activation kernels (Google Highway 1.0.3, one copy per target).
//
// Private helper of kernels/simd/simd_kernels.cc; included once per Highway target through foreach_target,
// hence the toggling include guard. Everything here works for float32 and float64 lanes.
//
// What Highway's contrib/math does not give us (or not the way we need it):
//  * Exp / Expm1 that are NaN-preserving, overflow to +inf, underflow smoothly into subnormals and accept
//    an extended-precision argument hi + lo (needed for exp(-x^2/2) and exp(-2u) in the GELUs, where
//    rounding x^2 or u to working precision would cost up to ~100 ulp in the tails). No float->int
//    conversion is involved (shifter trick), so NaN and +-inf never reach an integer conversion.
//  * Erfc / Erf (Highway 1.0.3 has none) and the GELU kernels built on them.
// Log1p is Highway's (documented 2 ulp, valid on [0, FLT_MAX]; we only call it on [0, 1]).
//
// Measured accuracy (dense sweeps vs quad-precision references, AVX2): ExpR 1.02, Expm1R 1.9, TanhR 2.5,
// ErfcR 4.8 (f64) / 4.0 (f32), ErfR 2.3, GeluErfR 5.7 / 4.9, GeluTanhR 2.8, MishR 3.7 ulp. Without FMA
// (SSE4, scalar fallback) GeluErfR reaches 6.5 ulp; the rest is unchanged.

#if defined(RECTIFIER_KERNELS_SIMD_SIMD_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef RECTIFIER_KERNELS_SIMD_SIMD_MATH_INL_H_
#undef RECTIFIER_KERNELS_SIMD_SIMD_MATH_INL_H_
#else
#define RECTIFIER_KERNELS_SIMD_SIMD_MATH_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <utility>

#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rectifier::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ------------------------------------------------------------------------------------------------
// NaN-exact selections. Highway 1.0.3 leaves Min/Max of NaN implementation-defined: x86 MINPS/MAXPS
// return their second operand when either is NaN (and when both are zeros), the emulated targets return
// the non-NaN operand. These helpers pin the semantics the PyTorch formulas need on every target.

#undef RECTIFIER_SIMD_X86_MINMAX
#if HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR
#define RECTIFIER_SIMD_X86_MINMAX 1
#else
#define RECTIFIER_SIMD_X86_MINMAX 0
#endif

// x < lo ? lo : x. NaN stays NaN; x = -0.0 with lo = +0.0 stays -0.0.
template <class V>
HWY_INLINE V MaxKeepX(V lo, V x) {
#if RECTIFIER_SIMD_X86_MINMAX
  return hn::Max(lo, x);  // MAXPS(lo, x) = lo > x ? lo : x
#else
  return hn::IfThenElse(hn::Lt(x, lo), lo, x);
#endif
}

// x > hi ? hi : x. NaN stays NaN.
template <class V>
HWY_INLINE V MinKeepX(V hi, V x) {
#if RECTIFIER_SIMD_X86_MINMAX
  return hn::Min(hi, x);  // MINPS(hi, x) = hi < x ? hi : x
#else
  return hn::IfThenElse(hn::Gt(x, hi), hi, x);
#endif
}

// ------------------------------------------------------------------------------------------------
// Polynomials (coefficients in increasing degree). EvalPoly splits into even and odd halves (two
// independent Horner chains in x^2) to halve the latency of long polynomials.

namespace detail {

template <size_t kStart, class D, class V, typename T, size_t kN, size_t... I>
HWY_INLINE V HornerStride2(D d, V x2, const T (&c)[kN], std::index_sequence<I...>) {
  V acc = hn::Set(d, c[kStart]);
  ((acc = hn::MulAdd(acc, x2, hn::Set(d, c[kStart - 2 * (I + 1)]))), ...);
  return acc;
}

template <class D, class V, typename T, size_t kN, size_t... I>
HWY_INLINE V HornerImpl(D d, V x, const T (&c)[kN], std::index_sequence<I...>) {
  V acc = hn::Set(d, c[kN - 1]);
  ((acc = hn::MulAdd(acc, x, hn::Set(d, c[kN - 2 - I]))), ...);
  return acc;
}

}  // namespace detail

template <class D, class V, typename T, size_t kN>
HWY_INLINE V Horner(D d, V x, const T (&c)[kN]) {
  static_assert(kN >= 1);
  return detail::HornerImpl(d, x, c, std::make_index_sequence<kN - 1>());
}

template <class D, class V, typename T, size_t kN>
HWY_INLINE V EvalPoly(D d, V x, const T (&c)[kN]) {
  static_assert(kN >= 2);
  constexpr size_t kLastEven = (kN - 1) % 2 == 0 ? kN - 1 : kN - 2;
  constexpr size_t kLastOdd = (kN - 1) % 2 == 1 ? kN - 1 : kN - 2;
  const V x2 = hn::Mul(x, x);
  const V even = detail::HornerStride2<kLastEven>(d, x2, c, std::make_index_sequence<kLastEven / 2>());
  const V odd = detail::HornerStride2<kLastOdd>(d, x2, c, std::make_index_sequence<(kLastOdd - 1) / 2>());
  return hn::MulAdd(odd, x, even);
}

// ------------------------------------------------------------------------------------------------
// Per-type constants.

template <typename T>
struct MathConst;

template <>
struct MathConst<float> {
  static constexpr int kMantissaBits = 23;
  static constexpr int32_t kBias = 127;
  static constexpr int32_t kHalfRange = 128;  // 2^(exponent bits - 1)
  static constexpr float kLog2e = 1.44269504088896341f;
  static constexpr float kShifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  static constexpr int32_t kShifterBits = 0x4B400000;
  static constexpr float kLn2Hi = 0.693145751953125f;
  static constexpr float kLn2Lo = 1.428606765330187045e-6f;
  // exp(x) is 0 below kExpMin (e^-104 < half the smallest subnormal) and +inf above ln(FLT_MAX) ~ 88.72;
  // clamping to these bounds keeps the exponent arithmetic in range.
  static constexpr float kExpMin = -104.0f;
  static constexpr float kExpMinWide = -120.0f;  // still in range for ScaleByPow2; e^-120 * 16 underflows
  static constexpr float kExpMax = 89.0f;
  // For arguments in [kFastMin, kFastMax], 2^q is a normal number and one multiply applies it.
  static constexpr float kFastMin = -87.0f;
  static constexpr float kFastMax = 88.0f;
  static constexpr float kFlushMax = 88.75f;  // q = 128 at most; e^88.75 overflows
  // expm1(x) == -1 exactly below this bound.
  static constexpr float kExpm1Min = -86.0f;
  static constexpr int32_t kExpm1CapQ = 25;  // 1 - 2^-q == 1 beyond this q
  // e^r - 1 - r ~= r^2 * P(r) on |r| <= ln2/2 (Highway's contrib/math coefficients).
  static constexpr float kExpPoly[] = {0.5f,
                                       0.166666671633720397949219f,
                                       0.0416664853692054748535156f,
                                       0.00833336077630519866943359f,
                                       0.00139304355252534151077271f,
                                       0.000198527617612853646278381f};
  // Dekker split: zeroing this many low mantissa bits leaves a head whose products are exact.
  static constexpr int32_t kSplitMask = static_cast<int32_t>(0xFFFFF000u);
};

template <>
struct MathConst<double> {
  static constexpr int kMantissaBits = 52;
  static constexpr int64_t kBias = 1023;
  static constexpr int64_t kHalfRange = 1024;
  static constexpr double kLog2e = 1.4426950408889634074;
  static constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52
  static constexpr int64_t kShifterBits = 0x4338000000000000;
  static constexpr double kLn2Hi = 0.6931471805596629565116018;
  static constexpr double kLn2Lo = 0.28235290563031577122588448175e-12;
  static constexpr double kExpMin = -746.0;
  static constexpr double kExpMinWide = -760.0;
  static constexpr double kExpMax = 710.0;
  static constexpr double kFastMin = -708.0;
  static constexpr double kFastMax = 709.0;
  static constexpr double kFlushMax = 710.0;  // q = 1024 at most; e^710 overflows
  static constexpr double kExpm1Min = -700.0;
  static constexpr int64_t kExpm1CapQ = 54;
  static constexpr double kExpPoly[] = {+0.5,
                                        +0.166666666666666851703837,
                                        +0.0416666666666665047591422,
                                        +0.00833333333331652721664984,
                                        +0.00138888888889774492207962,
                                        +0.000198412698960509205564975,
                                        +2.4801587159235472998791e-5,
                                        +2.75572362911928827629423e-6,
                                        +2.75573911234900471893338e-7,
                                        +2.51112930892876518610661e-8,
                                        +2.08860621107283687536341e-9};
  static constexpr int64_t kSplitMask = static_cast<int64_t>(0xFFFFFFFFF8000000ull);
};

// ------------------------------------------------------------------------------------------------
// Error-free transformations.

// a * b == p + e exactly (barring over/underflow).
template <class D, class V>
HWY_INLINE void TwoProd(D d, V a, V b, V& p, V& e) {
  p = hn::Mul(a, b);
#if HWY_NATIVE_FMA
  (void)d;
  e = hn::MulSub(a, b, p);
#else
  // Dekker's product with a mask split (head: 12 of 24 / 26 of 53 significant bits).
  using T = hn::TFromD<D>;
  const hn::RebindToSigned<D> di;
  const V mask = hn::BitCast(d, hn::Set(di, MathConst<T>::kSplitMask));
  const V ah = hn::And(a, mask);
  const V al = hn::Sub(a, ah);
  const V bh = hn::And(b, mask);
  const V bl = hn::Sub(b, bh);
  e = hn::Add(hn::Add(hn::Add(hn::Sub(hn::Mul(ah, bh), p), hn::Mul(ah, bl)), hn::Mul(al, bh)),
              hn::Mul(al, bl));
#endif
}

// a + b == s + e exactly.
template <class V>
HWY_INLINE void TwoSum(V a, V b, V& s, V& e) {
  s = hn::Add(a, b);
  const V bb = hn::Sub(s, a);
  e = hn::Add(hn::Sub(a, hn::Sub(s, bb)), hn::Sub(b, bb));
}

// ------------------------------------------------------------------------------------------------
// Exponentials.

namespace detail {

// 2^e for a biased exponent e in [1, 2 * bias].
template <class D, class VI>
HWY_INLINE hn::Vec<D> Pow2Biased(D d, VI e) {
  using T = hn::TFromD<D>;
  return hn::BitCast(d, hn::ShiftLeft<MathConst<T>::kMantissaBits>(e));
}

// Reduction shared by Exp and Expm1: x = q * ln2 + r (+ xlo), |r| <~ ln2 / 2. Returns r and the integer
// q (in the signed integer lanes of D), plus the exponent bias if kBiased (ready for Pow2Biased). x must be
// finite or NaN and within [kExpMin - 1, kExpMax + 1].
template <bool kHasLo, bool kBiased = false, class D, class V, class VI>
HWY_INLINE V ExpReduce(D d, V x, V xlo, VI& q) {
  using T = hn::TFromD<D>;
  using C = MathConst<T>;
  const hn::RebindToSigned<D> di;
  using TI = hn::TFromD<decltype(di)>;
  const V shifter = hn::Set(d, C::kShifter);
  const V k = hn::MulAdd(x, hn::Set(d, C::kLog2e), shifter);
  const V qf = hn::Sub(k, shifter);
  V r = hn::NegMulAdd(qf, hn::Set(d, C::kLn2Hi), x);
  r = hn::NegMulAdd(qf, hn::Set(d, C::kLn2Lo), r);
  if constexpr (kHasLo) r = hn::Add(r, xlo);
  // The low bits of k hold q (k = 1.5 * 2^mantissa_bits + q).
  constexpr TI kOffset = static_cast<TI>(C::kShifterBits - (kBiased ? C::kBias : 0));
  q = hn::Sub(hn::BitCast(di, k), hn::Set(di, kOffset));
  return r;
}

// e^r - 1 on |r| <= ~0.35.
template <class D, class V>
HWY_INLINE V Expm1Poly(D d, V r) {
  using T = hn::TFromD<D>;
  const V p = EvalPoly(d, r, MathConst<T>::kExpPoly);
  return hn::MulAdd(p, hn::Mul(r, r), r);
}

// m * 2^q with a single rounding at the end, for |q| up to ~2 * bias: 2^q is applied as two factors
// 2^q1 * 2^q2 (q1 = floor(q / 2)), each a normal number, so the result can overflow to +inf or round
// into the subnormals exactly once.
template <class D, class V, class VI>
HWY_INLINE V ScaleByPow2(D d, V m, VI q) {
  using T = hn::TFromD<D>;
  using C = MathConst<T>;
  const hn::RebindToSigned<D> di;
  const hn::RebindToUnsigned<D> du;
  using TI = hn::TFromD<decltype(di)>;
  // u = q + 2K > 0 (K = 2^(exponent bits - 1) = bias + 1); h = u >> 1 = floor(q / 2) + K.
  const VI u = hn::Add(q, hn::Set(di, static_cast<TI>(2 * C::kHalfRange)));
  const VI h = hn::BitCast(di, hn::ShiftRight<1>(hn::BitCast(du, u)));
  const VI one = hn::Set(di, TI{1});
  const VI e1 = hn::Sub(h, one);                 // floor(q / 2) + bias
  const VI e2 = hn::Sub(hn::Sub(u, one), h);     // q - floor(q / 2) + bias
  return hn::Mul(hn::Mul(m, Pow2Biased(d, e1)), Pow2Biased(d, e2));
}

// m * 2^q given the biased exponent qb = q + bias in [1, 2 bias]: one multiply (rounded once).
template <class D, class V, class VI>
HWY_INLINE V ScaleByPow2Normal(D d, V m, VI qb) {
  return hn::Mul(m, Pow2Biased(d, qb));
}

// True if every lane of x is within [kFastMin, kFastMax] (false for NaN lanes).
template <class D, class V>
HWY_INLINE bool AllExpFast(D d, V x) {
  using T = hn::TFromD<D>;
  using C = MathConst<T>;
  return hn::AllTrue(d, hn::And(hn::Ge(x, hn::Set(d, C::kFastMin)), hn::Le(x, hn::Set(d, C::kFastMax))));
}

}  // namespace detail

// e^(x + xlo) = p * 2^q with p in ~[0.7, 1.42]: the caller applies ScaleByPow2(d, m * p, q) to get
// m * e^(x + xlo) rounded once. x must already be clamped to [kExpMin, kExpMax] (or NaN); |xlo| must be tiny
// relative to ln2 (the low half of an extended-precision argument).
template <class D, class V, class VI>
HWY_INLINE V ExpPairParts(D d, V x, V xlo, VI& q) {
  const V r = detail::ExpReduce<true>(d, x, xlo, q);
  return hn::Add(detail::Expm1Poly(d, r), hn::Set(d, hn::TFromD<D>{1}));
}

// m * e^(x + xlo), rounded once (same preconditions as ExpPairParts). `fast` must be true only if every
// lane of x is within [kFastMin, kFastMax] (then 2^q is applied with one multiply).
template <class D, class V>
HWY_INLINE V ExpPairTimes(D d, V x, V xlo, V m, bool fast) {
  const hn::RebindToSigned<D> di;
  hn::Vec<decltype(di)> q;
  if (HWY_LIKELY(fast)) {
    const V r = detail::ExpReduce<true, true>(d, x, xlo, q);
    return detail::ScaleByPow2Normal(d, hn::MulAdd(detail::Expm1Poly(d, r), m, m), q);  // m + m (e^r - 1)
  }
  const V r = detail::ExpReduce<true>(d, x, xlo, q);
  return detail::ScaleByPow2(d, hn::MulAdd(detail::Expm1Poly(d, r), m, m), q);
}

template <class D, class V>
HWY_INLINE V ExpPairTimes(D d, V x, V xlo, V m) {
  return ExpPairTimes(d, x, xlo, m, detail::AllExpFast(d, x));
}

// e^x: NaN -> NaN, -inf -> 0, +inf and overflow -> +inf, results in the subnormal range rounded once.
// kFlushTiny: arguments below kFastMin give e^kFastMin (~1e-38 / 1e-308) instead of the exact tiny or
// subnormal value. For callers that only use 1 + e^x this changes nothing in the result, and it allows a
// branch-free evaluation without slow subnormal arithmetic.
template <bool kFlushTiny = false, class D, class V>
HWY_INLINE V ExpR(D d, V x) {
  using T = hn::TFromD<D>;
  using C = MathConst<T>;
  const hn::RebindToSigned<D> di;
  using TI = hn::TFromD<decltype(di)>;
  hn::Vec<decltype(di)> q;
  const V one = hn::Set(d, T{1});
  if constexpr (kFlushTiny) {
    // q in [1 - bias, bias + 1]: 2^q is one normal power of two, times 2 when q = bias + 1 (which then
    // overflows to +inf exactly when e^x does).
    x = MinKeepX(hn::Set(d, C::kFlushMax), MaxKeepX(hn::Set(d, C::kFastMin), x));
    const V r = detail::ExpReduce<false>(d, x, x, q);
    V p = hn::Add(detail::Expm1Poly(d, r), one);
    const auto max_q = hn::Set(di, static_cast<TI>(C::kBias));
    p = hn::IfThenElse(hn::RebindMask(d, hn::Gt(q, max_q)), hn::Add(p, p), p);
    return detail::ScaleByPow2Normal(d, p, hn::Add(hn::Min(q, max_q), max_q));
  }
  if (HWY_LIKELY(detail::AllExpFast(d, x))) {
    const V r = detail::ExpReduce<false, true>(d, x, x, q);
    return detail::ScaleByPow2Normal(d, hn::Add(detail::Expm1Poly(d, r), one), q);
  }
  x = MinKeepX(hn::Set(d, C::kExpMax), MaxKeepX(hn::Set(d, C::kExpMin), x));
  const V r = detail::ExpReduce<false>(d, x, x, q);
  return detail::ScaleByPow2(d, hn::Add(detail::Expm1Poly(d, r), one), q);
}

// e^x - 1, accurate near 0, -1 for x <= kExpm1Min and -inf, +inf on overflow, NaN -> NaN. expm1(-0.0)
// gives +0.0 (callers that care about the sign of zero fix it up). Reconstruction: e^x - 1 = 2^q * (expm1(r) + (1 - 2^-q)), with (1 - 2^-q) exact for small q.
template <class D, class V>
HWY_INLINE V Expm1R(D d, V x) {
  using T = hn::TFromD<D>;
  using C = MathConst<T>;
  const hn::RebindToSigned<D> di;
  using TI = hn::TFromD<decltype(di)>;
  x = MaxKeepX(hn::Set(d, C::kExpm1Min), x);
  // Above kFastMax (or NaN) clamp so that the two-factor scaling stays in range.
  const bool fast = hn::AllTrue(d, hn::Le(x, hn::Set(d, C::kFastMax)));
  if (!fast) x = MinKeepX(hn::Set(d, C::kExpMax), x);
  hn::Vec<decltype(di)> q;
  const V r = detail::ExpReduce<false>(d, x, x, q);
  const V em1 = detail::Expm1Poly(d, r);
  const auto qc = hn::Min(q, hn::Set(di, static_cast<TI>(C::kExpm1CapQ)));
  const V c = hn::Sub(hn::Set(d, T{1}), detail::Pow2Biased(d, hn::Sub(hn::Set(di, static_cast<TI>(C::kBias)), qc)));
  if (HWY_LIKELY(fast)) {
    return detail::ScaleByPow2Normal(d, hn::Add(em1, c), hn::Add(q, hn::Set(di, static_cast<TI>(C::kBias))));
  }
  return detail::ScaleByPow2(d, hn::Add(em1, c), q);
}

// tanh(x) = -expm1(-2|x|) / (2 + expm1(-2|x|)) with the sign of x: no overflow, tanh(+-0) = +-0,
// tanh(+-inf) = +-1, NaN -> NaN.
template <class D, class V>
HWY_INLINE V TanhR(D d, V x) {
  using T = hn::TFromD<D>;
  const V y = Expm1R(d, hn::Mul(hn::Abs(x), hn::Set(d, T{-2})));
  const V t = hn::Div(hn::Neg(y), hn::Add(y, hn::Set(d, T{2})));
  return hn::CopySign(t, x);  // not CopySignToAbs: t may be -0.0
}

// 1 / (1 + e^-x): sigmoid(-inf) = 0, sigmoid(+inf) = 1, and 0 wherever e^-x overflows (x < ~-88.7 in
// float32), exactly as PyTorch's formula.
template <class D, class V>
HWY_INLINE V SigmoidR(D d, V x) {
  using T = hn::TFromD<D>;
  const V one = hn::Set(d, T{1});
  return hn::Div(one, hn::Add(one, ExpR</*kFlushTiny=*/true>(d, hn::Neg(x))));
}

// ------------------------------------------------------------------------------------------------
// erfc / erf / GELU.
//
// erfc(z) = e^(-z^2) * P(z) / Q(z) for z in [0, zmax]: P/Q approximates erfcx(z) = e^(z^2) erfc(z) with a
// rational function of degree (4, 5) in float and (10, 11) in double whose coefficients are all positive,
// so evaluating it at z >= 0 is perfectly conditioned (no cancellation, z itself is the argument).
// Coefficients: linearised least squares + Lawson iterations (mpmath, 40 digits) for the relative error
// on Chebyshev points of [0, zmax]; max relative error after rounding the coefficients: 2.7e-8 (float,
// zmax 10.3) and 3.0e-17 (double, zmax 27.4). Beyond zmax erfc underflows (erfc(10.3) ~ 1e-47,
// erfc(27.4) ~ 1e-328). e^(-z^2) is evaluated from the exact square (TwoProd), so the tail keeps full
// relative accuracy; the result is rounded once at the end (ExpPairParts + ScaleByPow2), so results in the
// subnormal range are not double-rounded.

template <typename T>
struct ErfcConst;

template <>
struct ErfcConst<float> {
  static constexpr float kZMax = 10.3f;
  static constexpr float kP[] = {1.0f, 1.2400815f, 0.73335654f, 0.23005487f, 0.03297229f};
  static constexpr float kHalfP[] = {0.5f, 0.6200408f, 0.36667827f, 0.115027435f, 0.016486146f};  // kP / 2
  static constexpr float kQ[] = {1.0f, 2.3684614f, 2.4058692f, 1.3286401f, 0.40778723f, 0.058441192f};
  // erf(x) / x as a polynomial in x^2 for |x| <= 0.5.
  static constexpr float kErfSmall[] = {1.128379225730896f,      -0.37612637877464294f,
                                        0.11283773928880692f,    -0.026863142848014832f,
                                        0.0052004135213792324f,  -0.00076945341425016522f};
  // GELU inputs beyond +-kGeluClamp: the erfc term underflows (|gelu(x)| < 2^-150 for x < -14.36).
  static constexpr float kGeluClamp = 14.5f;
};

template <>
struct ErfcConst<double> {
  static constexpr double kZMax = 27.4;
  static constexpr double kP[] = {1,
                                  2.3414103227969365,
                                  2.7177495156092926,
                                  2.0207063413810147,
                                  1.0558604278012897,
                                  0.40329272548406642,
                                  0.11388323425195759,
                                  0.023505793381170127,
                                  0.0034068768728125606,
                                  0.00031532401288052192,
                                  1.432801953669959e-05};
  static constexpr double kHalfP[] = {0.5,
                                      1.1707051613984683,
                                      1.3588747578046463,
                                      1.0103531706905073,
                                      0.52793021390064487,
                                      0.20164636274203321,
                                      0.056941617125978797,
                                      0.011752896690585064,
                                      0.0017034384364062803,
                                      0.00015766200644026096,
                                      7.1640097683497952e-06};
  static constexpr double kQ[] = {1,
                                  3.4697894898924493,
                                  5.6329876902108822,
                                  5.6593155876919941,
                                  3.9188853298251942,
                                  1.9694027072651419,
                                  0.73536976505708807,
                                  0.20485934513970569,
                                  0.041942382630816837,
                                  0.0060512299094065474,
                                  0.00055889726091403586,
                                  2.539575340366671e-05};
  static constexpr double kErfSmall[] = {
      1.1283791670955126,      -0.37612638903183754,    0.11283791670955123,     -0.026866170645130034,
      0.0052239776254031922,   -0.00085483270161591633, 0.00012055332131175981,  -1.4925586560096415e-05,
      1.6459034327218912e-06,  -1.6273138761686977e-07, 1.3214378238338438e-08};
  static constexpr double kGeluClamp = 38.6;  // |gelu(x)| < 2^-1075 for x < -38.52
};

namespace detail {

// m * e^(hi + lo) * Pc(z) / Q(z) rounded once at the end, where hi + lo == -z'^2 exactly for the caller's
// z' (z or x with z = x / sqrt 2). Pc = kP (erfc) or kHalfP (erfc / 2). 0 <= z <= kZMax.
template <bool kHalf, class D, class V>
HWY_INLINE V ErfcCoreTimes(D d, V z, V hi, V lo, V m) {
  using T = hn::TFromD<D>;
  using EC = ErfcConst<T>;
  const V num = kHalf ? EvalPoly(d, z, EC::kHalfP) : EvalPoly(d, z, EC::kP);
  const V den = EvalPoly(d, z, EC::kQ);
  return ExpPairTimes(d, hi, lo, hn::Div(hn::Mul(m, num), den));
}

}  // namespace detail

// erfc(x) for all x: NaN -> NaN, erfc(-inf) = 2, erfc(+inf) = 0.
template <class D, class V>
HWY_INLINE V ErfcR(D d, V x) {
  using T = hn::TFromD<D>;
  using EC = ErfcConst<T>;
  const V z = hn::Min(hn::Abs(x), hn::Set(d, EC::kZMax));  // NaN handled at the end
  V p, pe;
  TwoProd(d, z, hn::Neg(z), p, pe);
  const V two = hn::Set(d, T{2});
  const V e = detail::ErfcCoreTimes<false>(d, z, p, pe, hn::Set(d, T{1}));
  const V res = hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Sub(two, e), e);
  return hn::IfThenElse(hn::IsNaN(x), x, res);
}

// erf(x): odd, erf(+-0) = +-0, erf(+-inf) = +-1, NaN -> NaN. |x| <= 0.5: x * P(x^2); else 1 - erfc(|x|).
template <class D, class V>
HWY_INLINE V ErfR(D d, V x) {
  using T = hn::TFromD<D>;
  using EC = ErfcConst<T>;
  const V ax = hn::Abs(x);
  const V small = hn::Mul(x, Horner(d, hn::Mul(x, x), EC::kErfSmall));
  const V z = hn::Min(ax, hn::Set(d, EC::kZMax));
  V p, pe;
  TwoProd(d, z, hn::Neg(z), p, pe);
  const V one = hn::Set(d, T{1});
  const V e = detail::ErfcCoreTimes<false>(d, z, p, pe, one);
  const V large = hn::CopySignToAbs(hn::Sub(one, e), x);
  const V res = hn::IfThenElse(hn::Le(ax, hn::Set(d, T(0.5))), small, large);
  return hn::IfThenElse(hn::IsNaN(x), x, res);
}

// GELU (erf form): x * Phi(x) = x * erfc(-x / sqrt 2) / 2.
//   w = a * erfc(a / sqrt 2) / 2 with a = min(|x|, kGeluClamp), e^(-a^2 / 2) from the exact square;
//   x < 0 (sign bit): x * 0 - w (x * 0 turns -inf into NaN like PyTorch and keeps the sign of -0.0);
//   x >= 0: x - w.
// gelu(-inf) = NaN, gelu(+inf) = +inf, gelu(-0.0) = -0.0, NaN -> NaN; full relative accuracy in the
// negative tail (PyTorch's 1 + erf(x / sqrt 2) cancels there).
template <class D, class V>
HWY_INLINE V GeluErfR(D d, V x) {
  using T = hn::TFromD<D>;
  using EC = ErfcConst<T>;
  using C = MathConst<T>;
  const V ax = hn::Min(hn::Abs(x), hn::Set(d, EC::kGeluClamp));  // NaN: any finite value will do
  const V z = hn::Mul(ax, hn::Set(d, static_cast<T>(0.70710678118654752440)));
  V p, pe;
  TwoProd(d, ax, hn::Mul(ax, hn::Set(d, T(-0.5))), p, pe);  // -x^2/2 exactly
  const V num = EvalPoly(d, z, EC::kHalfP);
  const V den = EvalPoly(d, z, EC::kQ);
  // w = |x| Phi(-|x|) >= 0, rounded once.
  const bool fast = hn::AllTrue(d, hn::Ge(p, hn::Set(d, C::kFastMin)));
  const V w = ExpPairTimes(d, p, pe, hn::Div(hn::Mul(ax, num), den), fast);
  // x < 0 (sign bit): x * 0 - w (x * 0 is -0.0, or NaN for -inf and NaN); x >= 0: x - w.
  return hn::Sub(hn::IfNegativeThenElse(x, hn::Mul(x, hn::Zero(d)), x), w);
}

// GELU (tanh form): 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)), 2u = c1 x + c3 x^3 with c1 = 2 sqrt(2 / pi),
// c3 = c1 * 0.044715. 2u is carried as an unevaluated sum hi + lo (error-free products and sums, constants
// split in two), so e^(-2u) stays accurate where 2u is large (PyTorch's 1 + tanh(u) cancels to 0 there).
// gelu_tanh(-inf) = NaN, (+inf) = +inf, (-0.0) = -0.0, NaN -> NaN.
template <typename T>
struct GeluTanhConst;
template <>
struct GeluTanhConst<float> {
  static constexpr float kC1Hi = 1.5957692f, kC1Lo = -4.534068e-08f;
  static constexpr float kC3Hi = 0.071354814f, kC3Lo = 2.3988325e-09f;
  static constexpr float kClamp = 16.0f;  // |2u(16)| > 300: e^(-2u) is 0 / +inf beyond
};
template <>
struct GeluTanhConst<double> {
  static constexpr double kC1Hi = 1.5957691216057308, kC1Lo = -9.96930880911092e-17;
  static constexpr double kC3Hi = 0.07135481627260025, kC3Lo = -6.175149918155315e-19;
  static constexpr double kClamp = 40.0;  // |2u(40)| > 4000
};

template <class D, class V>
HWY_INLINE V GeluTanhR(D d, V x) {
  using T = hn::TFromD<D>;
  using GC = GeluTanhConst<T>;
  using C = MathConst<T>;
  const V lim = hn::Set(d, GC::kClamp);
  const V xc = hn::Min(hn::Max(x, hn::Neg(lim)), lim);
  V x2, x2e;
  TwoProd(d, xc, xc, x2, x2e);
  const V c3h = hn::Set(d, GC::kC3Hi);
  V b, be;
  TwoProd(d, c3h, x2, b, be);
  be = hn::MulAdd(c3h, x2e, hn::MulAdd(hn::Set(d, GC::kC3Lo), x2, be));
  V m, me;
  TwoSum(hn::Set(d, GC::kC1Hi), b, m, me);
  me = hn::Add(me, hn::Add(be, hn::Set(d, GC::kC1Lo)));
  V s, se;
  TwoProd(d, xc, m, s, se);
  se = hn::MulAdd(xc, me, se);
  // E = e^(-|2u|) <= 1 never overflows. u >= 0: x / (1 + E); u < 0: x E / (1 + E), with x E rounded once
  // (no subnormal intermediate) and + x * 0 so that x = -inf gives NaN like PyTorch.
  const hn::RebindToSigned<D> di;
  hn::Vec<decltype(di)> q;
  const V hi = hn::Max(hn::Neg(hn::Abs(s)), hn::Set(d, C::kExpMinWide));
  const V lo = hn::IfNegativeThenElse(s, se, hn::Neg(se));
  const V p = ExpPairParts(d, hi, lo, q);
  V e, xe;
  if (HWY_LIKELY(hn::AllTrue(d, hn::Ge(hi, hn::Set(d, C::kFastMin))))) {
    using TI = hn::TFromD<decltype(di)>;
    const auto qb = hn::Add(q, hn::Set(di, static_cast<TI>(C::kBias)));
    e = detail::ScaleByPow2Normal(d, p, qb);
    xe = detail::ScaleByPow2Normal(d, hn::Mul(p, xc), qb);
  } else {
    e = detail::ScaleByPow2(d, p, q);
    xe = detail::ScaleByPow2(d, hn::Mul(p, xc), q);
  }
  xe = hn::Add(xe, hn::Mul(x, hn::Zero(d)));
  return hn::Div(hn::IfNegativeThenElse(s, xe, x), hn::Add(hn::Set(d, T{1}), e));
}

// ------------------------------------------------------------------------------------------------
// Mish: x * tanh(softplus(x)) = x * n / (n + 2), n = e (e + 2), e = e^x. For large x the ratio is 1
// (x clamped at 20 / 40 before exp); for x < kTail, where e^x would be subnormal, x * e^(x + K) * e^-K
// keeps full precision (taken only when a lane needs it). mish(-inf) = NaN, mish(+inf) = +inf, NaN -> NaN.
template <typename T>
struct MishConst;
template <>
struct MishConst<float> {
  static constexpr float kExpClamp = 20.0f, kTail = -80.0f, kShift = 64.0f, kExpNegShift = 1.6038109e-28f;
};
template <>
struct MishConst<double> {
  static constexpr double kExpClamp = 40.0, kTail = -700.0, kShift = 512.0,
                          kExpNegShift = 4.377491037053051e-223;
};

template <class D, class V>
HWY_INLINE V MishR(D d, V x) {
  using T = hn::TFromD<D>;
  using MC = MishConst<T>;
  const V two = hn::Set(d, T{2});
  // Lanes below kTail (where e^x would be subnormal) are replaced by the tail formula below.
  const V e = ExpR</*kFlushTiny=*/true>(d, MinKeepX(hn::Set(d, MC::kExpClamp), x));
  const V n = hn::MulAdd(e, e, hn::Add(e, e));  // e (e + 2), rounded once
  V res = hn::Mul(x, hn::Div(n, hn::Add(n, two)));
  const auto tail = hn::Lt(x, hn::Set(d, MC::kTail));
  if (HWY_UNLIKELY(!hn::AllFalse(d, tail))) {
    // x + kShift is exact for x in [-2 kShift, -kShift / 2]; below that e^(x + kShift) is 0 anyway.
    const V alt = hn::Mul(hn::Mul(x, ExpR(d, hn::Add(x, hn::Set(d, MC::kShift)))), hn::Set(d, MC::kExpNegShift));
    res = hn::IfThenElse(tail, alt, res);
  }
  return res;
}

// log(1 + e^y) for any y, without overflow: max(y, 0) + log1p(e^-|y|). NaN -> NaN.
template <class D, class V>
HWY_INLINE V Log1pExpR(D d, V y) {
  const V l = hn::Log1p(d, ExpR(d, hn::Neg(hn::Abs(y))));
  return hn::Add(MaxKeepX(hn::Zero(d), y), l);
}

// min(x, 0) - log1p(e^-|x|). logsigmoid(-inf) = -inf, logsigmoid(+inf) = 0, NaN -> NaN.
template <class D, class V>
HWY_INLINE V LogSigmoidR(D d, V x) {
  const V l = hn::Log1p(d, ExpR(d, hn::Neg(hn::Abs(x))));
  return hn::Sub(MinKeepX(hn::Zero(d), x), l);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectifier::simd
HWY_AFTER_NAMESPACE();

#endif  // RECTIFIER_KERNELS_SIMD_SIMD_MATH_INL_H_ toggle
