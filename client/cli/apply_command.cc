// `rectifier apply`: one activation (or model) on one tensor from a .npy or raw file. Tensors larger than
// --chunk-bytes are cut along their first dimension and sent over one ApplyStream, with progress, so that
// files larger than a gRPC message work too; the outputs are put back together in order.
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include "client/cli/commands.h"
#include "client/cli/common_flags.h"
#include "client/cli/npy.h"
#include "client/cli/progress.h"
#include "kernels/str_cat.h"
#include "rectifier/client/activation_spec.h"
#include "rectifier/client/tensor.h"

namespace rectifier::cli {
namespace {

constexpr std::chrono::milliseconds kApplyDeadline{120000};
constexpr int kExitFailure = 1;

struct ApplyFlags {
  ConnectionFlags connection;
  std::string activation;
  std::string model;
  std::string input;
  std::string output;
  std::string shape;
  std::string dtype;
  std::string chunk_bytes = "4MiB";
  std::string progress = "auto";
};

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const std::string& text) {
  std::vector<int64_t> shape;
  std::stringstream dims(text);
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    char* end = nullptr;
    const long long value = std::strtoll(dim.c_str(), &end, 10);
    if (dim.empty() || *end != '\0' || value < 0) {
      return absl::InvalidArgumentError(StrCat("--shape: bad dimension '", dim, "' in '", text, "' (use e.g. 2,3,224)"));
    }
    shape.push_back(value);
  }
  return shape;
}

absl::StatusOr<HostTensor> ReadInput(const ApplyFlags& flags) {
  if (flags.shape.empty()) {
    if (!flags.dtype.empty()) return absl::InvalidArgumentError("--dtype needs --shape (raw input)");
    return ReadNpy(flags.input);
  }
  absl::StatusOr<std::vector<int64_t>> shape = ParseShape(flags.shape);
  if (!shape.ok()) return shape.status();
  const std::string dtype_name = flags.dtype.empty() ? "float32" : flags.dtype;
  std::optional<v1::DataType> dtype = client::ParseDataTypeName(dtype_name);
  if (!dtype.has_value()) return absl::InvalidArgumentError(StrCat("--dtype: unknown data type '", dtype_name, "'"));
  return ReadRaw(flags.input, *dtype, *std::move(shape));
}

// The activation that will run, when known: --activation, or the model's spec from ListModels.
std::optional<v1::Activation> KnownActivation(client::Client& client, const ApplyFlags& flags,
                                              const std::optional<v1::Activation>& parsed) {
  if (parsed.has_value()) return parsed;
  absl::StatusOr<v1::ListModelsResponse> models = client.ListModels();
  if (!models.ok()) return std::nullopt;
  for (const v1::ModelInfo& model : models->models()) {
    if (model.name() == flags.model) return model.spec();
  }
  return std::nullopt;
}

// Whether the activation treats the slices along dimension 0 independently (all but crelu over axis 0).
bool SplittableAlongFirstDim(const v1::Activation& activation, size_t rank) {
  if (!activation.has_crelu()) return true;
  const int64_t axis = activation.crelu().has_axis() ? activation.crelu().axis() : -1;
  return axis != 0 && axis != -static_cast<int64_t>(rank);
}

v1::ApplyRequest RequestFor(const ApplyFlags& flags, const std::optional<v1::Activation>& activation) {
  v1::ApplyRequest request;
  if (activation.has_value()) {
    *request.mutable_activation() = *activation;
  } else {
    request.set_model(flags.model);
  }
  return request;
}

absl::StatusOr<HostTensor> FromOutput(v1::Tensor* output) {
  HostTensor tensor;
  tensor.dtype = output->dtype();
  tensor.shape.assign(output->shape().begin(), output->shape().end());
  tensor.data = std::move(*output->mutable_data());
  return tensor;
}

absl::StatusOr<HostTensor> ApplyWhole(client::Client& client, const ApplyFlags& flags,
                                      const std::optional<v1::Activation>& activation, HostTensor input) {
  v1::ApplyRequest request = RequestFor(flags, activation);
  v1::Tensor* tensor = request.mutable_input();
  tensor->set_dtype(input.dtype);
  tensor->mutable_shape()->Add(input.shape.begin(), input.shape.end());
  tensor->set_data(std::move(input.data));  // Moved, not copied.
  absl::StatusOr<v1::ApplyResponse> response = client.Apply(request);
  if (!response.ok()) return response.status();
  return FromOutput(response->mutable_output());
}

