// rectifier-demo: applies every catalogue activation to a few values and prints the results.
// A first check that the kernel library works on this machine, before any server is involved.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/catalogue.h"
#include "kernels/simd/simd_kernels.h"
#include "kernels/validation.h"

int main() {
  using namespace rectifier;
  const std::vector<float> inputs = {-INFINITY, -3.0f, -1.0f, -0.5f, -0.0f, 0.0f, 0.5f, 1.0f, 3.0f, 7.0f, NAN};
  const std::vector<int64_t> shape = {1, static_cast<int64_t>(inputs.size())};
  std::printf("rectifier kernels, SIMD target %s\n%-36s", simd::TargetName(), "x");
  for (float x : inputs) std::printf("%9g", x);
  std::printf("\n");
  int failures = 0;
  for (const ActivationInfo& info : Catalogue()) {
    // threshold has no defaults; every other activation is shown with PyTorch's.
    std::string text = info.kind == ActivationKind::kThreshold ? "threshold(threshold=0.5, value=-1)"
                                                                : std::string(info.name);
    auto activation = ParseActivation(text);
    if (!activation.ok()) {
      std::printf("%s: %s\n", text.c_str(), std::string(activation.status().message()).c_str());
      ++failures;
      continue;
    }
    const std::vector<int64_t> out_shape = OutputShape(*activation, shape);
    std::vector<float> outputs(inputs.size() * (info.kind == ActivationKind::kCrelu ? 2 : 1));
    absl::Status status = Apply(*activation, {DataType::kFloat32, shape, inputs.data()},
                                {DataType::kFloat32, out_shape, outputs.data()});
    if (!status.ok()) {
      std::printf("%s: %s\n", text.c_str(), std::string(status.message()).c_str());
      ++failures;
      continue;
    }
    std::printf("%-36s", FormatActivation(*activation).c_str());
    for (size_t i = 0; i < inputs.size(); ++i) std::printf("%9.4g", outputs[i]);
    if (info.kind == ActivationKind::kCrelu) std::printf("  (relu(-x) half omitted)");
    std::printf("\n");
  }
  return failures == 0 ? 0 : 1;
}
