// `rectifier health`: grpc.health.v1 Check, for scripts and the Docker HEALTHCHECK.
#include <iostream>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common_flags.h"

namespace rectifier::cli {
namespace {

constexpr std::chrono::milliseconds kHealthDeadline{5000};
constexpr int kExitServing = 0;
constexpr int kExitNotServing = 1;
constexpr int kExitUnreachable = 2;

struct HealthFlags {
  ConnectionFlags connection;
  std::string service;
};

int RunHealth(const HealthFlags& flags) {
  auto client = Connect(flags.connection, kHealthDeadline);
  if (!client.ok()) {
    PrintError("health", client.status());
    return kExitUnreachable;
  }
  absl::StatusOr<client::ServingStatus> status = (*client)->Health(flags.service);
  if (!status.ok()) {
    PrintError("health", status.status());
    // The server answered with an error (e.g. NOT_FOUND for an unknown service): it is there, not serving.
    const bool answered = status.status().code() != absl::StatusCode::kUnavailable &&
                          status.status().code() != absl::StatusCode::kDeadlineExceeded;
    return answered ? kExitNotServing : kExitUnreachable;
  }
  std::cout << client::ServingStatusName(*status) << "\n";
  return *status == client::ServingStatus::kServing ? kExitServing : kExitNotServing;
}

}  // namespace

void AddHealthCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<HealthFlags>();
  CLI::App* command = app.add_subcommand(
      "health", "Check the server's health (grpc.health.v1). Exit code 0: SERVING; 1: the server answered "
                "NOT_SERVING (or another status); 2: the server could not be reached. Default deadline 5s.");
  AddConnectionFlags(command, &flags->connection);
  command->add_option("--service", flags->service,
                      "Service to check: empty for the whole server, or rectifier.v1.ActivationService");
  command->callback([flags, exit_code] { *exit_code = RunHealth(*flags); });
}

}  // namespace rectifier::cli
