// Rectifier's vectorised activation kernels (Google Highway 1.0.3, dispatched at run time).
//
// Targets: AVX3 (AVX-512), AVX2, SSE4 and the portable fallback (HWY_SCALAR with GCC < 12.3, whose EMU128
// Highway marks broken, EMU128 otherwise); SSSE3 and AVX3_DL are disabled below to keep compile time and
// code size down. The file re-includes itself once per target through hwy/foreach_target.h; the public
// functions at the end dispatch to the best target the CPU supports (TargetName() reports it).
//
// Semantics are PyTorch 1.13's CPU formulas as listed in kernels/elementwise_op.h:
//  * Piecewise-linear functions (relu, leaky_relu, hardtanh/relu6, threshold, prelu, crelu, hardswish,
//    hardsigmoid) are bit-exact with PyTorch, including NaN propagation and the sign of zero: the
//    selections are written as the same compares PyTorch's AVX2 code performs (MAXPS/MINPS operand order,
//    see MaxKeepX/MinKeepX in simd_math-inl.h) and the arithmetic is the same rounded operations in the
//    same order (hardswish is (x * m) / 6, not x * m * (1/6)). hardtanh follows torch.clamp
//    (min(max(x, a), b)), which is the table's formula whenever min_val <= max_val (for min_val > max_val
//    PyTorch returns max_val everywhere, and so do we).
//  * Smooth functions are computed with our own vector math (simd_math-inl.h) to a few ulp of the exact
//    result (measured maxima vs a quad-precision reference: gelu (erf) <= 5 ulp float32 / 6 ulp float64,
//    mish <= 3.7, everything else <= 2.8; half types are correctly rounded or off by at most 0.5 ulp plus
//    a float32 ulp), following PyTorch's behaviour at +-inf, NaN and overflow (silu(-inf) = NaN,
//    sigmoid(-100) = 0 and silu(-100) = -0.0 in float32 because PyTorch's exp(100) overflows, ...). Where
//    PyTorch's formula loses accuracy we evaluate a mathematically equal, stable form instead: expm1 for elu
//    (PyTorch 1.13 uses exp(x) - 1, so e.g. elu(-1e-10) differs below PyTorch's precision), erfc for gelu's
//    negative tail (PyTorch/oneDNN return 0 or a few correct bits below x ~ -5), double-word 2u for
//    gelu(tanh) (PyTorch's 1 + tanh(u) cancels), x e^x for mish's far tail, and max(y, 0) + log1p(e^-|y|)
//    for softplus (PyTorch overflows to inf when threshold > ~88 and x*beta is in between; we return the
//    finite value).
//  * float16 / bfloat16 are widened to float32, computed in float32 and rounded to nearest even (NaN stays
//    a NaN, overflow goes to +-inf, subnormals are kept; Highway 1.0.3's bfloat16 DemoteTo truncates and
//    its non-F16C float16 conversions mishandle inf/NaN/rounding, so both are done here). Parameters follow
//    PyTorch's dtype handling: threshold, hardtanh bounds and prelu weights are first rounded to the half
//    type (PyTorch converts the Scalar / weight tensor to the tensor's dtype), the other parameters stay
//    float. relu and crelu on half types work directly on the bits (exact, NaN payloads preserved).
//
// Memory: no heap allocation. Tails are handled with masked loads/stores where the hardware really masks
// (AVX-512 for all lane sizes, AVX2 for 32/64-bit lanes) and otherwise through a small stack buffer with
// memcpy, so no byte outside [in, in + count) / [out, out + count) is ever read or written (no
// read-modify-write of neighbouring elements, which other threads may own). CReLU rows use overlapping
// full-vector stores that stay inside the call's own output. Piecewise-linear kernels use non-temporal
// stores when one call's output is at least kStreamMinBytes (16 MiB: below that, input and output usually
// still fit the last-level cache and normal stores are faster) and not in place.
#ifndef HWY_DISABLED_TARGETS
// SSSE3 brings nothing over the EMU128 fallback for us; AVX3_DL is not compiled by default in 1.0.3
// (only with HWY_WANT_AVX3_DL) but is listed for clarity.
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_AVX3_DL)
#endif

#include "kernels/simd/simd_kernels.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd/simd_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "hwy/targets.h"
#include "kernels/simd/simd_math-inl.h"

