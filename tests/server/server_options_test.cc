#include "server/server_options.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/core_budget.h"
#include "tests/server/test_util.h"

extern char** environ;

namespace rectifier::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScopedEnv;
using testing::TempDir;
using namespace std::chrono_literals;

// Clears every RECTIFIER_* variable for the duration of a test (restoring them afterwards), so that the
// environment the tests run in cannot change their outcome.
class ServerOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> names;
    for (char** env = environ; *env != nullptr; ++env) {
      std::string_view entry(*env);
      if (entry.starts_with("RECTIFIER_")) names.emplace_back(entry.substr(0, entry.find('=')));
    }
    for (const std::string& name : names) cleared_.push_back(std::make_unique<ScopedEnv>(name, std::nullopt));
  }

  // Parses `args` as the command line after the program name.
  static absl::StatusOr<ServerOptions> Parse(const std::vector<std::string>& args) {
    std::vector<const char*> argv = {"rectifier-server"};
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    return ParseServerOptions(static_cast<int>(argv.size()), argv.data());
  }

  static ServerOptions ParseOk(const std::vector<std::string>& args) {
    absl::StatusOr<ServerOptions> options = Parse(args);
    EXPECT_TRUE(options.ok()) << options.status();
    return options.ok() ? *options : ServerOptions{};
  }

  static absl::Status ParseError(const std::vector<std::string>& args) {
    absl::StatusOr<ServerOptions> options = Parse(args);
    EXPECT_FALSE(options.ok()) << "parsed: " << DescribeServerOptions(*options);
    return options.ok() ? absl::OkStatus() : options.status();
  }

  TempDir dir_;

 private:
  std::vector<std::unique_ptr<ScopedEnv>> cleared_;
};

TEST_F(ServerOptionsTest, Defaults) {
  const ServerOptions options = ParseOk({});
  EXPECT_EQ(options.address, "0.0.0.0:50051");
  EXPECT_EQ(options.metrics_address, "0.0.0.0:9464");
  EXPECT_EQ(options.health_address, "");
  EXPECT_EQ(options.max_message_bytes, uint64_t{64} << 20);
  EXPECT_EQ(options.max_tensor_elements, int64_t{256} << 20);
  EXPECT_EQ(options.max_rank, 16);
  EXPECT_EQ(options.threads, AvailableCores());
  EXPECT_GT(options.threads, 0);
  EXPECT_EQ(options.shutdown_grace, 10s);
  EXPECT_EQ(options.models_file, "");
  EXPECT_EQ(options.tls_cert_file, "");
  EXPECT_EQ(options.tls_key_file, "");
  EXPECT_EQ(options.tls_client_ca_file, "");
  EXPECT_EQ(options.auth_token_file, "");
  EXPECT_TRUE(options.auth_tokens.empty());
  EXPECT_EQ(options.log_format, LogFormat::kText);
  EXPECT_EQ(options.log_level, LogLevel::kInfo);
  EXPECT_EQ(options.config_file, "");
  EXPECT_FALSE(options.help_requested);
  EXPECT_TRUE(ValidateServerOptions(ServerOptions{}).ok());
}

