// Flags every `rectifier` subcommand shares (server address, TLS, token, deadline, retries, message size)
// and the Client they describe.
#pragma once

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "rectifier/client/client.h"

namespace rectifier::cli {

struct ConnectionFlags {
  std::string address = "127.0.0.1:50051";
  bool tls = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  std::string token;
  std::string token_file;
  std::string deadline;  // Empty: the subcommand's default.
  int max_attempts = 5;
  std::string max_message_bytes = "64MiB";
};

// Adds the connection flags to `command`, storing into `flags` (which must outlive parsing).
void AddConnectionFlags(CLI::App* command, ConnectionFlags* flags);

// A Client for `flags`; `default_deadline` applies when --deadline is not given.
absl::StatusOr<std::unique_ptr<client::Client>> Connect(const ConnectionFlags& flags,
                                                        std::chrono::milliseconds default_deadline);

// "250ms", "30s", "2m", or a bare number of seconds; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text);
// "4096", "64KiB", "4MiB", "1GiB"; INVALID_ARGUMENT otherwise.
absl::StatusOr<int64_t> ParseBytes(const std::string& text);

// Prints "rectifier <command>: <status>" to stderr.
void PrintError(std::string_view command, const absl::Status& status);

}  // namespace rectifier::cli
