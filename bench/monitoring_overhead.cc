// rectifier-monitoring-overhead: the throughput cost of all monitoring (metrics, zero ratio, dead units).
//
// Starts an in-process rectifier-server twice per round, with metrics off and on (alternating, so drift
// in the machine's load hits both alike), drives it with synchronous rectifier.v1 Apply calls from
// client threads for a fixed time, and prints the median requests/s of each mode over the rounds and their
// ratio, and the median CPU time (user + system, whole process) per request. On a machine shared with other
// work, throughput swings with their load; CPU per request is the steadier figure. With metrics on, /metrics is also scraped every second, as Prometheus would. The client runs in
// the same process and shares the cores with the server.
//
// Usage: rectifier-monitoring-overhead [--rounds=N] [--seconds=S] [--clients=N]
// Environment: BENCH_NO_ENDPOINT=1 leaves the /metrics endpoint out of the "on" mode, BENCH_NO_SCRAPE=1 the
// scrapes (to split the cost when investigating).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/grpcpp.h"
#include "rectifier/v1/rectifier.grpc.pb.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "server/model_repository.h"
#include "server/rectifier_server.h"

namespace {

namespace v1 = rectifier::v1;
using rectifier::server::ModelRepository;
using rectifier::server::RectifierServer;
using rectifier::server::RectifierServerOptions;

struct Workload {
  const char* name;
  v1::ApplyRequest request;
};

// A float32 request of `channels` x `rows` elements through repository model `model` (dead-unit tracked)
// or an inline spec; values cycle through negatives and positives.
v1::ApplyRequest MakeRequest(const std::string& model, const char* inline_activation, int64_t rows, int64_t channels) {
  v1::ApplyRequest request;
  if (!model.empty()) {
    request.set_model(model);
  } else if (std::strcmp(inline_activation, "gelu") == 0) {
    request.mutable_activation()->mutable_gelu();
  } else {
    request.mutable_activation()->mutable_relu();
  }
  v1::Tensor* input = request.mutable_input();
  input->set_dtype(v1::DATA_TYPE_FLOAT32);
  input->add_shape(rows);
  input->add_shape(channels);
  std::string data(static_cast<size_t>(rows * channels) * sizeof(float), '\0');
  for (int64_t i = 0; i < rows * channels; ++i) {
    const float v = static_cast<float>(i % 7) - 3.0f;
    std::memcpy(data.data() + i * sizeof(float), &v, sizeof(float));
  }
  input->set_data(std::move(data));
  return request;
}

struct Sample {
  double requests_per_second;
  double cpu_us_per_request;  // User + system CPU of the whole process (server and client) per request.
};

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Throughput and CPU per request during `seconds` with `clients` client threads.
Sample Measure(const ModelRepository& models, bool metrics, const v1::ApplyRequest& request, int clients,
               double seconds) {
  RectifierServerOptions options;
  options.address = "127.0.0.1:0";
  options.models = &models;
  options.metrics_enabled = metrics;
  options.metrics_address = metrics && std::getenv("BENCH_NO_ENDPOINT") == nullptr ? "127.0.0.1:0" : "";
  auto server = RectifierServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "cannot start the server: %s\n", std::string(server.status().message()).c_str());
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::vector<std::thread> threads;
  const std::string target = "127.0.0.1:" + std::to_string((*server)->port());
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("rectifier.client", c);  // One connection per client thread.
      auto stub = v1::ActivationService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
      v1::ApplyResponse response;
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::ClientContext context;
        if (stub->Apply(&context, request, &response).ok()) done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  if (metrics && std::getenv("BENCH_NO_SCRAPE") == nullptr) {  // A scrape a second, as Prometheus would.
    threads.emplace_back([&] {
      while (!stop.load()) {
        (*server)->metrics()->Scrape();
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Warm-up: connections, caches.
  const int64_t start_count = done.load();
  const double start_cpu = ProcessCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const int64_t count = done.load() - start_count;
  const double cpu = ProcessCpuSeconds() - start_cpu;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();
  (*server)->Shutdown(std::chrono::seconds(1));
  return Sample{static_cast<double>(count) / elapsed, cpu * 1e6 / static_cast<double>(std::max<int64_t>(count, 1))};
}

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// The CPU time all monitoring adds to one request, measured directly on one thread (steadier than the
// difference of two loaded runs): arrival, the run report (durations, elements, bytes, zero ratio, dead
// units) and the answer, on the workload's tensor with its real output.
double MonitoringCpuUsPerRequest(const ModelRepository& models, const v1::ApplyRequest& proto) {
  using namespace rectifier;
  using namespace rectifier::server;
  auto metrics = ServerMetrics::Create({.models = &models}).value();
  PreparedRequest request;
  request.model = proto.model();
  request.activation = proto.model().empty() ? *ParseActivation("gelu") : models.Find(proto.model())->activation;
  const std::vector<int64_t> shape(proto.input().shape().begin(), proto.input().shape().end());
  std::vector<float> output(proto.input().data().size() / sizeof(float));
  request.input = TensorView{DataType::kFloat32, shape, proto.input().data().data()};
  request.output = MutableTensorView{DataType::kFloat32, shape, output.data()};
  request.input_bytes = request.output_bytes = proto.input().data().size();
  if (!Apply(request.activation, request.input, request.output).ok()) std::exit(1);
  const ActivationKind kind = KindOf(request.activation);
  constexpr int kIterations = 100000;
  const double start = ThreadCpuSeconds();
  for (int i = 0; i < kIterations; ++i) {
    const RequestProbe probe(metrics.get(), Api::kNative);
    probe.Ran(absl::OkStatus(), RunReport{.request = &request, .computed = std::chrono::microseconds(3)});
    probe.Answered(kind, absl::StatusCode::kOk);
  }
  return (ThreadCpuSeconds() - start) * 1e6 / kIterations;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 7, clients = 8;
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    if (std::sscanf(argv[i], "--rounds=%d", &rounds) == 1) continue;
    if (std::sscanf(argv[i], "--seconds=%lf", &seconds) == 1) continue;
    if (std::sscanf(argv[i], "--clients=%d", &clients) == 1) continue;
    std::fprintf(stderr, "usage: %s [--rounds=N] [--seconds=S] [--clients=N]\n", argv[0]);
    return 2;
  }
  auto models = ModelRepository::Create({});
  if (!models.ok()) return 1;
  const std::vector<Workload> workloads = {
      {"relu model [16,64] f32 (4 KiB, inline, dead units + zero ratio)", MakeRequest("relu", "", 16, 64)},
      {"relu model [64,1024] f32 (256 KiB, executor, dead units + zero ratio)", MakeRequest("relu", "", 64, 1024)},
      {"inline gelu [16,64] f32 (4 KiB, zero ratio)", MakeRequest("", "gelu", 16, 64)},
  };
  std::printf("| workload | req/s off | req/s on | on / off | CPU us/request off | CPU us/request on | on / off | "
              "monitoring CPU us/request (direct) | direct / off |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const Workload& workload : workloads) {
    std::vector<double> rate_off, rate_on, cpu_off, cpu_on;
    for (int r = 0; r < rounds; ++r) {
      // Alternate which mode goes first, so neither always runs on a warmer machine.
      for (bool metrics : {r % 2 == 0, r % 2 != 0}) {
        const Sample sample = Measure(*models, metrics, workload.request, clients, seconds);
        (metrics ? rate_on : rate_off).push_back(sample.requests_per_second);
        (metrics ? cpu_on : cpu_off).push_back(sample.cpu_us_per_request);
      }
    }
    std::vector<double> direct;
    for (int r = 0; r < 5; ++r) direct.push_back(MonitoringCpuUsPerRequest(*models, workload.request));
    std::printf("| %s | %.0f | %.0f | %.3f | %.1f | %.1f | %.3f | %.2f | %.2f%% |\n", workload.name,
                Median(rate_off), Median(rate_on), Median(rate_on) / Median(rate_off), Median(cpu_off),
                Median(cpu_on), Median(cpu_on) / Median(cpu_off), Median(direct),
                100 * Median(direct) / Median(cpu_off));
    std::fflush(stdout);
  }
  return 0;
}
