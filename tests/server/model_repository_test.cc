#include "server/model_repository.h"

#include <set>
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/activation_text.h"
#include "kernels/catalogue.h"
#include "tests/server/test_util.h"

namespace rectifier::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

ModelRepository BuiltInsOnly() {
  absl::StatusOr<ModelRepository> repository = ModelRepository::Create({});
  EXPECT_TRUE(repository.ok()) << repository.status();
  return *std::move(repository);
}

class ModelsFileTest : public ::testing::Test {
 protected:
  absl::StatusOr<ModelRepository> CreateFrom(std::string_view yaml) {
    ModelRepositoryOptions options;
    options.models_file = dir_.Write("models.yaml", yaml);
    return ModelRepository::Create(options);
  }

  // The error for `yaml`, which must be INVALID_ARGUMENT.
  std::string ErrorFor(std::string_view yaml) {
    absl::StatusOr<ModelRepository> repository = CreateFrom(yaml);
    EXPECT_FALSE(repository.ok()) << yaml;
    if (repository.ok()) return "";
    EXPECT_EQ(repository.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(repository.status().message());
  }

  std::string Source() const { return "models file " + dir_.Path("models.yaml"); }

  testing::TempDir dir_;
};

TEST(BuiltInModels, OnePerCatalogueActivationWithDefaults) {
  const ModelRepository repository = BuiltInsOnly();
  ASSERT_EQ(repository.size(), Catalogue().size());
  ASSERT_EQ(repository.size(), static_cast<size_t>(kNumActivationKinds));
  for (const ActivationInfo& info : Catalogue()) {
    SCOPED_TRACE(info.name);
    const Model* model = repository.Find(info.name);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->name, info.name);
    EXPECT_TRUE(model->built_in);
    EXPECT_EQ(KindOf(model->activation), info.kind);
    EXPECT_EQ(model->activation_text, FormatActivation(model->activation));
    if (info.kind != ActivationKind::kThreshold) {
      // PyTorch's defaults: exactly what the bare name parses to.
      EXPECT_EQ(model->activation, ParseActivation(info.name).value());
      EXPECT_EQ(model->activation_text, info.name);
    }
  }
}

TEST(BuiltInModels, SpotChecksOfDefaults) {
  const ModelRepository repository = BuiltInsOnly();
  EXPECT_EQ(std::get<act::LeakyRelu>(repository.Find("leaky_relu")->activation).negative_slope, 0.01);
  EXPECT_EQ(std::get<act::Prelu>(repository.Find("prelu")->activation).weight, std::vector<double>{0.25});
  EXPECT_EQ(std::get<act::Softplus>(repository.Find("softplus")->activation).threshold, 20.0);
  EXPECT_EQ(std::get<act::Hardtanh>(repository.Find("hardtanh")->activation).min_val, -1.0);
  EXPECT_EQ(std::get<act::Gelu>(repository.Find("gelu")->activation).approximate, GeluApproximate::kNone);
}

TEST(BuiltInModels, ThresholdIsZeroZero) {
  const ModelRepository repository = BuiltInsOnly();
  const Model* threshold = repository.Find("threshold");
  ASSERT_NE(threshold, nullptr);
  EXPECT_EQ(threshold->activation, Activation(act::Threshold{0.0, 0.0}));
  EXPECT_EQ(threshold->activation_text, "threshold(threshold=0, value=0)");
}

TEST(BuiltInModels, SortedByNameAndFindMissesReturnNull) {
  const ModelRepository repository = BuiltInsOnly();
  for (size_t i = 1; i < repository.models().size(); ++i) {
    EXPECT_LT(repository.models()[i - 1].name, repository.models()[i].name);
  }
  EXPECT_EQ(repository.Find("nope"), nullptr);
  EXPECT_EQ(repository.Find(""), nullptr);
  EXPECT_EQ(repository.Find("RELU"), nullptr);  // Names are case-sensitive.
  EXPECT_EQ(repository.Find("relu "), nullptr);
  EXPECT_EQ(repository.Find("relu")->name, "relu");
  EXPECT_EQ(repository.Find("relu6")->name, "relu6");
}

