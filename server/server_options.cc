#include "server/server_options.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "kernels/core_budget.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "server/auth_tokens.h"
#include "server/yaml_loader.h"

namespace rectifier::server {
namespace {

constexpr std::string_view kEnvPrefix = "RECTIFIER_";
constexpr std::string_view kConfigFlag = "config";

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

// "max-message-bytes" -> "RECTIFIER_MAX_MESSAGE_BYTES".
std::string EnvName(std::string_view flag) {
  std::string out(kEnvPrefix);
  for (char c : flag) {
    out += (c == '-') ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

// A decimal integer that fits in int (sign allowed, so that validation can say "must be positive").
absl::StatusOr<int> ParseInt(std::string_view text) {
  std::string_view trimmed = text;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) trimmed.remove_prefix(1);
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) trimmed.remove_suffix(1);
  if (!trimmed.empty() && trimmed.front() == '+') trimmed.remove_prefix(1);
  int value = 0;
  const char* end = trimmed.data() + trimmed.size();
  auto [ptr, error] = std::from_chars(trimmed.data(), end, value);
  if (trimmed.empty() || error == std::errc::invalid_argument || ptr != end) {
    return absl::InvalidArgumentError(StrCat("'", text, "' is not an integer"));
  }
  if (error == std::errc::result_out_of_range) {
    return absl::InvalidArgumentError(StrCat("'", text, "' is out of range"));
  }
  return value;
}

// "on" | "off" (also true/false, yes/no, 1/0), any case.
absl::StatusOr<bool> ParseOnOff(std::string_view text) {
  const std::string lower = Lowercase(text);
  if (lower == "on" || lower == "true" || lower == "yes" || lower == "1") return true;
  if (lower == "off" || lower == "false" || lower == "no" || lower == "0") return false;
  return absl::InvalidArgumentError(StrCat("must be on or off; was '", text, "'"));
}

// A plain number of microseconds, or a duration with its unit ("500us", "2ms").
absl::StatusOr<std::chrono::microseconds> ParseMicroseconds(std::string_view text) {
  if (absl::StatusOr<int> plain = ParseInt(text); plain.ok()) return std::chrono::microseconds(*plain);
  return ParseDuration(text);
}

// One setting: its flag, and how a value of it (from any source) is applied to ServerOptions.
struct FlagSpec {
  std::string_view name;        // Flag without the leading "--"; also the config key.
  std::string_view value_name;  // For --help, e.g. "SIZE".
  std::string_view help;
  std::string (*default_text)();
  absl::Status (*apply)(std::string_view value, ServerOptions& options);
};

template <auto Field>
absl::Status SetString(std::string_view value, ServerOptions& options) {
  options.*Field = std::string(value);
  return absl::OkStatus();
}

// The --help default of settings that are off unless given.
std::string NoDefault() { return "(none)"; }

const std::vector<FlagSpec>& Flags() {
  static const std::vector<FlagSpec> flags = {
      {"address", "HOST:PORT", "gRPC listening address, host:port or unix:PATH",
       [] { return std::string(kDefaultAddress); }, SetString<&ServerOptions::address>},
      {"metrics-address", "HOST:PORT", "Prometheus /metrics endpoint; empty: none",
       [] { return std::string(kDefaultMetricsAddress); }, SetString<&ServerOptions::metrics_address>},
      {"dead-unit-window-requests", "N", "Requests per ReLU-family model over which dead channels are found",
       [] { return StrCat(kDefaultDeadUnitWindowRequests); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.dead_unit_window_requests, ParseCount(value));
         return absl::OkStatus();
       }},
      {"health-address", "HOST:PORT",
       "Extra plaintext port serving only grpc.health.v1 (for probes when the main port uses mTLS)", NoDefault,
       SetString<&ServerOptions::health_address>},
      {"max-message-bytes", "SIZE", "Largest request or response message, e.g. 64MiB",
       [] { return FormatByteSize(kDefaultMaxMessageBytes); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_message_bytes, ParseByteSize(value));
         return absl::OkStatus();
       }},
      {"zero-copy-min-bytes", "SIZE",
       "rectifier.v1 requests this large or larger are computed in the buffers they arrived in, without a "
       "parse copy, when their activation is element-wise; above --max-message-bytes: never",
       [] { return FormatByteSize(kDefaultZeroCopyMinBytes); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.zero_copy_min_bytes, ParseByteSize(value));
         return absl::OkStatus();
       }},
      {"max-tensor-elements", "COUNT", "Largest input or output tensor, in elements, e.g. 256Mi",
       [] { return FormatCount(kDefaultMaxTensorElements); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_tensor_elements, ParseCount(value));
         return absl::OkStatus();
       }},
      {"max-rank", "N", "Largest tensor rank (number of dimensions)", [] { return StrCat(kDefaultMaxRank); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_rank, ParseInt(value));
         return absl::OkStatus();
       }},
      {"max-concurrent-streams", "N", "Largest number of concurrent calls per client connection (HTTP/2 setting)",
       [] { return StrCat(kDefaultMaxConcurrentStreams); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_concurrent_streams, ParseInt(value));
         return absl::OkStatus();
       }},
      {"threads", "N", "Threads serving requests",
       [] { return StrCat("the cores available (", DefaultThreads(), " here)"); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.threads, ParseInt(value));
         return absl::OkStatus();
       }},
      {"shutdown-grace", "DURATION", "On SIGTERM, how long in-flight calls may run before they are cancelled, e.g. 10s",
       [] { return FormatDuration(kDefaultShutdownGrace); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.shutdown_grace, ParseDuration(value));
         return absl::OkStatus();
       }},
      {"models", "FILE", "Model repository YAML file (added to the built-in models)", NoDefault,
       SetString<&ServerOptions::models_file>},
      {"tls-cert", "FILE", "PEM server certificate chain (with --tls-key: serve TLS)", NoDefault,
       SetString<&ServerOptions::tls_cert_file>},
      {"tls-key", "FILE", "PEM server private key (with --tls-cert)", NoDefault,
       SetString<&ServerOptions::tls_key_file>},
      {"tls-client-ca", "FILE", "PEM CA bundle for client certificates (mTLS; needs --tls-cert and --tls-key)",
       NoDefault, SetString<&ServerOptions::tls_client_ca_file>},
      {"auth-token-file", "FILE",
       "Bearer tokens clients must present, one per line (# comments); empty: no authentication", NoDefault,
       SetString<&ServerOptions::auth_token_file>},
      {"batching", "on|off", "Dynamic batching of small concurrent requests",
       [] { return std::string(kDefaultBatching ? "on" : "off"); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.batching, ParseOnOff(value));
         return absl::OkStatus();
       }},
      {"max-batch-requests", "N", "Most requests in one batched kernel call",
       [] { return StrCat(kDefaultMaxBatchRequests); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_batch_requests, ParseInt(value));
         return absl::OkStatus();
       }},
      {"max-batch-elements", "COUNT", "Most input elements in one batched call; larger requests are not batched",
       [] { return FormatCount(kDefaultMaxBatchElements); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_batch_elements, ParseCount(value));
         return absl::OkStatus();
       }},
      {"max-queue-delay-us", "MICROSECONDS",
       "How long a batch's oldest request may wait for more (a number of us, or e.g. 2ms)",
       [] { return StrCat(kDefaultMaxQueueDelay.count()); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_queue_delay, ParseMicroseconds(value));
         return absl::OkStatus();
       }},
      {"max-queue-requests", "COUNT", "Requests that may wait for a batch; over it: UNAVAILABLE",
       [] { return FormatCount(kDefaultMaxQueueRequests); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.max_queue_requests, ParseCount(value));
         return absl::OkStatus();
       }},
      {"batch-threads", "N", "Threads computing batches",
       [] { return StrCat("the cores available (", DefaultThreads(), " here)"); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.batch_threads, ParseInt(value));
         return absl::OkStatus();
       }},
      {"log-format", "text|json", "Log line format", [] { return std::string(LogFormatName(LogFormat::kText)); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.log_format, ParseLogFormat(value));
         return absl::OkStatus();
       }},
      {"log-level", "LEVEL", "Log level: trace, debug, info, warn or error",
       [] { return std::string(LogLevelName(LogLevel::kInfo)); },
       [](std::string_view value, ServerOptions& options) -> absl::Status {
         RECTIFIER_ASSIGN_OR_RETURN(options.log_level, ParseLogLevel(value));
         return absl::OkStatus();
       }},
  };
  return flags;
}

