// Typed activation specs: one struct per catalogue activation, holding its parameters with PyTorch's
// defaults (torch.nn.functional 1.13; crelu follows tf.nn.crelu).
//
// `Activation` is a std::variant whose alternative index equals `ActivationKind`. Specs are plain values:
// cheap to copy except PReLU, which owns its weights.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace rectifier {

enum class ActivationKind {
  kRelu,
  kLeakyRelu,
  kPrelu,
  kElu,
  kSelu,
  kCelu,
  kCrelu,
  kRelu6,
  kHardtanh,
  kGelu,
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
inline constexpr int kNumActivationKinds = 19;

enum class GeluApproximate { kNone, kTanh };

namespace act {
struct Relu {
  bool operator==(const Relu&) const = default;
};
struct LeakyRelu {
  double negative_slope = 0.01;
  bool operator==(const LeakyRelu&) const = default;
};
// weight: 1 entry (shared) or one per channel (dim 1 of the input). nn.PReLU initialises it to 0.25.
struct Prelu {
  std::vector<double> weight = {0.25};
  bool operator==(const Prelu&) const = default;
};
struct Elu {
  double alpha = 1.0;
  bool operator==(const Elu&) const = default;
};
struct Selu {
  bool operator==(const Selu&) const = default;
};  // alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946
struct Celu {
  double alpha = 1.0;
  bool operator==(const Celu&) const = default;
};
// concat([relu(x), relu(-x)], axis): the output's `axis` dimension is twice the input's.
struct Crelu {
  int64_t axis = -1;
  bool operator==(const Crelu&) const = default;
};
struct Relu6 {
  bool operator==(const Relu6&) const = default;
};
struct Hardtanh {
  double min_val = -1.0; double max_val = 1.0;
  bool operator==(const Hardtanh&) const = default;
};
struct Gelu {
  GeluApproximate approximate = GeluApproximate::kNone;
  bool operator==(const Gelu&) const = default;
};
struct Silu {
  bool operator==(const Silu&) const = default;
};
struct Mish {
  bool operator==(const Mish&) const = default;
};
struct Sigmoid {
  bool operator==(const Sigmoid&) const = default;
};
struct Tanh {
  bool operator==(const Tanh&) const = default;
};
struct Softplus {
  double beta = 1.0; double threshold = 20.0;
  bool operator==(const Softplus&) const = default;
};
struct Hardswish {
  bool operator==(const Hardswish&) const = default;
};
struct Hardsigmoid {
  bool operator==(const Hardsigmoid&) const = default;
};
struct Logsigmoid {
  bool operator==(const Logsigmoid&) const = default;
};
// PyTorch has no defaults for threshold: both parameters are required in the text form.
struct Threshold {
  double threshold = 0.0; double value = 0.0;
  bool operator==(const Threshold&) const = default;
};
}  // namespace act

using Activation = std::variant<act::Relu, act::LeakyRelu, act::Prelu, act::Elu, act::Selu, act::Celu,
                                act::Crelu, act::Relu6, act::Hardtanh, act::Gelu, act::Silu, act::Mish,
                                act::Sigmoid, act::Tanh, act::Softplus, act::Hardswish, act::Hardsigmoid,
                                act::Logsigmoid, act::Threshold>;
static_assert(std::variant_size_v<Activation> == kNumActivationKinds);

inline ActivationKind KindOf(const Activation& activation) {
  return static_cast<ActivationKind>(activation.index());
}

inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace rectifier
