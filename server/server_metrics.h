// ServerMetrics: every Prometheus metric of rectifier-server, behind typed, transport-free methods (an
// api enum, activation kinds, model names, absl::StatusCode), so that both APIs (rectifier.v1 "native"
// and the Open Inference Protocol "oip") and the batcher report the same way.
//
// Label values come only from the catalogue (activation names), the data types, the model repository
// (model names), status code names and the Api enum: never from client strings, so cardinality is bounded.
// A request whose activation is not known (it failed before one was resolved) has activation="unknown".
//
// Who calls what:
//   the service        RequestArrived / RequestAnswered (count, duration, in flight) and RequestRan with
//                      the RequestRunner's RunReport (queue and compute time, elements, bytes, zero ratio,
//                      dead units); RequestProbe bundles the three for one request;
//   the batcher        BatchComputed (each kernel call) and SetQueueProbe (depth and capacity, read at
//                      scrape time);
//   the exposer        collectable() (the registry, process_* metrics and scrape-time gauges);
//   GetModelStats      ModelStats.
// Thread-safe; every method may be called from any thread. Per-request cost: a few atomic adds, five
// histogram observations (each a short mutex) and the bounded scans of server/output_statistics.h.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/activation.h"
#include "kernels/data_type.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/dead_unit_tracker.h"
#include "server/model_repository.h"
#include "server/process_collector.h"
#include "server/request_runner.h"

namespace rectifier::server {

// The API a request came through: the `api` label ("native", "oip").
enum class Api { kNative, kOip };
inline constexpr int kNumApis = 2;
std::string_view ApiName(Api api);

// The activation label of requests whose activation is not known.
inline constexpr std::string_view kUnknownActivationLabel = "unknown";

// Whether dead units are tracked for `kind`: the ReLU family (relu, leaky_relu, prelu, elu, selu, celu,
// relu6, crelu), whose units output a constant below a threshold.
bool IsReluFamily(ActivationKind kind);

// The batcher's queue at one instant.
struct QueueState {
  int64_t depth = 0;     // Requests waiting.
  int64_t capacity = 0;  // Requests that may wait before new ones are refused.
};

struct ServerMetricsOptions {
  // Required; borrowed, must outlive the metrics. Its ReLU-family models get dead-unit tracking and label
  // rectifier_dead_channels_ratio.
  const ModelRepository* models = nullptr;
  // The sliding window of dead-unit tracking, in requests per model; positive.
  int64_t dead_unit_window_requests = 1000;
  // Channels tracked per request; positive (see DeadUnitTrackerOptions).
  int64_t dead_unit_max_channels = 4096;
  // Until a batcher reports its batches through BatchComputed, every computed request is its own kernel
  // call, recorded by RequestRan as a batch of RunReport::batch_requests requests, except the requests the
  // batcher computed (RunReport::batched), whose kernel calls the batcher reports through BatchComputed.
  bool batches_from_run_reports = true;
  // Export the process_* metrics (read from /proc at scrape time).
  bool process_metrics = true;
  ProcessCollectorOptions process;
  // The clock request durations are measured with; null: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

class ServerMetrics {
 public:
  static absl::StatusOr<std::unique_ptr<ServerMetrics>> Create(const ServerMetricsOptions& options);
  ~ServerMetrics();

  // A request that arrived; pass it to RequestAnswered when its status is final.
  struct Arrival {
    Api api = Api::kNative;
    std::chrono::steady_clock::time_point at;
  };
  // Counts the request in rectifier_inflight_requests{api} until RequestAnswered.
  Arrival RequestArrived(Api api);
  // rectifier_requests_total{api, activation, code} and rectifier_request_duration_seconds{api,
  // activation}; leaves rectifier_inflight_requests. `activation` nullopt: "unknown".
  void RequestAnswered(const Arrival& arrival, std::optional<ActivationKind> activation, absl::StatusCode code);
  // What the RequestRunner reported: queue and compute durations (requests that reached the runner and
  // were not refused), and for OK requests elements, bytes, the output zero ratio and, for ReLU-family
  // repository models, the input's channel activity.
  void RequestRan(Api api, const absl::Status& status, const RunReport& report);

  // One kernel call computing `requests` requests of `elements` input elements in all.
  void BatchComputed(int requests, int64_t elements);
  // The queue gauges, read from `probe` at every scrape (replacing SetQueueState's values).
  void SetQueueProbe(std::function<QueueState()> probe);
  void SetQueueState(const QueueState& state);

