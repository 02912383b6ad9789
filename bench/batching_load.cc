// rectifier-load: a closed-loop gRPC load generator for the batching benchmark (bench/batching.py).
//
// `--concurrency` client threads each send rectifier.v1 Apply calls back to back (the next one as soon as
// the previous answer arrives) for `--warmup-seconds` (not counted), then `--seconds` (counted), and one
// JSON object is printed: requests completed, errors, throughput and latency percentiles. Threads share
// `--channels` connections round-robin, so that one HTTP/2 connection does not serialise every call.
//
//   rectifier-load --target=127.0.0.1:50051 --concurrency=64 --activation=relu --elements=256
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "rectifier/v1/rectifier.grpc.pb.h"

namespace {

namespace v1 = ::rectifier::v1;
using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::string target = "127.0.0.1:50051";
  int concurrency = 1;
  int channels = 8;
  double seconds = 2.0;
  double warmup_seconds = 0.5;
  std::string activation = "relu";  // relu | gelu
  int64_t elements = 256;
};

bool ParseFlag(std::string_view arg, std::string_view name, std::string* value) {
  const std::string prefix = "--" + std::string(name) + "=";
  if (!arg.starts_with(prefix)) return false;
  *value = std::string(arg.substr(prefix.size()));
  return true;
}

bool ParseArgs(int argc, char** argv, LoadOptions& options) {
  for (int i = 1; i < argc; ++i) {
    std::string value;
    const std::string_view arg = argv[i];
    if (ParseFlag(arg, "target", &value)) {
      options.target = value;
    } else if (ParseFlag(arg, "concurrency", &value)) {
      options.concurrency = std::atoi(value.c_str());
    } else if (ParseFlag(arg, "channels", &value)) {
      options.channels = std::atoi(value.c_str());
    } else if (ParseFlag(arg, "seconds", &value)) {
      options.seconds = std::atof(value.c_str());
    } else if (ParseFlag(arg, "warmup-seconds", &value)) {
      options.warmup_seconds = std::atof(value.c_str());
    } else if (ParseFlag(arg, "activation", &value)) {
      options.activation = value;
    } else if (ParseFlag(arg, "elements", &value)) {
      options.elements = std::atoll(value.c_str());
    } else {
      std::fprintf(stderr, "rectifier-load: unknown argument '%s'\n", argv[i]);
      return false;
    }
  }
  if (options.concurrency < 1 || options.channels < 1 || options.seconds <= 0 || options.elements < 1 ||
      (options.activation != "relu" && options.activation != "gelu")) {
    std::fprintf(stderr, "rectifier-load: concurrency, channels, seconds and elements must be positive; "
                         "activation relu or gelu\n");
    return false;
  }
  return true;
}

v1::ApplyRequest MakeRequest(const LoadOptions& options) {
  v1::ApplyRequest request;
  if (options.activation == "gelu") {
    request.mutable_activation()->mutable_gelu();
  } else {
    request.mutable_activation()->mutable_relu();
  }
  v1::Tensor* input = request.mutable_input();
  input->set_dtype(v1::DATA_TYPE_FLOAT32);
  input->add_shape(options.elements);
  std::vector<float> data(static_cast<size_t>(options.elements));
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(static_cast<int>(i % 17) - 8) * 0.5f;
  input->set_data(data.data(), data.size() * sizeof(float));
  return request;
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions options;
  if (!ParseArgs(argc, argv, options)) return 2;
  const v1::ApplyRequest request = MakeRequest(options);

  std::vector<std::unique_ptr<v1::ActivationService::Stub>> stubs;
  for (int i = 0; i < options.channels; ++i) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // One connection per channel.
    stubs.push_back(v1::ActivationService::NewStub(
        grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args)));
  }

  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.warmup_seconds));
  const auto measure_until = measure_from + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(options.seconds));
  std::vector<std::vector<double>> latencies_us(options.concurrency);
  std::atomic<int64_t> errors{0};
  std::atomic<bool> first_error_printed{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < options.concurrency; ++c) {
    clients.emplace_back([&, c] {
      v1::ActivationService::Stub& stub = *stubs[c % stubs.size()];
      v1::ApplyResponse response;
      while (true) {
        const auto sent = Clock::now();
        if (sent >= measure_until) break;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        const grpc::Status status = stub.Apply(&context, request, &response);
        const auto received = Clock::now();
        // Completions inside the window count (closed-loop throughput), whenever they were sent.
        if (received < measure_from || received > measure_until) continue;
        if (!status.ok()) {
          ++errors;
          if (!first_error_printed.exchange(true)) {
            std::fprintf(stderr, "rectifier-load: %d %s\n", static_cast<int>(status.error_code()),
                         status.error_message().c_str());
          }
          continue;
        }
        latencies_us[c].push_back(std::chrono::duration<double, std::micro>(received - sent).count());
      }
    });
  }
  for (std::thread& client : clients) client.join();

  std::vector<double> all;
  for (const auto& per_client : latencies_us) all.insert(all.end(), per_client.begin(), per_client.end());
  std::sort(all.begin(), all.end());
  std::printf(
      "{\"activation\": \"%s\", \"elements\": %lld, \"concurrency\": %d, \"seconds\": %.3f, \"requests\": %zu, "
      "\"errors\": %lld, \"throughput_rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
      options.activation.c_str(), static_cast<long long>(options.elements), options.concurrency, options.seconds,
      all.size(), static_cast<long long>(errors.load()), static_cast<double>(all.size()) / options.seconds,
      Percentile(all, 0.50), Percentile(all, 0.99));
  return errors.load() > 0 ? 1 : 0;
}