TEST_F(ServerOptionsTest, EveryFlag) {
  const std::string tokens = dir_.Write("tokens", "# clients\nsecret-b\n\n  secret-a  \nsecret-b\n");
  const ServerOptions options = ParseOk({
      "--address=127.0.0.1:6000",
      "--metrics-address",
      "127.0.0.1:6001",
      "--health-address=127.0.0.1:6002",
      "--max-message-bytes=8MiB",
      "--zero-copy-min-bytes=1MiB",
      "--max-tensor-elements",
      "1Mi",
      "--max-rank=4",
      "--threads=3",
      "--shutdown-grace=1.5s",
      "--models=/etc/models.yaml",
      "--tls-cert=/c.pem",
      "--tls-key=/k.pem",
      "--tls-client-ca=/ca.pem",
      "--auth-token-file",
      tokens,
      "--log-format=json",
      "--log-level=debug",
  });
  EXPECT_EQ(options.address, "127.0.0.1:6000");
  EXPECT_EQ(options.metrics_address, "127.0.0.1:6001");
  EXPECT_EQ(options.health_address, "127.0.0.1:6002");
  EXPECT_EQ(options.max_message_bytes, uint64_t{8} << 20);
  EXPECT_EQ(options.zero_copy_min_bytes, uint64_t{1} << 20);
  EXPECT_EQ(options.max_tensor_elements, 1 << 20);
  EXPECT_EQ(options.max_rank, 4);
  EXPECT_EQ(options.threads, 3);
  EXPECT_EQ(options.shutdown_grace, 1500ms);
  EXPECT_EQ(options.models_file, "/etc/models.yaml");
  EXPECT_EQ(options.tls_cert_file, "/c.pem");
  EXPECT_EQ(options.tls_key_file, "/k.pem");
  EXPECT_EQ(options.tls_client_ca_file, "/ca.pem");
  EXPECT_EQ(options.auth_token_file, tokens);
  EXPECT_THAT(options.auth_tokens, ElementsAre("secret-a", "secret-b"));
  EXPECT_EQ(options.log_format, LogFormat::kJson);
  EXPECT_EQ(options.log_level, LogLevel::kDebug);
}

TEST_F(ServerOptionsTest, EmptyFlagValueClearsAString) {
  // --metrics-address= turns the metrics endpoint off; so does --metrics-address ''.
  EXPECT_EQ(ParseOk({"--metrics-address="}).metrics_address, "");
  EXPECT_EQ(ParseOk({"--metrics-address", ""}).metrics_address, "");
  // An '=' inside the value is kept.
  EXPECT_EQ(ParseOk({"--models=/a=b="}).models_file, "/a=b=");
}

TEST_F(ServerOptionsTest, LogLevelsAndFormats) {
  EXPECT_EQ(ParseOk({"--log-level=trace"}).log_level, LogLevel::kTrace);
  EXPECT_EQ(ParseOk({"--log-level=info"}).log_level, LogLevel::kInfo);
  EXPECT_EQ(ParseOk({"--log-level=WARN"}).log_level, LogLevel::kWarn);
  EXPECT_EQ(ParseOk({"--log-level=warning"}).log_level, LogLevel::kWarn);
  EXPECT_EQ(ParseOk({"--log-level=error"}).log_level, LogLevel::kError);
  EXPECT_EQ(ParseOk({"--log-format=text"}).log_format, LogFormat::kText);
  EXPECT_EQ(ParseOk({"--log-format=JSON"}).log_format, LogFormat::kJson);
  EXPECT_EQ(ParseError({"--log-level=verbose"}).message(),
            "--log-level: log level must be trace, debug, info, warn or error; was 'verbose'");
  EXPECT_EQ(ParseError({"--log-format=xml"}).message(), "--log-format: log format must be text or json; was 'xml'");
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(ParseLogLevel(LogLevelName(level)).value(), level);
  }
  EXPECT_EQ(LogFormatName(LogFormat::kJson), "json");
}