// ------------------------------------------------------------------------------------------------
// Target-independent scalar helpers (compiled once).
#ifndef RECTIFIER_KERNELS_SIMD_SCALAR_HELPERS_
#define RECTIFIER_KERNELS_SIMD_SCALAR_HELPERS_
namespace rectifier::simd::scalar {

// Output buffers at least this large (per call) and not in place get non-temporal stores in the
// piecewise-linear kernels. The caller splits big tensors across threads; each call sees its share.
#ifndef RECTIFIER_SIMD_STREAM_MIN_BYTES
#define RECTIFIER_SIMD_STREAM_MIN_BYTES (size_t{16} << 20)
#endif
inline constexpr size_t kStreamMinBytes = RECTIFIER_SIMD_STREAM_MIN_BYTES;

inline uint32_t BitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
inline float FloatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// float -> bfloat16, round to nearest even; NaN -> quiet NaN with the same sign.
inline uint16_t F32ToBF16Bits(float f) {
  uint32_t u = BitsOf(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float BF16BitsToF32(uint16_t b) { return FloatOf(static_cast<uint32_t>(b) << 16); }

// float -> IEEE half, round to nearest even, overflow -> inf, NaN -> quiet NaN (F. Giesen's method).
inline uint16_t F32ToF16Bits(float f) {
  uint32_t u = BitsOf(f);
  const uint32_t sign = u & 0x80000000u;
  u ^= sign;
  uint32_t o;
  if (u >= 0x47800000u) {  // >= 65536 (rounds to inf), inf or NaN
    o = u > 0x7F800000u ? 0x7E00u : 0x7C00u;
  } else if (u < (113u << 23)) {  // half subnormal or zero: let the FPU round against 0.5
    const uint32_t magic = 126u << 23;
    o = BitsOf(FloatOf(u) + FloatOf(magic)) - magic;
  } else {
    const uint32_t mant_odd = (u >> 13) & 1u;
    u += (0u - (112u << 23)) + 0xFFFu;
    u += mant_odd;
    o = u >> 13;
  }
  return static_cast<uint16_t>(o | (sign >> 16));
}
inline float F16BitsToF32(uint16_t h) {
  const uint32_t shifted_exp = 0x7C00u << 13;
  uint32_t o = (static_cast<uint32_t>(h) & 0x7FFFu) << 13;
  const uint32_t exp = shifted_exp & o;
  o += (127u - 15u) << 23;
  if (exp == shifted_exp) {
    o += (128u - 16u) << 23;  // inf / NaN
  } else if (exp == 0) {
    o += 1u << 23;  // zero / subnormal: renormalise
    o = BitsOf(FloatOf(o) - FloatOf(113u << 23));
  }
  return FloatOf(o | ((static_cast<uint32_t>(h) & 0x8000u) << 16));
}

// relu on the bits of a half-precision value (kInf = 0x7F80 for bfloat16, 0x7C00 for float16): negative
// numbers (not -0.0, not NaN) become +0.0, everything else is kept bit for bit.
template <uint16_t kInf>
inline uint16_t HalfReluBits(uint16_t b) {
  const uint16_t mag = b & 0x7FFFu;
  return ((b & 0x8000u) && mag != 0 && mag <= kInf) ? uint16_t{0} : b;
}

}  // namespace rectifier::simd::scalar
#endif  // RECTIFIER_KERNELS_SIMD_SCALAR_HELPERS_

HWY_BEFORE_NAMESPACE();
namespace rectifier::simd {
namespace HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

// ------------------------------------------------------------------------------------------------
// Partial vectors (tails): hardware masking where it is truly masked, else a stack buffer + memcpy.

template <size_t kLaneBytes>
constexpr bool NativeMasking() {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  return true;
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
  return kLaneBytes >= 4;  // VMASKMOV exists for 32/64-bit lanes only
#else
  return false;  // SSE4 / EMU128: Highway's MaskedLoad would read a full vector
#endif
}

// Loads the first n (< Lanes) elements of p, zeroing the other lanes.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> LoadN(D d, const T* p, size_t n) {
  if constexpr (NativeMasking<sizeof(T)>()) {
    return hn::MaskedLoad(hn::FirstN(d, n), d, p);
  } else {
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
    std::memcpy(buf, p, n * sizeof(T));
    return hn::Load(d, buf);
  }
}

// Stores the first n (< Lanes) lanes of v to p, touching nothing else.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void StoreN(D d, hn::Vec<D> v, T* p, size_t n) {
  if constexpr (NativeMasking<sizeof(T)>()) {
    hn::BlendedStore(v, hn::FirstN(d, n), d, p);
  } else {
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)];
    hn::Store(v, d, buf);
    std::memcpy(p, buf, n * sizeof(T));
  }
}

// ------------------------------------------------------------------------------------------------
// Half-precision <-> float32 vector conversions.

// bfloat16 bits (u16 lanes, half as many bytes as DF) -> float.
template <class DF>
HWY_INLINE hn::Vec<DF> PromoteBF16(DF df, hn::Vec<hn::Rebind<uint16_t, DF>> v) {
  const hn::RebindToUnsigned<DF> du;
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du, v)));
}

// How a float32 result is narrowed to bfloat16.
enum class Narrowing {
  kExact,    // the value is a bfloat16 already (selections: hardtanh, threshold): truncate
  kRound,    // round to nearest even; NaNs have zero low 16 bits (they come from bfloat16 inputs or are
             // the default NaN), so rounding cannot turn them into infinities (piecewise-linear kernels)
  kRoundNaN  // round to nearest even and quiet any NaN explicitly (smooth kernels)
};

// float -> bfloat16 bits (Highway 1.0.3's DemoteTo truncates).
template <Narrowing kNarrowing, class DF>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, DF>> DemoteBF16(DF /*df*/, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const auto bits = hn::BitCast(du, v);
  auto r = hn::ShiftRight<16>(bits);
  if constexpr (kNarrowing != Narrowing::kExact) {
    const auto lsb = hn::And(r, hn::Set(du, 1u));
    const auto rounded = hn::ShiftRight<16>(hn::Add(hn::Add(bits, hn::Set(du, 0x7FFFu)), lsb));
    if constexpr (kNarrowing == Narrowing::kRoundNaN) {
      r = hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), hn::Or(r, hn::Set(du, 0x40u)), rounded);
    } else {
      r = rounded;
    }
  }
  return hn::DemoteTo(hn::Rebind<uint16_t, DF>(), hn::BitCast(di, r));  // all values <= 0xFFFF
}

#undef RECTIFIER_SIMD_F16C
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
#define RECTIFIER_SIMD_F16C 1
#else
#define RECTIFIER_SIMD_F16C 0
#endif

template <class DF>
HWY_INLINE hn::Vec<DF> PromoteF16(DF df, hn::Vec<hn::Rebind<uint16_t, DF>> v) {
#if RECTIFIER_SIMD_F16C
  return hn::PromoteTo(df, hn::BitCast(hn::Rebind<hwy::float16_t, DF>(), v));  // VCVTPH2PS: exact
#else
  // Highway's emulation mishandles inf/NaN; F. Giesen's half_to_float instead.
  const hn::RebindToUnsigned<DF> du;
  const auto h = hn::PromoteTo(du, v);
  const auto kShiftedExp = hn::Set(du, 0x7C00u << 13);
  auto o = hn::ShiftLeft<13>(hn::And(h, hn::Set(du, 0x7FFFu)));
  const auto exp = hn::And(o, kShiftedExp);
  o = hn::Add(o, hn::Set(du, (127u - 15u) << 23));
  o = hn::IfThenElse(hn::Eq(exp, kShiftedExp), hn::Add(o, hn::Set(du, (128u - 16u) << 23)), o);
  const auto den = hn::BitCast(du, hn::Sub(hn::BitCast(df, hn::Add(o, hn::Set(du, 1u << 23))),
                                           hn::BitCast(df, hn::Set(du, 113u << 23))));
  o = hn::IfThenElse(hn::Eq(exp, hn::Zero(du)), den, o);
  o = hn::Or(o, hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000u))));
  return hn::BitCast(df, o);
#endif
}