absl::StatusOr<HostTensor> ApplyInChunks(client::Client& client, const ApplyFlags& flags,
                                         const std::optional<v1::Activation>& activation, const HostTensor& input,
                                         size_t chunk_bytes) {
  const size_t row_bytes = input.data.size() / static_cast<size_t>(input.shape[0]);
  const int64_t rows_per_chunk = static_cast<int64_t>(std::max<size_t>(1, chunk_bytes / std::max<size_t>(row_bytes, 1)));
  std::vector<v1::ApplyRequest> requests;
  for (int64_t row = 0; row < input.shape[0]; row += rows_per_chunk) {
    const int64_t rows = std::min(rows_per_chunk, input.shape[0] - row);
    v1::ApplyRequest request = RequestFor(flags, activation);
    request.set_request_id(std::to_string(requests.size()));
    v1::Tensor* tensor = request.mutable_input();
    tensor->set_dtype(input.dtype);
    tensor->add_shape(rows);
    tensor->mutable_shape()->Add(input.shape.begin() + 1, input.shape.end());
    tensor->set_data(input.data.substr(static_cast<size_t>(row) * row_bytes, static_cast<size_t>(rows) * row_bytes));
    requests.push_back(std::move(request));
  }
  Progress progress("apply " + flags.input, input.data.size(), flags.progress);
  const size_t chunks = requests.size();
  absl::StatusOr<std::vector<v1::ApplyResponse>> responses =
      client.ApplyStream(std::move(requests), {}, [&](size_t done, size_t total) {
        progress.Update(input.data.size() * done / total);
      });
  progress.Finish();
  if (!responses.ok()) return responses.status();
  HostTensor output;
  for (size_t i = 0; i < chunks; ++i) {
    v1::ApplyResponse& response = (*responses)[i];
    if (absl::Status status = client::StatusOf(response); !status.ok()) {
      return absl::Status(status.code(), StrCat("chunk ", i, ": ", std::string(status.message())));
    }
    if (i == 0) {
      output.dtype = response.output().dtype();
      output.shape.assign(response.output().shape().begin(), response.output().shape().end());
      output.shape[0] = 0;
    }
    output.shape[0] += response.output().shape(0);
    output.data += response.output().data();
  }
  return output;
}

int RunApply(const ApplyFlags& flags) {
  std::optional<v1::Activation> parsed;
  if (!flags.activation.empty()) {
    absl::StatusOr<v1::Activation> activation = client::ParseActivationSpec(flags.activation);
    if (!activation.ok()) {
      PrintError("apply", activation.status());
      return kExitFailure;
    }
    parsed = *activation;
  }
  absl::StatusOr<HostTensor> input = ReadInput(flags);
  absl::StatusOr<int64_t> chunk_bytes = ParseBytes(flags.chunk_bytes);
  if (input.ok() && !chunk_bytes.ok()) input = absl::InvalidArgumentError(StrCat("--chunk-bytes: ", std::string(chunk_bytes.status().message())));
  if (!input.ok()) {
    PrintError("apply", input.status());
    return kExitFailure;
  }
  auto client = Connect(flags.connection, kApplyDeadline);
  if (!client.ok()) {
    PrintError("apply", client.status());
    return kExitFailure;
  }
  const bool large = !input->shape.empty() && input->shape[0] > 1 &&
                     input->data.size() > static_cast<size_t>(std::max<int64_t>(*chunk_bytes, 1));
  std::optional<v1::Activation> known = large ? KnownActivation(**client, flags, parsed) : std::nullopt;
  const bool write_npy = EndsWith(flags.output, ".npy") || flags.shape.empty();
  absl::StatusOr<HostTensor> output =
      known.has_value() && SplittableAlongFirstDim(*known, input->shape.size())
          ? ApplyInChunks(**client, flags, parsed, *input, static_cast<size_t>(*chunk_bytes))
          : ApplyWhole(**client, flags, parsed, *std::move(input));
  if (!output.ok()) {
    PrintError("apply", output.status());
    return kExitFailure;
  }
  absl::Status written = write_npy ? WriteNpy(flags.output, *output) : WriteFileBytes(flags.output, output->data);
  if (!written.ok()) {
    PrintError("apply", written);
    return kExitFailure;
  }
  return 0;
}

}  // namespace

void AddApplyCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ApplyFlags>();
  CLI::App* command = app.add_subcommand(
      "apply",
      "Apply an activation (or a server model) to a tensor file. Input: .npy (float32, float64, float16, int8, "
      "uint8, int16, int32, int64; C order), or raw little-endian with --shape and --dtype. Output: .npy, or raw "
      "when the input is raw and the output name does not end in .npy.");
  AddConnectionFlags(command, &flags->connection);
  CLI::Option* activation = command->add_option(
      "-a,--activation", flags->activation, "Activation spec, e.g. 'leaky_relu(negative_slope=0.2)' (see `rectifier list`)");
  CLI::Option* model = command->add_option("-m,--model", flags->model, "Server model name (see `rectifier models`)");
  activation->excludes(model);
  model->excludes(activation);
  command->add_option("-i,--input", flags->input, "Input file")->required();
  command->add_option("-o,--output", flags->output, "Output file")->required();
  command->add_option("--shape", flags->shape, "Raw input: comma-separated dimensions, e.g. 2,3,224");
  command->add_option("--dtype", flags->dtype, "Raw input: float32 (default), float64, float16, bfloat16, int8, ...");
  command->add_option("--chunk-bytes", flags->chunk_bytes,
                      "Tensors larger than this are sent in pieces along dimension 0 over one stream")
      ->capture_default_str();
  command->add_option("--progress", flags->progress, "Progress on stderr: auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  command->callback([flags, exit_code, command] {
    if (flags->activation.empty() && flags->model.empty()) {
      std::cerr << "rectifier apply: one of --activation and --model is required\n" << command->help();
      *exit_code = kExitFailure;
      return;
    }
    *exit_code = RunApply(*flags);
  });
}

}  // namespace rectifier::cli
