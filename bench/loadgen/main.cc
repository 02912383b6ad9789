// rectifier-bench: load generator for rectifier-server with a bare-gRPC echo baseline (bench/README.md),
// or, with --echo-server, that baseline server itself. main() only wires the components together.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench/loadgen/bench_options.h"
#include "bench/loadgen/echo_server.h"
#include "server/large_message_allocator.h"
#include "server/malloc_arenas.h"
#include "bench/loadgen/machine_info.h"
#include "bench/loadgen/results.h"
#include "bench/loadgen/sweep.h"
#include "server/shutdown_signal.h"

namespace {

int ServeEcho(const rectifier::bench::BenchOptions& options) {
  auto server = rectifier::bench::EchoServer::Create({.address = options.echo_listen_address});
  if (!server.ok()) {
    std::fprintf(stderr, "rectifier-bench: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  // Scripts read the port from this line.
  std::printf("echo server listening on port %d\n", (*server)->port());
  std::fflush(stdout);
  rectifier::server::WaitForShutdownSignal();
  (*server)->Shutdown();
  return 0;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  return static_cast<bool>(file);
}

}  // namespace

int main(int argc, char** argv) {
  rectifier::server::BlockShutdownSignals();
  auto parsed = rectifier::bench::ParseBenchOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "rectifier-bench: %s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  if (parsed->help) {
    std::cout << parsed->help_text;
    return 0;
  }
  const rectifier::bench::BenchOptions& options = parsed->options;
  // The echo baseline runs with the server's allocator settings, so that the comparison is of the work
  // each does with a message, not of how glibc maps memory for it.
  if (options.echo_server) {
    rectifier::server::TuneAllocatorForLargeMessages();
    rectifier::server::LimitMallocArenas();
    return ServeEcho(options);
  }

  nlohmann::json machine = rectifier::bench::MachineInfo();
  auto runs = rectifier::bench::RunSweep(options);
  if (!runs.ok()) {
    std::fprintf(stderr, "rectifier-bench: %s\n", std::string(runs.status().message()).c_str());
    return 2;
  }
  machine["load_average_1m_after"] = rectifier::bench::LoadAverage1m();
  const auto rows = rectifier::bench::Summarize(*runs);
  std::cout << rectifier::bench::TextTable(rows);
  if (!options.json_path.empty() &&
      !WriteFile(options.json_path, rectifier::bench::ResultsJson(options, machine, *runs, rows).dump(2) + "\n")) {
    std::fprintf(stderr, "rectifier-bench: cannot write %s\n", options.json_path.c_str());
    return 2;
  }
  if (!options.markdown_path.empty() && !WriteFile(options.markdown_path, rectifier::bench::MarkdownTable(rows))) {
    std::fprintf(stderr, "rectifier-bench: cannot write %s\n", options.markdown_path.c_str());
    return 2;
  }
  for (const auto& row : rows) {
    if (row.verify_failures > 0) return 1;  // Wrong answers make every figure meaningless.
  }
  return 0;
}
