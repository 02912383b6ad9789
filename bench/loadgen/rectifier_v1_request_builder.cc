#include "bench/loadgen/rectifier_v1_request_builder.h"

#include "bench/loadgen/random_tensor.h"
#include "bench/loadgen/reference_output.h"
#include "bench/loadgen/tensor_compare.h"
#include "bench/loadgen/proto_buffers.h"
#include "kernels/activation_text.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/tensor.h"
#include "rectifier/v1/rectifier.pb.h"
#include "server/proto_convert.h"

namespace rectifier::bench {
namespace {

class RectifierV1RequestBuilder final : public RequestBuilder {
 public:
  RectifierV1RequestBuilder(grpc::ByteBuffer request, size_t input_bytes, ReferenceOutput expected)
      : request_(std::move(request)), input_bytes_(input_bytes), expected_(std::move(expected)) {}

  const std::string& unary_method() const override { return unary_method_; }
  const std::string& stream_method() const override { return stream_method_; }
  const grpc::ByteBuffer& request() const override { return request_; }
  size_t input_tensor_bytes() const override { return input_bytes_; }
  size_t output_tensor_bytes() const override { return expected_.data.size(); }

  absl::Status VerifyResponse(const grpc::ByteBuffer& response) const override {
    RECTIFIER_ASSIGN_OR_RETURN(const v1::ApplyResponse message, ParseByteBuffer<v1::ApplyResponse>(response));
    if (message.has_error()) {
      return absl::InternalError(StrCat("response carries error ", message.error().code(), ": ", message.error().message()));
    }
    const auto dtype = server::DataTypeFromProto(message.output().dtype());
    if (!dtype || *dtype != expected_.dtype) {
      return absl::InternalError(StrCat("output dtype is ", static_cast<int>(message.output().dtype()),
                                        "; expected ", DataTypeName(expected_.dtype)));
    }
    if (!std::equal(message.output().shape().begin(), message.output().shape().end(), expected_.shape.begin(),
                    expected_.shape.end())) {
      return absl::InternalError("output shape differs from the reference's");
    }
    return CompareTensorBytes(expected_.dtype, expected_.data, message.output().data());
  }

 private:
  const std::string unary_method_ = "/rectifier.v1.ActivationService/Apply";
  const std::string stream_method_ = "/rectifier.v1.ActivationService/ApplyStream";
  const grpc::ByteBuffer request_;
  const size_t input_bytes_;
  const ReferenceOutput expected_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RequestBuilder>> CreateRectifierV1RequestBuilder(const RequestSpec& spec) {
  RECTIFIER_ASSIGN_OR_RETURN(const Activation activation, ParseActivation(spec.activation));
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, NumElements(spec.shape, "shape"));

  v1::ApplyRequest request;
  request.set_request_id("rectifier-bench");
  server::ActivationToProto(activation, request.mutable_activation());
  v1::Tensor* input = request.mutable_input();
  input->set_dtype(server::DataTypeToProto(spec.dtype));
  for (int64_t dim : spec.shape) input->add_shape(dim);
  input->set_data(RandomTensorBytes(spec.dtype, elements, spec.seed));

  RECTIFIER_ASSIGN_OR_RETURN(ReferenceOutput expected,
                             ComputeReference(activation, spec.dtype, spec.shape, input->data()));

  RECTIFIER_ASSIGN_OR_RETURN(grpc::ByteBuffer serialized, SerializeToByteBuffer(request));
  return std::unique_ptr<RequestBuilder>(new RectifierV1RequestBuilder(
      std::move(serialized), input->data().size(), std::move(expected)));
}

}  // namespace rectifier::bench
