#include "kernels/activation_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/str_cat.h"
#include "kernels/catalogue.h"
#include "kernels/status.h"
#include "kernels/validation.h"

namespace rectifier {
namespace {

// A parameter value as written, before it is bound to a typed field.
struct RawValue {
  enum class Kind { kNumber, kList, kWord } kind = Kind::kNumber;
  double number = 0.0;
  bool is_integer = false;  // The number was written without '.', exponent, inf or nan, and fits int64.
  int64_t integer = 0;      // Its exact value when is_integer.
  std::vector<double> list;
  std::string word;
  std::string text;  // As written, for messages.
};

struct RawParam {
  std::string name;
  RawValue value;
};

// Recursive-descent reader of `name [ ( [param {, param}] ) ]`.
class SpecReader {
 public:
  explicit SpecReader(std::string_view text) : text_(text) {}

  absl::Status Read(std::string* name, std::vector<RawParam>* params) {
    SkipSpace();
    *name = ReadIdentifier();
    if (name->empty()) return Error("expected an activation name");
    SkipSpace();
    if (Consume('(')) {
      SkipSpace();
      if (!Consume(')')) {
        while (true) {
          RawParam param;
          RECTIFIER_RETURN_IF_ERROR(ReadParam(*name, &param));
          params->push_back(std::move(param));
          SkipSpace();
          if (Consume(')')) break;
          if (!Consume(',')) return Error("expected ',' or ')'");
          SkipSpace();
          if (Consume(')')) break;  // A trailing comma, as Python allows.
        }
      }
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the activation");
    return absl::OkStatus();
  }

 private:
  absl::Status ReadParam(std::string_view activation, RawParam* param) {
    param->name = ReadIdentifier();
    if (param->name.empty()) return Error("expected a parameter name");
    SkipSpace();
    if (!Consume('=')) return Error(StrCat("expected '=' after ", activation, ".", param->name));
    SkipSpace();
    return ReadValue(StrCat(activation, ".", param->name), &param->value);
  }

  absl::Status ReadValue(const std::string& field, RawValue* value) {
    size_t start = pos_;
    if (Consume('[')) {
      value->kind = RawValue::Kind::kList;
      SkipSpace();
      if (!Consume(']')) {
        while (true) {
          RawValue element;
          RECTIFIER_RETURN_IF_ERROR(ReadNumber(field, &element));
          value->list.push_back(element.number);
          SkipSpace();
          if (Consume(']')) break;
          if (!Consume(',')) return Error(StrCat(field, ": expected ',' or ']' in the list"));
          SkipSpace();
        }
      }
    } else if (Peek() == '\'' || Peek() == '"') {
      char quote = text_[pos_++];
      size_t end = text_.find(quote, pos_);
      if (end == std::string_view::npos) return Error(StrCat(field, ": unterminated string"));
      value->kind = RawValue::Kind::kWord;
      value->word = std::string(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
    } else if (std::isalpha(static_cast<unsigned char>(Peek())) && !LooksLikeNonFinite()) {
      value->kind = RawValue::Kind::kWord;
      value->word = ReadIdentifier();
    } else {
      RECTIFIER_RETURN_IF_ERROR(ReadNumber(field, value));
    }
    value->text = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  // inf, infinity and nan (any case, optionally signed) are numbers, so validation can reject them by name.
  bool LooksLikeNonFinite() const {
    std::string_view rest = text_.substr(pos_);
    auto starts = [&](std::string_view word) {
      if (rest.size() < word.size()) return false;
      for (size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(rest[i])) != word[i]) return false;
      }
      return rest.size() == word.size() || !std::isalnum(static_cast<unsigned char>(rest[word.size()]));
    };
    return starts("inf") || starts("infinity") || starts("nan");
  }

  absl::Status ReadNumber(const std::string& field, RawValue* value) {
    size_t start = pos_;
    if (Peek() == '+' || Peek() == '-') ++pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '.' ||
                                   ((text_[pos_] == '+' || text_[pos_] == '-') &&
                                    (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
      ++pos_;
    }
    std::string_view token = text_.substr(start, pos_ - start);
    std::string_view digits = token;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    double number = 0.0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (token.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return absl::InvalidArgumentError(
          StrCat(field, " must be a number; got '", token.empty() ? text_.substr(start, 1) : token, "'"));
    }
    value->kind = RawValue::Kind::kNumber;
    value->number = number;
    if (token.find_first_of(".eEiInN") == std::string_view::npos) {
      // Integers are read exactly (a double cannot hold every int64, e.g. 2^53 + 1).
      auto [int_end, int_ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value->integer);
      value->is_integer = int_ec == std::errc() && int_end == digits.data() + digits.size();
    }
    value->text = std::string(token);
    return absl::OkStatus();
  }

  std::string ReadIdentifier() {
    size_t start = pos_;
    if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
        ++pos_;
      }
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        StrCat("activation spec '", text_, "': ", what, " at offset ", pos_));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Binds raw parameters to the typed fields of one activation.
class ParamBinder {
 public:
  ParamBinder(std::string_view activation, std::vector<RawParam> params)
      : activation_(activation), params_(std::move(params)), used_(params_.size(), false) {}

  absl::Status Double(std::string_view name, double* field, bool required = false) {
    RECTIFIER_ASSIGN_OR_RETURN(const RawValue* value, Find(name, required));
    if (value == nullptr) return absl::OkStatus();
    if (value->kind != RawValue::Kind::kNumber) return TypeError(name, "a number", *value);
    *field = value->number;
    return absl::OkStatus();
  }

  absl::Status Int(std::string_view name, int64_t* field) {
    RECTIFIER_ASSIGN_OR_RETURN(const RawValue* value, Find(name, false));
    if (value == nullptr) return absl::OkStatus();
    if (value->kind != RawValue::Kind::kNumber || !value->is_integer) {
      return TypeError(name, "an integer in the int64 range", *value);
    }
    *field = value->integer;
    return absl::OkStatus();
  }

  absl::Status List(std::string_view name, std::vector<double>* field) {
    RECTIFIER_ASSIGN_OR_RETURN(const RawValue* value, Find(name, false));
    if (value == nullptr) return absl::OkStatus();
    if (value->kind == RawValue::Kind::kNumber) {
      *field = {value->number};  // A bare number is a single shared weight.
    } else if (value->kind == RawValue::Kind::kList) {
      *field = value->list;
    } else {
      return TypeError(name, "a list of numbers such as [0.25, 0.1]", *value);
    }
    return absl::OkStatus();
  }

  absl::Status Word(std::string_view name, std::span<const std::string_view> allowed, std::string* field) {
    RECTIFIER_ASSIGN_OR_RETURN(const RawValue* value, Find(name, false));
    if (value == nullptr) return absl::OkStatus();
    for (std::string_view candidate : allowed) {
      if (value->kind == RawValue::Kind::kWord && value->word == candidate) {
        *field = value->word;
        return absl::OkStatus();
      }
    }
    return TypeError(name, StrCat("one of ", StrJoin(allowed, ", ")), *value);
  }

  // Every parameter given must have been bound.
  absl::Status CheckAllUsed() const {
    for (size_t i = 0; i < params_.size(); ++i) {
      if (used_[i]) continue;
      const ActivationInfo& info = InfoFor(*FindActivation(activation_));
      std::vector<std::string_view> names;
      for (const ParamInfo& p : info.params) names.push_back(p.name);
      return absl::InvalidArgumentError(StrCat(
          activation_, " has no parameter '", params_[i].name, "'",
          names.empty() ? std::string("; it takes none") : StrCat("; it takes ", StrJoin(names, ", "))));
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<const RawValue*> Find(std::string_view name, bool required) {
    const RawValue* found = nullptr;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (params_[i].name != name) continue;
      if (found != nullptr) {
        return absl::InvalidArgumentError(StrCat(activation_, ".", name, " is given more than once"));
      }
      found = &params_[i].value;
      used_[i] = true;
    }
    if (found == nullptr && required) {
      return absl::InvalidArgumentError(StrCat(activation_, ".", name, " is required"));
    }
    return found;
  }

  absl::Status TypeError(std::string_view name, std::string_view expected, const RawValue& value) const {
    return absl::InvalidArgumentError(
        StrCat(activation_, ".", name, " must be ", expected, "; got '", value.text, "'"));
  }

  std::string_view activation_;
  std::vector<RawParam> params_;
  std::vector<bool> used_;
};

absl::Status Bind(ParamBinder& b, act::Relu&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::LeakyRelu& a) { return b.Double("negative_slope", &a.negative_slope); }
absl::Status Bind(ParamBinder& b, act::Prelu& a) { return b.List("weight", &a.weight); }
absl::Status Bind(ParamBinder& b, act::Elu& a) { return b.Double("alpha", &a.alpha); }
absl::Status Bind(ParamBinder& b, act::Selu&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Celu& a) { return b.Double("alpha", &a.alpha); }
absl::Status Bind(ParamBinder& b, act::Crelu& a) { return b.Int("axis", &a.axis); }
absl::Status Bind(ParamBinder& b, act::Relu6&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Hardtanh& a) {
  RECTIFIER_RETURN_IF_ERROR(b.Double("min_val", &a.min_val));
  return b.Double("max_val", &a.max_val);
}
absl::Status Bind(ParamBinder& b, act::Gelu& a) {
  std::string approximate = "none";
  RECTIFIER_RETURN_IF_ERROR(b.Word("approximate", InfoFor(ActivationKind::kGelu).params[0].enum_values, &approximate));
  a.approximate = approximate == "tanh" ? GeluApproximate::kTanh : GeluApproximate::kNone;
  return absl::OkStatus();
}
absl::Status Bind(ParamBinder& b, act::Silu&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Mish&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Sigmoid&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Tanh&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Softplus& a) {
  RECTIFIER_RETURN_IF_ERROR(b.Double("beta", &a.beta));
  return b.Double("threshold", &a.threshold);
}
absl::Status Bind(ParamBinder& b, act::Hardswish&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Hardsigmoid&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Logsigmoid&) { return absl::OkStatus(); }
absl::Status Bind(ParamBinder& b, act::Threshold& a) {
  RECTIFIER_RETURN_IF_ERROR(b.Double("threshold", &a.threshold, /*required=*/true));
  return b.Double("value", &a.value, /*required=*/true);
}

// A default-constructed alternative of `Activation` by index.
template <size_t... I>
Activation MakeDefault(size_t index, std::index_sequence<I...>) {
  Activation result;
  ((index == I ? (result = std::variant_alternative_t<I, Activation>{}, 0) : 0), ...);
  return result;
}

std::string FormatNumber(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

// Appends "name=value" for each parameter that differs from its default (or is required).
class ParamPrinter {
 public:
  void Double(std::string_view name, double value, std::optional<double> default_value) {
    if (default_value && value == *default_value) return;
    parts_.push_back(StrCat(name, "=", FormatNumber(value)));
  }
  void Int(std::string_view name, int64_t value, int64_t default_value) {
    if (value != default_value) parts_.push_back(StrCat(name, "=", value));
  }
  void List(std::string_view name, const std::vector<double>& value, const std::vector<double>& default_value) {
    if (value == default_value) return;
    std::vector<std::string> numbers;
    for (double v : value) numbers.push_back(FormatNumber(v));
    parts_.push_back(StrCat(name, "=[", StrJoin(numbers, ", "), "]"));
  }
  void Word(std::string_view name, std::string_view value, std::string_view default_value) {
    if (value != default_value) parts_.push_back(StrCat(name, "=", value));
  }
  std::string Finish(std::string_view activation) const {
    if (parts_.empty()) return std::string(activation);
    return StrCat(activation, "(", StrJoin(parts_, ", "), ")");
  }

 private:
  std::vector<std::string> parts_;
};

void Print(ParamPrinter&, const act::Relu&) {}
void Print(ParamPrinter& p, const act::LeakyRelu& a) { p.Double("negative_slope", a.negative_slope, 0.01); }
void Print(ParamPrinter& p, const act::Prelu& a) { p.List("weight", a.weight, act::Prelu{}.weight); }
void Print(ParamPrinter& p, const act::Elu& a) { p.Double("alpha", a.alpha, 1.0); }
void Print(ParamPrinter&, const act::Selu&) {}
void Print(ParamPrinter& p, const act::Celu& a) { p.Double("alpha", a.alpha, 1.0); }
void Print(ParamPrinter& p, const act::Crelu& a) { p.Int("axis", a.axis, -1); }
void Print(ParamPrinter&, const act::Relu6&) {}
void Print(ParamPrinter& p, const act::Hardtanh& a) {
  p.Double("min_val", a.min_val, -1.0);
  p.Double("max_val", a.max_val, 1.0);
}
void Print(ParamPrinter& p, const act::Gelu& a) {
  p.Word("approximate", a.approximate == GeluApproximate::kTanh ? "tanh" : "none", "none");
}
void Print(ParamPrinter&, const act::Silu&) {}
void Print(ParamPrinter&, const act::Mish&) {}
void Print(ParamPrinter&, const act::Sigmoid&) {}
void Print(ParamPrinter&, const act::Tanh&) {}
void Print(ParamPrinter& p, const act::Softplus& a) {
  p.Double("beta", a.beta, 1.0);
  p.Double("threshold", a.threshold, 20.0);
}
void Print(ParamPrinter&, const act::Hardswish&) {}
void Print(ParamPrinter&, const act::Hardsigmoid&) {}
void Print(ParamPrinter&, const act::Logsigmoid&) {}
void Print(ParamPrinter& p, const act::Threshold& a) {
  p.Double("threshold", a.threshold, std::nullopt);
  p.Double("value", a.value, std::nullopt);
}

}  // namespace

absl::StatusOr<Activation> ParseActivation(std::string_view text) {
  std::string name;
  std::vector<RawParam> params;
  RECTIFIER_RETURN_IF_ERROR(SpecReader(text).Read(&name, &params));
  std::optional<ActivationKind> kind = FindActivation(name);
  if (!kind) {
    return absl::InvalidArgumentError(
        StrCat("unknown activation '", name, "'; ListActivations or the README lists the catalogue"));
  }
  Activation activation =
      MakeDefault(static_cast<size_t>(*kind), std::make_index_sequence<std::variant_size_v<Activation>>{});
  ParamBinder binder(InfoFor(*kind).name, std::move(params));
  RECTIFIER_RETURN_IF_ERROR(std::visit([&](auto& spec) { return Bind(binder, spec); }, activation));
  RECTIFIER_RETURN_IF_ERROR(binder.CheckAllUsed());
  RECTIFIER_RETURN_IF_ERROR(ValidateActivation(activation));
  return activation;
}

std::string FormatActivation(const Activation& activation) {
  ParamPrinter printer;
  std::visit([&](const auto& spec) { Print(printer, spec); }, activation);
  return printer.Finish(InfoFor(KindOf(activation)).name);
}

}  // namespace rectifier