// Every setting from its environment variable.
TEST_F(ServerOptionsTest, EveryEnvironmentVariable) {
  const std::string tokens = dir_.Write("tokens", "t0k3n\n");
  ScopedEnv e1("RECTIFIER_ADDRESS", "unix:/run/rectifier.sock");
  ScopedEnv e2("RECTIFIER_METRICS_ADDRESS", "[::1]:9999");
  ScopedEnv e3("RECTIFIER_HEALTH_ADDRESS", "[::]:8081");
  ScopedEnv e4("RECTIFIER_MAX_MESSAGE_BYTES", "16 MiB");
  ScopedEnv e5("RECTIFIER_MAX_TENSOR_ELEMENTS", "1000");
  ScopedEnv e6("RECTIFIER_MAX_RANK", "8");
  ScopedEnv e7("RECTIFIER_THREADS", "5");
  ScopedEnv e8("RECTIFIER_SHUTDOWN_GRACE", "250ms");
  ScopedEnv e9("RECTIFIER_MODELS", "/m.yaml");
  ScopedEnv e10("RECTIFIER_TLS_CERT", "/c.pem");
  ScopedEnv e11("RECTIFIER_TLS_KEY", "/k.pem");
  ScopedEnv e12("RECTIFIER_TLS_CLIENT_CA", "/ca.pem");
  ScopedEnv e13("RECTIFIER_AUTH_TOKEN_FILE", tokens);
  ScopedEnv e14("RECTIFIER_LOG_FORMAT", "json");
  ScopedEnv e15("RECTIFIER_LOG_LEVEL", "error");
  const ServerOptions options = ParseOk({});
  EXPECT_EQ(options.address, "unix:/run/rectifier.sock");
  EXPECT_EQ(options.metrics_address, "[::1]:9999");
  EXPECT_EQ(options.health_address, "[::]:8081");
  EXPECT_EQ(options.max_message_bytes, uint64_t{16} << 20);
  EXPECT_EQ(options.max_tensor_elements, 1000);
  EXPECT_EQ(options.max_rank, 8);
  EXPECT_EQ(options.threads, 5);
  EXPECT_EQ(options.shutdown_grace, 250ms);
  EXPECT_EQ(options.models_file, "/m.yaml");
  EXPECT_EQ(options.tls_cert_file, "/c.pem");
  EXPECT_EQ(options.tls_key_file, "/k.pem");
  EXPECT_EQ(options.tls_client_ca_file, "/ca.pem");
  EXPECT_THAT(options.auth_tokens, ElementsAre("t0k3n"));
  EXPECT_EQ(options.log_format, LogFormat::kJson);
  EXPECT_EQ(options.log_level, LogLevel::kError);
}

// Every setting from the config file, with both key spellings.
TEST_F(ServerOptionsTest, EveryConfigKey) {
  const std::string tokens = dir_.Write("tokens", "abc\n");
  const std::string config = dir_.Write("config.yaml", R"(# Rectifier server settings
address: "localhost:7000"
metrics_address: 127.0.0.1:7001
health-address: ''
max-message-bytes: 32MiB
max_tensor_elements: 4Mi
max-rank: 6
threads: 2
shutdown_grace: 2m
models: /srv/models.yaml
tls-cert: /c.pem
tls_key: /k.pem
tls-client-ca: /ca.pem
auth_token_file: )" + tokens + R"(
log-format: json
log_level: trace
)");
  const ServerOptions options = ParseOk({"--config", config});
  EXPECT_EQ(options.config_file, config);
  EXPECT_EQ(options.address, "localhost:7000");
  EXPECT_EQ(options.metrics_address, "127.0.0.1:7001");
  EXPECT_EQ(options.health_address, "");
  EXPECT_EQ(options.max_message_bytes, uint64_t{32} << 20);
  EXPECT_EQ(options.max_tensor_elements, 4 << 20);
  EXPECT_EQ(options.max_rank, 6);
  EXPECT_EQ(options.threads, 2);
  EXPECT_EQ(options.shutdown_grace, 2min);
  EXPECT_EQ(options.models_file, "/srv/models.yaml");
  EXPECT_EQ(options.tls_cert_file, "/c.pem");
  EXPECT_EQ(options.tls_key_file, "/k.pem");
  EXPECT_EQ(options.tls_client_ca_file, "/ca.pem");
  EXPECT_THAT(options.auth_tokens, ElementsAre("abc"));
  EXPECT_EQ(options.log_format, LogFormat::kJson);
  EXPECT_EQ(options.log_level, LogLevel::kTrace);
}

TEST_F(ServerOptionsTest, ConfigFileFromEnvironmentAndFlagOverridesIt) {
  const std::string from_env = dir_.Write("env.yaml", "max-rank: 3\n");
  const std::string from_flag = dir_.Write("flag.yaml", "max-rank: 4\n");
  ScopedEnv config("RECTIFIER_CONFIG", from_env);
  EXPECT_EQ(ParseOk({}).max_rank, 3);
  EXPECT_EQ(ParseOk({}).config_file, from_env);
  EXPECT_EQ(ParseOk({"--config=" + from_flag}).max_rank, 4);
  EXPECT_EQ(ParseOk({"--config=" + from_flag}).config_file, from_flag);
}

