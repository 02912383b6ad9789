// `rectifier list` (the activation catalogue) and `rectifier models` (the model repository).
#include <iostream>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common_flags.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "rectifier/client/tensor.h"

namespace rectifier::cli {
namespace {

constexpr std::chrono::milliseconds kListDeadline{10000};
constexpr int kExitFailure = 1;

struct ListFlags {
  ConnectionFlags connection;
  bool json = false;
  bool long_format = false;
};

int PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return kExitFailure;
  std::cout << json;
  return 0;
}

std::string ParameterList(const v1::ActivationInfo& info) {
  std::string out;
  for (const v1::ParameterInfo& parameter : info.parameters()) {
    if (!out.empty()) out += ", ";
    out += parameter.name() + "=" + (parameter.default_value().empty() ? "<required>" : parameter.default_value());
  }
  return out;
}

int RunList(const ListFlags& flags) {
  auto client = Connect(flags.connection, kListDeadline);
  if (!client.ok()) {
    PrintError("list", client.status());
    return kExitFailure;
  }
  absl::StatusOr<v1::ListActivationsResponse> response = (*client)->ListActivations();
  if (!response.ok()) {
    PrintError("list", response.status());
    return kExitFailure;
  }
  if (flags.json) return PrintJson(*response);
  std::cout << fmt::format("{:<12} {:<44} {}\n", "NAME", "PARAMETERS (DEFAULTS)", "DATA TYPES");
  for (const v1::ActivationInfo& info : response->activations()) {
    std::string dtypes;
    for (int dtype : info.dtypes()) {
      if (!dtypes.empty()) dtypes += " ";
      dtypes += client::DataTypeName(static_cast<v1::DataType>(dtype));
    }
    std::cout << fmt::format("{:<12} {:<44} {}\n", info.name(), ParameterList(info), dtypes);
    if (flags.long_format) {
      std::cout << "    " << info.formula() << "\n";
      for (const v1::ParameterInfo& parameter : info.parameters()) {
        std::cout << "    " << parameter.name() << " (" << parameter.type() << "): " << parameter.description() << "\n";
      }
    }
  }
  return 0;
}

int RunModels(const ListFlags& flags) {
  auto client = Connect(flags.connection, kListDeadline);
  if (!client.ok()) {
    PrintError("models", client.status());
    return kExitFailure;
  }
  absl::StatusOr<v1::ListModelsResponse> response = (*client)->ListModels();
  if (!response.ok()) {
    PrintError("models", response.status());
    return kExitFailure;
  }
  if (flags.json) return PrintJson(*response);
  std::cout << fmt::format("{:<24} {}\n", "MODEL", "ACTIVATION");
  for (const v1::ModelInfo& model : response->models()) {
    std::cout << fmt::format("{:<24} {}\n", model.name(), model.activation());
  }
  return 0;
}

}  // namespace

void AddListCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* command = app.add_subcommand("list", "List the activations the server serves, with parameters and data types");
  AddConnectionFlags(command, &flags->connection);
  command->add_flag("--json", flags->json, "Print the ListActivations response as JSON");
  command->add_flag("-l,--long", flags->long_format, "Also print formulas and parameter descriptions");
  command->callback([flags, exit_code] { *exit_code = RunList(*flags); });
}

void AddModelsCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* command = app.add_subcommand("models", "List the server's models (name and activation)");
  AddConnectionFlags(command, &flags->connection);
  command->add_flag("--json", flags->json, "Print the ListModels response as JSON");
  command->callback([flags, exit_code] { *exit_code = RunModels(*flags); });
}

}  // namespace rectifier::cli
