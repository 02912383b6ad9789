// apply_tool: applies an activation (text form) to a raw little-endian tensor file and writes the raw
// output. Used by pytorch_parity.py; handy by hand too.
//
//   apply_tool SPEC DTYPE SHAPE INPUT OUTPUT [--backend=auto|simd|onednn] [--threads=N]
//   apply_tool --batch FILE        (FILE: one case a line, tab-separated:
//                                   BACKEND SPEC DTYPE SHAPE INPUT OUTPUT [THREADS])
//
// SHAPE is comma-separated (`2,3,5`); empty or `scalar` for rank 0. The output's dtype and shape are the
// library's OutputDataType/OutputShape. Prints one line per case: `OK <out dtype> <out shape>` or
// `ERROR <status>`. Exit status: 0 when every case ran (errors included; the caller judges them), 2 on
// usage or I/O problems.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/data_type.h"
#include "kernels/tensor.h"
#include "kernels/validation.h"

namespace rectifier {
namespace {

struct Job {
  std::string backend = "auto";
  std::string spec;
  std::string dtype;
  std::string shape;
  std::string input;
  std::string output;
  int threads = 0;
};

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == separator) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  return parts;
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const std::string& text) {
  std::vector<int64_t> shape;
  if (text.empty() || text == "scalar") return shape;
  for (const std::string& part : Split(text, ',')) {
    try {
      size_t used = 0;
      shape.push_back(std::stoll(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      return absl::InvalidArgumentError("bad shape '" + text + "'");
    }
  }
  return shape;
}

absl::StatusOr<Backend> ParseBackend(const std::string& text) {
  if (text == "auto") return Backend::kAuto;
  if (text == "simd") return Backend::kSimd;
  if (text == "onednn") return Backend::kOnednn;
  return absl::InvalidArgumentError("bad backend '" + text + "'");
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(shape[i]);
  }
  return text.empty() ? "scalar" : text;
}

// Runs one job; the returned status is the library's (or an I/O problem's).
absl::StatusOr<std::string> Run(const Job& job) {
  const absl::StatusOr<Activation> activation = ParseActivation(job.spec);
  if (!activation.ok()) return activation.status();
  const std::optional<DataType> dtype = ParseDataType(job.dtype);
  if (!dtype) return absl::InvalidArgumentError("unknown dtype '" + job.dtype + "'");
  const absl::StatusOr<std::vector<int64_t>> shape = ParseShape(job.shape);
  if (!shape.ok()) return shape.status();
  const absl::StatusOr<Backend> backend = ParseBackend(job.backend);
  if (!backend.ok()) return backend.status();
  const absl::StatusOr<int64_t> count = NumElements(*shape, "shape");
  if (!count.ok()) return count.status();
  if (absl::Status status = ValidateForInput(*activation, *dtype, *shape); !status.ok()) return status;

  std::ifstream in(job.input, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + job.input);
  std::vector<char> input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t expected_bytes = static_cast<size_t>(*count) * ElementSizeBytes(*dtype);
  if (input.size() != expected_bytes) {
    return absl::InvalidArgumentError(job.input + " has " + std::to_string(input.size()) + " bytes; expected " +
                                      std::to_string(expected_bytes));
  }
  input.resize(input.size() + 1);  // Never a null pointer, even for zero elements.

  const DataType out_dtype = OutputDataType(*activation, *dtype);
  const std::vector<int64_t> out_shape = OutputShape(*activation, *shape);
  const absl::StatusOr<int64_t> out_count = NumElements(out_shape, "output.shape");
  if (!out_count.ok()) return out_count.status();
  std::vector<char> output(static_cast<size_t>(*out_count) * ElementSizeBytes(out_dtype) + 1);

  const absl::Status status =
      Apply(*activation, TensorView{*dtype, *shape, input.data()}, MutableTensorView{out_dtype, out_shape, output.data()},
            ApplyOptions{.backend = *backend, .max_threads = job.threads});
  if (!status.ok()) return status;

  std::ofstream out(job.output, std::ios::binary | std::ios::trunc);
  out.write(output.data(), static_cast<std::streamsize>(output.size() - 1));
  if (!out) return absl::InternalError("cannot write " + job.output);
  return std::string(DataTypeName(out_dtype)) + " " + ShapeText(out_shape);
}

void Report(const absl::StatusOr<std::string>& result) {
  if (result.ok()) {
    std::cout << "OK " << *result << "\n";
  } else {
    std::string message = result.status().ToString();
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    std::cout << "ERROR " << message << "\n";
  }
}

int Usage() {
  std::cerr << "usage: apply_tool SPEC DTYPE SHAPE INPUT OUTPUT [--backend=auto|simd|onednn] [--threads=N]\n"
               "       apply_tool --batch FILE   (lines: BACKEND<TAB>SPEC<TAB>DTYPE<TAB>SHAPE<TAB>INPUT<TAB>OUTPUT"
               "[<TAB>THREADS])\n";
  return 2;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "--batch") {
    std::ifstream batch(args[1]);
    if (!batch) {
      std::cerr << "apply_tool: cannot read " << args[1] << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(batch, line)) {
      if (line.empty()) continue;
      const std::vector<std::string> fields = Split(line, '\t');
      if (fields.size() != 6 && fields.size() != 7) {
        std::cerr << "apply_tool: bad batch line: " << line << "\n";
        return 2;
      }
      Job job{fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]};
      if (fields.size() == 7) job.threads = std::atoi(fields[6].c_str());
      Report(Run(job));
    }
    std::cout.flush();
    return 0;
  }
  if (args.size() < 5) return Usage();
  Job job{"auto", args[0], args[1], args[2], args[3], args[4]};
  for (size_t i = 5; i < args.size(); ++i) {
    if (args[i].rfind("--backend=", 0) == 0) {
      job.backend = args[i].substr(10);
    } else if (args[i].rfind("--threads=", 0) == 0) {
      job.threads = std::atoi(args[i].c_str() + 10);
    } else {
      return Usage();
    }
  }
  const absl::StatusOr<std::string> result = Run(job);
  Report(result);
  return result.ok() ? 0 : 1;
}

}  // namespace
}  // namespace rectifier

int main(int argc, char** argv) { return rectifier::Main(argc, argv); }
