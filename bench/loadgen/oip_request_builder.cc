#include "bench/loadgen/oip_request_builder.h"

#include <cstring>
#include <string_view>

#include "bench/loadgen/proto_buffers.h"
#include "bench/loadgen/random_tensor.h"
#include "bench/loadgen/reference_output.h"
#include "bench/loadgen/tensor_compare.h"
#include "inference/grpc_service.pb.h"
#include "kernels/activation_text.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/tensor.h"
#include "server/oip_convert.h"

namespace rectifier::bench {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Fills the model name and parameters from the canonical text form "name(key=value, key=[a, b])": lists
// become the `weight` tensor, `axis` an int64 parameter, numbers double parameters, anything else strings.
absl::Status SetActivation(const Activation& activation, inference::ModelInferRequest* request) {
  const std::string text = FormatActivation(activation);
  const size_t open = text.find('(');
  request->set_model_name(text.substr(0, open));
  if (open == std::string::npos) return absl::OkStatus();
  std::string_view rest(text);
  rest = rest.substr(open + 1, rest.size() - open - 2);
  while (!rest.empty()) {
    const size_t eq = rest.find('=');
    const std::string key(Trim(rest.substr(0, eq)));
    rest.remove_prefix(eq + 1);
    rest = Trim(rest);
    size_t end = rest.front() == '[' ? rest.find(']') + 1 : rest.find(',');
    if (end == std::string_view::npos) end = rest.size();
    const std::string value(Trim(rest.substr(0, end)));
    rest.remove_prefix(end);
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
    if (value.front() == '[') {
      auto* weight = request->add_inputs();
      weight->set_name(key);
      weight->set_datatype("FP64");
      std::string bytes;
      std::string_view items(value);
      items = items.substr(1, items.size() - 2);
      while (!items.empty()) {
        const size_t comma = items.find(',');
        const double number = std::stod(std::string(Trim(items.substr(0, comma))));
        bytes.append(reinterpret_cast<const char*>(&number), sizeof(number));
        items = comma == std::string_view::npos ? std::string_view() : items.substr(comma + 1);
      }
      weight->add_shape(static_cast<int64_t>(bytes.size() / sizeof(double)));
      *request->add_raw_input_contents() = std::move(bytes);
      continue;
    }
    inference::InferParameter& parameter = (*request->mutable_parameters())[key];
    char* parsed_end = nullptr;
    const double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end != value.c_str() && *parsed_end == '\0') {
      if (key == "axis") {
        parameter.set_int64_param(static_cast<int64_t>(number));
      } else {
        parameter.set_double_param(number);
      }
    } else {
      parameter.set_string_param(value);
    }
  }
  return absl::OkStatus();
}

class OipRequestBuilder final : public RequestBuilder {
 public:
  OipRequestBuilder(grpc::ByteBuffer request, size_t input_bytes, ReferenceOutput expected)
      : request_(std::move(request)), input_bytes_(input_bytes), expected_(std::move(expected)) {}

  const std::string& unary_method() const override { return unary_method_; }
  const std::string& stream_method() const override { return no_stream_method_; }
  const grpc::ByteBuffer& request() const override { return request_; }
  size_t input_tensor_bytes() const override { return input_bytes_; }
  size_t output_tensor_bytes() const override { return expected_.data.size(); }

  absl::Status VerifyResponse(const grpc::ByteBuffer& response) const override {
    RECTIFIER_ASSIGN_OR_RETURN(const inference::ModelInferResponse message,
                               ParseByteBuffer<inference::ModelInferResponse>(response));
    if (message.outputs_size() != 1 || message.raw_output_contents_size() != 1) {
      return absl::InternalError(StrCat("expected one output in raw_output_contents; got ", message.outputs_size(),
                                        " outputs and ", message.raw_output_contents_size(), " raw contents"));
    }
    const auto& output = message.outputs(0);
    if (output.datatype() != std::string(server::OipDataTypeName(expected_.dtype))) {
      return absl::InternalError(StrCat("output datatype is ", output.datatype(), "; expected ",
                                        std::string(server::OipDataTypeName(expected_.dtype))));
    }
    if (!std::equal(output.shape().begin(), output.shape().end(), expected_.shape.begin(), expected_.shape.end())) {
      return absl::InternalError("output shape differs from the reference's");
    }
    return CompareTensorBytes(expected_.dtype, expected_.data, message.raw_output_contents(0));
  }

 private:
  const std::string unary_method_ = "/inference.GRPCInferenceService/ModelInfer";
  const std::string no_stream_method_;
  const grpc::ByteBuffer request_;
  const size_t input_bytes_;
  const ReferenceOutput expected_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateOipRequestBuilder(const RequestSpec& spec) {
  RECTIFIER_ASSIGN_OR_RETURN(const Activation activation, ParseActivation(spec.activation));
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, NumElements(spec.shape, "shape"));

  inference::ModelInferRequest request;
  request.set_id("rectifier-bench");
  auto* input = request.add_inputs();
  input->set_name("input");
  input->set_datatype(std::string(server::OipDataTypeName(spec.dtype)));
  for (int64_t dim : spec.shape) input->add_shape(dim);
  std::string* data = request.add_raw_input_contents();
  *data = RandomTensorBytes(spec.dtype, elements, spec.seed);
  RECTIFIER_ASSIGN_OR_RETURN(ReferenceOutput expected, ComputeReference(activation, spec.dtype, spec.shape, *data));
  const size_t input_bytes = data->size();
  RECTIFIER_RETURN_IF_ERROR(SetActivation(activation, &request));  // May add the weight tensor after the input.
  request.add_outputs()->set_name("output");

  RECTIFIER_ASSIGN_OR_RETURN(grpc::ByteBuffer serialized, SerializeToByteBuffer(request));
  return std::unique_ptr<RequestBuilder>(new OipRequestBuilder(std::move(serialized), input_bytes, std::move(expected)));
}

}  // namespace rectifier::bench
