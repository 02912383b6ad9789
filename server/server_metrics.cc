#include "server/server_metrics.h"

#include <utility>

#include "oneapi/dnnl/dnnl.h"
#include "hwy/targets.h"
#include "kernels/catalogue.h"
#include "kernels/str_cat.h"
#include "kernels/tensor.h"
#include "prometheus/text_serializer.h"
#include "server/output_statistics.h"

#ifndef RECTIFIER_VERSION
#define RECTIFIER_VERSION "unknown"
#endif

namespace rectifier::server {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Request, queue and compute durations, in seconds: 50 us (an inline relu of a few KiB) to 10 s (a
// 256Mi-element transcendental request on a busy machine).
const Histogram::BucketBoundaries& LatencyBucketsSeconds() {
  static const Histogram::BucketBoundaries buckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                      0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                                      0.5,     1,      2.5,     5,      10};
  return buckets;
}
// Requests per kernel call: powers of two up to 512.
const Histogram::BucketBoundaries& BatchRequestBuckets() {
  static const Histogram::BucketBoundaries buckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  return buckets;
}
// Elements per kernel call: powers of four from 64 to 256Mi (the default tensor limit).
const Histogram::BucketBoundaries& BatchElementBuckets() {
  static const Histogram::BucketBoundaries buckets = [] {
    Histogram::BucketBoundaries b;
    for (double v = 64; v <= double(int64_t{1} << 28); v *= 4) b.push_back(v);
    return b;
  }();
  return buckets;
}
// Share of zero outputs: tenths, with finer steps near 0 and 1 (the interesting ends for ReLU layers).
const Histogram::BucketBoundaries& ZeroRatioBuckets() {
  static const Histogram::BucketBoundaries buckets = {0,   0.01, 0.05, 0.1, 0.2,  0.3,  0.4, 0.5,
                                                      0.6, 0.7,  0.8,  0.9, 0.95, 0.99, 1};
  return buckets;
}

int ActivationIndex(std::optional<ActivationKind> kind) {
  return kind ? static_cast<int>(*kind) : kNumActivationKinds;
}
std::string ActivationLabel(std::optional<ActivationKind> kind) {
  return std::string(kind ? InfoFor(*kind).name : kUnknownActivationLabel);
}

// Returns the child cached in `slot`, creating it with the labels `make_labels()` returns (built only
// then: Family::Add returns the existing child for the same labels, so a race stores the same pointer).
template <typename T, typename MakeLabels, typename... Args>
T& Cached(std::atomic<T*>& slot, Family<T>& family, MakeLabels&& make_labels, Args&&... args) {
  T* child = slot.load(std::memory_order_acquire);
  if (child == nullptr) {
    child = &family.Add(make_labels(), std::forward<Args>(args)...);
    slot.store(child, std::memory_order_release);
  }
  return *child;
}

double Seconds(std::chrono::nanoseconds duration) { return std::chrono::duration<double>(duration).count(); }

// The best SIMD target Highway dispatches to on this CPU, e.g. "AVX3" or "AVX2".
std::string DispatchedIsa() {
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return targets == 0 ? std::string("unknown") : std::string(hwy::TargetName(targets & -targets));
}

std::string OnednnVersion() {
  const dnnl_version_t* version = dnnl_version();
  return StrCat(version->major, ".", version->minor, ".", version->patch);
}

}  // namespace

// The Collectable the exposer sees: refreshes the scrape-time gauges, then collects everything.
class ServerMetrics::ScrapeView final : public prometheus::Collectable {
 public:
  explicit ScrapeView(const ServerMetrics* metrics) : metrics_(metrics) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return metrics_->Collect(); }

 private:
  const ServerMetrics* metrics_;
};

std::string_view ApiName(Api api) { return api == Api::kOip ? "oip" : "native"; }