TEST_F(ModelsFileTest, AddsFileModelsToTheBuiltIns) {
  absl::StatusOr<ModelRepository> repository = CreateFrom(R"yaml(# Production models
models:
  - name: stem_prelu
    activation: "prelu(weight=[0.25, 0.1, 0.3])"
  - name: gelu.fast-v2
    activation: gelu(approximate=tanh)
  - name: Z_upper
    activation: "leaky_relu( negative_slope = 0.2 )"
  - name: plain
    activation: leaky_relu(negative_slope=0.01)
)yaml");
  ASSERT_TRUE(repository.ok()) << repository.status();
  EXPECT_EQ(repository->size(), Catalogue().size() + 4);

  const Model* stem = repository->Find("stem_prelu");
  ASSERT_NE(stem, nullptr);
  EXPECT_FALSE(stem->built_in);
  EXPECT_EQ(std::get<act::Prelu>(stem->activation).weight, (std::vector<double>{0.25, 0.1, 0.3}));
  EXPECT_EQ(stem->activation_text, "prelu(weight=[0.25, 0.1, 0.3])");

  EXPECT_EQ(repository->Find("gelu.fast-v2")->activation_text, "gelu(approximate=tanh)");
  EXPECT_EQ(repository->Find("Z_upper")->activation_text, "leaky_relu(negative_slope=0.2)");  // Canonical.
  EXPECT_EQ(repository->Find("plain")->activation_text, "leaky_relu");  // Defaults are not printed.
  EXPECT_TRUE(repository->Find("relu")->built_in);

  std::set<std::string> names;
  for (size_t i = 0; i < repository->models().size(); ++i) {
    names.insert(repository->models()[i].name);
    if (i > 0) {
      EXPECT_LT(repository->models()[i - 1].name, repository->models()[i].name);
    }
  }
  EXPECT_EQ(names.size(), repository->size());
}

TEST_F(ModelsFileTest, FlowStyleAndEmptyList) {
  absl::StatusOr<ModelRepository> flow =
      CreateFrom("models: [{name: a, activation: relu}, {activation: 'crelu(axis=1)', name: b}]\n");
  ASSERT_TRUE(flow.ok()) << flow.status();
  EXPECT_EQ(flow->Find("b")->activation_text, "crelu(axis=1)");
  absl::StatusOr<ModelRepository> empty = CreateFrom("models: []\n");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size(), Catalogue().size());
}

TEST_F(ModelsFileTest, NameErrors) {
  EXPECT_EQ(ErrorFor("models:\n  - name: relu\n    activation: relu6\n"),
            Source() + ": models[0]: model name 'relu' is already taken by a built-in model");
  EXPECT_EQ(ErrorFor("models:\n  - {name: a, activation: relu}\n  - {name: b, activation: relu}\n"
                     "  - {name: a, activation: elu}\n"),
            Source() + ": models[2]: model name 'a' is already taken by models[0]");
  EXPECT_EQ(ErrorFor("models:\n  - name: ''\n    activation: relu\n"),
            Source() + ": models[0]: model name must not be empty");
  EXPECT_EQ(ErrorFor("models:\n  - name: has space\n    activation: relu\n"),
            Source() + ": models[0]: model name 'has space' may hold only letters, digits, '_', '.' and '-'");
  EXPECT_EQ(ErrorFor("models:\n  - name: a/b\n    activation: relu\n"),
            Source() + ": models[0]: model name 'a/b' may hold only letters, digits, '_', '.' and '-'");
  EXPECT_EQ(
      ErrorFor("models:\n  - name: " + std::string(129, 'n') + "\n    activation: relu\n"),
      Source() + ": models[0]: model name must be at most 128 characters; was 129 ('" + std::string(32, 'n') + "...')");
  EXPECT_TRUE(CreateFrom("models:\n  - name: " + std::string(128, 'n') + "\n    activation: relu\n").ok());
  EXPECT_EQ(ErrorFor("models:\n  - activation: relu\n"), Source() + ": models[0]: missing key 'name'");
  EXPECT_EQ(ErrorFor("models:\n  - name: [a]\n    activation: relu\n"),
            Source() + ": models[0]: name must be a string; was a sequence");
}

TEST_F(ModelsFileTest, ActivationErrorsCarryTheModelNameAndTheParserMessage) {
  const std::string parser_message(ParseActivation("prelu(weight=[])").status().message());
  ASSERT_FALSE(parser_message.empty());
  EXPECT_EQ(ErrorFor("models:\n  - name: stem\n    activation: \"prelu(weight=[])\"\n"),
            Source() + ": models[0] 'stem': activation 'prelu(weight=[])': " + parser_message);

  const std::string unknown(ParseActivation("swish").status().message());
  EXPECT_EQ(ErrorFor("models:\n  - {name: ok, activation: relu}\n  - {name: bad, activation: swish}\n"),
            Source() + ": models[1] 'bad': activation 'swish': " + unknown);

  EXPECT_THAT(ErrorFor("models:\n  - name: t\n    activation: threshold\n"),
              StartsWith(Source() + ": models[0] 't': activation 'threshold': "));
  EXPECT_THAT(ErrorFor("models:\n  - name: c\n    activation: \"celu(alpha=0)\"\n"), HasSubstr("'c'"));
  EXPECT_EQ(ErrorFor("models:\n  - name: x\n"), Source() + ": models[0] 'x': missing key 'activation'");
  EXPECT_EQ(ErrorFor("models:\n  - name: x\n    activation: {prelu: 1}\n"),
            Source() +
                ": models[0] 'x': activation must be a string such as \"prelu(weight=[0.25, 0.1])\" "
                "(quoted); was a map");
}

