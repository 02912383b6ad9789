#include "server/oip_convert.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "kernels/catalogue.h"
#include "kernels/status.h"
#include "kernels/str_cat.h"
#include "kernels/validation.h"

namespace rectifier::server {
namespace {

using inference::InferParameter;
using inference::InferTensorContents;
using inference::ModelInferRequest;
using inference::ModelInferResponse;

constexpr std::array<std::pair<std::string_view, DataType>, 9> kOipDataTypes = {{
    {"FP32", DataType::kFloat32},
    {"FP64", DataType::kFloat64},
    {"FP16", DataType::kFloat16},
    {"BF16", DataType::kBFloat16},
    {"INT8", DataType::kInt8},
    {"UINT8", DataType::kUInt8},
    {"INT16", DataType::kInt16},
    {"INT32", DataType::kInt32},
    {"INT64", DataType::kInt64},
}};

// ---------------------------------------------------------------------------------------------------------
// Parameters.

std::string_view ChoiceName(const InferParameter& p) {
  switch (p.parameter_choice_case()) {
    case InferParameter::kBoolParam: return "bool_param";
    case InferParameter::kInt64Param: return "int64_param";
    case InferParameter::kStringParam: return "string_param";
    case InferParameter::kDoubleParam: return "double_param";
    case InferParameter::kUint64Param: return "uint64_param";
    case InferParameter::PARAMETER_CHOICE_NOT_SET: break;
  }
  return "no value";
}

absl::Status SetDouble(double* target, const InferParameter& p, std::string_view field) {
  switch (p.parameter_choice_case()) {
    case InferParameter::kDoubleParam: *target = p.double_param(); return absl::OkStatus();
    case InferParameter::kInt64Param: *target = static_cast<double>(p.int64_param()); return absl::OkStatus();
    case InferParameter::kUint64Param: *target = static_cast<double>(p.uint64_param()); return absl::OkStatus();
    default: break;
  }
  return absl::InvalidArgumentError(
      StrCat(field, " must be a number (double_param, int64_param or uint64_param); was ", ChoiceName(p)));
}

absl::Status SetInt(int64_t* target, const InferParameter& p, std::string_view field) {
  switch (p.parameter_choice_case()) {
    case InferParameter::kInt64Param: *target = p.int64_param(); return absl::OkStatus();
    case InferParameter::kUint64Param:
      if (p.uint64_param() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *target = static_cast<int64_t>(p.uint64_param());
        return absl::OkStatus();
      }
      break;
    case InferParameter::kDoubleParam: {
      // JSON-minded clients send every number as a double; accept the integral ones.
      const double d = p.double_param();
      if (std::trunc(d) == d && std::fabs(d) < 0x1p62) {
        *target = static_cast<int64_t>(d);
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(StrCat(field, " must be an integer; was ", d));
    }
    default: break;
  }
  return absl::InvalidArgumentError(StrCat(field, " must be an integer (int64_param); was ", ChoiceName(p)));
}

absl::Status SetApproximate(GeluApproximate* target, const InferParameter& p, std::string_view field) {
  if (p.parameter_choice_case() == InferParameter::kBoolParam) {
    *target = p.bool_param() ? GeluApproximate::kTanh : GeluApproximate::kNone;
    return absl::OkStatus();
  }
  if (p.parameter_choice_case() == InferParameter::kStringParam) {
    if (p.string_param() == "none") *target = GeluApproximate::kNone;
    else if (p.string_param() == "tanh") *target = GeluApproximate::kTanh;
    else {
      return absl::InvalidArgumentError(
          StrCat(field, " must be \"none\" or \"tanh\"; was \"", p.string_param(), "\""));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(StrCat(field, " must be a string_param (\"none\" or \"tanh\"); was ", ChoiceName(p)));
}

absl::Status UnknownParameter(const Activation& activation, std::string_view name, std::string_view field) {
  const ActivationInfo& info = InfoFor(KindOf(activation));
  std::vector<std::string_view> names;
  for (const ParamInfo& param : info.params) names.push_back(param.name);
  return absl::InvalidArgumentError(StrCat(field, " is not a parameter of ", info.name, "; ",
                                           names.empty() ? std::string("it takes none")
                                                         : StrCat("it takes ", StrJoin(names, ", "))));
}

absl::Status SetParameter(Activation& activation, const std::string& name, const InferParameter& p) {
  const std::string field = StrCat("parameters['", name, "']");
  const std::string_view n = name;
  absl::Status status = std::visit(
      [&](auto& a) -> absl::Status {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, act::LeakyRelu>) {
          if (n == "negative_slope") return SetDouble(&a.negative_slope, p, field);
        } else if constexpr (std::is_same_v<A, act::Prelu>) {
          if (n == "weight") {
            return absl::InvalidArgumentError(
                StrCat(field, ": PReLU weights come as a second input tensor named 'weight'"));
          }
        } else if constexpr (std::is_same_v<A, act::Elu> || std::is_same_v<A, act::Celu>) {
          if (n == "alpha") return SetDouble(&a.alpha, p, field);
        } else if constexpr (std::is_same_v<A, act::Crelu>) {
          if (n == "axis") return SetInt(&a.axis, p, field);
        } else if constexpr (std::is_same_v<A, act::Hardtanh>) {
          if (n == "min_val") return SetDouble(&a.min_val, p, field);
          if (n == "max_val") return SetDouble(&a.max_val, p, field);
        } else if constexpr (std::is_same_v<A, act::Gelu>) {
          if (n == "approximate") return SetApproximate(&a.approximate, p, field);
        } else if constexpr (std::is_same_v<A, act::Softplus>) {
          if (n == "beta") return SetDouble(&a.beta, p, field);
          if (n == "threshold") return SetDouble(&a.threshold, p, field);
        } else if constexpr (std::is_same_v<A, act::Threshold>) {
          if (n == "threshold") return SetDouble(&a.threshold, p, field);
          if (n == "value") return SetDouble(&a.value, p, field);
        }
        return UnknownParameter(activation, n, field);
      },
      activation);
  return status;
}

// ---------------------------------------------------------------------------------------------------------
// Tensors.

bool HasTypedContents(const ModelInferRequest::InferInputTensor& tensor) {
  if (!tensor.has_contents()) return false;
  const InferTensorContents& c = tensor.contents();
  return c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() + c.uint_contents_size() +
             c.uint64_contents_size() + c.fp32_contents_size() + c.fp64_contents_size() +
             c.bytes_contents_size() >
         0;
}

// The typed-contents field that carries `dtype`, and its element count in `c`; nullopt for FP16/BF16.
struct TypedField {
  std::string_view name;
  int size;
};
std::optional<TypedField> TypedFieldFor(DataType dtype, const InferTensorContents& c) {
  switch (dtype) {
    case DataType::kFloat32: return TypedField{"fp32_contents", c.fp32_contents_size()};
    case DataType::kFloat64: return TypedField{"fp64_contents", c.fp64_contents_size()};
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32: return TypedField{"int_contents", c.int_contents_size()};
    case DataType::kInt64: return TypedField{"int64_contents", c.int64_contents_size()};
    case DataType::kUInt8: return TypedField{"uint_contents", c.uint_contents_size()};
    case DataType::kFloat16:
    case DataType::kBFloat16: break;
  }
  return std::nullopt;
}

// Copies `src` into `out` as elements of type T, checking that each value fits T.
template <typename T, typename Src>
absl::Status CopyElements(const google::protobuf::RepeatedField<Src>& src, std::string_view field,
                          std::vector<char>* out) {
  out->resize(static_cast<size_t>(src.size()) * sizeof(T));
  char* dst = out->data();
  for (int i = 0; i < src.size(); ++i) {
    const Src v = src.Get(i);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, Src>) {
      if (v < static_cast<Src>(std::numeric_limits<T>::min()) || v > static_cast<Src>(std::numeric_limits<T>::max())) {
        return absl::InvalidArgumentError(StrCat(field, "[", i, "] is ", v, ", outside the element type's range [",
                                                 int64_t{std::numeric_limits<T>::min()}, ", ",
                                                 int64_t{std::numeric_limits<T>::max()}, "]"));
      }
    }
    const T t = static_cast<T>(v);
    std::memcpy(dst + static_cast<size_t>(i) * sizeof(T), &t, sizeof(T));
  }
  return absl::OkStatus();
}

absl::Status CopyTypedContents(DataType dtype, const InferTensorContents& c, std::string_view field,
                               std::vector<char>* out) {
  switch (dtype) {
    case DataType::kFloat32: return CopyElements<float>(c.fp32_contents(), StrCat(field, ".fp32_contents"), out);
    case DataType::kFloat64: return CopyElements<double>(c.fp64_contents(), StrCat(field, ".fp64_contents"), out);
    case DataType::kInt8: return CopyElements<int8_t>(c.int_contents(), StrCat(field, ".int_contents"), out);
    case DataType::kInt16: return CopyElements<int16_t>(c.int_contents(), StrCat(field, ".int_contents"), out);
    case DataType::kInt32: return CopyElements<int32_t>(c.int_contents(), StrCat(field, ".int_contents"), out);
    case DataType::kInt64: return CopyElements<int64_t>(c.int64_contents(), StrCat(field, ".int64_contents"), out);
    case DataType::kUInt8: return CopyElements<uint8_t>(c.uint_contents(), StrCat(field, ".uint_contents"), out);
    case DataType::kFloat16:
    case DataType::kBFloat16: break;
  }
  return absl::InternalError("no typed contents for this data type");
}

// A view of inputs[index]: its data type, shape (within `limits`) and data, from raw_input_contents[index]
// when `raw` or else from its typed contents (copied into `typed`, which must outlive the view).
absl::StatusOr<TensorView> InputView(const ModelInferRequest& request, int index, bool raw,
                                     const TensorLimits& limits, std::vector<char>* typed) {
  const ModelInferRequest::InferInputTensor& tensor = request.inputs(index);
  const std::string field = StrCat("inputs[", index, "]");
  if (!tensor.parameters().empty()) {
    return absl::InvalidArgumentError(StrCat(field, ".parameters['", tensor.parameters().begin()->first,
                                             "'] is not supported (input tensors take no parameters)"));
  }
  std::optional<DataType> dtype = DataTypeFromOip(tensor.datatype());
  if (!dtype) {
    return absl::InvalidArgumentError(StrCat(field, ".datatype must be one of FP32, FP64, FP16, BF16, INT8, UINT8, "
                                                    "INT16, INT32, INT64; was \"", tensor.datatype(), "\""));
  }
  std::span<const int64_t> shape(tensor.shape().data(), static_cast<size_t>(tensor.shape_size()));
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t elements, LimitedElements(shape, limits, field));
  if (raw) {
    const std::string& data = request.raw_input_contents(index);
    const uint64_t want_bytes = static_cast<uint64_t>(elements) * ElementSizeBytes(*dtype);
    if (data.size() != want_bytes) {
      return absl::InvalidArgumentError(StrCat("raw_input_contents[", index, "] has ", data.size(), " bytes; ",
                                               field, " (shape [", StrJoin(shape, ", "), "] of ",
                                               tensor.datatype(), ") needs ", want_bytes));
    }
    return TensorView{*dtype, shape, data.data()};
  }
  const std::string contents_field = StrCat(field, ".contents");
  if (elements > 0 && !HasTypedContents(tensor)) {
    return absl::InvalidArgumentError(
        StrCat(field, " has no data: set raw_input_contents (one entry per input) or ", contents_field));
  }
  std::optional<TypedField> wanted = TypedFieldFor(*dtype, tensor.contents());
  if (!wanted) {
    return absl::InvalidArgumentError(StrCat(field, " is ", tensor.datatype(),
                                             ", which travels only in raw_input_contents (the protocol has no "
                                             "typed contents for it)"));
  }
  const InferTensorContents& c = tensor.contents();
  const int all = c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() +
                  c.uint_contents_size() + c.uint64_contents_size() + c.fp32_contents_size() +
                  c.fp64_contents_size() + c.bytes_contents_size();
  if (all != wanted->size) {
    return absl::InvalidArgumentError(StrCat(contents_field, ": a ", tensor.datatype(), " tensor takes only ",
                                             wanted->name, "; other fields hold ", all - wanted->size, " values"));
  }
  if (wanted->size != elements) {
    return absl::InvalidArgumentError(StrCat(contents_field, ".", wanted->name, " has ", wanted->size,
                                             " values; shape [", StrJoin(shape, ", "), "] needs ", elements));
  }
  RECTIFIER_RETURN_IF_ERROR(CopyTypedContents(*dtype, c, contents_field, typed));
  return TensorView{*dtype, shape, typed->data()};
}

// PReLU weights from the "weight" input (FP32 or FP64).
absl::StatusOr<std::vector<double>> WeightsFrom(const TensorView& view, int index) {
  const int64_t n = *NumElements(view.shape);  // Already validated.
  std::vector<double> weights(static_cast<size_t>(n));
  if (view.dtype == DataType::kFloat32) {
    for (int64_t i = 0; i < n; ++i) {
      float w;
      std::memcpy(&w, static_cast<const char*>(view.data) + i * sizeof(float), sizeof(float));
      weights[i] = w;
    }
  } else if (view.dtype == DataType::kFloat64) {
    std::memcpy(weights.data(), view.data, static_cast<size_t>(n) * sizeof(double));
  } else {
    return absl::InvalidArgumentError(
        StrCat("inputs[", index, "] ('weight').datatype must be FP32 or FP64; was ", OipDataTypeName(view.dtype)));
  }
  return weights;
}

absl::Status CheckRequestedOutputs(const ModelInferRequest& request) {
  if (request.outputs_size() > 1) {
    return absl::InvalidArgumentError(
        StrCat("outputs requests ", request.outputs_size(), " tensors; the model has one, named 'output'"));
  }
  if (request.outputs_size() == 1) {
    const auto& out = request.outputs(0);
    if (out.name() != kOipOutputName) {
      return absl::InvalidArgumentError(
          StrCat("outputs[0].name is '", out.name(), "'; the model's only output is 'output'"));
    }
    if (!out.parameters().empty()) {
      return absl::InvalidArgumentError(StrCat("outputs[0].parameters['", out.parameters().begin()->first,
                                               "'] is not supported (outputs take no parameters)"));
    }
  }
  return absl::OkStatus();
}

template <typename T, typename Dst>
void AppendElements(const char* data, size_t n, google::protobuf::RepeatedField<Dst>* out) {
  out->Reserve(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    out->AddAlreadyReserved(static_cast<Dst>(v));
  }
}

}  // namespace

std::optional<DataType> DataTypeFromOip(std::string_view name) {
  for (const auto& [oip, dtype] : kOipDataTypes) {
    if (oip == name) return dtype;
  }
  return std::nullopt;
}

std::string_view OipDataTypeName(DataType dtype) {
  for (const auto& [oip, d] : kOipDataTypes) {
    if (d == dtype) return oip;
  }
  return "";
}

absl::StatusOr<const Model*> FindOipModel(const ModelRepository& models, std::string_view name,
                                          std::string_view version) {
  const Model* model = models.Find(name);
  if (model == nullptr) {
    return absl::NotFoundError(StrCat("model '", name, "' is not in the repository"));
  }
  if (!version.empty() && version != kOipModelVersion) {
    return absl::NotFoundError(StrCat("model '", name, "' has no version '", version, "'; its only version is '",
                                      kOipModelVersion, "'"));
  }
  return model;
}

absl::StatusOr<Activation> ApplyOipParameters(
    Activation base, const google::protobuf::Map<std::string, inference::InferParameter>& parameters) {
  // Map order is unspecified: report the first bad parameter in name order, so messages are stable.
  std::vector<const std::string*> names;
  for (const auto& [name, value] : parameters) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  for (const std::string* name : names) {
    RECTIFIER_RETURN_IF_ERROR(SetParameter(base, *name, parameters.at(*name)));
  }
  absl::Status valid = ValidateActivation(base);
  if (!valid.ok()) return absl::Status(valid.code(), StrCat("parameters: ", std::string(valid.message())));
  return base;
}

absl::StatusOr<std::unique_ptr<OipInfer>> PrepareOipInfer(const ModelInferRequest& request,
                                                          const ModelRepository& models, const TensorLimits& limits,
                                                          ModelInferResponse* response) {
  response->set_model_name(request.model_name());
  response->set_model_version(std::string(kOipModelVersion));
  response->set_id(request.id());
  RECTIFIER_ASSIGN_OR_RETURN(const Model* model, FindOipModel(models, request.model_name(), request.model_version()));
  auto infer = std::make_unique<OipInfer>();
  PreparedRequest& prepared = infer->prepared;
  prepared.model = model->name;
  RECTIFIER_ASSIGN_OR_RETURN(prepared.activation, ApplyOipParameters(model->activation, request.parameters()));

  // Which input is the activation's and which (if any) holds PReLU weights.
  const int inputs = request.inputs_size();
  if (inputs == 0 || inputs > 2) {
    return absl::InvalidArgumentError(StrCat("inputs must hold one tensor (and, for prelu, an optional second "
                                             "named 'weight'); it holds ", inputs));
  }
  int main_index = 0;
  int weight_index = -1;
  if (inputs == 2) {
    const bool first_is_weight = request.inputs(0).name() == kOipWeightInputName;
    const bool second_is_weight = request.inputs(1).name() == kOipWeightInputName;
    if (first_is_weight == second_is_weight) {
      return absl::InvalidArgumentError("inputs holds two tensors: exactly one of them must be named 'weight'");
    }
    weight_index = first_is_weight ? 0 : 1;
    main_index = 1 - weight_index;
  }
  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != inputs) {
    return absl::InvalidArgumentError(StrCat("raw_input_contents has ", request.raw_input_contents_size(),
                                             " entries; inputs has ", inputs, " tensors (one entry each)"));
  }
  for (int i = 0; i < inputs; ++i) {
    if (raw && HasTypedContents(request.inputs(i))) {
      return absl::InvalidArgumentError(
          StrCat("inputs[", i, "].contents must be empty when the request uses raw_input_contents"));
    }
  }
  RECTIFIER_ASSIGN_OR_RETURN(prepared.input, InputView(request, main_index, raw, limits, &infer->typed_input));
  if (weight_index >= 0) {
    if (!std::holds_alternative<act::Prelu>(prepared.activation)) {
      return absl::InvalidArgumentError(StrCat("inputs[", weight_index, "] 'weight' is only for prelu; model '",
                                               model->name, "' is ", InfoFor(KindOf(prepared.activation)).name));
    }
    std::vector<char> typed_weight;
    RECTIFIER_ASSIGN_OR_RETURN(const TensorView weight_view,
                               InputView(request, weight_index, raw, limits, &typed_weight));
    RECTIFIER_ASSIGN_OR_RETURN(std::get<act::Prelu>(prepared.activation).weight,
                               WeightsFrom(weight_view, weight_index));
    absl::Status valid = ValidateActivation(prepared.activation);
    if (!valid.ok()) {
      return absl::Status(valid.code(), StrCat("inputs[", weight_index, "] ('weight'): ", std::string(valid.message())));
    }
  }
  const std::string input_field = StrCat("inputs[", main_index, "]");
  absl::Status fits = ValidateForInput(prepared.activation, prepared.input.dtype, prepared.input.shape,
                                       input_field);
  if (!fits.ok()) {
    return absl::Status(fits.code(), StrCat("model '", model->name, "': ", std::string(fits.message())));
  }
  RECTIFIER_RETURN_IF_ERROR(CheckRequestedOutputs(request));

