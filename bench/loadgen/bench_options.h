// BenchOptions: everything rectifier-bench is told on its command line, parsed with CLI11 and validated.
//
// Two modes: the load generator (the default) and `--echo-server`, which only serves the echo baseline.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rectifier::bench {

// Which server a run drives. An echo target answers with the request's bytes; it is the transport's limit.
enum class TargetKind { kRectifier, kEcho };

struct Target {
  std::string name;     // "rectifier" or "echo"
  TargetKind kind = TargetKind::kRectifier;
  std::string address;  // host:port
};

struct BenchOptions {
  // --echo-server: serve the echo baseline on `echo_listen_address` until SIGTERM/SIGINT.
  bool echo_server = false;
  std::string echo_listen_address = "127.0.0.1:0";

  // Servers to drive, in the order of each alternation (rectifier first, then echo).
  std::vector<Target> targets;
  // API whose requests are built: "rectifier.v1" or "oip" (a request builder per API).
  std::string api = "rectifier.v1";
  // Activation in the text form of the catalogue, e.g. "relu", "leaky_relu(negative_slope=0.2)".
  std::string activation = "relu";
  std::string dtype = "float32";
  // Input tensor sizes in bytes (one sweep each); the shape is [bytes/element/1024, 1024] when that divides,
  // else [bytes/element]. Ignored when `shape` is set.
  std::vector<uint64_t> sizes_bytes = {1024};
  std::vector<int64_t> shape;
  uint64_t seed = 1;

  // Closed loop: this many calls in flight at each level (one stream each with `streaming`).
  std::vector<int> concurrency = {1};
  // Open loop (unary only): requests per second at each level; replaces the concurrency sweep when set.
  std::vector<double> request_rates_per_s;
  bool poisson_arrivals = true;  // false: a fixed interval between requests
  int max_outstanding = 1024;    // open loop: requests beyond this many in flight are dropped and counted

  bool streaming = false;   // ApplyStream (one request in flight per stream) instead of unary Apply
  int max_channels = 16;    // calls spread over min(level, max_channels) channels, each its own connection
  std::chrono::microseconds warmup{std::chrono::seconds(1)};
  std::chrono::microseconds window{std::chrono::seconds(3)};
  std::chrono::microseconds call_timeout{std::chrono::seconds(30)};
  // Every (size, level) point is measured `alternations` times, targets alternating, and medians reported.
  int alternations = 1;
  // Check every response of the warm-up against the reference (never inside the measurement window).
  bool verify = false;

  std::string json_path;      // empty: no JSON
  std::string markdown_path;  // empty: no Markdown table
  std::string note;           // free text stored in the JSON (e.g. what else ran on the machine)
};

// Parses argv. Returns INVALID_ARGUMENT naming the flag on a bad value; `help` is set (and nothing else
// parsed) for --help, whose text is in `help_text`.
struct ParsedArgs {
  BenchOptions options;
  bool help = false;
  std::string help_text;
};
absl::StatusOr<ParsedArgs> ParseBenchOptions(int argc, char** argv);

}  // namespace rectifier::bench