TEST_F(ServerOptionsTest, EmptyConfigFileSetsNothing) {
  const std::string config = dir_.Write("empty.yaml", "# nothing here\n");
  const ServerOptions options = ParseOk({"--config", config});
  EXPECT_EQ(options.max_rank, kDefaultMaxRank);
  EXPECT_EQ(options.config_file, config);
}

// One setting, and a value for it from each source, in decreasing order of precedence.
struct PrecedenceCase {
  std::string flag;
  std::string flag_value, env_value, file_value;
  std::function<std::string(const ServerOptions&)> get;
  std::string expected_flag, expected_env, expected_file, expected_default;
  std::vector<std::string> extra_args = {};  // Needed for validation (e.g. the other half of a TLS pair).
  bool check_default = true;                 // False where extra_args alone do not validate.
};

std::string EnvNameFor(std::string_view flag) {
  std::string out = "RECTIFIER_";
  for (char c : flag) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Flag > environment variable > config file > default, for every setting.
TEST_F(ServerOptionsTest, PrecedenceFlagOverEnvOverFileOverDefault) {
  const std::string tokens_flag = dir_.Write("tokens_flag", "from-flag\n");
  const std::string tokens_env = dir_.Write("tokens_env", "from-env\n");
  const std::string tokens_file = dir_.Write("tokens_file", "from-file\n");
  const std::string default_threads = std::to_string(AvailableCores());
  auto str = [](std::string ServerOptions::*field) { return [field](const ServerOptions& o) { return o.*field; }; };
  const std::vector<PrecedenceCase> cases = {
      {"address", "h:1", "h:2", "h:3", str(&ServerOptions::address), "h:1", "h:2", "h:3", "0.0.0.0:50051"},
      {"metrics-address", "h:11", "h:12", "h:13", str(&ServerOptions::metrics_address), "h:11", "h:12", "h:13",
       "0.0.0.0:9464"},
      {"health-address", "h:21", "h:22", "h:23", str(&ServerOptions::health_address), "h:21", "h:22", "h:23", ""},
      {"dead-unit-window-requests", "10", "20", "30",
       [](const ServerOptions& o) { return std::to_string(o.dead_unit_window_requests); }, "10", "20", "30", "1000"},
      {"max-message-bytes", "1MiB", "2MiB", "3MiB",
       [](const ServerOptions& o) { return FormatByteSize(o.max_message_bytes); }, "1MiB", "2MiB", "3MiB", "64MiB"},
      {"zero-copy-min-bytes", "1KiB", "2KiB", "3KiB",
       [](const ServerOptions& o) { return FormatByteSize(o.zero_copy_min_bytes); }, "1KiB", "2KiB", "3KiB", "64KiB"},
      {"max-tensor-elements", "10", "20", "30",
       [](const ServerOptions& o) { return std::to_string(o.max_tensor_elements); }, "10", "20", "30", "268435456"},
      {"max-rank", "1", "2", "3", [](const ServerOptions& o) { return std::to_string(o.max_rank); }, "1", "2", "3",
       "16"},
      {"threads", "7", "8", "9", [](const ServerOptions& o) { return std::to_string(o.threads); }, "7", "8", "9",
       default_threads},
      {"shutdown-grace", "1s", "2s", "3s", [](const ServerOptions& o) { return FormatDuration(o.shutdown_grace); },
       "1s", "2s", "3s", "10s"},
      {"models", "/m1", "/m2", "/m3", str(&ServerOptions::models_file), "/m1", "/m2", "/m3", ""},
      {"tls-cert",
       "/c1",
       "/c2",
       "/c3",
       str(&ServerOptions::tls_cert_file),
       "/c1",
       "/c2",
       "/c3",
       "",
       {"--tls-key=/k"},
       /*check_default=*/false},
      {"tls-key",
       "/k1",
       "/k2",
       "/k3",
       str(&ServerOptions::tls_key_file),
       "/k1",
       "/k2",
       "/k3",
       "",
       {"--tls-cert=/c"},
       /*check_default=*/false},
      {"tls-client-ca",
       "/a1",
       "/a2",
       "/a3",
       str(&ServerOptions::tls_client_ca_file),
       "/a1",
       "/a2",
       "/a3",
       "",
       {"--tls-cert=/c", "--tls-key=/k"}},
      {"auth-token-file", tokens_flag, tokens_env, tokens_file,
       [](const ServerOptions& o) { return o.auth_tokens.empty() ? std::string() : o.auth_tokens.front(); },
       "from-flag", "from-env", "from-file", ""},
      {"log-format", "json", "text", "json",
       [](const ServerOptions& o) { return std::string(LogFormatName(o.log_format)); }, "json", "text", "json", "text"},
      {"log-level", "trace", "debug", "warn",
       [](const ServerOptions& o) { return std::string(LogLevelName(o.log_level)); }, "trace", "debug", "warn", "info"},
      {"batching", "on", "off", "ON", [](const ServerOptions& o) { return std::string(o.batching ? "on" : "off"); },
       "on", "off", "on", kDefaultBatching ? "on" : "off"},
      {"max-batch-requests", "5", "6", "7",
       [](const ServerOptions& o) { return std::to_string(o.max_batch_requests); }, "5", "6", "7", "64"},
      {"max-batch-elements", "1Ki", "2048", "3Ki",
       [](const ServerOptions& o) { return std::to_string(o.max_batch_elements); }, "1024", "2048", "3072", "65536"},
      {"max-queue-delay-us", "100", "2ms", "300us",
       [](const ServerOptions& o) { return std::to_string(o.max_queue_delay.count()); }, "100", "2000", "300",
       std::to_string(kDefaultMaxQueueDelay.count())},
      {"max-queue-requests", "10", "20", "1Ki",
       [](const ServerOptions& o) { return std::to_string(o.max_queue_requests); }, "10", "20", "1024", "4096"},
      {"batch-threads", "2", "3", "4", [](const ServerOptions& o) { return std::to_string(o.batch_threads); }, "2",
       "3", "4", default_threads},
  };
  for (const PrecedenceCase& c : cases) {
    SCOPED_TRACE(c.flag);
    const std::string config = dir_.Write("precedence.yaml", c.flag + ": '" + c.file_value + "'\n");
    std::vector<std::string> with_flag = c.extra_args;
    with_flag.push_back("--" + c.flag + "=" + c.flag_value);
    std::vector<std::string> with_config = c.extra_args;
    with_config.push_back("--config=" + config);
    std::vector<std::string> everything = with_config;
    everything.push_back("--" + c.flag + "=" + c.flag_value);

    if (c.check_default) EXPECT_EQ(c.get(ParseOk(c.extra_args)), c.expected_default);
    EXPECT_EQ(c.get(ParseOk(with_config)), c.expected_file);
    {
      ScopedEnv env(EnvNameFor(c.flag), c.env_value);
      EXPECT_EQ(c.get(ParseOk(c.extra_args)), c.expected_env);
      EXPECT_EQ(c.get(ParseOk(with_config)), c.expected_env);
      EXPECT_EQ(c.get(ParseOk(with_flag)), c.expected_flag);
      EXPECT_EQ(c.get(ParseOk(everything)), c.expected_flag);
    }
    {
      // An empty environment variable counts as unset: the file's value shows through.
      ScopedEnv env(EnvNameFor(c.flag), "");
      EXPECT_EQ(c.get(ParseOk(with_config)), c.expected_file);
    }
    EXPECT_EQ(c.get(ParseOk(everything)), c.expected_flag);
  }
}

TEST_F(ServerOptionsTest, SourcesMixAcrossSettings) {
  const std::string config = dir_.Write("mix.yaml", "max-rank: 3\nthreads: 4\nlog-level: warn\n");
  ScopedEnv env("RECTIFIER_THREADS", "6");
  const ServerOptions options = ParseOk({"--config", config, "--log-level=error"});
  EXPECT_EQ(options.max_rank, 3);
  EXPECT_EQ(options.threads, 6);
  EXPECT_EQ(options.log_level, LogLevel::kError);
  EXPECT_EQ(options.shutdown_grace, 10s);
}

TEST_F(ServerOptionsTest, BadValuesNameTheirSource) {
  EXPECT_EQ(ParseError({"--max-message-bytes=64MB"}).message(),
            "--max-message-bytes: byte size '64MB' has the ambiguous unit 'MB'; use binary units: B, KiB, MiB, "
            "GiB or TiB");
  {
    ScopedEnv env("RECTIFIER_SHUTDOWN_GRACE", "10");
    EXPECT_EQ(ParseError({}).message(),
              "environment variable RECTIFIER_SHUTDOWN_GRACE: duration '10' needs a unit: us, ms, s, m or h, "
              "e.g. 10s");
  }
  const std::string config = dir_.Write("bad.yaml", "max_rank: four\n");
  EXPECT_EQ(ParseError({"--config", config}).message(),
            "config file " + config + ", key max_rank: 'four' is not an integer");
  EXPECT_EQ(ParseError({"--threads=99999999999"}).message(), "--threads: '99999999999' is out of range");
  EXPECT_EQ(ParseError({"--batching=maybe"}).message(), "--batching: must be on or off; was 'maybe'");
  EXPECT_EQ(ParseError({"--max-batch-requests=0"}).message(), "max_batch_requests must be positive; was 0");
  EXPECT_THAT(std::string(ParseError({"--max-queue-delay-us=soon"}).message()), HasSubstr("--max-queue-delay-us: "));
  EXPECT_EQ(ParseError({"--max-tensor-elements=-1"}).message(),
            "--max-tensor-elements: count must not be negative; was '-1'");
  // A bad value in a lower-precedence source is never read when a higher one sets the setting.
  ScopedEnv env("RECTIFIER_MAX_RANK", "nonsense");
  EXPECT_EQ(ParseOk({"--max-rank=2"}).max_rank, 2);
}

TEST_F(ServerOptionsTest, CommandLineErrors) {
  absl::Status unknown = ParseError({"--max-messages=3"});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("--max-messages"));
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("command line: "));
  EXPECT_THAT(std::string(ParseError({"serve"}).message()), HasSubstr("serve"));
  EXPECT_THAT(std::string(ParseError({"--threads"}).message()), HasSubstr("--threads"));
  EXPECT_THAT(std::string(ParseError({"--threads=2", "--threads=3"}).message()), HasSubstr("--threads"));
}