TEST_F(ModelsFileTest, StructureErrors) {
  EXPECT_EQ(ErrorFor(""), Source() + " must be a map with the key 'models'; was empty");
  EXPECT_EQ(ErrorFor("- name: a\n"), Source() + " must be a map with the key 'models'; was a sequence");
  EXPECT_EQ(ErrorFor("modles: []\n"), Source() + ": unknown key 'modles'; expected only 'models'");
  EXPECT_EQ(ErrorFor("models: []\nversion: 2\n"), Source() + ": unknown key 'version'; expected only 'models'");
  EXPECT_EQ(ErrorFor("models: relu\n"),
            Source() + ": models must be a sequence of {name, activation} maps; was a scalar");
  EXPECT_EQ(ErrorFor("models:\n"), Source() + ": models must be a sequence of {name, activation} maps; was null");
  EXPECT_EQ(ErrorFor("models:\n  - relu\n"),
            Source() + ": models[0]: must be a map with keys name and activation; was a scalar");
  EXPECT_EQ(ErrorFor("models:\n  - name: a\n    activation: relu\n    weights: [1]\n"),
            Source() + ": models[0]: unknown key 'weights'; a model has only name and activation");
  EXPECT_THAT(ErrorFor("models:\n  - name: a\n    activation: prelu(weight=[0.1, 0.2])\n  -\n"),
              HasSubstr(Source() + ": models[1]: must be a map"));
  EXPECT_EQ(ErrorFor("models:\n  - name: a\n    name: b\n    activation: relu\n"),
            Source() + ": models[0]: key 'name' repeats");
  EXPECT_EQ(ErrorFor("models: []\nmodels: []\n"), Source() + ": key 'models' repeats");
  EXPECT_EQ(ErrorFor("{}\n"), Source() + ": missing key 'models'");
  EXPECT_THAT(ErrorFor("models: [\n"), StartsWith(Source() + ": invalid YAML at line "));
  EXPECT_THAT(ErrorFor("models: []\n---\nmodels: []\n"), HasSubstr("holds more than one YAML document; expected one"));
}

TEST_F(ModelsFileTest, DeepNestingIsRejectedBeforeParsing) {
  std::string flow_bomb = "models: ";
  for (int i = 0; i < 100000; ++i) flow_bomb += '[';
  EXPECT_EQ(ErrorFor(flow_bomb), Source() + " nests 100001 levels deep; the limit is 64");

  std::string block_bomb = "models:\n";
  for (int i = 0; i < 65; ++i) block_bomb += "- ";
  block_bomb += "x\n";
  EXPECT_EQ(ErrorFor(block_bomb), Source() + " nests 66 levels deep; the limit is 64");

  ModelRepositoryOptions options;
  options.models_file = dir_.Write("shallow.yaml", "models: [{name: a, activation: relu}]\n");
  options.yaml_limits.max_nesting_depth = 2;
  EXPECT_EQ(ModelRepository::Create(options).status().message(),
            "models file " + options.models_file + " nests 3 levels deep; the limit is 2");
}

TEST_F(ModelsFileTest, FileTooLargeOrMissing) {
  ModelRepositoryOptions options;
  options.models_file = dir_.Write("big.yaml", "models: []\n# " + std::string(kDefaultMaxYamlFileBytes, 'x') + "\n");
  absl::StatusOr<ModelRepository> big = ModelRepository::Create(options);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(big.status().message(), "models file " + options.models_file + " is larger than the limit of 1MiB");

  options.yaml_limits.max_file_bytes = 16;
  options.models_file = dir_.Write("small.yaml", "models: []    # seventeen+\n");
  EXPECT_THAT(std::string(ModelRepository::Create(options).status().message()),
              HasSubstr("is larger than the limit of 16B"));

  options = {};
  options.models_file = dir_.Path("missing.yaml");
  absl::StatusOr<ModelRepository> missing = ModelRepository::Create(options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              StartsWith("models file " + options.models_file + ": cannot open"));
}

TEST(ModelRepositoryOptions, InvalidLimits) {
  ModelRepositoryOptions options;
  options.yaml_limits.max_file_bytes = 0;
  EXPECT_EQ(ModelRepository::Create(options).status().message(), "yaml_limits.max_file_bytes must be positive; was 0");
  options = {};
  options.yaml_limits.max_nesting_depth = 0;
  EXPECT_EQ(ModelRepository::Create(options).status().message(),
            "yaml_limits.max_nesting_depth must be positive; was 0");
}

TEST(ValidateModelName, Rules) {
  EXPECT_TRUE(ValidateModelName("a").ok());
  EXPECT_TRUE(ValidateModelName("Stem_PReLU-v1.2").ok());
  EXPECT_TRUE(ValidateModelName(std::string(kMaxModelNameLength, 'x')).ok());
  EXPECT_FALSE(ValidateModelName("").ok());
  EXPECT_FALSE(ValidateModelName(std::string(kMaxModelNameLength + 1, 'x')).ok());
  for (std::string_view bad : {"a b", "a/b", "a:b", "é", "a\tb", "(relu)"}) {
    EXPECT_EQ(ValidateModelName(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace rectifier::server