bool IsReluFamily(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kRelu:
    case ActivationKind::kLeakyRelu:
    case ActivationKind::kPrelu:
    case ActivationKind::kElu:
    case ActivationKind::kSelu:
    case ActivationKind::kCelu:
    case ActivationKind::kRelu6:
    case ActivationKind::kCrelu:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<std::unique_ptr<ServerMetrics>> ServerMetrics::Create(const ServerMetricsOptions& options) {
  if (options.models == nullptr) return absl::InvalidArgumentError("models must be set; was null");
  if (options.dead_unit_window_requests <= 0) {
    return absl::InvalidArgumentError(
        StrCat("dead_unit_window_requests must be positive; was ", options.dead_unit_window_requests));
  }
  if (options.dead_unit_max_channels <= 0) {
    return absl::InvalidArgumentError(
        StrCat("dead_unit_max_channels must be positive; was ", options.dead_unit_max_channels));
  }
  return std::unique_ptr<ServerMetrics>(new ServerMetrics(options));
}

ServerMetrics::ServerMetrics(const ServerMetricsOptions& options)
    : options_(options),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("rectifier_requests_total")
                    .Help("Requests answered, by API, activation and canonical status code.")
                    .Register(*registry_)),
      request_duration_(prometheus::BuildHistogram()
                            .Name("rectifier_request_duration_seconds")
                            .Help("Time from a request's arrival to its answer (validation, queue, compute).")
                            .Register(*registry_)),
      queue_duration_(prometheus::BuildHistogram()
                          .Name("rectifier_queue_duration_seconds")
                          .Help("Time a request waited for its kernel call (0 when computed inline).")
                          .Register(*registry_)),
      compute_duration_(prometheus::BuildHistogram()
                            .Name("rectifier_compute_duration_seconds")
                            .Help("Duration of the kernel call that computed a request.")
                            .Register(*registry_)),
      elements_(prometheus::BuildCounter()
                    .Name("rectifier_elements_total")
                    .Help("Input tensor elements of successful requests, by activation and data type.")
                    .Register(*registry_)),
      received_bytes_(prometheus::BuildCounter()
                          .Name("rectifier_received_bytes_total")
                          .Help("Input tensor bytes of requests that passed validation.")
                          .Register(*registry_)),
      sent_bytes_(prometheus::BuildCounter()
                      .Name("rectifier_sent_bytes_total")
                      .Help("Output tensor bytes of successful requests.")
                      .Register(*registry_)),
      inflight_(prometheus::BuildGauge()
                    .Name("rectifier_inflight_requests")
                    .Help("Requests arrived and not yet answered.")
                    .Register(*registry_)),
      zero_ratio_(prometheus::BuildHistogram()
                      .Name("rectifier_output_zero_ratio")
                      .Help("Share of a successful request's output elements equal to zero (-0.0 included; "
                            "sampled above 16Ki elements), one observation per request.")
                      .Register(*registry_)),
      dead_ratio_(prometheus::BuildGauge()
                      .Name("rectifier_dead_channels_ratio")
                      .Help("Share of a ReLU-family model's channels whose input was <= 0 in every request of "
                            "the sliding window.")
                      .Register(*registry_)),
      batch_requests_(prometheus::BuildHistogram()
                          .Name("rectifier_batch_requests")
                          .Help("Requests computed by one kernel call.")
                          .Register(*registry_)
                          .Add({}, BatchRequestBuckets())),
      batch_elements_(prometheus::BuildHistogram()
                          .Name("rectifier_batch_elements")
                          .Help("Input elements computed by one kernel call.")
                          .Register(*registry_)
                          .Add({}, BatchElementBuckets())),
      queue_depth_(prometheus::BuildGauge()
                       .Name("rectifier_queue_depth")
                       .Help("Requests waiting for a kernel call.")
                       .Register(*registry_)
                       .Add({})),
      queue_capacity_(prometheus::BuildGauge()
                          .Name("rectifier_queue_capacity")
                          .Help("Requests that may wait before new ones are refused with UNAVAILABLE.")
                          .Register(*registry_)
                          .Add({})) {
  prometheus::BuildGauge()
      .Name("rectifier_build_info")
      .Help("Always 1; the labels describe the build and the SIMD target in use.")
      .Register(*registry_)
      .Add({{"version", RECTIFIER_VERSION}, {"onednn_version", OnednnVersion()}, {"isa", DispatchedIsa()}})
      .Set(1);
  for (int a = 0; a < kNumApis; ++a) {
    const prometheus::Labels labels = {{"api", std::string(ApiName(static_cast<Api>(a)))}};
    received_bytes_by_api_[a] = &received_bytes_.Add(labels);
    sent_bytes_by_api_[a] = &sent_bytes_.Add(labels);
    inflight_by_api_[a] = &inflight_.Add(labels);
  }
  for (const Model& model : options_.models->models()) {
    if (!IsReluFamily(KindOf(model.activation))) continue;
    trackers_.emplace(model.name, *DeadUnitTracker::Create({.window_requests = options_.dead_unit_window_requests,
                                                            .max_channels = options_.dead_unit_max_channels}));
  }
  if (options_.process_metrics) process_ = std::make_unique<ProcessCollector>(options_.process);
  scrape_ = std::make_shared<ScrapeView>(this);
}

