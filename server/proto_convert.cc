#include "server/proto_convert.h"

#include <array>

#include "kernels/catalogue.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"

namespace rectifier::server {
namespace {

constexpr std::array<std::pair<v1::DataType, DataType>, 9> kDataTypes = {{
    {v1::DATA_TYPE_FLOAT32, DataType::kFloat32},
    {v1::DATA_TYPE_FLOAT64, DataType::kFloat64},
    {v1::DATA_TYPE_FLOAT16, DataType::kFloat16},
    {v1::DATA_TYPE_BFLOAT16, DataType::kBFloat16},
    {v1::DATA_TYPE_INT8, DataType::kInt8},
    {v1::DATA_TYPE_UINT8, DataType::kUInt8},
    {v1::DATA_TYPE_INT16, DataType::kInt16},
    {v1::DATA_TYPE_INT32, DataType::kInt32},
    {v1::DATA_TYPE_INT64, DataType::kInt64},
}};

absl::Status Required(std::string_view field) {
  return absl::InvalidArgumentError(StrCat("activation.", field, " is required"));
}

// Kernel validation names parameters "celu.alpha"; in the API they live under "activation.".
absl::Status InApi(absl::Status status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), StrCat("activation.", std::string(status.message())));
}

absl::StatusOr<Activation> Convert(const v1::Activation& p) {
  using K = v1::Activation::KindCase;
  switch (p.kind_case()) {
    case K::kRelu: return act::Relu{};
    case K::kLeakyRelu: {
      act::LeakyRelu a;
      if (p.leaky_relu().has_negative_slope()) a.negative_slope = p.leaky_relu().negative_slope();
      return a;
    }
    case K::kPrelu: {
      act::Prelu a;
      if (p.prelu().weight_size() > 0) a.weight.assign(p.prelu().weight().begin(), p.prelu().weight().end());
      return a;
    }
    case K::kElu: {
      act::Elu a;
      if (p.elu().has_alpha()) a.alpha = p.elu().alpha();
      return a;
    }
    case K::kSelu: return act::Selu{};
    case K::kCelu: {
      act::Celu a;
      if (p.celu().has_alpha()) a.alpha = p.celu().alpha();
      return a;
    }
    case K::kCrelu: {
      act::Crelu a;
      if (p.crelu().has_axis()) a.axis = p.crelu().axis();
      return a;
    }
    case K::kRelu6: return act::Relu6{};
    case K::kHardtanh: {
      act::Hardtanh a;
      if (p.hardtanh().has_min_val()) a.min_val = p.hardtanh().min_val();
      if (p.hardtanh().has_max_val()) a.max_val = p.hardtanh().max_val();
      return a;
    }
    case K::kGelu: {
      act::Gelu a;
      if (p.gelu().has_approximate()) {
        const std::string& approximate = p.gelu().approximate();
        if (approximate == "tanh") {
          a.approximate = GeluApproximate::kTanh;
        } else if (approximate != "none") {
          return absl::InvalidArgumentError(
              StrCat("activation.gelu.approximate must be \"none\" or \"tanh\"; was \"", approximate, "\""));
        }
      }
      return a;
    }
    case K::kSilu: return act::Silu{};
    case K::kMish: return act::Mish{};
    case K::kSigmoid: return act::Sigmoid{};
    case K::kTanh: return act::Tanh{};
    case K::kSoftplus: {
      act::Softplus a;
      if (p.softplus().has_beta()) a.beta = p.softplus().beta();
      if (p.softplus().has_threshold()) a.threshold = p.softplus().threshold();
      return a;
    }
    case K::kHardswish: return act::Hardswish{};
    case K::kHardsigmoid: return act::Hardsigmoid{};
    case K::kLogsigmoid: return act::Logsigmoid{};
    case K::kThreshold: {
      if (!p.threshold().has_threshold()) return Required("threshold.threshold");
      if (!p.threshold().has_value()) return Required("threshold.value");
      return act::Threshold{p.threshold().threshold(), p.threshold().value()};
    }
    case K::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("activation must set one of the catalogue's activations (e.g. relu)");
}

}  // namespace

std::optional<DataType> DataTypeFromProto(v1::DataType dtype) {
  for (const auto& [proto, kernel] : kDataTypes) {
    if (proto == dtype) return kernel;
  }
  return std::nullopt;
}

v1::DataType DataTypeToProto(DataType dtype) {
  for (const auto& [proto, kernel] : kDataTypes) {
    if (kernel == dtype) return proto;
  }
  return v1::DATA_TYPE_UNSPECIFIED;
}

absl::StatusOr<Activation> ActivationFromProto(const v1::Activation& proto) {
  RECTIFIER_ASSIGN_OR_RETURN(Activation activation, Convert(proto));
  RECTIFIER_RETURN_IF_ERROR(InApi(ValidateActivation(activation)));
  return activation;
}