template <class DF>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, DF>> DemoteF16(DF df, hn::Vec<DF> v) {
#if RECTIFIER_SIMD_F16C
  (void)df;
  return hn::BitCast(hn::Rebind<uint16_t, DF>(), hn::DemoteTo(hn::Rebind<hwy::float16_t, DF>(), v));
#else
  // Highway's emulation truncates and mishandles overflow/NaN; F. Giesen's float_to_half_fast3_rtne.
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  auto u = hn::BitCast(du, v);
  const auto sign = hn::And(u, hn::Set(du, 0x80000000u));
  u = hn::Xor(u, sign);
  const auto ui = hn::BitCast(di, u);  // non-negative
  const auto is_big = hn::RebindMask(du, hn::Gt(ui, hn::Set(di, 0x477FFFFF)));
  const auto big = hn::IfThenElse(hn::RebindMask(du, hn::Gt(ui, hn::Set(di, 0x7F800000))),
                                  hn::Set(du, 0x7E00u), hn::Set(du, 0x7C00u));
  const auto is_sub = hn::RebindMask(du, hn::Lt(ui, hn::Set(di, 113 << 23)));
  const auto magic = hn::Set(du, 126u << 23);
  const auto sub = hn::Sub(hn::BitCast(du, hn::Add(hn::BitCast(df, u), hn::BitCast(df, magic))), magic);
  const auto mant_odd = hn::And(hn::ShiftRight<13>(u), hn::Set(du, 1u));
  const auto nrm =
      hn::ShiftRight<13>(hn::Add(hn::Add(u, hn::Set(du, (0u - (112u << 23)) + 0xFFFu)), mant_odd));
  auto o = hn::IfThenElse(is_big, big, hn::IfThenElse(is_sub, sub, nrm));
  o = hn::Or(o, hn::ShiftRight<16>(sign));
  return hn::DemoteTo(hn::Rebind<uint16_t, DF>(), hn::BitCast(di, o));
#endif
}

// ------------------------------------------------------------------------------------------------
// Element I/O policies: how a vector of compute lanes (C) is read from `In` and written to `Out`.

template <typename T>
struct NativeIO {  // float, double and integer types computed in their own type
  using In = T;
  using Out = T;
  using C = T;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const In* p) {
    return hn::LoadU(d, p);
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> LoadPartial(D d, const In* p, size_t n) {
    return LoadN(d, p, n);
  }
  template <class D>
  static HWY_INLINE void Store(D d, hn::Vec<D> v, Out* p) {
    hn::StoreU(v, d, p);
  }
  template <class D>
  static HWY_INLINE void StorePartial(D d, hn::Vec<D> v, Out* p, size_t n) {
    StoreN(d, v, p, n);
  }
  template <class D>
  static HWY_INLINE void Stream(D d, hn::Vec<D> v, Out* p) {
    hn::Stream(v, d, p);
  }
  static C Param(double v) { return static_cast<C>(v); }
};

template <bool kBF16, Narrowing kNarrowing>
struct HalfIO {  // bfloat16 / float16 bits, computed in float32
  using In = uint16_t;
  using Out = uint16_t;
  using C = float;
  template <class D>
  static HWY_INLINE hn::Vec<D> Widen(D d, hn::Vec<hn::Rebind<uint16_t, D>> v) {
    if constexpr (kBF16) {
      return PromoteBF16(d, v);
    } else {
      return PromoteF16(d, v);
    }
  }
  template <class D>
  static HWY_INLINE hn::Vec<hn::Rebind<uint16_t, D>> Narrow(D d, hn::Vec<D> v) {
    if constexpr (kBF16) {
      return DemoteBF16<kNarrowing>(d, v);
    } else {
      return DemoteF16(d, v);
    }
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const In* p) {
    return Widen(d, hn::LoadU(hn::Rebind<uint16_t, D>(), p));
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> LoadPartial(D d, const In* p, size_t n) {
    return Widen(d, LoadN(hn::Rebind<uint16_t, D>(), p, n));
  }
  template <class D>
  static HWY_INLINE void Store(D d, hn::Vec<D> v, Out* p) {
    hn::StoreU(Narrow(d, v), hn::Rebind<uint16_t, D>(), p);
  }
  template <class D>
  static HWY_INLINE void StorePartial(D d, hn::Vec<D> v, Out* p, size_t n) {
    StoreN(hn::Rebind<uint16_t, D>(), Narrow(d, v), p, n);
  }
  template <class D>
  static HWY_INLINE void Stream(D d, hn::Vec<D> v, Out* p) {
    hn::Stream(Narrow(d, v), hn::Rebind<uint16_t, D>(), p);
  }
  // A parameter as PyTorch sees it after converting it to the tensor's dtype.
  static C Param(double v) {
    const float f = static_cast<float>(v);
    if constexpr (kBF16) {
      return scalar::BF16BitsToF32(scalar::F32ToBF16Bits(f));
    } else {
      return scalar::F16BitsToF32(scalar::F32ToF16Bits(f));
    }
  }
};

// IO policies per dtype, selected by how results are narrowed (only matters for bfloat16).
template <typename T>
struct NativeFamily {
  template <Narrowing>
  using IO = NativeIO<T>;
};
template <bool kBF16>
struct HalfFamily {
  template <Narrowing kNarrowing>
  using IO = HalfIO<kBF16, kNarrowing>;
};

template <typename TI>
struct IntToF32IO {  // integer input, float32 output (sigmoid / tanh of integer tensors)
  using In = TI;
  using Out = float;
  using C = float;
  template <class D>
  static HWY_INLINE hn::Vec<D> Convert(D d, hn::Vec<hn::Rebind<TI, D>> v) {
    if constexpr (sizeof(TI) == 4) {
      return hn::ConvertTo(d, v);  // round to nearest even, like static_cast<float>
    } else {
      return hn::ConvertTo(d, hn::PromoteTo(hn::Rebind<int32_t, D>(), v));  // exact
    }
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const In* p) {
    if constexpr (sizeof(TI) == 8) {
      // Highway 1.0.3 has no int64 -> float32 conversion. For |v| < 2^51, v -> double is exact with the
      // magic-number trick and double -> float is then the only rounding, as in static_cast<float>;
      // otherwise convert in scalar code (going through double would round twice).
#if HWY_TARGET != HWY_SCALAR
      const hn::Half<D> dh;
      const hn::Rebind<int64_t, decltype(dh)> di64;
      const hn::Rebind<double, decltype(dh)> dd;
      const auto lo = hn::LoadU(di64, p);
      const auto hi = hn::LoadU(di64, p + hn::Lanes(dh));
      const auto lim = hn::Set(di64, int64_t{1} << 51);
      const auto neg_lim = hn::Set(di64, -(int64_t{1} << 51));
      const auto in_range =
          hn::And(hn::And(hn::Lt(lo, lim), hn::Gt(lo, neg_lim)), hn::And(hn::Lt(hi, lim), hn::Gt(hi, neg_lim)));
      if (HWY_LIKELY(hn::AllTrue(di64, in_range))) {
        const auto magic_bits = hn::Set(di64, int64_t{0x4338000000000000});  // 1.5 * 2^52
        const auto magic = hn::BitCast(dd, magic_bits);
        const auto dlo = hn::Sub(hn::BitCast(dd, hn::Add(lo, magic_bits)), magic);
        const auto dhi = hn::Sub(hn::BitCast(dd, hn::Add(hi, magic_bits)), magic);
        return hn::Combine(d, hn::DemoteTo(dh, dhi), hn::DemoteTo(dh, dlo));
      }
#endif
      HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)];
      for (size_t k = 0; k < hn::Lanes(d); ++k) buf[k] = static_cast<float>(p[k]);
      return hn::Load(d, buf);
    } else {
      return Convert(d, hn::LoadU(hn::Rebind<TI, D>(), p));
    }
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> LoadPartial(D d, const In* p, size_t n) {
    if constexpr (sizeof(TI) == 8) {
      HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)] = {};
      for (size_t k = 0; k < n; ++k) buf[k] = static_cast<float>(p[k]);
      return hn::Load(d, buf);
    } else {
      return Convert(d, LoadN(hn::Rebind<TI, D>(), p, n));
    }
  }
  template <class D>
  static HWY_INLINE void Store(D d, hn::Vec<D> v, Out* p) {
    hn::StoreU(v, d, p);
  }
  template <class D>
  static HWY_INLINE void StorePartial(D d, hn::Vec<D> v, Out* p, size_t n) {
    StoreN(d, v, p, n);
  }
  template <class D>
  static HWY_INLINE void Stream(D d, hn::Vec<D> v, Out* p) {
    hn::Stream(v, d, p);
  }
};

