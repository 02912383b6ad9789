// The text form of activation specs: ParseActivation, FormatActivation and operator==.
#include "kernels/activation_text.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "kernels/activation.h"
#include "kernels/validation.h"

namespace rectifier {
namespace {

std::string Describe(const Activation& activation) { return FormatActivation(activation); }

// ---------------------------------------------------------------------------------------------------------
// Accepted forms.

struct Accepted {
  std::string text;
  Activation expected;
};

TEST(ParseActivationTest, AcceptedForms) {
  const std::vector<Accepted> cases = {
      {"relu", act::Relu{}},
      {"relu()", act::Relu{}},
      {"relu( )", act::Relu{}},
      {"  relu  ", act::Relu{}},
      {" relu ( ) ", act::Relu{}},
      {"leaky_relu", act::LeakyRelu{}},
      {"leaky_relu(negative_slope=0.2)", act::LeakyRelu{0.2}},
      {"leaky_relu( negative_slope = 0.2 )", act::LeakyRelu{0.2}},
      {" leaky_relu ( negative_slope=0.2 ) ", act::LeakyRelu{0.2}},
      {"leaky_relu(negative_slope=1)", act::LeakyRelu{1.0}},
      {"leaky_relu(negative_slope=-0.5)", act::LeakyRelu{-0.5}},
      {"leaky_relu(negative_slope=0.01)", act::LeakyRelu{}},
      {"prelu", act::Prelu{}},
      {"prelu(weight=[0.1,0.2,0.3])", act::Prelu{{0.1, 0.2, 0.3}}},
      {"prelu(weight=[0.1, 0.2, 0.3])", act::Prelu{{0.1, 0.2, 0.3}}},
      {"prelu( weight = [ 0.1 , 0.2 , 0.3 ] )", act::Prelu{{0.1, 0.2, 0.3}}},
      {"prelu(weight=[-1.5e-3])", act::Prelu{{-1.5e-3}}},
      {"prelu(weight=[0.25])", act::Prelu{}},
      {"elu(alpha=0.5)", act::Elu{0.5}},
      {"elu(alpha=1e-3)", act::Elu{1e-3}},
      {"elu(alpha=2.5E+2)", act::Elu{250.0}},
      {"elu(alpha=-1.5e-1)", act::Elu{-0.15}},
      {"selu", act::Selu{}},
      {"selu()", act::Selu{}},
      {"celu(alpha=2)", act::Celu{2.0}},
      {"crelu", act::Crelu{}},
      {"crelu(axis=1)", act::Crelu{1}},
      {"crelu(axis=0)", act::Crelu{0}},
      {"crelu(axis=-2)", act::Crelu{-2}},
      {"crelu( axis = 3 )", act::Crelu{3}},
      {"relu6", act::Relu6{}},
      {"hardtanh", act::Hardtanh{}},
      {"hardtanh(min_val=-2, max_val=3)", act::Hardtanh{-2.0, 3.0}},
      {"hardtanh(max_val=3,min_val=-2)", act::Hardtanh{-2.0, 3.0}},
      {"hardtanh(max_val=3)", act::Hardtanh{-1.0, 3.0}},
      {"hardtanh(min_val=1, max_val=1)", act::Hardtanh{1.0, 1.0}},
      {"gelu", act::Gelu{}},
      {"gelu(approximate=none)", act::Gelu{}},
      {"gelu(approximate='none')", act::Gelu{}},
      {"gelu(approximate=tanh)", act::Gelu{GeluApproximate::kTanh}},
      {"gelu(approximate='tanh')", act::Gelu{GeluApproximate::kTanh}},
      {"gelu(approximate=\"tanh\")", act::Gelu{GeluApproximate::kTanh}},
      {"gelu ( approximate = 'tanh' )", act::Gelu{GeluApproximate::kTanh}},
      {"silu", act::Silu{}},
      {"mish", act::Mish{}},
      {"sigmoid", act::Sigmoid{}},
      {"tanh", act::Tanh{}},
      {"softplus", act::Softplus{}},
      {"softplus(beta=2, threshold=5)", act::Softplus{2.0, 5.0}},
      {"softplus(threshold=5)", act::Softplus{1.0, 5.0}},
      {"softplus(beta=-1)", act::Softplus{-1.0, 20.0}},
      {"hardswish", act::Hardswish{}},
      {"hardsigmoid", act::Hardsigmoid{}},
      {"logsigmoid", act::Logsigmoid{}},
      {"threshold(threshold=0.5, value=0)", act::Threshold{0.5, 0.0}},
      {"threshold(threshold=0.5,value=-1)", act::Threshold{0.5, -1.0}},
      {"threshold(value=-1, threshold=0.5)", act::Threshold{0.5, -1.0}},
      {"threshold( threshold = 0 , value = 0 )", act::Threshold{0.0, 0.0}},
  };
  for (const Accepted& c : cases) {
    const absl::StatusOr<Activation> parsed = ParseActivation(c.text);
    ASSERT_TRUE(parsed.ok()) << "'" << c.text << "': " << parsed.status();
    EXPECT_TRUE(*parsed == c.expected) << "'" << c.text << "' parsed as '" << Describe(*parsed) << "', expected '"
                                       << Describe(c.expected) << "'";
    EXPECT_EQ(parsed->index(), c.expected.index()) << c.text;
  }
}

TEST(ParseActivationTest, ExactValuesOfNumbers) {
  // Decimal text converts to the nearest double, as strtod does.
  auto slope = [](const std::string& text) {
    const auto parsed = ParseActivation("leaky_relu(negative_slope=" + text + ")");
    EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    return parsed.ok() ? std::get<act::LeakyRelu>(*parsed).negative_slope : std::nan("");
  };
  EXPECT_EQ(slope("0.1"), 0.1);
  EXPECT_EQ(slope("0.3333333333333333"), 0.3333333333333333);
  EXPECT_EQ(slope("1e-300"), 1e-300);
  EXPECT_EQ(slope("4.9406564584124654e-324"), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(slope("1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(slope("-2.5"), -2.5);
  EXPECT_EQ(slope("100"), 100.0);
}

// Crelu{axis} is valid on its own for every int64 axis (the rank is checked against an input), so its text
// form must round-trip over the whole int64 range: exact integers, not doubles.
TEST(ParseActivationTest, CreluAxisRoundTripsOverInt64) {
  for (int64_t axis : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                       int64_t{9007199254740993} /* 2^53 + 1: no double */, int64_t{1000000000000001}}) {
    ASSERT_TRUE(ValidateActivation(act::Crelu{axis}).ok()) << axis;
    const std::string text = FormatActivation(act::Crelu{axis});
    const auto parsed = ParseActivation(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(std::get<act::Crelu>(*parsed).axis, axis) << text;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Canonical printing.

TEST(FormatActivationTest, DefaultsAreOmitted) {
  EXPECT_EQ(FormatActivation(act::Relu{}), "relu");
  EXPECT_EQ(FormatActivation(act::LeakyRelu{}), "leaky_relu");
  EXPECT_EQ(FormatActivation(act::LeakyRelu{0.01}), "leaky_relu");
  EXPECT_EQ(FormatActivation(act::Prelu{}), "prelu");
  EXPECT_EQ(FormatActivation(act::Prelu{{0.25}}), "prelu");
  EXPECT_EQ(FormatActivation(act::Elu{}), "elu");
  EXPECT_EQ(FormatActivation(act::Selu{}), "selu");
  EXPECT_EQ(FormatActivation(act::Celu{}), "celu");
  EXPECT_EQ(FormatActivation(act::Crelu{}), "crelu");
  EXPECT_EQ(FormatActivation(act::Relu6{}), "relu6");
  EXPECT_EQ(FormatActivation(act::Hardtanh{}), "hardtanh");
  EXPECT_EQ(FormatActivation(act::Gelu{}), "gelu");
  EXPECT_EQ(FormatActivation(act::Silu{}), "silu");
  EXPECT_EQ(FormatActivation(act::Mish{}), "mish");
  EXPECT_EQ(FormatActivation(act::Sigmoid{}), "sigmoid");
  EXPECT_EQ(FormatActivation(act::Tanh{}), "tanh");
  EXPECT_EQ(FormatActivation(act::Softplus{}), "softplus");
  EXPECT_EQ(FormatActivation(act::Hardswish{}), "hardswish");
  EXPECT_EQ(FormatActivation(act::Hardsigmoid{}), "hardsigmoid");
  EXPECT_EQ(FormatActivation(act::Logsigmoid{}), "logsigmoid");
}

TEST(FormatActivationTest, NonDefaultParameters) {
  EXPECT_EQ(FormatActivation(act::LeakyRelu{0.2}), "leaky_relu(negative_slope=0.2)");
  EXPECT_EQ(FormatActivation(act::LeakyRelu{-0.5}), "leaky_relu(negative_slope=-0.5)");
  EXPECT_EQ(FormatActivation(act::Elu{0.5}), "elu(alpha=0.5)");
  EXPECT_EQ(FormatActivation(act::Elu{2.0}), "elu(alpha=2)");
  EXPECT_EQ(FormatActivation(act::Elu{1e-30}), "elu(alpha=1e-30)");
  EXPECT_EQ(FormatActivation(act::Celu{0.1}), "celu(alpha=0.1)");
  EXPECT_EQ(FormatActivation(act::Crelu{1}), "crelu(axis=1)");
  EXPECT_EQ(FormatActivation(act::Crelu{-2}), "crelu(axis=-2)");
  EXPECT_EQ(FormatActivation(act::Hardtanh{-2.0, 1.0}), "hardtanh(min_val=-2)");
  EXPECT_EQ(FormatActivation(act::Hardtanh{-1.0, 3.0}), "hardtanh(max_val=3)");
  EXPECT_EQ(FormatActivation(act::Softplus{2.0, 20.0}), "softplus(beta=2)");
  EXPECT_EQ(FormatActivation(act::Softplus{1.0, 5.0}), "softplus(threshold=5)");

  // Several parameters: catalogue order, whatever the separator.
  const std::string hardtanh = FormatActivation(act::Hardtanh{-2.0, 3.0});
  EXPECT_EQ(hardtanh.rfind("hardtanh(min_val=-2", 0), 0u) << hardtanh;
  EXPECT_NE(hardtanh.find("max_val=3)"), std::string::npos) << hardtanh;
  const std::string softplus = FormatActivation(act::Softplus{2.0, 5.0});
  EXPECT_EQ(softplus.rfind("softplus(beta=2", 0), 0u) << softplus;
  EXPECT_NE(softplus.find("threshold=5)"), std::string::npos) << softplus;

  // Enum and list parameters.
  const std::string gelu = FormatActivation(act::Gelu{GeluApproximate::kTanh});
  EXPECT_EQ(gelu.rfind("gelu(approximate=", 0), 0u) << gelu;
  EXPECT_NE(gelu.find("tanh"), std::string::npos) << gelu;
  const std::string prelu = FormatActivation(act::Prelu{{0.1, 0.2, 0.3}});
  EXPECT_EQ(prelu.rfind("prelu(weight=[0.1,", 0), 0u) << prelu;
  EXPECT_NE(prelu.find("0.3])"), std::string::npos) << prelu;
  EXPECT_EQ(FormatActivation(act::Prelu{{0.5}}).rfind("prelu(weight=[0.5]", 0), 0u);
}

TEST(FormatActivationTest, RequiredParametersAlwaysPrinted) {
  for (const act::Threshold& t : {act::Threshold{0.0, 0.0}, act::Threshold{0.5, -1.0}}) {
    const std::string text = FormatActivation(t);
    EXPECT_EQ(text.rfind("threshold(threshold=", 0), 0u) << text;
    EXPECT_NE(text.find("value="), std::string::npos) << text;
    EXPECT_LT(text.find("threshold="), text.find("value=")) << "catalogue order: " << text;
  }
  EXPECT_EQ(FormatActivation(act::Threshold{0.5, -1.0}).find("threshold=0.5"), 10u);
}

void ExpectRoundTripText(const std::string& text) {
  const auto parsed = ParseActivation(text);
  ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  EXPECT_EQ(FormatActivation(*parsed), text);
}

TEST(FormatActivationTest, ShortestNumbers) {
  // Shortest text that parses back to the same double.
  EXPECT_EQ(FormatActivation(act::LeakyRelu{0.1}), "leaky_relu(negative_slope=0.1)");
  EXPECT_EQ(FormatActivation(act::LeakyRelu{1.0 / 3.0}), "leaky_relu(negative_slope=0.3333333333333333)");
  EXPECT_EQ(FormatActivation(act::LeakyRelu{0.1 + 0.2}), "leaky_relu(negative_slope=0.30000000000000004)");
  EXPECT_EQ(FormatActivation(act::Elu{5e-324}), "elu(alpha=5e-324)");
  const std::string largest = FormatActivation(act::Elu{1.7976931348623157e308});
  EXPECT_EQ(largest.rfind("elu(alpha=1.7976931348623157e", 0), 0u) << largest;
  ExpectRoundTripText(largest);
}

// ---------------------------------------------------------------------------------------------------------
// Round trips.

void ExpectRoundTrip(const Activation& activation) {
  const std::string text = FormatActivation(activation);
  const absl::StatusOr<Activation> parsed = ParseActivation(text);
  ASSERT_TRUE(parsed.ok()) << "'" << text << "': " << parsed.status();
  EXPECT_TRUE(*parsed == activation) << "'" << text << "' parsed back as '" << FormatActivation(*parsed) << "'";
  EXPECT_EQ(FormatActivation(*parsed), text) << "formatting is not stable";
}

TEST(RoundTripTest, EveryActivationWithDefaults) {
  for (int k = 0; k < kNumActivationKinds; ++k) {
    Activation activation;
    // Default-construct alternative k.
    [&]<size_t... I>(std::index_sequence<I...>) {
      ((k == static_cast<int>(I) ? (activation.emplace<I>(), 0) : 0), ...);
    }(std::make_index_sequence<kNumActivationKinds>{});
    ASSERT_EQ(static_cast<int>(activation.index()), k);
    ExpectRoundTrip(activation);
  }
}

TEST(RoundTripTest, RandomValidParameters) {
  std::mt19937_64 rng(42);
  auto number = [&]() -> double {
    switch (rng() % 6) {
      case 0:
        return std::uniform_real_distribution<double>(-10, 10)(rng);
      case 1:
        return static_cast<double>(static_cast<int>(rng() % 21) - 10);
      case 2:
        return std::ldexp(std::uniform_real_distribution<double>(0.5, 1)(rng), static_cast<int>(rng() % 2000) - 1000);
      case 3:
        return -std::ldexp(std::uniform_real_distribution<double>(0.5, 1)(rng), static_cast<int>(rng() % 2000) - 1000);
      case 4: {
        const double v = std::bit_cast<double>(rng());
        return std::isfinite(v) ? v : 0.125;
      }
      default:
        return (static_cast<int>(rng() % 1000) - 500) / 100.0;
    }
  };
  auto nonzero = [&] {
    double v = number();
    return v == 0 ? 0.5 : v;
  };
  for (int i = 0; i < 300; ++i) {
    double a = number(), b = number();
    std::vector<double> weights(1 + rng() % 5);
    for (double& w : weights) w = number();
    const std::vector<Activation> specs = {
        act::LeakyRelu{a},
        act::Prelu{weights},
        act::Elu{a},
        act::Celu{nonzero()},
        act::Crelu{static_cast<int64_t>(rng() % 11) - 5},
        act::Hardtanh{std::min(a, b), std::max(a, b)},
        act::Gelu{(rng() & 1) ? GeluApproximate::kTanh : GeluApproximate::kNone},
        act::Softplus{nonzero(), b},
        act::Threshold{a, b},
    };
    for (const Activation& spec : specs) ExpectRoundTrip(spec);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Errors: INVALID_ARGUMENT, and the message names the parameter (or the activation).

struct Rejected {
  std::string text;
  std::string named;  // Must appear in the message.
};

TEST(ParseActivationTest, Errors) {
  const std::vector<Rejected> cases = {
      // Unknown activation / parameter; repeated; missing required.
      {"foo", "foo"},
      {"relux", "relux"},
      {"foo(alpha=1)", "foo"},
      {"relu(alpha=1)", "alpha"},
      {"leaky_relu(slope=0.2)", "slope"},
      {"gelu(approx=tanh)", "approx"},
      {"elu(alpha=1, alpha=2)", "alpha"},
      {"hardtanh(min_val=-2, max_val=3, min_val=-2)", "min_val"},
      {"threshold", "threshold"},
      {"threshold()", "threshold"},
      {"threshold(threshold=1)", "value"},
      {"threshold(value=1)", "threshold"},
      // Malformed numbers.
      {"elu(alpha=1.2.3)", "alpha"},
      {"elu(alpha=)", "alpha"},
      {"elu(alpha=abc)", "alpha"},
      {"elu(alpha=1x)", "alpha"},
      {"elu(alpha=--1)", "alpha"},
      {"elu(alpha=1e)", "alpha"},
      {"elu(alpha 1)", "alpha"},
      {"leaky_relu(negative_slope=0x10)", "negative_slope"},
      // Lists.
      {"prelu(weight=[0.1, 0.2)", "weight"},
      {"prelu(weight=[0.1, 0.2", "weight"},
      {"prelu(weight=[0.1,,0.2])", "weight"},
      {"prelu(weight=[0.1, abc])", "weight"},
      {"prelu(weight=[0.1 0.2])", "weight"},
      {"prelu(weight=[])", "weight"},
      {"prelu(weight=[ ])", "weight"},
      // Trailing garbage, unbalanced parentheses.
      {"relu()x", "relu"},
      {"relu() x", "relu"},
      {"relu x", "relu"},
      {"relu(", "relu"},
      {"relu)", "relu"},
      {"relu(()", "relu"},
      {"leaky_relu(negative_slope=0.2))", "leaky_relu"},
      {"leaky_relu(negative_slope=0.2", "leaky_relu"},
      {"gelu(approximate=tanh", "gelu"},
      // Wrong types.
      {"crelu(axis=1.5)", "axis"},
      {"crelu(axis=abc)", "axis"},
      {"crelu(axis=[1])", "axis"},
      {"crelu(axis=99999999999999999999)", "axis"},
      {"elu(alpha=[1])", "alpha"},
      {"elu(alpha=tanh)", "alpha"},
      {"gelu(approximate=foo)", "approximate"},
      {"gelu(approximate=)", "approximate"},
      {"gelu(approximate=1)", "approximate"},
      {"gelu(approximate='tanh)", "approximate"},
      // Non-finite values.
      {"elu(alpha=inf)", "alpha"},
      {"elu(alpha=-inf)", "alpha"},
      {"elu(alpha=nan)", "alpha"},
      {"elu(alpha=1e999)", "alpha"},
      {"leaky_relu(negative_slope=inf)", "negative_slope"},
      {"prelu(weight=[0.1, nan])", "weight"},
      {"prelu(weight=[inf])", "weight"},
      {"hardtanh(min_val=-inf)", "min_val"},
      {"hardtanh(max_val=inf)", "max_val"},
      {"softplus(threshold=inf)", "threshold"},
      {"softplus(beta=nan)", "beta"},
      {"threshold(threshold=nan, value=0)", "threshold"},
      {"threshold(threshold=0, value=inf)", "value"},
      {"celu(alpha=nan)", "alpha"},
      // Invalid values.
      {"celu(alpha=0)", "alpha"},
      {"celu(alpha=0.0)", "alpha"},
      {"celu(alpha=-0)", "alpha"},
      {"softplus(beta=0)", "beta"},
      {"softplus(beta=-0.0, threshold=5)", "beta"},
      {"hardtanh(min_val=2, max_val=1)", "min_val"},
      {"hardtanh(min_val=2)", "min_val"},
      {"hardtanh(max_val=-2)", "max_val"},
  };
  for (const Rejected& c : cases) {
    const absl::StatusOr<Activation> parsed = ParseActivation(c.text);
    if (parsed.ok()) {
      ADD_FAILURE() << "'" << c.text << "' was accepted as '" << FormatActivation(*parsed) << "'";
      continue;
    }
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.text << ": " << parsed.status();
    EXPECT_NE(parsed.status().message().find(c.named), std::string::npos)
        << "'" << c.text << "': message does not name '" << c.named << "': " << parsed.status().message();
  }
}

TEST(ParseActivationTest, HardtanhMessageNamesBothBounds) {
  const auto parsed = ParseActivation("hardtanh(min_val=2, max_val=1)");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("max_val"), std::string::npos) << parsed.status();
}

TEST(ParseActivationTest, EmptyAndBlank) {
  for (const char* text : {"", " ", "()", "(relu)", "=", "[0.1]"}) {
    const auto parsed = ParseActivation(text);
    ASSERT_FALSE(parsed.ok()) << "'" << text << "' accepted";
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Equality.

TEST(ActivationEqualityTest, ComparesKindAndParameters) {
  EXPECT_TRUE((Activation{act::Relu{}} == Activation{act::Relu{}}));
  EXPECT_FALSE((Activation{act::Relu{}} == Activation{act::Relu6{}}));
  EXPECT_FALSE((Activation{act::Elu{}} == Activation{act::Celu{}}));  // Same parameters, different kinds.
  EXPECT_TRUE((Activation{act::LeakyRelu{0.2}} == Activation{act::LeakyRelu{0.2}}));
  EXPECT_FALSE((Activation{act::LeakyRelu{0.2}} == Activation{act::LeakyRelu{0.3}}));
  EXPECT_TRUE((Activation{act::Prelu{{0.1, 0.2}}} == Activation{act::Prelu{{0.1, 0.2}}}));
  EXPECT_FALSE((Activation{act::Prelu{{0.1, 0.2}}} == Activation{act::Prelu{{0.1}}}));
  EXPECT_FALSE((Activation{act::Prelu{{0.1, 0.2}}} == Activation{act::Prelu{{0.1, 0.3}}}));
  EXPECT_FALSE((Activation{act::Gelu{}} == Activation{act::Gelu{GeluApproximate::kTanh}}));
  EXPECT_FALSE((Activation{act::Crelu{1}} == Activation{act::Crelu{-1}}));
  EXPECT_FALSE((Activation{act::Hardtanh{-1, 2}} == Activation{act::Hardtanh{-1, 1}}));
  EXPECT_FALSE((Activation{act::Softplus{1, 5}} == Activation{act::Softplus{1, 20}}));
  EXPECT_FALSE((Activation{act::Threshold{1, 0}} == Activation{act::Threshold{1, 2}}));
}

}  // namespace
}  // namespace rectifier