TEST_F(ServerOptionsTest, ConfigFileErrors) {
  auto error_for = [&](std::string_view yaml) {
    const std::string config = dir_.Write("c.yaml", yaml);
    return std::string(ParseError({"--config", config}).message());
  };
  const std::string source = "config file " + dir_.Path("c.yaml");
  EXPECT_EQ(error_for("threads: 2\nmax-messages: 3\n"), source + ": unknown key 'max-messages'");
  EXPECT_EQ(error_for("config: other.yaml\n"),
            source + ": key 'config' is not allowed: a config file cannot name another");
  EXPECT_EQ(error_for("threads: 1\nthreads: 2\n"), source + ": key 'threads' sets threads again (first as 'threads')");
  EXPECT_EQ(error_for("max-rank: 2\nmax_rank: 3\n"),
            source + ": key 'max_rank' sets max-rank again (first as 'max-rank')");
  EXPECT_EQ(error_for("threads: [1, 2]\n"), source + ", key threads: must be a single value; was a sequence");
  EXPECT_EQ(error_for("- threads\n"), source + " must be a map from setting names to values; was a sequence");
  EXPECT_EQ(error_for("just text\n"), source + " must be a map from setting names to values; was a scalar");
  EXPECT_EQ(error_for("[a]: 1\n"), source + ": keys must be setting names; found a sequence");
  EXPECT_THAT(error_for("threads: [1, 2\n"), HasSubstr(source + ": invalid YAML at line "));
  EXPECT_THAT(error_for("a: 1\n---\nb: 2\n"), HasSubstr("holds more than one YAML document; expected one"));
  EXPECT_THAT(error_for(std::string(100, '[')), HasSubstr("nests 101 levels deep; the limit is 64"));

  absl::Status missing = ParseError({"--config", dir_.Path("absent.yaml")});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("config file " + dir_.Path("absent.yaml") + ": cannot open"));
  EXPECT_EQ(ParseError({"--config", dir_.path()}).message(), "config file " + dir_.path() + " is not a regular file");
}