// ------------------------------------------------------------------------------------------------
// The element loop.

template <class IO, bool kStream, class Op>
HWY_INLINE void UnaryLoop(const typename IO::In* in, typename IO::Out* out, size_t count, const Op& op) {
  using C = typename IO::C;
  using Out = typename IO::Out;
  const hn::ScalableTag<C> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if constexpr (kStream) {
    // Peel until `out` is aligned to a whole vector of Out (the caller checked element alignment).
    const size_t vec_bytes = N * sizeof(Out);
    const size_t mis = reinterpret_cast<uintptr_t>(out) % vec_bytes;
    const size_t head = std::min(count, mis == 0 ? size_t{0} : (vec_bytes - mis) / sizeof(Out));
    if (head != 0) IO::StorePartial(d, op(d, IO::LoadPartial(d, in, head)), out, head);
    i = head;
    for (; i + 2 * N <= count; i += 2 * N) {
      const auto v0 = op(d, IO::Load(d, in + i));
      const auto v1 = op(d, IO::Load(d, in + i + N));
      IO::Stream(d, v0, out + i);
      IO::Stream(d, v1, out + i + N);
    }
    for (; i + N <= count; i += N) IO::Stream(d, op(d, IO::Load(d, in + i)), out + i);
  } else {
    for (; i + 2 * N <= count; i += 2 * N) {
      const auto v0 = op(d, IO::Load(d, in + i));
      const auto v1 = op(d, IO::Load(d, in + i + N));
      IO::Store(d, v0, out + i);
      IO::Store(d, v1, out + i + N);
    }
    for (; i + N <= count; i += N) IO::Store(d, op(d, IO::Load(d, in + i)), out + i);
  }
  if (i < count) IO::StorePartial(d, op(d, IO::LoadPartial(d, in + i, count - i)), out + i, count - i);
  if constexpr (kStream) hwy::FlushStream();
}

// Memory-bound kernels: streaming stores for big out-of-place outputs.
template <class IO, class Op>
HWY_NOINLINE void RunPiecewise(const Op& op, const void* in, void* out, size_t count) {
  using Out = typename IO::Out;
  const auto* pin = static_cast<const typename IO::In*>(in);
  auto* pout = static_cast<Out*>(out);
  if (count * sizeof(Out) >= scalar::kStreamMinBytes && in != out &&
      reinterpret_cast<uintptr_t>(out) % sizeof(Out) == 0) {
    UnaryLoop<IO, true>(pin, pout, count, op);
  } else {
    UnaryLoop<IO, false>(pin, pout, count, op);
  }
}

// Compute-bound kernels.
template <class IO, class Op>
HWY_NOINLINE void RunSmooth(const Op& op, const void* in, void* out, size_t count) {
  UnaryLoop<IO, false>(static_cast<const typename IO::In*>(in), static_cast<typename IO::Out*>(out),
                       count, op);
}

// ------------------------------------------------------------------------------------------------
// Element functions. operator()(d, x) maps a vector of compute lanes.

struct ReluOp {  // x < 0 ? 0 : x
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return MaxKeepX(hn::Zero(d), x);
  }
};

template <typename T>
struct LeakyReluOp {  // x > 0 ? x : x * a
  T a;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(x, hn::Set(d, a)));
  }
};

template <typename T>
struct EluOp {  // x > 0 ? x * s : (s * a) * expm1(x * c) + 0.0
  T negcoef, poscoef, inscale;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const auto positive = hn::Gt(x, hn::Zero(d));
    const V pos = hn::Mul(x, hn::Set(d, poscoef));
    if (hn::AllTrue(d, positive)) return pos;
    const V em1 = Expm1R(d, hn::Mul(x, hn::Set(d, inscale)));
    const V neg = hn::Add(hn::Mul(em1, hn::Set(d, negcoef)), hn::Zero(d));  // + 0.0: elu(-0.0) = +0.0
    return hn::IfThenElse(positive, pos, neg);
  }
};

template <typename T>
struct HardtanhOp {  // torch.clamp: min(max(x, lo), hi), NaN stays NaN
  T lo, hi;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return MinKeepX(hn::Set(d, hi), MaxKeepX(hn::Set(d, lo), x));
  }
};

struct GeluErfOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return GeluErfR(d, x);
  }
};

struct GeluTanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return GeluTanhR(d, x);
  }
};

struct SiluOp {  // x / (1 + e^-x)
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    using T = hn::TFromD<D>;
    return hn::Div(x, hn::Add(hn::Set(d, T{1}), ExpR</*kFlushTiny=*/true>(d, hn::Neg(x))));
  }
};