  // Dead-unit statistics of repository model `model`: NOT_FOUND when the repository has no such model,
  // INVALID_ARGUMENT when its activation is not of the ReLU family.
  absl::StatusOr<DeadUnitStats> ModelStats(std::string_view model) const;

  // Everything to expose: the registry, the process_* metrics, scrape-time gauges refreshed. Lives as
  // long as the ServerMetrics.
  std::shared_ptr<prometheus::Collectable> collectable() const { return scrape_; }
  // The text exposition format of collectable() (tests, debugging).
  std::string Scrape() const;

 private:
  class ScrapeView;
  explicit ServerMetrics(const ServerMetricsOptions& options);
  std::vector<prometheus::MetricFamily> Collect() const;
  prometheus::Histogram& LatencyHistogram(prometheus::Family<prometheus::Histogram>& family,
                                          std::array<std::atomic<prometheus::Histogram*>, kNumApis * (kNumActivationKinds + 1)>& cache,
                                          Api api, std::optional<ActivationKind> activation);

  static constexpr int kNumActivationLabels = kNumActivationKinds + 1;  // The last one is "unknown".
  static constexpr int kNumCodes = 17;                                  // absl::StatusCode 0..16.
  static constexpr int kNumDataTypes = 9;

  const ServerMetricsOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> scrape_;
  std::unique_ptr<ProcessCollector> process_;

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_duration_;
  prometheus::Family<prometheus::Histogram>& queue_duration_;
  prometheus::Family<prometheus::Histogram>& compute_duration_;
  prometheus::Family<prometheus::Counter>& elements_;
  prometheus::Family<prometheus::Counter>& received_bytes_;
  prometheus::Family<prometheus::Counter>& sent_bytes_;
  prometheus::Family<prometheus::Gauge>& inflight_;
  prometheus::Family<prometheus::Histogram>& zero_ratio_;
  prometheus::Family<prometheus::Gauge>& dead_ratio_;
  prometheus::Histogram& batch_requests_;
  prometheus::Histogram& batch_elements_;
  prometheus::Gauge& queue_depth_;
  prometheus::Gauge& queue_capacity_;

  // Children of the labelled families, created on first use (Family::Add takes a mutex and hashes the
  // labels; the caches make every later use a load).
  std::array<std::atomic<prometheus::Counter*>, kNumApis * kNumActivationLabels * kNumCodes> requests_cache_{};
  std::array<std::atomic<prometheus::Histogram*>, kNumApis * kNumActivationLabels> request_duration_cache_{};
  std::array<std::atomic<prometheus::Histogram*>, kNumApis * kNumActivationLabels> queue_duration_cache_{};
  std::array<std::atomic<prometheus::Histogram*>, kNumApis * kNumActivationLabels> compute_duration_cache_{};
  std::array<std::atomic<prometheus::Counter*>, kNumActivationKinds * kNumDataTypes> elements_cache_{};
  std::array<std::atomic<prometheus::Histogram*>, kNumActivationKinds> zero_ratio_cache_{};
  std::array<prometheus::Counter*, kNumApis> received_bytes_by_api_{};
  std::array<prometheus::Counter*, kNumApis> sent_bytes_by_api_{};
  std::array<prometheus::Gauge*, kNumApis> inflight_by_api_{};

  // One tracker per ReLU-family repository model; the map is built by the constructor and then only read.
  std::map<std::string, std::unique_ptr<DeadUnitTracker>, std::less<>> trackers_;

  mutable std::mutex probe_mutex_;
  std::function<QueueState()> queue_probe_;  // Guarded by probe_mutex_.
};

// One request's trip for metrics, for the services: arrival on construction, then Ran (from the
// runner's done callback) and Answered (exactly once, when the status is final). With null metrics every
// call does nothing. Cheap to copy (callbacks capture it).
class RequestProbe {
 public:
  RequestProbe(ServerMetrics* metrics, Api api)
      : metrics_(metrics), arrival_(metrics != nullptr ? metrics->RequestArrived(api) : ServerMetrics::Arrival{}) {}
  void Ran(const absl::Status& status, const RunReport& report) const {
    if (metrics_ != nullptr) metrics_->RequestRan(arrival_.api, status, report);
  }
  void Answered(std::optional<ActivationKind> activation, absl::StatusCode code) const {
    if (metrics_ != nullptr) metrics_->RequestAnswered(arrival_, activation, code);
  }

 private:
  ServerMetrics* metrics_;
  ServerMetrics::Arrival arrival_;
};

}  // namespace rectifier::server
