// The lowered form of every activation that maps each element independently (all but PReLU and CReLU).
//
// Apply() lowers a validated `Activation` to an `ElementwiseOp`; backends (oneDNN, our SIMD kernels)
// implement ElementwiseOps and never see the typed spec. Semantics per function are PyTorch 1.13's,
// written as the formula PyTorch evaluates (which fixes NaN, infinity and signed-zero behaviour):
//   kRelu        x < 0 ? 0 : x                        (NaN stays NaN, -0.0 stays -0.0)
//   kLeakyRelu   x > 0 ? x : x * a                    (a = negative_slope)
//   kElu         x > 0 ? s*x : s*a*expm1(x*c) + 0.0   (a = alpha, s = scale, c = input scale; see below)
//   kHardtanh    x < a ? a : (x > b ? b : x)          (a = min_val, b = max_val; NaN stays NaN; relu6 too)
//   kGeluErf     x * 0.5 * (1 + erf(x / sqrt(2)))
//   kGeluTanh    0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
//   kSilu        x / (1 + exp(-x))                     (-inf gives NaN, as in PyTorch)
//   kMish        x * tanh(softplus(x))                 (-inf gives NaN)
//   kSigmoid     1 / (1 + exp(-x))
//   kTanh        tanh(x)
//   kSoftplus    x * a > b ? x : log1p(exp(x * a)) / a (a = beta, b = threshold)
//   kHardswish   x * min(max(x + 3, 0), 6) / 6         (-inf gives NaN; x <= -3 gives -0.0)
//   kHardsigmoid min(max(x + 3, 0), 6) / 6
//   kLogsigmoid  min(x, 0) - log1p(exp(-|x|))
//   kThreshold   x <= a ? b : x                        (a = threshold, b = value; NaN stays NaN)
// elu, selu and celu share kElu: elu (a = alpha, s = 1, c = 1), selu (a = kSeluAlpha, s = kSeluScale,
// c = 1), celu (a = alpha, s = 1, c = 1/alpha). PyTorch gives +0.0 for elu(-0.0); "+ 0.0" reproduces it.
#pragma once

namespace rectifier {

enum class ElementwiseFn {
  kRelu,
  kLeakyRelu,
  kElu,
  kHardtanh,
  kGeluErf,
  kGeluTanh,
  kSilu,
  kMish,
  kSigmoid,
  kTanh,
  kSoftplus,
  kHardswish,
  kHardsigmoid,
  kLogsigmoid,
  kThreshold,
};

struct ElementwiseOp {
  ElementwiseFn fn = ElementwiseFn::kRelu;
  double a = 0.0;  // First parameter (see the table above); unused ones stay 0.
  double b = 0.0;
  double scale = 1.0;        // kElu only: output scale s.
  double input_scale = 1.0;  // kElu only: input scale c.
};

// True for functions that are a handful of compares and multiplies per element: at large sizes they are
// limited by memory bandwidth, not arithmetic. Used to choose thread counts.
inline bool IsPiecewiseLinear(ElementwiseFn fn) {
  switch (fn) {
    case ElementwiseFn::kRelu:
    case ElementwiseFn::kLeakyRelu:
    case ElementwiseFn::kHardtanh:
    case ElementwiseFn::kHardswish:
    case ElementwiseFn::kHardsigmoid:
    case ElementwiseFn::kThreshold:
      return true;
    default:
      return false;
  }
}

}  // namespace rectifier