struct MishOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return MishR(d, x);
  }
};

struct SigmoidOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return SigmoidR(d, x);
  }
};

struct TanhOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return TanhR(d, x);
  }
};

template <typename T>
struct SoftplusOp {  // x * beta > threshold ? x : log(1 + e^(x * beta)) / beta
  T beta, threshold;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V vbeta = hn::Set(d, beta);
    const V y = hn::Mul(x, vbeta);
    const V soft = hn::Div(Log1pExpR(d, y), vbeta);
    return hn::IfThenElse(hn::Gt(y, hn::Set(d, threshold)), x, soft);
  }
};

struct HardswishOp {  // x * min(max(x + 3, 0), 6) / 6
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    using T = hn::TFromD<D>;
    const V six = hn::Set(d, T{6});
    const V m = MinKeepX(six, MaxKeepX(hn::Zero(d), hn::Add(x, hn::Set(d, T{3}))));
    return hn::Div(hn::Mul(x, m), six);
  }
};

struct HardsigmoidOp {  // min(max(x + 3, 0), 6) / 6
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    using T = hn::TFromD<D>;
    const V six = hn::Set(d, T{6});
    return hn::Div(MinKeepX(six, MaxKeepX(hn::Zero(d), hn::Add(x, hn::Set(d, T{3})))), six);
  }
};

struct LogsigmoidOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return LogSigmoidR(d, x);
  }
};

template <typename T>
struct ThresholdOp {  // x <= threshold ? value : x
  T threshold, value;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenElse(hn::Le(x, hn::Set(d, threshold)), hn::Set(d, value), x);
  }
};

// relu on half-precision bits (int16 lanes): negative, non-zero, non-NaN values become +0.0. As int16,
// those are exactly the values in (INT16_MIN, kNegInf] (INT16_MIN is -0.0, kNegInf the bits of -inf).
template <int16_t kNegInf>
struct HalfReluBitsOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const auto negative = hn::And(hn::Gt(x, hn::Set(d, int16_t{-32768})), hn::Lt(x, hn::Set(d, static_cast<int16_t>(kNegInf + 1))));
    return hn::IfThenZeroElse(negative, x);
  }
};
constexpr int16_t kBF16NegInf = static_cast<int16_t>(-128);   // 0xFF80
constexpr int16_t kF16NegInf = static_cast<int16_t>(-1024);   // 0xFC00

struct IntReluOp {  // signed integers
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::Max(hn::Zero(d), x);
  }
};

template <typename T>
struct IntHardtanhOp {
  T lo, hi;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::Min(hn::Max(x, hn::Set(d, lo)), hn::Set(d, hi));
  }
};

template <typename T>
struct IntThresholdOp {
  T threshold, value;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenElse(hn::Gt(x, hn::Set(d, threshold)), x, hn::Set(d, value));
  }
};

// ------------------------------------------------------------------------------------------------
// Elementwise.

template <class Family>
void ElementwiseFloat(const ElementwiseOp& op, const void* in, void* out, size_t count) {
  using Exact = typename Family::template IO<Narrowing::kExact>;
  using Round = typename Family::template IO<Narrowing::kRound>;
  using Smooth = typename Family::template IO<Narrowing::kRoundNaN>;
  using C = typename Smooth::C;
  switch (op.fn) {
    case ElementwiseFn::kRelu:
      return RunPiecewise<Exact>(ReluOp{}, in, out, count);
    case ElementwiseFn::kLeakyRelu:
      return RunPiecewise<Round>(LeakyReluOp<C>{static_cast<C>(op.a)}, in, out, count);
    case ElementwiseFn::kElu: {
      const C negcoef = static_cast<C>(static_cast<C>(op.a) * static_cast<C>(op.scale));  // as PyTorch
      return RunSmooth<Smooth>(EluOp<C>{negcoef, static_cast<C>(op.scale), static_cast<C>(op.input_scale)},
                               in, out, count);
    }
    case ElementwiseFn::kHardtanh:
      return RunPiecewise<Exact>(HardtanhOp<C>{Exact::Param(op.a), Exact::Param(op.b)}, in, out, count);
    case ElementwiseFn::kGeluErf:
      return RunSmooth<Smooth>(GeluErfOp{}, in, out, count);
    case ElementwiseFn::kGeluTanh:
      return RunSmooth<Smooth>(GeluTanhOp{}, in, out, count);
    case ElementwiseFn::kSilu:
      return RunSmooth<Smooth>(SiluOp{}, in, out, count);
    case ElementwiseFn::kMish:
      return RunSmooth<Smooth>(MishOp{}, in, out, count);
    case ElementwiseFn::kSigmoid:
      return RunSmooth<Smooth>(SigmoidOp{}, in, out, count);
    case ElementwiseFn::kTanh:
      return RunSmooth<Smooth>(TanhOp{}, in, out, count);
    case ElementwiseFn::kSoftplus:
      return RunSmooth<Smooth>(SoftplusOp<C>{static_cast<C>(op.a), static_cast<C>(op.b)}, in, out, count);
    case ElementwiseFn::kHardswish:
      return RunPiecewise<Round>(HardswishOp{}, in, out, count);
    case ElementwiseFn::kHardsigmoid:
      return RunPiecewise<Round>(HardsigmoidOp{}, in, out, count);
    case ElementwiseFn::kLogsigmoid:
      return RunSmooth<Smooth>(LogsigmoidOp{}, in, out, count);
    case ElementwiseFn::kThreshold:
      return RunPiecewise<Exact>(ThresholdOp<C>{Exact::Param(op.a), Exact::Param(op.b)}, in, out, count);
  }
}

void ElementwiseImpl(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count) {
  if (count == 0) return;
  switch (dtype) {
    case DataType::kFloat32:
      return ElementwiseFloat<NativeFamily<float>>(op, in, out, count);
    case DataType::kFloat64:
      return ElementwiseFloat<NativeFamily<double>>(op, in, out, count);
    case DataType::kBFloat16:
      if (op.fn == ElementwiseFn::kRelu) {
        return RunPiecewise<NativeIO<int16_t>>(HalfReluBitsOp<kBF16NegInf>{}, in, out, count);
      }
      return ElementwiseFloat<HalfFamily<true>>(op, in, out, count);
    case DataType::kFloat16:
      if (op.fn == ElementwiseFn::kRelu) {
        return RunPiecewise<NativeIO<int16_t>>(HalfReluBitsOp<kF16NegInf>{}, in, out, count);
      }
      return ElementwiseFloat<HalfFamily<false>>(op, in, out, count);
    default:
      return;  // integer dtypes go through ElementwiseInteger
  }
}