  const std::vector<int64_t> out_shape = OutputShape(prepared.activation, prepared.input.shape);
  RECTIFIER_ASSIGN_OR_RETURN(const int64_t out_elements, NumElements(out_shape, "output.shape"));
  RECTIFIER_RETURN_IF_ERROR(CheckOutputElements(out_elements, limits));
  infer->output_dtype = OutputDataType(prepared.activation, prepared.input.dtype);
  const size_t out_bytes = static_cast<size_t>(out_elements) * ElementSizeBytes(infer->output_dtype);
  ModelInferResponse::InferOutputTensor* output = response->add_outputs();
  output->set_name(std::string(kOipOutputName));
  output->set_datatype(std::string(OipDataTypeName(infer->output_dtype)));
  output->mutable_shape()->Assign(out_shape.begin(), out_shape.end());
  const std::span<const int64_t> out_shape_view(output->shape().data(), out_shape.size());
  // FP16/BF16 inputs arrive raw, and their outputs have the same type: a typed answer always has a field.
  infer->answer_typed = !raw;
  void* out_data = nullptr;
  if (infer->answer_typed) {
    infer->typed_output.resize(out_bytes);
    out_data = infer->typed_output.data();
  } else {
    std::string* data = response->add_raw_output_contents();
    data->resize(out_bytes);
    out_data = data->data();
  }
  prepared.output = MutableTensorView{infer->output_dtype, out_shape_view, out_data};
  prepared.input_bytes = static_cast<size_t>(*NumElements(prepared.input.shape)) * ElementSizeBytes(prepared.input.dtype);
  prepared.output_bytes = out_bytes;
  prepared.piecewise_linear = IsPiecewiseLinear(prepared.activation);
  return infer;
}