TEST_F(ServerOptionsTest, ConfigFileWithNullValueClearsAString) {
  const std::string config = dir_.Write("null.yaml", "metrics-address:\n");
  EXPECT_EQ(ParseOk({"--config", config}).metrics_address, "");
}

TEST_F(ServerOptionsTest, AuthTokenFileErrors) {
  const std::string empty = dir_.Write("empty_tokens", "# only a comment\n\n");
  absl::Status status = ParseError({"--auth-token-file", empty});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "auth token file " + empty + " holds no tokens (blank lines and # comments are ignored)");
  absl::Status missing = ParseError({"--auth-token-file", dir_.Path("nope")});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("auth token file " + dir_.Path("nope") + ": cannot open"));
}

TEST_F(ServerOptionsTest, HelpListsEveryFlagWithItsEnvironmentVariableAndDefault) {
  ScopedEnv broken("RECTIFIER_MAX_RANK", "not a number");  // --help must not read the environment.
  const ServerOptions options = ParseOk({"--threads=2", "--help"});
  EXPECT_TRUE(options.help_requested);
  EXPECT_TRUE(ParseOk({"-h"}).help_requested);

  const std::string help = ServerOptionsHelp("rectifier-server");
  for (std::string_view flag : {"address", "metrics-address", "dead-unit-window-requests", "health-address",
                                "max-message-bytes", "zero-copy-min-bytes",
                                "max-tensor-elements", "max-rank", "threads", "shutdown-grace", "models", "tls-cert",
                                "tls-key", "tls-client-ca", "auth-token-file", "log-format", "log-level", "batching",
                                "max-batch-requests", "max-batch-elements", "max-queue-delay-us",
                                "max-queue-requests", "batch-threads", "config"}) {
    EXPECT_THAT(help, HasSubstr("--" + std::string(flag) + " ")) << flag;
    EXPECT_THAT(help, HasSubstr("[env " + EnvNameFor(flag) + "; default ")) << flag;
  }
  EXPECT_THAT(help, HasSubstr("default 0.0.0.0:50051]"));
  EXPECT_THAT(help, HasSubstr("default 0.0.0.0:9464]"));
  EXPECT_THAT(help, HasSubstr("default 1000]"));
  EXPECT_THAT(help, HasSubstr("default 64MiB]"));
  EXPECT_THAT(help, HasSubstr("default 256Mi]"));
  EXPECT_THAT(help, HasSubstr("default 16]"));
  EXPECT_THAT(help, HasSubstr("default 10s]"));
  EXPECT_THAT(help, HasSubstr("default text]"));
  EXPECT_THAT(help, HasSubstr("default info]"));
  EXPECT_THAT(help, HasSubstr("(" + std::to_string(AvailableCores()) + " here)"));
  EXPECT_THAT(help, HasSubstr("order of precedence"));
}

