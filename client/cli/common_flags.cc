#include "client/cli/common_flags.h"

#include <cstdlib>
#include <iostream>

#include "client/cli/npy.h"
#include "kernels/str_cat.h"

namespace rectifier::cli {

void AddConnectionFlags(CLI::App* command, ConnectionFlags* flags) {
  command->add_option("--address", flags->address, "Server address: host:port, dns:///name:port (round robin), unix:path")
      ->envname("RECTIFIER_ADDRESS")
      ->capture_default_str();
  command->add_flag("--tls", flags->tls, "Use TLS (implied by the other --tls-* flags)");
  command->add_option("--tls-ca", flags->tls_ca, "PEM CA bundle that signed the server certificate (default: system roots)");
  command->add_option("--tls-cert", flags->tls_cert, "PEM client certificate chain (mutual TLS)");
  command->add_option("--tls-key", flags->tls_key, "PEM client private key (mutual TLS)");
  command->add_option("--tls-server-name", flags->tls_server_name, "Host name to verify in the server certificate");
  command->add_option("--token", flags->token, "Bearer token sent as 'authorization: Bearer <token>'")
      ->envname("RECTIFIER_TOKEN");
  command->add_option("--token-file", flags->token_file, "File whose first line is the bearer token");
  command->add_option("--deadline", flags->deadline, "Deadline of each call: 250ms, 30s, 2m");
  command->add_option("--max-attempts", flags->max_attempts, "Attempts per call when the server is UNAVAILABLE (1-5)")
      ->capture_default_str();
  command->add_option("--max-message-bytes", flags->max_message_bytes, "Largest message sent or received")
      ->capture_default_str();
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit(end);
  double milliseconds = 0;
  if (end == text.c_str() || !(value >= 0)) {
    return absl::InvalidArgumentError(StrCat("bad duration '", text, "': use e.g. 250ms, 30s, 2m"));
  }
  if (unit == "ms") {
    milliseconds = value;
  } else if (unit == "s" || unit.empty()) {
    milliseconds = value * 1000;
  } else if (unit == "m") {
    milliseconds = value * 60000;
  } else {
    return absl::InvalidArgumentError(StrCat("bad duration unit in '", text, "': use ms, s or m"));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(milliseconds));
}

absl::StatusOr<int64_t> ParseBytes(const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  const std::string unit(end);
  if (end == text.c_str() || value < 0) return absl::InvalidArgumentError(StrCat("bad size '", text, "'"));
  if (unit.empty() || unit == "B") return value;
  if (unit == "KiB") return value << 10;
  if (unit == "MiB") return value << 20;
  if (unit == "GiB") return value << 30;
  return absl::InvalidArgumentError(StrCat("bad size unit in '", text, "': use B, KiB, MiB or GiB"));
}

absl::StatusOr<std::unique_ptr<client::Client>> Connect(const ConnectionFlags& flags,
                                                        std::chrono::milliseconds default_deadline) {
  client::ClientOptions options;
  options.target = flags.address;
  options.tls.enabled = flags.tls || !flags.tls_ca.empty() || !flags.tls_cert.empty() || !flags.tls_key.empty() ||
                        !flags.tls_server_name.empty();
  options.tls.root_certs_file = flags.tls_ca;
  options.tls.client_cert_file = flags.tls_cert;
  options.tls.client_key_file = flags.tls_key;
  options.tls.server_name_override = flags.tls_server_name;
  options.bearer_token = flags.token;
  if (!flags.token_file.empty()) {
    absl::StatusOr<std::string> contents = ReadFileBytes(flags.token_file);
    if (!contents.ok()) return contents.status();
    options.bearer_token = contents->substr(0, contents->find_first_of("\r\n"));
  }
  options.default_deadline = default_deadline;
  if (!flags.deadline.empty()) {
    absl::StatusOr<std::chrono::milliseconds> deadline = ParseDuration(flags.deadline);
    if (!deadline.ok()) return deadline.status();
    options.default_deadline = *deadline;
  }
  options.retry.max_attempts = flags.max_attempts;
  absl::StatusOr<int64_t> max_message_bytes = ParseBytes(flags.max_message_bytes);
  if (!max_message_bytes.ok()) return max_message_bytes.status();
  options.max_message_bytes = *max_message_bytes;
  return client::Client::Create(options);
}

void PrintError(std::string_view command, const absl::Status& status) {
  std::cerr << "rectifier " << command << ": " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
}

}  // namespace rectifier::cli