// static_cast<TI>(v) (truncation toward zero, as PyTorch converts the Scalar) for values the caller has
// checked to fit; saturates instead of invoking undefined behaviour if one does not (NaN -> 0).
template <typename TI>
TI TruncateParam(double v) {
  if (!(v == v)) return TI{0};
  if (v <= static_cast<double>(hwy::LimitsMin<TI>())) return hwy::LimitsMin<TI>();
  if (v >= static_cast<double>(hwy::LimitsMax<TI>())) return hwy::LimitsMax<TI>();
  return static_cast<TI>(v);
}

template <typename TI>
void ElementwiseIntegerTyped(const ElementwiseOp& op, const void* in, void* out, size_t count) {
  switch (op.fn) {
    case ElementwiseFn::kRelu:
      if constexpr (hwy::IsSigned<TI>()) {
        return RunPiecewise<NativeIO<TI>>(IntReluOp{}, in, out, count);
      } else {
        if (in != out) std::memcpy(out, in, count * sizeof(TI));  // relu is the identity on uint8
        return;
      }
    case ElementwiseFn::kHardtanh:
      return RunPiecewise<NativeIO<TI>>(IntHardtanhOp<TI>{TruncateParam<TI>(op.a), TruncateParam<TI>(op.b)}, in,
                                        out, count);
    case ElementwiseFn::kThreshold:
      return RunPiecewise<NativeIO<TI>>(IntThresholdOp<TI>{TruncateParam<TI>(op.a), TruncateParam<TI>(op.b)},
                                        in, out, count);
    case ElementwiseFn::kSigmoid:
      return RunSmooth<IntToF32IO<TI>>(SigmoidOp{}, in, out, count);
    case ElementwiseFn::kTanh:
      return RunSmooth<IntToF32IO<TI>>(TanhOp{}, in, out, count);
    default:
      return;  // not defined on integers (validation rejects it)
  }
}

void ElementwiseIntegerImpl(const ElementwiseOp& op, DataType dtype, const void* in, void* out,
                            size_t count) {
  if (count == 0) return;
  switch (dtype) {
    case DataType::kInt8:
      return ElementwiseIntegerTyped<int8_t>(op, in, out, count);
    case DataType::kUInt8:
      return ElementwiseIntegerTyped<uint8_t>(op, in, out, count);
    case DataType::kInt16:
      return ElementwiseIntegerTyped<int16_t>(op, in, out, count);
    case DataType::kInt32:
      return ElementwiseIntegerTyped<int32_t>(op, in, out, count);
    case DataType::kInt64:
      return ElementwiseIntegerTyped<int64_t>(op, in, out, count);
    default:
      return;
  }
}

// ------------------------------------------------------------------------------------------------
// PReLU over [outer, channels, inner]: x > 0 ? x : w[c] * x.
//
// Three layouts, chosen by the period P = channels * inner of the weight pattern along the flat index:
//  1. inner >= lanes: per (outer, channel) block with the weight broadcast (NCHW-like inputs). No set-up:
//     an expanded weight buffer would cost as many writes as a single-row tensor has elements;
//  2. lcm(P, lanes) <= kWeightBuf: one pass over the flat tensor with a precomputed periodic weight vector
//     buffer (covers [N, C] inputs with small C);
//  3. otherwise (large C, tiny inner, e.g. [N, C] with big C): rows processed in chunks of kWeightBuf
//     elements with the expanded weights of that chunk in a stack buffer, reused for every row.

constexpr size_t kWeightBuf = 2048;

template <class D, class V>
HWY_INLINE V PreluVec(D d, V x, V w) {
  return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::Mul(w, x));
}

template <class IO>
HWY_NOINLINE void PreluTyped(const void* in_v, void* out_v, size_t outer, size_t channels, size_t inner,
                             const double* weights) {
  using C = typename IO::C;
  const auto* in = static_cast<const typename IO::In*>(in_v);
  auto* out = static_cast<typename IO::Out*>(out_v);
  const hn::ScalableTag<C> d;
  const size_t N = hn::Lanes(d);
  const size_t period = channels * inner;
  if (outer == 0 || period == 0) return;
  HWY_ALIGN C wbuf[kWeightBuf];

  if (inner >= N) {
    for (size_t o = 0; o < outer; ++o) {
      for (size_t c = 0; c < channels; ++c) {
        const auto w = hn::Set(d, IO::Param(weights[c]));
        const size_t base = (o * channels + c) * inner;
        size_t i = 0;
        for (; i + 2 * N <= inner; i += 2 * N) {
          const auto v0 = PreluVec(d, IO::Load(d, in + base + i), w);
          const auto v1 = PreluVec(d, IO::Load(d, in + base + i + N), w);
          IO::Store(d, v0, out + base + i);
          IO::Store(d, v1, out + base + i + N);
        }
        for (; i + N <= inner; i += N) {
          IO::Store(d, PreluVec(d, IO::Load(d, in + base + i), w), out + base + i);
        }
        if (i < inner) {
          IO::StorePartial(d, PreluVec(d, IO::LoadPartial(d, in + base + i, inner - i), w), out + base + i,
                           inner - i);
        }
      }
    }
    return;
  }

  const size_t lcm = period / std::gcd(period, N) * N;
  if (lcm <= kWeightBuf) {
    // lcm is a whole number of periods; no division per element (it cost more than the PReLU itself).
    for (size_t j = 0; j < lcm;) {
      for (size_t c = 0; c < channels; ++c) {
        const C w = IO::Param(weights[c]);
        for (size_t k = 0; k < inner; ++k) wbuf[j++] = w;
      }
    }
    const size_t total = outer * period;
    size_t i = 0, j = 0;
    if (lcm % (2 * N) == 0) {
      for (; i + 2 * N <= total; i += 2 * N) {
        const auto v0 = PreluVec(d, IO::Load(d, in + i), hn::Load(d, wbuf + j));
        const auto v1 = PreluVec(d, IO::Load(d, in + i + N), hn::Load(d, wbuf + j + N));
        IO::Store(d, v0, out + i);
        IO::Store(d, v1, out + i + N);
        j += 2 * N;
        if (j == lcm) j = 0;
      }
    }
    for (; i + N <= total; i += N) {
      const auto w = hn::Load(d, wbuf + j);
      IO::Store(d, PreluVec(d, IO::Load(d, in + i), w), out + i);
      j += N;
      if (j == lcm) j = 0;
    }
    if (i < total) {
      const auto w = hn::Load(d, wbuf + j);
      IO::StorePartial(d, PreluVec(d, IO::LoadPartial(d, in + i, total - i), w), out + i, total - i);
    }
    return;
  }

  for (size_t s = 0; s < period; s += kWeightBuf) {
    const size_t len = std::min(kWeightBuf, period - s);
    for (size_t j = 0, c = s / inner, k = s % inner; j < len; ++j) {
      wbuf[j] = IO::Param(weights[c]);
      if (++k == inner) k = 0, ++c;
    }
    for (size_t j = len; j < kWeightBuf && j < len + N; ++j) wbuf[j] = C{0};
    for (size_t o = 0; o < outer; ++o) {
      const size_t base = o * period + s;
      size_t j = 0;
      for (; j + N <= len; j += N) {
        IO::Store(d, PreluVec(d, IO::Load(d, in + base + j), hn::Load(d, wbuf + j)), out + base + j);
      }
      if (j < len) {
        IO::StorePartial(d, PreluVec(d, IO::LoadPartial(d, in + base + j, len - j), hn::Load(d, wbuf + j)),
                         out + base + j, len - j);
      }
    }
  }
}