TEST_F(ServerOptionsTest, ParsedOptionsAreValidated) {
  EXPECT_EQ(ParseError({"--max-message-bytes=0"}).message(), "max_message_bytes must be positive; was 0");
  EXPECT_EQ(ParseError({"--tls-cert=/c.pem"}).message(),
            "tls_cert_file and tls_key_file must be given together; only tls_cert_file was");
}

// Every check of ValidateServerOptions, with its message.
TEST(ValidateServerOptions, EveryError) {
  auto error_for = [](const std::function<void(ServerOptions&)>& change) {
    ServerOptions options;
    change(options);
    absl::Status status = ValidateServerOptions(options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    return std::string(status.message());
  };
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = ""; }), "address must be host:port or unix:PATH; was ''");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = "localhost"; }),
            "address must be host:port or unix:PATH; was 'localhost'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = ":50051"; }),
            "address must be host:port or unix:PATH; was ':50051'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = "localhost:65536"; }),
            "address port must be a number in [0, 65535]; was '65536' in 'localhost:65536'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = "localhost:http"; }),
            "address port must be a number in [0, 65535]; was 'http' in 'localhost:http'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = "localhost:"; }),
            "address port must be a number in [0, 65535]; was '' in 'localhost:'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = "[::1:50051"; }),
            "address has an unterminated IPv6 address (missing ']'); was '[::1:50051'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.address = "unix:"; }),
            "address must name a socket path after 'unix:'; was 'unix:'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.metrics_address = "unix:/m.sock"; }),
            "metrics_address port must be a number in [0, 65535]; was '/m.sock' in 'unix:/m.sock'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.metrics_address = "nowhere"; }),
            "metrics_address must be host:port; was 'nowhere'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.metrics_address = o.address; }),
            "metrics_address must differ from address; both are '0.0.0.0:50051'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.health_address = "x"; }),
            "health_address must be host:port or unix:PATH; was 'x'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.health_address = o.address; }),
            "health_address must differ from address; both are '0.0.0.0:50051'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.health_address = o.metrics_address; }),
            "health_address must differ from metrics_address; both are '0.0.0.0:9464'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_message_bytes = 0; }), "max_message_bytes must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_message_bytes = uint64_t{1} << 31; }),
            "max_message_bytes must be at most 2147483647 (gRPC's limit); was 2147483648");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_tensor_elements = 0; }),
            "max_tensor_elements must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_tensor_elements = -5; }),
            "max_tensor_elements must be positive; was -5");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_rank = 0; }), "max_rank must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.threads = 0; }), "threads must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.dead_unit_window_requests = 0; }),
            "dead_unit_window_requests must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.threads = -2; }), "threads must be positive; was -2");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_batch_requests = 0; }), "max_batch_requests must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_batch_elements = -1; }),
            "max_batch_elements must be positive; was -1");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_queue_delay = -3us; }),
            "max_queue_delay must not be negative; was -3us");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.max_queue_requests = 0; }), "max_queue_requests must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.batch_threads = 0; }), "batch_threads must be positive; was 0");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.shutdown_grace = -1s; }),
            "shutdown_grace must not be negative; was -1s");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.tls_key_file = "/k.pem"; }),
            "tls_cert_file and tls_key_file must be given together; only tls_key_file was");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.tls_cert_file = "/c.pem"; }),
            "tls_cert_file and tls_key_file must be given together; only tls_cert_file was");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.tls_client_ca_file = "/ca.pem"; }),
            "tls_client_ca_file (mTLS) requires tls_cert_file and tls_key_file");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.auth_token_file = "/t"; }),
            "auth_tokens must not be empty when auth_token_file is set; was empty for '/t'");
  EXPECT_EQ(error_for([](ServerOptions& o) { o.auth_tokens = {"a", ""}; }), "auth_tokens must not hold an empty token");
}