void FinishOipInfer(const OipInfer& infer, ModelInferResponse* response) {
  if (!infer.answer_typed || response->outputs_size() != 1) return;
  InferTensorContents* c = response->mutable_outputs(0)->mutable_contents();
  const char* data = infer.typed_output.data();
  const size_t n = infer.typed_output.size() / ElementSizeBytes(infer.output_dtype);
  switch (infer.output_dtype) {
    case DataType::kFloat32: AppendElements<float>(data, n, c->mutable_fp32_contents()); break;
    case DataType::kFloat64: AppendElements<double>(data, n, c->mutable_fp64_contents()); break;
    case DataType::kInt8: AppendElements<int8_t>(data, n, c->mutable_int_contents()); break;
    case DataType::kInt16: AppendElements<int16_t>(data, n, c->mutable_int_contents()); break;
    case DataType::kInt32: AppendElements<int32_t>(data, n, c->mutable_int_contents()); break;
    case DataType::kInt64: AppendElements<int64_t>(data, n, c->mutable_int64_contents()); break;
    case DataType::kUInt8: AppendElements<uint8_t>(data, n, c->mutable_uint_contents()); break;
    case DataType::kFloat16:
    case DataType::kBFloat16: break;  // Never typed: they arrive raw.
  }
}

}  // namespace rectifier::server