void PreluImpl(DataType dtype, const void* in, void* out, size_t outer, size_t channels, size_t inner,
               const double* weights) {
  switch (dtype) {
    case DataType::kFloat32:
      return PreluTyped<NativeIO<float>>(in, out, outer, channels, inner, weights);
    case DataType::kFloat64:
      return PreluTyped<NativeIO<double>>(in, out, outer, channels, inner, weights);
    case DataType::kBFloat16:
      return PreluTyped<HalfIO<true, Narrowing::kRound>>(in, out, outer, channels, inner, weights);
    case DataType::kFloat16:
      return PreluTyped<HalfIO<false, Narrowing::kRound>>(in, out, outer, channels, inner, weights);
    default:
      return;  // PyTorch has no integer prelu; validation rejects it
  }
}

// ------------------------------------------------------------------------------------------------
// CReLU over [outer, block]: out row = [relu(x), relu(-x)], one read of x.

struct CreluFloat {  // float / double: relu(-x) with -x flipping the sign bit (also of NaN)
  template <class D, class V>
  static HWY_INLINE V Pos(D d, V x) {
    return MaxKeepX(hn::Zero(d), x);
  }
  template <class D, class V>
  static HWY_INLINE V Neg(D d, V x) {
    return MaxKeepX(hn::Zero(d), hn::Neg(x));
  }
  template <typename T>
  static T PosScalar(T x) {
    return x < T{0} ? T{0} : x;
  }
  template <typename T>
  static T NegScalar(T x) {
    return PosScalar<T>(-x);
  }
};

template <int16_t kNegInf, uint16_t kInf>
struct CreluHalf {  // half types on their bits (int16 lanes)
  template <class D, class V>
  static HWY_INLINE V Pos(D d, V x) {
    return HalfReluBitsOp<kNegInf>()(d, x);
  }
  template <class D, class V>
  static HWY_INLINE V Neg(D d, V x) {
    return HalfReluBitsOp<kNegInf>()(d, hn::Xor(x, hn::Set(d, int16_t{-32768})));
  }
  static int16_t PosScalar(int16_t x) {
    return static_cast<int16_t>(scalar::HalfReluBits<kInf>(static_cast<uint16_t>(x)));
  }
  static int16_t NegScalar(int16_t x) {
    return static_cast<int16_t>(scalar::HalfReluBits<kInf>(static_cast<uint16_t>(x) ^ 0x8000u));
  }
};

struct CreluSigned {  // signed integers: -x wraps (relu(-INT_MIN) = relu(INT_MIN) = 0), as in PyTorch
  template <class D, class V>
  static HWY_INLINE V Pos(D d, V x) {
    return hn::Max(hn::Zero(d), x);
  }
  template <class D, class V>
  static HWY_INLINE V Neg(D d, V x) {
    return hn::Max(hn::Zero(d), hn::Sub(hn::Zero(d), x));
  }
  template <typename T>
  static T PosScalar(T x) {
    return x < T{0} ? T{0} : x;
  }
  template <typename T>
  static T NegScalar(T x) {
    using U = hwy::MakeUnsigned<T>;
    return PosScalar<T>(static_cast<T>(static_cast<U>(0) - static_cast<U>(x)));
  }
};

// uint8: what torch.cat([F.relu(x), F.relu(-x)]) computes: relu is the identity and -x wraps modulo 256.
// (The catalogue rejects crelu on uint8; this keeps the kernel total and PyTorch-consistent anyway.)
struct CreluUnsigned {
  template <class D, class V>
  static HWY_INLINE V Pos(D, V x) {
    return x;
  }
  template <class D, class V>
  static HWY_INLINE V Neg(D d, V x) {
    return hn::Sub(hn::Zero(d), x);
  }
  static uint8_t PosScalar(uint8_t x) { return x; }
  static uint8_t NegScalar(uint8_t x) { return static_cast<uint8_t>(0u - x); }
};