TEST(ValidateServerOptions, AcceptsValidVariants) {
  ServerOptions options;
  options.address = "[::]:0";
  options.metrics_address = "";
  options.health_address = "unix:/run/health.sock";
  options.max_message_bytes = kMaxMessageBytesLimit;
  options.tls_cert_file = "/c";
  options.tls_key_file = "/k";
  options.tls_client_ca_file = "/ca";
  options.auth_tokens = {"t"};
  options.shutdown_grace = 0s;
  EXPECT_TRUE(ValidateServerOptions(options).ok()) << ValidateServerOptions(options);
}

TEST(DescribeServerOptions, SummarisesWithoutSecrets) {
  ServerOptions options;
  options.threads = 4;
  options.batch_threads = 2;
  options.auth_token_file = "/t";
  options.auth_tokens = {"super-secret-1", "super-secret-2"};
  options.tls_cert_file = "/c";
  options.tls_key_file = "/k";
  const std::string description = DescribeServerOptions(options);
  EXPECT_EQ(description,
            "address=0.0.0.0:50051 metrics_address=0.0.0.0:9464 dead_unit_window_requests=1000 "
            "health_address=none max_message_bytes=64MiB zero_copy_min_bytes=64KiB "
            "max_tensor_elements=256Mi max_rank=16 threads=4 shutdown_grace=10s models=none tls=on "
            "auth=2 tokens log_format=text log_level=info config=none batching=off max_batch_requests=64 "
            "max_batch_elements=64Ki max_queue_delay=0s max_queue_requests=4Ki batch_threads=2");
  EXPECT_THAT(description, Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace rectifier::server