const FlagSpec* FindFlag(std::string_view name) {
  for (const FlagSpec& spec : Flags()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Values given on the command line, by flag index; nullopt when a flag was not given.
struct CommandLine {
  std::vector<std::optional<std::string>> values;
  std::optional<std::string> config;
  bool help = false;
};

// Declares every flag on `app`, storing into `storage` (one string per flag, then --config). Returns the
// options in the same order.
std::vector<CLI::Option*> DeclareFlags(CLI::App& app, std::vector<std::string>& storage) {
  const std::vector<FlagSpec>& flags = Flags();
  storage.assign(flags.size() + 1, std::string());
  std::vector<CLI::Option*> declared;
  for (size_t i = 0; i < flags.size(); ++i) {
    const FlagSpec& spec = flags[i];
    declared.push_back(
        app.add_option(StrCat("--", spec.name), storage[i],
                       StrCat(spec.help, "\n[env ", EnvName(spec.name), "; default ", spec.default_text(), "]"))
            ->type_name(std::string(spec.value_name)));
  }
  declared.push_back(
      app.add_option(StrCat("--", kConfigFlag), storage.back(),
                     StrCat("YAML config file: a map from the settings above (without the dashes) to values\n[env ",
                            EnvName(kConfigFlag), "; default (none)]"))
          ->type_name("FILE"));
  return declared;
}

constexpr std::string_view kHelpDescription = "rectifier-server: applies activation functions to tensors over gRPC.";
constexpr std::string_view kHelpFooter =
    "Each setting is read from, in this order of precedence: its flag, its environment variable (ignored\n"
    "when empty), its key in the --config file (spelled like the flag, e.g. max-message-bytes: 64MiB, or\n"
    "max_message_bytes), and its default. SIZE takes B, KiB, MiB, GiB, TiB; COUNT takes Ki, Mi, Gi, Ti;\n"
    "DURATION takes us, ms, s, m, h (e.g. 1.5s).";

absl::StatusOr<CommandLine> ReadCommandLine(int argc, const char* const* argv) {
  CLI::App app{std::string(kHelpDescription), "rectifier-server"};
  std::vector<std::string> storage;
  std::vector<CLI::Option*> declared = DeclareFlags(app, storage);
  // CLI11 2.1 rejects "--flag=" (empty value) but accepts "--flag ''": rewrite the former as the latter, so
  // that e.g. --metrics-address= turns the metrics endpoint off.
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (i > 0 && arg.starts_with("--") && arg.ends_with('=') && arg.find('=') + 1 == arg.size()) {
      args.emplace_back(arg.substr(0, arg.size() - 1));
      args.emplace_back();
    } else {
      args.emplace_back(arg);
    }
  }
  std::vector<const char*> rewritten;
  for (const std::string& arg : args) rewritten.push_back(arg.c_str());
  CommandLine result;
  try {
    if (!rewritten.empty()) app.parse(static_cast<int>(rewritten.size()), rewritten.data());
  } catch (const CLI::CallForHelp&) {
    result.help = true;
    return result;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(StrCat("command line: ", e.what()));
  }
  result.values.resize(Flags().size());
  for (size_t i = 0; i < Flags().size(); ++i) {
    if (declared[i]->count() > 0) result.values[i] = storage[i];
  }
  if (declared.back()->count() > 0) result.config = storage.back();
  return result;
}

// A value from the config file, with the key spelling used (for messages).
struct ConfigValue {
  std::string value;
  std::string key;
};

// The config file's values by flag index.
absl::StatusOr<std::vector<std::optional<ConfigValue>>> ReadConfigFile(const std::string& path) {
  const std::string source = StrCat("config file ", path);
  RECTIFIER_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(path, "config file"));
  std::vector<std::optional<ConfigValue>> values(Flags().size());
  if (root.IsNull()) return values;  // An empty file sets nothing.
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        StrCat(source, " must be a map from setting names to values; was ", DescribeYamlNodeType(root)));
  }
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) {
      return absl::InvalidArgumentError(
          StrCat(source, ": keys must be setting names; found ", DescribeYamlNodeType(entry.first)));
    }
    const std::string& key = entry.first.Scalar();
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == kConfigFlag) {
      return absl::InvalidArgumentError(
          StrCat(source, ": key '", key, "' is not allowed: a config file cannot name another"));
    }
    const FlagSpec* spec = FindFlag(name);
    if (spec == nullptr) return absl::InvalidArgumentError(StrCat(source, ": unknown key '", key, "'"));
    auto& slot = values[static_cast<size_t>(spec - Flags().data())];
    if (slot.has_value()) {
      return absl::InvalidArgumentError(
          StrCat(source, ": key '", key, "' sets ", spec->name, " again (first as '", slot->key, "')"));
    }
    const YAML::Node& value = entry.second;
    if (!value.IsScalar() && !value.IsNull()) {
      return absl::InvalidArgumentError(
          StrCat(source, ", key ", key, ": must be a single value; was ", DescribeYamlNodeType(value)));
    }
    slot = ConfigValue{value.IsNull() ? std::string() : value.Scalar(), key};
  }
  return values;
}

