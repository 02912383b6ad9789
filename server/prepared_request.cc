#include "server/prepared_request.h"

namespace rectifier::server {

bool IsPiecewiseLinear(const Activation& activation) {
  switch (KindOf(activation)) {
    case ActivationKind::kRelu:
    case ActivationKind::kLeakyRelu:
    case ActivationKind::kPrelu:
    case ActivationKind::kCrelu:
    case ActivationKind::kRelu6:
    case ActivationKind::kHardtanh:
    case ActivationKind::kHardswish:
    case ActivationKind::kHardsigmoid:
    case ActivationKind::kThreshold:
      return true;
    default:
      return false;
  }
}

}  // namespace rectifier::server