ServerMetrics::~ServerMetrics() = default;

ServerMetrics::Arrival ServerMetrics::RequestArrived(Api api) {
  inflight_by_api_[static_cast<int>(api)]->Increment();
  return Arrival{.api = api, .at = options_.now ? options_.now() : std::chrono::steady_clock::now()};
}

Histogram& ServerMetrics::LatencyHistogram(Family<Histogram>& family,
                                           std::array<std::atomic<Histogram*>, kNumApis * kNumActivationLabels>& cache,
                                           Api api, std::optional<ActivationKind> activation) {
  return Cached(
      cache[static_cast<int>(api) * kNumActivationLabels + ActivationIndex(activation)], family,
      [&] { return prometheus::Labels{{"api", std::string(ApiName(api))}, {"activation", ActivationLabel(activation)}}; },
      LatencyBucketsSeconds());
}

void ServerMetrics::RequestAnswered(const Arrival& arrival, std::optional<ActivationKind> activation,
                                    absl::StatusCode code) {
  const auto now = options_.now ? options_.now() : std::chrono::steady_clock::now();
  int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kNumCodes) code_index = static_cast<int>(absl::StatusCode::kUnknown);
  Cached(requests_cache_[(static_cast<int>(arrival.api) * kNumActivationLabels + ActivationIndex(activation)) *
                             kNumCodes +
                         code_index],
         requests_, [&] {
           return prometheus::Labels{{"api", std::string(ApiName(arrival.api))},
                                     {"activation", ActivationLabel(activation)},
                                     {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code_index))}};
         })
      .Increment();
  LatencyHistogram(request_duration_, request_duration_cache_, arrival.api, activation)
      .Observe(Seconds(now - arrival.at));
  inflight_by_api_[static_cast<int>(arrival.api)]->Decrement();
}