// Rows of `block` inputs; row o writes relu(x) to pos + o * out_stride and relu(-x) to neg + o * out_stride.
// Crelu has neg = pos + block and out_stride = 2 * block; CreluChunk is one row with its halves apart.
template <typename T, class Ops>
HWY_NOINLINE void CreluTyped(const void* in_v, void* pos_v, void* neg_v, size_t outer, size_t block,
                             size_t out_stride) {
  const auto* in = static_cast<const T*>(in_v);
  auto* pos = static_cast<T*>(pos_v);
  auto* neg = static_cast<T*>(neg_v);
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  size_t o = 0;
  if (block >= N) {
    for (; o < outer; ++o) {
      const T* x = in + o * block;
      T* p = pos + o * out_stride;
      T* q = neg + o * out_stride;
      size_t j = 0;
      for (; j + N <= block; j += N) {
        const auto v = hn::LoadU(d, x + j);
        hn::StoreU(Ops::Pos(d, v), d, p + j);
        hn::StoreU(Ops::Neg(d, v), d, q + j);
      }
      if (j < block) {
        if (HWY_LIKELY(static_cast<const void*>(p) != x && static_cast<const void*>(q) != x)) {
          // Overlapping last vector: recomputes (and rewrites identically) up to N - 1 elements of the row.
          j = block - N;
          const auto v = hn::LoadU(d, x + j);
          hn::StoreU(Ops::Pos(d, v), d, p + j);
          hn::StoreU(Ops::Neg(d, v), d, q + j);
        } else {  // an output half is the input (in place): the overlap would re-read outputs
          const size_t n = block - j;
          const auto v = LoadN(d, x + j, n);
          StoreN(d, Ops::Pos(d, v), p + j, n);
          StoreN(d, Ops::Neg(d, v), q + j, n);
        }
      }
    }
    return;
  }
  if (neg == pos + block && out_stride == 2 * block) {
    // Crelu layout, rows shorter than a vector: one vector per row. Each full-vector store spills into the
    // following part of the output, which is written afterwards (stores go in increasing address order),
    // so every element ends up with its own value. The last rows, where a vector would run past the input
    // or the output, fall through to the scalar loop below.
    const size_t total = outer * block;  // input elements; the output has 2 * total
    size_t vec_rows = outer;
    vec_rows = std::min(vec_rows, total >= N ? (total - N) / block + 1 : size_t{0});
    vec_rows = std::min(vec_rows, 2 * total >= block + N ? (2 * total - block - N) / (2 * block) + 1 : size_t{0});
    for (; o < vec_rows; ++o) {
      const auto v = hn::LoadU(d, in + o * block);
      T* p = pos + o * out_stride;
      hn::StoreU(Ops::Pos(d, v), d, p);
      hn::StoreU(Ops::Neg(d, v), d, p + block);
    }
  }
  // Scalar code with the same bit-level semantics.
  for (; o < outer; ++o) {
    const T* x = in + o * block;
    T* p = pos + o * out_stride;
    T* q = neg + o * out_stride;
    for (size_t j = 0; j < block; ++j) {
      const T v = x[j];
      p[j] = Ops::PosScalar(v);
      q[j] = Ops::NegScalar(v);
    }
  }
}

void CreluRowsImpl(DataType dtype, const void* in, void* pos, void* neg, size_t outer, size_t block,
                   size_t out_stride) {
  if (outer == 0 || block == 0) return;
  switch (dtype) {
    case DataType::kFloat32:
      return CreluTyped<float, CreluFloat>(in, pos, neg, outer, block, out_stride);
    case DataType::kFloat64:
      return CreluTyped<double, CreluFloat>(in, pos, neg, outer, block, out_stride);
    case DataType::kBFloat16:
      return CreluTyped<int16_t, CreluHalf<kBF16NegInf, 0x7F80>>(in, pos, neg, outer, block, out_stride);
    case DataType::kFloat16:
      return CreluTyped<int16_t, CreluHalf<kF16NegInf, 0x7C00>>(in, pos, neg, outer, block, out_stride);
    case DataType::kInt8:
      return CreluTyped<int8_t, CreluSigned>(in, pos, neg, outer, block, out_stride);
    case DataType::kInt16:
      return CreluTyped<int16_t, CreluSigned>(in, pos, neg, outer, block, out_stride);
    case DataType::kInt32:
      return CreluTyped<int32_t, CreluSigned>(in, pos, neg, outer, block, out_stride);
    case DataType::kInt64:
      return CreluTyped<int64_t, CreluSigned>(in, pos, neg, outer, block, out_stride);
    case DataType::kUInt8:
      return CreluTyped<uint8_t, CreluUnsigned>(in, pos, neg, outer, block, out_stride);
  }
}

void CreluImpl(DataType dtype, const void* in, void* out, size_t outer, size_t block) {
  void* neg = static_cast<char*>(out) + block * ElementSizeBytes(dtype);
  CreluRowsImpl(dtype, in, out, neg, outer, block, 2 * block);
}

int64_t TargetImpl() { return HWY_TARGET; }

}  // namespace

// Exported (HWY_EXPORT needs external names); thin wrappers over the anonymous-namespace code.
void ElementwiseT(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count) {
  ElementwiseImpl(op, dtype, in, out, count);
}
void ElementwiseIntegerT(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count) {
  ElementwiseIntegerImpl(op, dtype, in, out, count);
}
void PreluT(DataType dtype, const void* in, void* out, size_t outer, size_t channels, size_t inner,
            const double* weights) {
  PreluImpl(dtype, in, out, outer, channels, inner, weights);
}
void CreluT(DataType dtype, const void* in, void* out, size_t outer, size_t block) {
  CreluImpl(dtype, in, out, outer, block);
}
void CreluChunkT(DataType dtype, const void* in, void* out_positive, void* out_negative, size_t count) {
  CreluRowsImpl(dtype, in, out_positive, out_negative, 1, count, 0);
}
int64_t TargetT() { return TargetImpl(); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rectifier::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rectifier::simd {

HWY_EXPORT(ElementwiseT);
HWY_EXPORT(ElementwiseIntegerT);
HWY_EXPORT(PreluT);
HWY_EXPORT(CreluT);
HWY_EXPORT(CreluChunkT);
HWY_EXPORT(TargetT);

void Elementwise(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count) {
  HWY_DYNAMIC_DISPATCH(ElementwiseT)(op, dtype, in, out, count);
}

void ElementwiseInteger(const ElementwiseOp& op, DataType dtype, const void* in, void* out, size_t count) {
  HWY_DYNAMIC_DISPATCH(ElementwiseIntegerT)(op, dtype, in, out, count);
}

void Prelu(DataType dtype, const void* in, void* out, size_t outer, size_t channels, size_t inner,
           const double* weights) {
  HWY_DYNAMIC_DISPATCH(PreluT)(dtype, in, out, outer, channels, inner, weights);
}

void Crelu(DataType dtype, const void* in, void* out, size_t outer, size_t block) {
  HWY_DYNAMIC_DISPATCH(CreluT)(dtype, in, out, outer, block);
}

void CreluChunk(DataType dtype, const void* in, void* out_positive, void* out_negative, size_t count) {
  HWY_DYNAMIC_DISPATCH(CreluChunkT)(dtype, in, out_positive, out_negative, count);
}

const char* TargetName() { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(TargetT)()); }

}  // namespace rectifier::simd
#endif  // HWY_ONCE
