// Uses the installed client library: health, then relu6 on three values. Usage: consumer ADDRESS
#include <iostream>
#include <vector>

#include "rectifier/client/activation_spec.h"
#include "rectifier/client/client.h"
#include "rectifier/client/tensor.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  rectifier::client::ClientOptions options;
  options.target = argv[1];
  auto client = rectifier::client::Client::Create(options);
  if (!client.ok()) return 1;
  auto health = (*client)->Health();
  if (!health.ok()) return 1;
  std::cout << rectifier::client::ServingStatusName(*health) << "\n";
  auto output = (*client)->Apply(*rectifier::client::ParseActivationSpec("relu6"),
                                 rectifier::client::MakeTensor(std::vector<float>{-1.0f, 3.0f, 9.0f}));
  if (!output.ok()) {
    std::cerr << output.status() << "\n";
    return 1;
  }
  std::cout << "relu6:";
  for (float value : rectifier::client::TensorValues<float>(*output).value_or(std::span<const float>())) std::cout << " " << value;
  std::cout << "\n";
  return 0;
}