void ActivationToProto(const Activation& activation, v1::Activation* proto) {
  struct ToProto {
    v1::Activation* p;
    void operator()(const act::Relu&) const { p->mutable_relu(); }
    void operator()(const act::LeakyRelu& a) const { p->mutable_leaky_relu()->set_negative_slope(a.negative_slope); }
    void operator()(const act::Prelu& a) const {
      p->mutable_prelu()->mutable_weight()->Assign(a.weight.begin(), a.weight.end());
    }
    void operator()(const act::Elu& a) const { p->mutable_elu()->set_alpha(a.alpha); }
    void operator()(const act::Selu&) const { p->mutable_selu(); }
    void operator()(const act::Celu& a) const { p->mutable_celu()->set_alpha(a.alpha); }
    void operator()(const act::Crelu& a) const { p->mutable_crelu()->set_axis(a.axis); }
    void operator()(const act::Relu6&) const { p->mutable_relu6(); }
    void operator()(const act::Hardtanh& a) const {
      p->mutable_hardtanh()->set_min_val(a.min_val);
      p->mutable_hardtanh()->set_max_val(a.max_val);
    }
    void operator()(const act::Gelu& a) const {
      p->mutable_gelu()->set_approximate(a.approximate == GeluApproximate::kTanh ? "tanh" : "none");
    }
    void operator()(const act::Silu&) const { p->mutable_silu(); }
    void operator()(const act::Mish&) const { p->mutable_mish(); }
    void operator()(const act::Sigmoid&) const { p->mutable_sigmoid(); }
    void operator()(const act::Tanh&) const { p->mutable_tanh(); }
    void operator()(const act::Softplus& a) const {
      p->mutable_softplus()->set_beta(a.beta);
      p->mutable_softplus()->set_threshold(a.threshold);
    }
    void operator()(const act::Hardswish&) const { p->mutable_hardswish(); }
    void operator()(const act::Hardsigmoid&) const { p->mutable_hardsigmoid(); }
    void operator()(const act::Logsigmoid&) const { p->mutable_logsigmoid(); }
    void operator()(const act::Threshold& a) const {
      p->mutable_threshold()->set_threshold(a.threshold);
      p->mutable_threshold()->set_value(a.value);
    }
  };
  proto->Clear();
  std::visit(ToProto{proto}, activation);
}

absl::StatusOr<int64_t> LimitedElements(std::span<const int64_t> shape, const TensorLimits& limits,
                                        std::string_view field) {
  if (shape.size() > static_cast<size_t>(limits.max_rank)) {
    return absl::ResourceExhaustedError(StrCat(field, ".shape has rank ", shape.size(),
                                               "; the server's limit (--max-rank) is ", limits.max_rank));
  }
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, NumElements(shape, StrCat(field, ".shape")));
  if (elements > limits.max_elements) {
    return absl::ResourceExhaustedError(StrCat(field, " has ", elements,
                                               " elements; the server's limit (--max-tensor-elements) is ",
                                               limits.max_elements));
  }
  return elements;
}

absl::Status CheckOutputElements(int64_t elements, const TensorLimits& limits) {
  if (elements <= limits.max_elements) return absl::OkStatus();
  return absl::ResourceExhaustedError(StrCat("the output would have ", elements,
                                             " elements; the server's limit (--max-tensor-elements) is ",
                                             limits.max_elements));
}

absl::StatusOr<TensorView> TensorViewFromProto(const v1::Tensor& proto, const TensorLimits& limits,
                                               std::string_view field) {
  RECTIFIER_ASSIGN_OR_RETURN(TensorView view, TensorViewFromProto(proto, proto.data().size(), limits, field));
  view.data = proto.data().data();
  return view;
}

absl::StatusOr<TensorView> TensorViewFromProto(const v1::Tensor& proto, size_t data_bytes, const TensorLimits& limits,
                                               std::string_view field) {
  std::optional<DataType> dtype = DataTypeFromProto(proto.dtype());
  if (!dtype) {
    return absl::InvalidArgumentError(
        StrCat(field, ".dtype must be a DATA_TYPE_* value other than DATA_TYPE_UNSPECIFIED; was ",
               static_cast<int>(proto.dtype())));
  }
  std::span<const int64_t> shape(proto.shape().data(), static_cast<size_t>(proto.shape_size()));
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, LimitedElements(shape, limits, field));
  const uint64_t want_bytes = static_cast<uint64_t>(elements) * ElementSizeBytes(*dtype);
  if (data_bytes != want_bytes) {
    return absl::InvalidArgumentError(StrCat(field, ".data has ", data_bytes, " bytes; shape [",
                                             StrJoin(shape, ", "), "] of ", DataTypeName(*dtype), " needs ",
                                             want_bytes));
  }
  return TensorView{*dtype, shape, nullptr};
}

MutableTensorView PrepareOutputTensor(DataType dtype, std::span<const int64_t> shape, size_t elements,
                                      v1::Tensor* proto) {
  MutableTensorView view = DescribeOutputTensor(dtype, shape, proto);
  std::string* data = proto->mutable_data();
  data->resize(elements * ElementSizeBytes(dtype));
  view.data = data->data();
  return view;
}

MutableTensorView DescribeOutputTensor(DataType dtype, std::span<const int64_t> shape, v1::Tensor* proto) {
  proto->set_dtype(DataTypeToProto(dtype));
  proto->mutable_shape()->Assign(shape.begin(), shape.end());
  return MutableTensorView{dtype, std::span<const int64_t>(proto->shape().data(), shape.size()), nullptr};
}

}  // namespace rectifier::server