void ServerMetrics::RequestRan(Api api, const absl::Status& status, const RunReport& report) {
  const PreparedRequest* request = report.request;
  if (request == nullptr) return;  // Refused before it was queued: only RequestAnswered counts it.
  const ActivationKind kind = KindOf(request->activation);
  received_bytes_by_api_[static_cast<int>(api)]->Increment(static_cast<double>(request->input_bytes));
  LatencyHistogram(queue_duration_, queue_duration_cache_, api, kind).Observe(Seconds(report.queued));
  if (!status.ok()) return;
  LatencyHistogram(compute_duration_, compute_duration_cache_, api, kind).Observe(Seconds(report.computed));
  sent_bytes_by_api_[static_cast<int>(api)]->Increment(static_cast<double>(request->output_bytes));

  const int64_t input_elements =
      static_cast<int64_t>(request->input_bytes / ElementSizeBytes(request->input.dtype));
  const int dtype_index = static_cast<int>(request->input.dtype);
  Cached(elements_cache_[static_cast<int>(kind) * kNumDataTypes + dtype_index], elements_, [&] {
    return prometheus::Labels{{"activation", ActivationLabel(kind)},
                              {"dtype", std::string(DataTypeName(request->input.dtype))}};
  })
      .Increment(static_cast<double>(input_elements));
  // The batcher reports its own kernel calls (on_batch); the others are counted here, once each.
  if (options_.batches_from_run_reports && !report.batched) BatchComputed(report.batch_requests, input_elements);

  const int64_t output_elements =
      static_cast<int64_t>(request->output_bytes / ElementSizeBytes(request->output.dtype));
  const TensorView output{request->output.dtype, request->output.shape, request->output.data};
  const std::optional<double> ratio = request->in_place_runs.empty()
                                          ? ZeroRatio(output, output_elements)
                                          : ZeroRatio(output.dtype, request->in_place_runs, output_elements);
  if (ratio) {
    Cached(
        zero_ratio_cache_[static_cast<int>(kind)], zero_ratio_,
        [&] { return prometheus::Labels{{"activation", ActivationLabel(kind)}}; }, ZeroRatioBuckets())
        .Observe(*ratio);
  }
  // Never a request computed in runs: its input is overwritten (ApplyHandler keeps ReLU-family models out).
  if (!request->model.empty() && request->input.data != nullptr) {
    auto tracker = trackers_.find(request->model);
    if (tracker != trackers_.end()) {
      tracker->second->Record(
          ComputeChannelActivity(request->input, input_elements, options_.dead_unit_max_channels));
    }
  }
}

void ServerMetrics::BatchComputed(int requests, int64_t elements) {
  batch_requests_.Observe(static_cast<double>(requests));
  batch_elements_.Observe(static_cast<double>(elements));
}

void ServerMetrics::SetQueueProbe(std::function<QueueState()> probe) {
  std::lock_guard<std::mutex> lock(probe_mutex_);
  queue_probe_ = std::move(probe);
}

void ServerMetrics::SetQueueState(const QueueState& state) {
  queue_depth_.Set(static_cast<double>(state.depth));
  queue_capacity_.Set(static_cast<double>(state.capacity));
}

absl::StatusOr<DeadUnitStats> ServerMetrics::ModelStats(std::string_view model) const {
  auto tracker = trackers_.find(model);
  if (tracker != trackers_.end()) return tracker->second->Stats();
  const Model* found = options_.models->Find(model);
  if (found == nullptr) return absl::NotFoundError(StrCat("model '", model, "' is not in the model repository"));
  return absl::InvalidArgumentError(
      StrCat("model '", model, "' applies ", InfoFor(KindOf(found->activation)).name,
             ", which is not of the ReLU family (relu, leaky_relu, prelu, elu, selu, celu, relu6, crelu): "
             "it has no dead-unit statistics"));
}

std::vector<prometheus::MetricFamily> ServerMetrics::Collect() const {
  {
    std::lock_guard<std::mutex> lock(probe_mutex_);
    if (queue_probe_) {
      const QueueState state = queue_probe_();
      queue_depth_.Set(static_cast<double>(state.depth));
      queue_capacity_.Set(static_cast<double>(state.capacity));
    }
  }
  for (const auto& [name, tracker] : trackers_) {
    const DeadUnitStats stats = tracker->Stats();
    // Models that had no request in the window export no series rather than a misleading 0.
    if (stats.requests_in_window == 0) continue;
    dead_ratio_.Add({{"model", name}}).Set(stats.dead_ratio);
  }
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  if (process_) {
    for (prometheus::MetricFamily& family : process_->Collect()) families.push_back(std::move(family));
  }
  return families;
}

std::string ServerMetrics::Scrape() const { return prometheus::TextSerializer().Serialize(Collect()); }

}  // namespace rectifier::server
