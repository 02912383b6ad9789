#include "bench/loadgen/rectifier_v1_request_builder.h"

#include "bench/loadgen/random_tensor.h"
#include "bench/loadgen/tensor_compare.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/proto_convert.h"

namespace rectifier::bench {
namespace {

class RectifierV1RequestBuilder final : public RequestBuilder {
 public:
  RectifierV1RequestBuilder(grpc::ByteBuffer request, size_t input_bytes, std::string expected, DataType out_dtype,
                            std::vector<int64_t> out_shape)
      : request_(std::move(request)),
        input_bytes_(input_bytes),
        expected_(std::move(expected)),
        out_dtype_(out_dtype),
        out_shape_(std::move(out_shape)) {}

  const std::string& unary_method() const override { return unary_method_; }
  const std::string& stream_method() const override { return stream_method_; }
  const grpc::ByteBuffer& request() const override { return request_; }
  size_t input_tensor_bytes() const override { return input_bytes_; }
  size_t output_tensor_bytes() const override { return expected_.size(); }

  absl::Status VerifyResponse(const grpc::ByteBuffer& response) const override {
    grpc::ByteBuffer copy = response;  // Deserialize consumes its buffer.
    v1::ApplyResponse message;
    grpc::Status parsed = grpc::SerializationTraits<v1::ApplyResponse>::Deserialize(&copy, &message);
    if (!parsed.ok()) return absl::InternalError(StrCat("response does not parse: ", parsed.error_message()));
    if (message.has_error()) {
      return absl::InternalError(StrCat("response carries error ", message.error().code(), ": ", message.error().message()));
    }
    const auto dtype = server::DataTypeFromProto(message.output().dtype());
    if (!dtype || *dtype != out_dtype_) {
      return absl::InternalError(StrCat("output dtype is ", static_cast<int>(message.output().dtype()),
                                        "; expected ", DataTypeName(out_dtype_)));
    }
    if (!std::equal(message.output().shape().begin(), message.output().shape().end(), out_shape_.begin(),
                    out_shape_.end())) {
      return absl::InternalError("output shape differs from the reference's");
    }
    return CompareTensorBytes(out_dtype_, expected_, message.output().data());
  }

 private:
  const std::string unary_method_ = "/rectifier.v1.ActivationService/Apply";
  const std::string stream_method_ = "/rectifier.v1.ActivationService/ApplyStream";
  const grpc::ByteBuffer request_;
  const size_t input_bytes_;
  const std::string expected_;
  const DataType out_dtype_;
  const std::vector<int64_t> out_shape_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateRectifierV1RequestBuilder(const RequestSpec& spec) {
  RECTIFIER_ASSIGN_OR_RETURN(const Activation activation, ParseActivation(spec.activation));
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, NumElements(spec.shape, "shape"));
  RECTIFIER_RETURN_IF_ERROR(ValidateForInput(activation, spec.dtype, spec.shape, "input", "activation."));

  v1::ApplyRequest request;
  request.set_request_id("rectifier-bench");
  server::ActivationToProto(activation, request.mutable_activation());
  v1::Tensor* input = request.mutable_input();
  input->set_dtype(server::DataTypeToProto(spec.dtype));
  for (int64_t dim : spec.shape) input->add_shape(dim);
  input->set_data(RandomTensorBytes(spec.dtype, elements, spec.seed));

  const DataType out_dtype = OutputDataType(activation, spec.dtype);
  std::vector<int64_t> out_shape = OutputShape(activation, spec.shape);
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t out_elements, NumElements(out_shape, "output shape"));
  std::string expected(static_cast<size_t>(out_elements) * ElementSizeBytes(out_dtype), '\0');
  RECTIFIER_RETURN_IF_ERROR(Apply(activation, TensorView{spec.dtype, spec.shape, input->data().data()},
                                  MutableTensorView{out_dtype, out_shape, expected.data()}));

  grpc::ByteBuffer serialized;
  bool own_buffer = false;
  grpc::Status status = grpc::SerializationTraits<v1::ApplyRequest>::Serialize(request, &serialized, &own_buffer);
  if (!status.ok()) return absl::InternalError(StrCat("serializing the request: ", status.error_message()));
  return std::unique_ptr<RequestBuilder>(new RectifierV1RequestBuilder(
      std::move(serialized), input->data().size(), std::move(expected), out_dtype, std::move(out_shape)));
}

}  // namespace rectifier::bench
