#include "bench/loadgen/sweep.h"

#include <algorithm>
#include <cstdio>

#include "bench/loadgen/channels.h"
#include "bench/loadgen/closed_loop.h"
#include "bench/loadgen/open_loop.h"
#include "bench/loadgen/request_builder.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "server/units.h"

namespace rectifier::bench {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += StrCat(i ? ", " : "", shape[i]);
  return text + "]";
}

ResponseVerifier VerifierFor(const Target& target, const RequestBuilder& builder) {
  if (target.kind == TargetKind::kEcho) {
    return [&builder](const grpc::ByteBuffer& response) {
      return SameBytes(response, builder.request()) ? absl::OkStatus()
                                                    : absl::InternalError("the echo differs from the request");
    };
  }
  return [&builder](const grpc::ByteBuffer& response) { return builder.VerifyResponse(response); };
}

int64_t ErrorCount(const Measurement& m) {
  int64_t errors = 0;
  for (const auto& [code, count] : m.errors_by_code) errors += count;
  return errors;
}

}  // namespace

absl::StatusOr<std::vector<RunResult>> RunSweep(const BenchOptions& o) {
  const bool open_loop = !o.request_rates_per_s.empty();
  std::vector<double> levels;
  if (open_loop) {
    levels = o.request_rates_per_s;
  } else {
    for (int level : o.concurrency) levels.push_back(level);
  }
  const int max_level = open_loop ? o.max_channels : *std::max_element(o.concurrency.begin(), o.concurrency.end());
  std::vector<std::vector<std::unique_ptr<grpc::GenericStub>>> stubs;
  for (const Target& target : o.targets) stubs.push_back(CreateStubs(target.address, std::min(max_level, o.max_channels)));

  std::vector<RunResult> results;
  for (uint64_t size : o.sizes_bytes) {
    RequestSpec spec{.api = o.api, .activation = o.activation, .dtype = *ParseDataType(o.dtype), .shape = {}, .seed = o.seed};
    spec.shape = o.shape.empty() ? ShapeForBytes(spec.dtype, size) : o.shape;
    RECTIFIER_ASSIGN_OR_RETURN(auto builder, CreateRequestBuilder(spec));
    const std::string& method = o.streaming ? builder->stream_method() : builder->unary_method();
    if (method.empty()) return absl::InvalidArgumentError(StrCat("the ", o.api, " API has no streaming method"));
    for (double level : levels) {
      for (int alternation = 0; alternation < o.alternations; ++alternation) {
        for (size_t i = 0; i < o.targets.size(); ++i) {
          const size_t t = alternation % 2 ? o.targets.size() - 1 - i : i;
          const Target& target = o.targets[t];
          LoadSpec load{.stubs = &stubs[t], .method = &method, .request = &builder->request(),
                        .streaming = o.streaming, .call_timeout = o.call_timeout};
          const Clock::time_point start = Clock::now();
          Recorder recorder(start + o.warmup, start + o.warmup + o.window,
                            o.verify ? VerifierFor(target, *builder) : ResponseVerifier());
          if (open_loop) {
            RunOpenLoop(load, RateSpec{.requests_per_s = level, .poisson = o.poisson_arrivals,
                                       .max_outstanding = o.max_outstanding, .seed = o.seed + alternation},
                        start, recorder);
          } else {
            RunClosedLoop(load, static_cast<int>(level), recorder);
          }
          RunResult run{.target = target.name, .kind = target.kind, .input_bytes = builder->input_tensor_bytes(),
                        .shape = ShapeText(spec.shape), .open_loop = open_loop, .level = level,
                        .alternation = alternation, .measurement = recorder.Finish()};
          const Measurement& m = run.measurement;
          std::fprintf(stderr, "%-9s %s %s=%g #%d: %.1f req/s, p50 %.0f us, p99 %.0f us, %lld errors%s%s\n",
                       target.name.c_str(), server::FormatByteSize(run.input_bytes).c_str(),
                       open_loop ? "rate" : "concurrency", level, alternation, m.requests_per_s(),
                       m.LatencyPercentileUs(50), m.LatencyPercentileUs(99),
                       static_cast<long long>(ErrorCount(m)),
                       m.first_failure.empty() ? "" : "; first: ", m.first_failure.c_str());
          results.push_back(std::move(run));
        }
      }
    }
  }
  return results;
}

}  // namespace rectifier::bench
