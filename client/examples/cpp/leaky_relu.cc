// A minimal program on Rectifier's C++ client library: leaky_relu on a few float32 values, the same on
// float64 asynchronously, and a model over ApplyStream.
// Usage: rectifier-example-cpp [ADDRESS]   (default 127.0.0.1:50051)
#include <iostream>
#include <vector>

#include "rectifier/client/activation_spec.h"
#include "rectifier/client/client.h"
#include "rectifier/client/tensor.h"

namespace rc = rectifier::client;

int main(int argc, char** argv) {
  rc::ClientOptions options;
  options.target = argc > 1 ? argv[1] : "127.0.0.1:50051";
  auto client = rc::Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }

  // Synchronous: a spec from its text form, a tensor from a std::vector.
  auto spec = rc::ParseActivationSpec("leaky_relu(negative_slope=0.2)");
  const std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f};
  auto y = (*client)->Apply(*spec, rc::MakeTensor(x));
  if (!y.ok()) {
    std::cerr << "Apply: " << y.status() << "\n";
    return 1;
  }
  std::cout << "leaky_relu:";
  std::span<const float> values = *rc::TensorValues<float>(*y);  // A view of the response: no copy.
  for (float value : values) std::cout << " " << value;
  std::cout << "\n";

  // Asynchronous, as a future: a spec built in code, float64 values.
  rectifier::v1::ApplyRequest request;
  request.mutable_activation()->mutable_elu()->set_alpha(0.5);
  *request.mutable_input() = rc::MakeTensor(std::vector<double>{-1.0, 1.0});
  auto future = (*client)->ApplyAsync(std::move(request));
  auto response = future.get();
  if (!response.ok()) {
    std::cerr << "ApplyAsync: " << response.status() << "\n";
    return 1;
  }
  std::cout << "elu(alpha=0.5):";
  for (double value : rc::TensorValues<double>(response->output()).value_or(std::span<const double>())) std::cout << " " << value;
  std::cout << "\n";

  // Streaming: three requests for the built-in "relu6" model over one ApplyStream, answers in order.
  std::vector<rectifier::v1::ApplyRequest> requests(3);
  for (int i = 0; i < 3; ++i) {
    requests[i].set_model("relu6");
    *requests[i].mutable_input() = rc::MakeTensor(std::vector<float>{-1.0f, 3.0f * i});
  }
  auto responses = (*client)->ApplyStream(std::move(requests));
  if (!responses.ok()) {
    std::cerr << "ApplyStream: " << responses.status() << "\n";
    return 1;
  }
  for (const auto& r : *responses) {
    std::cout << "relu6 #" << r.request_id() << ":";
    for (float value : rc::TensorValues<float>(r.output()).value_or(std::span<const float>())) std::cout << " " << value;
    std::cout << "\n";
  }
  return 0;
}
