#include "bench/loadgen/bench_options.h"

#include <CLI/CLI.hpp>

#include "kernels/data_type.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "server/units.h"

namespace rectifier::bench {
namespace {

absl::StatusOr<std::chrono::microseconds> Duration(const std::string& flag, const std::string& text) {
  auto parsed = server::ParseDuration(text);
  if (!parsed.ok()) return absl::InvalidArgumentError(StrCat("--", flag, ": ", std::string(parsed.status().message())));
  return *parsed;
}

absl::Status Validate(const BenchOptions& o) {
  if (o.echo_server) return absl::OkStatus();
  if (o.targets.empty()) return absl::InvalidArgumentError("give at least one of --rectifier and --echo");
  if (o.api != "rectifier.v1" && o.api != "oip") {
    return absl::InvalidArgumentError(StrCat("--api must be rectifier.v1 or oip; was '", o.api, "'"));
  }
  if (!ParseDataType(o.dtype)) return absl::InvalidArgumentError(StrCat("--dtype is not a data type; was '", o.dtype, "'"));
  for (int level : o.concurrency) {
    if (level <= 0) return absl::InvalidArgumentError(StrCat("--concurrency must be positive; was ", level));
  }
  for (double rate : o.request_rates_per_s) {
    if (!(rate > 0)) return absl::InvalidArgumentError(StrCat("--request-rate must be positive; was ", rate));
  }
  if (!o.request_rates_per_s.empty() && o.streaming) {
    return absl::InvalidArgumentError("--request-rate (open loop) drives unary calls only; drop --streaming");
  }
  if (o.max_outstanding <= 0) {
    return absl::InvalidArgumentError(StrCat("--max-outstanding must be positive; was ", o.max_outstanding));
  }
  if (o.max_channels <= 0) return absl::InvalidArgumentError(StrCat("--channels must be positive; was ", o.max_channels));
  if (o.window.count() <= 0) return absl::InvalidArgumentError("--window must be positive; was 0");
  if (o.alternations <= 0) {
    return absl::InvalidArgumentError(StrCat("--alternations must be positive; was ", o.alternations));
  }
  for (uint64_t bytes : o.sizes_bytes) {
    if (bytes == 0 && o.shape.empty()) return absl::InvalidArgumentError("--size must be positive; was 0");
  }
  for (int64_t dim : o.shape) {
    if (dim < 0) return absl::InvalidArgumentError(StrCat("--shape dimensions must be non-negative; was ", dim));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedArgs> ParseBenchOptions(int argc, char** argv) {
  ParsedArgs parsed;
  BenchOptions& o = parsed.options;
  CLI::App app{"rectifier-bench: load generator for rectifier-server, measured against a bare-gRPC echo server"};
  std::string rectifier_address, echo_address, rate_distribution = "poisson";
  std::vector<std::string> sizes = {"1KiB"};
  std::string warmup = "1s", window = "3s", timeout = "30s";

  app.add_flag("--echo-server", o.echo_server, "Serve the echo baseline (answers any method with the request bytes)");
  app.add_option("--listen", o.echo_listen_address, "Echo server: address to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--rectifier", rectifier_address, "rectifier-server to drive (HOST:PORT)");
  app.add_option("--echo", echo_address, "Echo server to drive with the same bytes (HOST:PORT)");
  app.add_option("--api", o.api, "API: rectifier.v1 (Apply/ApplyStream) or oip (Open Inference Protocol ModelInfer)")->capture_default_str();
  app.add_option("--activation", o.activation, "Activation, text form: relu, gelu(approximate=tanh), ...")
      ->capture_default_str();
  app.add_option("--dtype", o.dtype, "Input data type: float32, float64, float16, bfloat16, int8, ...")
      ->capture_default_str();
  app.add_option("--size", sizes, "Input tensor sizes in bytes (KiB/MiB), one sweep each")->delimiter(',')
      ->capture_default_str();
  app.add_option("--shape", o.shape, "Explicit input shape (comma-separated), instead of --size")->delimiter(',');
  app.add_option("--seed", o.seed, "Seed of the random input")->capture_default_str();
  app.add_option("--concurrency", o.concurrency, "Closed loop: calls in flight, a sweep (1,16,64)")->delimiter(',')
      ->capture_default_str();
  app.add_option("--request-rate", o.request_rates_per_s, "Open loop: requests/s, a sweep; replaces --concurrency")
      ->delimiter(',');
  app.add_option("--arrivals", rate_distribution, "Open loop: poisson or constant")
      ->check(CLI::IsMember({"poisson", "constant"}))->capture_default_str();
  app.add_option("--max-outstanding", o.max_outstanding, "Open loop: in-flight cap; beyond it requests are dropped")
      ->capture_default_str();
  app.add_flag("--streaming", o.streaming, "Use ApplyStream, one request in flight per stream");
  app.add_option("--channels", o.max_channels, "At most this many channels (separate connections) per target")
      ->capture_default_str();
  app.add_option("--warmup", warmup, "Warm-up before each measurement window")->capture_default_str();
  app.add_option("--window", window, "Measurement window")->capture_default_str();
  app.add_option("--timeout", timeout, "Deadline of each call")->capture_default_str();
  app.add_option("--alternations", o.alternations, "Measure each point this many times, targets alternating")
      ->capture_default_str();
  app.add_flag("--verify", o.verify, "Check every warm-up response against the reference (never while timing)");
  app.add_option("--json", o.json_path, "Write the results as JSON to this file");
  app.add_option("--markdown", o.markdown_path, "Write the summary as a Markdown table to this file");
  app.add_option("--note", o.note, "Free text stored in the JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.help = true;
    parsed.help_text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (!rectifier_address.empty()) o.targets.push_back({"rectifier", TargetKind::kRectifier, rectifier_address});
  if (!echo_address.empty()) o.targets.push_back({"echo", TargetKind::kEcho, echo_address});
  o.poisson_arrivals = rate_distribution == "poisson";
  o.sizes_bytes.clear();
  for (const std::string& text : sizes) {
    auto bytes = server::ParseByteSize(text);
    if (!bytes.ok()) return absl::InvalidArgumentError(StrCat("--size: ", std::string(bytes.status().message())));
    o.sizes_bytes.push_back(*bytes);
  }
  if (!o.shape.empty()) o.sizes_bytes = {0};  // One sweep, of the explicit shape.
  RECTIFIER_ASSIGN_OR_RETURN(o.warmup, Duration("warmup", warmup));
  RECTIFIER_ASSIGN_OR_RETURN(o.window, Duration("window", window));
  RECTIFIER_ASSIGN_OR_RETURN(o.call_timeout, Duration("timeout", timeout));
  RECTIFIER_RETURN_IF_ERROR(Validate(o));
  return parsed;
}

}  // namespace rectifier::bench