// The value of environment variable `name`, or nullopt when it is unset or empty.
std::optional<std::string> GetEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

absl::Status WithContext(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), StrCat(context, ": ", std::string(status.message())));
}

absl::StatusOr<ServerOptions> ParseServerOptionsImpl(int argc, const char* const* argv) {
  RECTIFIER_ASSIGN_OR_RETURN(CommandLine command_line, ReadCommandLine(argc, argv));
  ServerOptions options;
  if (command_line.help) {
    options.help_requested = true;
    return options;
  }

  std::optional<std::string> config_path = command_line.config;
  if (!config_path.has_value()) config_path = GetEnv(EnvName(kConfigFlag));
  std::vector<std::optional<ConfigValue>> config_values(Flags().size());
  if (config_path.has_value() && !config_path->empty()) {
    RECTIFIER_ASSIGN_OR_RETURN(config_values, ReadConfigFile(*config_path));
    options.config_file = *config_path;
  }

  // Flag > environment variable > config file > default (already in `options`).
  for (size_t i = 0; i < Flags().size(); ++i) {
    const FlagSpec& spec = Flags()[i];
    const std::string env_name = EnvName(spec.name);
    if (command_line.values[i].has_value()) {
      RECTIFIER_RETURN_IF_ERROR(WithContext(spec.apply(*command_line.values[i], options), StrCat("--", spec.name)));
    } else if (std::optional<std::string> env_value = GetEnv(env_name)) {
      RECTIFIER_RETURN_IF_ERROR(
          WithContext(spec.apply(*env_value, options), StrCat("environment variable ", env_name)));
    } else if (config_values[i].has_value()) {
      RECTIFIER_RETURN_IF_ERROR(WithContext(spec.apply(config_values[i]->value, options),
                                            StrCat("config file ", *config_path, ", key ", config_values[i]->key)));
    }
  }

  if (!options.auth_token_file.empty()) {
    RECTIFIER_ASSIGN_OR_RETURN(options.auth_tokens, LoadAuthTokens(options.auth_token_file));
  }
  RECTIFIER_RETURN_IF_ERROR(ValidateServerOptions(options));
  return options;
}

