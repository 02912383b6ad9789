// An independent scalar reference for the kernel tests. Nothing here calls the kernel library: only the
// `Activation` value types (kernels/activation.h, header-only) are shared.
//
// Two kinds of reference:
//  * Piecewise-linear activations (relu, leaky_relu, prelu, relu6, hardtanh, threshold, hardswish,
//    hardsigmoid; crelu is relu of x and of -x) are evaluated with exactly PyTorch's operation sequence in
//    the compute type T (float for float32/float16/bfloat16, double for float64), parameters first rounded
//    to T. The result is the bit-exact expected value, including the sign of zero and NaN.
//  * Smooth activations are evaluated from their mathematical definitions in long double (x87 80-bit,
//    64-bit significand), with parameters rounded to the compute precision, using forms that avoid
//    cancellation (erfc for GELU, expm1 for ELU, 2/(1+exp(-2u)) for 1+tanh(u)). The special cases that
//    PyTorch's formulas define (silu/mish/gelu of -inf is NaN, elu(-0.0) is +0.0) are encoded explicitly.
//
// Also: float16 and bfloat16 <-> float conversions with round-to-nearest-even, written with bit operations.
#pragma once

#include <cstdint>

#include "kernels/activation.h"

namespace rectifier::ref {

// ---- Half types -------------------------------------------------------------------------------------
// Round-to-nearest-even; overflow gives +-inf; NaN stays a (quiet) NaN; subnormals are kept.
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t bits);
uint16_t FloatToBFloat16(float value);
float BFloat16ToFloat(uint16_t bits);

// ---- Classification -----------------------------------------------------------------------------------
// True for the activations whose result must be bit-exact (see above). Crelu counts: it is relu twice.
bool IsPiecewiseLinearKind(ActivationKind kind);

// The precision an element type is computed in: float32 for float32/float16/bfloat16 (and for the
// float32 result of sigmoid/tanh of integers), float64 for float64.
enum class Precision { kFloat32, kFloat64 };

// ---- Parameters of half-type tensors ---------------------------------------------------------------------
// PyTorch converts some parameters to the tensor's own dtype: hardtanh's (and relu6's) bounds, threshold's
// threshold and value, and PReLU's weights (a tensor of the input's dtype); the others (leaky_relu's slope,
// elu/celu alpha, softplus beta and threshold) to float. Measured on bfloat16 with PyTorch 1.13:
// threshold(0.1) maps bfloat16(0.1) = 0.10009765625 to the value. Rectifier does the same for float16 and
// bfloat16. Returns `activation` with the former parameters rounded (nearest even) to `type`; the
// reference for a half-type tensor evaluates this activation in float32.
enum class HalfType { kFloat16, kBFloat16 };
Activation WithHalfTypeParameters(const Activation& activation, HalfType type);

// ---- Piecewise-linear, bit-exact -----------------------------------------------------------------------
// relu, leaky_relu, relu6, hardtanh, threshold, hardswish, hardsigmoid (crelu: call with act::Relu{} on x
// and on -x). Aborts for other kinds.
float ExactElementwise(const Activation& activation, float x);
double ExactElementwise(const Activation& activation, double x);
// PReLU of one element with its channel's weight: x > 0 ? x : w * x (w rounded to the compute type).
float ExactPrelu(float x, double weight);
double ExactPrelu(double x, double weight);

// ---- Smooth, mathematical ---------------------------------------------------------------------------
// elu, selu, celu, gelu (both), silu, mish, sigmoid, tanh, softplus, logsigmoid. `x` is the element's
// value (exactly representable in the compute type); parameters are rounded to `precision` first, and
// softplus's product x * beta is rounded to `precision` (it is one IEEE multiplication in PyTorch's formula;
// both the threshold decision and exp() take the rounded product).
// Aborts for other kinds.
long double SmoothElementwise(const Activation& activation, long double x, Precision precision);

// ---- Integers -------------------------------------------------------------------------------------------
// relu, relu6, hardtanh and threshold of an integer element, parameters truncated toward zero to the
// element type (the caller checks that they fit). Aborts for other kinds.
int64_t IntegerElementwise(const Activation& activation, int64_t x);

}  // namespace rectifier::ref
