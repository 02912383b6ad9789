// ClientOptions validation (one message per field), the service config the channel gets (checked by gRPC's
// own parser through a real channel), and activation-spec parsing and formatting.
#include "client/src/channel_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rectifier/client/activation_spec.h"
#include "rectifier/client/client.h"

namespace rectifier::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ClientOptions Valid() {
  ClientOptions options;
  options.target = "127.0.0.1:1";
  return options;
}

std::string CreateError(const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  if (client.ok()) {
    ADD_FAILURE() << "Client::Create accepted invalid options";
    return "";
  }
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument) << client.status();
  return std::string(client.status().message());
}

TEST(ClientOptionsTest, DefaultsWithATargetAreValid) { EXPECT_TRUE(Client::Create(Valid()).ok()); }

TEST(ClientOptionsTest, EveryInvalidFieldIsNamedWithItsValue) {
  ClientOptions options = Valid();
  options.target = "";
  EXPECT_THAT(CreateError(options), HasSubstr("target must be set"));

  options = Valid();
  options.retry.max_attempts = 0;
  EXPECT_EQ(CreateError(options), "retry.max_attempts must be in [1, 5]; was 0");
  options.retry.max_attempts = 6;
  EXPECT_EQ(CreateError(options), "retry.max_attempts must be in [1, 5]; was 6");

  options = Valid();
  options.retry.initial_backoff = std::chrono::milliseconds(0);
  EXPECT_EQ(CreateError(options), "retry.initial_backoff must be positive; was 0ms");

  options = Valid();
  options.retry.max_backoff = std::chrono::milliseconds(50);
  EXPECT_EQ(CreateError(options), "retry.max_backoff must be >= retry.initial_backoff (100ms); was 50ms");

  options = Valid();
  options.retry.backoff_multiplier = 0.5;
  EXPECT_EQ(CreateError(options), "retry.backoff_multiplier must be in [1, 1000]; was 0.5");

  options = Valid();
  options.default_deadline = std::chrono::milliseconds(-1);
  EXPECT_EQ(CreateError(options), "default_deadline must be positive; was -1ms");

  options = Valid();
  options.max_message_bytes = 100;
  EXPECT_EQ(CreateError(options), "max_message_bytes must be in [1024, 2147483647]; was 100");

  options = Valid();
  options.load_balancing = "grpclb";
  EXPECT_EQ(CreateError(options), "load_balancing must be \"round_robin\" or \"pick_first\"; was \"grpclb\"");

  options = Valid();
  options.max_reconnect_backoff = std::chrono::milliseconds(0);
  EXPECT_EQ(CreateError(options), "max_reconnect_backoff must be positive; was 0ms");

  options = Valid();
  options.tls.enabled = true;
  options.tls.client_cert_file = "client.pem";
  EXPECT_EQ(CreateError(options), "tls.client_cert_file and tls.client_key_file must be set together");

  options = Valid();
  options.tls.root_certs_file = "ca.pem";
  EXPECT_THAT(CreateError(options), HasSubstr("tls.enabled is false"));

  options = Valid();
  options.tls.enabled = true;
  options.tls.root_certs_file = "/nonexistent/ca.pem";
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(client.status().message(), HasSubstr("tls.root_certs_file: cannot read /nonexistent/ca.pem"));

  options = Valid();
  options.bearer_token = "a\nb";
  EXPECT_EQ(CreateError(options), "bearer_token must not contain line breaks");
}

TEST(ClientOptionsTest, ServiceConfigCarriesTheRetryPolicyAndLoadBalancing) {
  ClientOptions options = Valid();
  options.retry = {.max_attempts = 4, .initial_backoff = std::chrono::milliseconds(250),
                   .max_backoff = std::chrono::milliseconds(1500), .backoff_multiplier = 1.5};
  const std::string json = internal::ServiceConfigJson(options);
  EXPECT_THAT(json, HasSubstr(R"("loadBalancingConfig": [{"round_robin": {}}])"));
  EXPECT_THAT(json, HasSubstr(R"("maxAttempts": 4)"));
  EXPECT_THAT(json, HasSubstr(R"("initialBackoff": "0.250s")"));
  EXPECT_THAT(json, HasSubstr(R"("maxBackoff": "1.500s")"));
  EXPECT_THAT(json, HasSubstr(R"("backoffMultiplier": 1.5)"));
  EXPECT_THAT(json, HasSubstr(R"("retryableStatusCodes": ["UNAVAILABLE"])"));
  // That gRPC parses and applies it is checked by the retry tests of client_integration_test.

  options.retry.max_attempts = 1;
  options.load_balancing = "pick_first";
  const std::string no_retries = internal::ServiceConfigJson(options);
  EXPECT_THAT(no_retries, Not(HasSubstr("retryPolicy")));
  EXPECT_THAT(no_retries, HasSubstr("pick_first"));
}

TEST(ActivationSpecTest, ParsesTheTextFormIntoTheProto) {
  absl::StatusOr<v1::Activation> spec = ParseActivationSpec("leaky_relu(negative_slope=0.2)");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(spec->has_leaky_relu());
  EXPECT_EQ(spec->leaky_relu().negative_slope(), 0.2);

  spec = ParseActivationSpec("prelu(weight=[0.1, 0.2, 0.3])");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->prelu().weight(), ::testing::ElementsAre(0.1, 0.2, 0.3));

  spec = ParseActivationSpec("gelu(approximate=tanh)");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->gelu().approximate(), "tanh");
}

TEST(ActivationSpecTest, BadSpecsAreInvalidArgumentNamingTheParameter) {
  absl::StatusOr<v1::Activation> spec = ParseActivationSpec("celu(alpha=0)");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(), HasSubstr("alpha"));
  EXPECT_FALSE(ParseActivationSpec("no_such_activation").ok());
}

TEST(ActivationSpecTest, FormatsCanonicallyAndRejectsAnEmptySpec) {
  v1::Activation spec;
  spec.mutable_hardtanh()->set_max_val(2);
  absl::StatusOr<std::string> text = FormatActivationSpec(spec);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "hardtanh(max_val=2)");
  EXPECT_FALSE(FormatActivationSpec(v1::Activation()).ok());
}

}  // namespace
}  // namespace rectifier::client