// "host:port" (port 0..65535, host non-empty, IPv6 in brackets) or, when `allow_unix`, "unix:PATH".
absl::Status ValidateAddress(std::string_view field, std::string_view address, bool allow_unix) {
  const std::string expected = allow_unix ? "host:port or unix:PATH" : "host:port";
  if (allow_unix && address.starts_with("unix:")) {
    if (address.size() == 5) {
      return absl::InvalidArgumentError(StrCat(field, " must name a socket path after 'unix:'; was '", address, "'"));
    }
    return absl::OkStatus();
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(StrCat(field, " must be ", expected, "; was '", address, "'"));
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') {
    return absl::InvalidArgumentError(
        StrCat(field, " has an unterminated IPv6 address (missing ']'); was '", address, "'"));
  }
  int port_number = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || port_number < 0 ||
      port_number > 65535) {
    return absl::InvalidArgumentError(
        StrCat(field, " port must be a number in [0, 65535]; was '", port, "' in '", address, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(std::string_view text) {
  const std::string lower = Lowercase(text);
  if (lower == "text") return LogFormat::kText;
  if (lower == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(StrCat("log format must be text or json; was '", text, "'"));
}

std::string_view LogFormatName(LogFormat format) { return format == LogFormat::kJson ? "json" : "text"; }

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view text) {
  const std::string lower = Lowercase(text);
  if (lower == "trace") return LogLevel::kTrace;
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(StrCat("log level must be trace, debug, info, warn or error; was '", text, "'"));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

int DefaultThreads() { return AvailableCores(); }

absl::StatusOr<ServerOptions> ParseServerOptions(int argc, const char* const* argv) {
  // CLI11 and yaml-cpp report errors by exception; none may leave this module.
  try {
    return ParseServerOptionsImpl(argc, argv);
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("reading server options: ", e.what()));
  }
}

absl::Status ValidateServerOptions(const ServerOptions& options) {
  RECTIFIER_RETURN_IF_ERROR(ValidateAddress("address", options.address, /*allow_unix=*/true));
  if (!options.metrics_address.empty()) {
    RECTIFIER_RETURN_IF_ERROR(ValidateAddress("metrics_address", options.metrics_address, /*allow_unix=*/false));
    if (options.metrics_address == options.address) {
      return absl::InvalidArgumentError(
          StrCat("metrics_address must differ from address; both are '", options.address, "'"));
    }
  }
  if (!options.health_address.empty()) {
    RECTIFIER_RETURN_IF_ERROR(ValidateAddress("health_address", options.health_address, /*allow_unix=*/true));
    if (options.health_address == options.address) {
      return absl::InvalidArgumentError(
          StrCat("health_address must differ from address; both are '", options.address, "'"));
    }
    if (options.health_address == options.metrics_address) {
      return absl::InvalidArgumentError(
          StrCat("health_address must differ from metrics_address; both are '", options.health_address, "'"));
    }
  }
  if (options.max_message_bytes == 0) {
    return absl::InvalidArgumentError("max_message_bytes must be positive; was 0");
  }
  if (options.max_message_bytes > kMaxMessageBytesLimit) {
    return absl::InvalidArgumentError(StrCat("max_message_bytes must be at most ", kMaxMessageBytesLimit,
                                             " (gRPC's limit); was ", options.max_message_bytes));
  }
  if (options.max_tensor_elements <= 0) {
    return absl::InvalidArgumentError(
        StrCat("max_tensor_elements must be positive; was ", options.max_tensor_elements));
  }
  if (options.max_rank <= 0) {
    return absl::InvalidArgumentError(StrCat("max_rank must be positive; was ", options.max_rank));
  }
  if (options.dead_unit_window_requests <= 0) {
    return absl::InvalidArgumentError(
        StrCat("dead_unit_window_requests must be positive; was ", options.dead_unit_window_requests));
  }
  if (options.max_concurrent_streams <= 0) {
    return absl::InvalidArgumentError(
        StrCat("max_concurrent_streams must be positive; was ", options.max_concurrent_streams));
  }
  if (options.threads <= 0) {
    return absl::InvalidArgumentError(StrCat("threads must be positive; was ", options.threads));
  }
  if (options.shutdown_grace.count() < 0) {
    return absl::InvalidArgumentError(
        StrCat("shutdown_grace must not be negative; was ", FormatDuration(options.shutdown_grace)));
  }
  if (options.max_batch_requests <= 0) {
    return absl::InvalidArgumentError(StrCat("max_batch_requests must be positive; was ", options.max_batch_requests));
  }
  if (options.max_batch_elements <= 0) {
    return absl::InvalidArgumentError(StrCat("max_batch_elements must be positive; was ", options.max_batch_elements));
  }
  if (options.max_queue_delay.count() < 0) {
    return absl::InvalidArgumentError(
        StrCat("max_queue_delay must not be negative; was ", options.max_queue_delay.count(), "us"));
  }
  if (options.max_queue_requests <= 0) {
    return absl::InvalidArgumentError(StrCat("max_queue_requests must be positive; was ", options.max_queue_requests));
  }
  if (options.batch_threads <= 0) {
    return absl::InvalidArgumentError(StrCat("batch_threads must be positive; was ", options.batch_threads));
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(StrCat("tls_cert_file and tls_key_file must be given together; only ",
                                             options.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file", " was"));
  }
  if (!options.tls_client_ca_file.empty() && options.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("tls_client_ca_file (mTLS) requires tls_cert_file and tls_key_file");
  }
  if (!options.auth_token_file.empty() && options.auth_tokens.empty()) {
    return absl::InvalidArgumentError(StrCat(
        "auth_tokens must not be empty when auth_token_file is set; was empty for '", options.auth_token_file, "'"));
  }
  for (const std::string& token : options.auth_tokens) {
    if (token.empty()) return absl::InvalidArgumentError("auth_tokens must not hold an empty token");
  }
  return absl::OkStatus();
}

std::string ServerOptionsHelp(std::string_view program_name) {
  try {
    CLI::App app{std::string(kHelpDescription), std::string(program_name)};
    std::vector<std::string> storage;
    DeclareFlags(app, storage);
    app.footer(std::string(kHelpFooter));
    app.get_formatter()->column_width(34);
    return app.help();
  } catch (const std::exception& e) {
    return StrCat("cannot format --help: ", e.what(), "\n");
  }
}

std::string DescribeServerOptions(const ServerOptions& options) {
  auto or_none = [](const std::string& value) { return value.empty() ? std::string("none") : value; };
  std::string tls = "off";
  if (!options.tls_cert_file.empty()) tls = options.tls_client_ca_file.empty() ? "on" : "mtls";
  return StrCat("address=", options.address, " metrics_address=", or_none(options.metrics_address),
                " dead_unit_window_requests=", options.dead_unit_window_requests,
                " health_address=", or_none(options.health_address),
                " max_message_bytes=", FormatByteSize(options.max_message_bytes),
                " zero_copy_min_bytes=", FormatByteSize(options.zero_copy_min_bytes),
                " max_tensor_elements=", FormatCount(options.max_tensor_elements), " max_rank=", options.max_rank,
                " threads=", options.threads, " shutdown_grace=", FormatDuration(options.shutdown_grace),
                " models=", or_none(options.models_file), " tls=", tls, " auth=",
                options.auth_tokens.empty() ? std::string("off") : StrCat(options.auth_tokens.size(), " tokens"),
                " log_format=", LogFormatName(options.log_format), " log_level=", LogLevelName(options.log_level),
                " config=", or_none(options.config_file), " batching=", options.batching ? "on" : "off",
                " max_batch_requests=", options.max_batch_requests,
                " max_batch_elements=", FormatCount(options.max_batch_elements),
                " max_queue_delay=", FormatDuration(options.max_queue_delay),
                " max_queue_requests=", FormatCount(options.max_queue_requests),
                " batch_threads=", options.batch_threads);
}

}  // namespace rectifier::server
