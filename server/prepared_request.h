// PreparedRequest: one validated request, ready to compute, in the kernel library's terms. Every API
// (rectifier.v1, Open Inference Protocol) turns its request into one of these, so scheduling, batching
// and metrics see a single, transport-free type.
//
// Borrows: `input` points into the request message and `output` into the response message the request
// was prepared with; both must outlive the computation. A request computed where gRPC received it has its
// tensor in `in_place_runs` instead (see there).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/byte_runs.h"
#include "kernels/tensor.h"

namespace rectifier::server {

struct PreparedRequest {
  Activation activation;
  TensorView input;
  MutableTensorView output;
  // Non-empty: the tensor is computed in place where it was received (server/apply_request_slices.h), in
  // these runs, which hold input_bytes (= output_bytes) bytes; input.data and output.data are then null
  // (dtype and shape are set) and the activation is one ApplyInRuns computes (kernels/apply_in_runs.h).
  // Such a request is never batched, and its input is gone once computed.
  std::vector<ByteRun> in_place_runs;
  size_t input_bytes = 0;
  size_t output_bytes = 0;
  // A few compares and multiplies per element (relu family, hard* functions): about 8x cheaper per
  // element than the transcendental ones, which matters for where the server computes it.
  bool piecewise_linear = false;
  // The repository model the request named; empty for an inline activation spec.
  std::string model;
};

// Whether `activation` costs a few compares and multiplies per element (see PreparedRequest).
bool IsPiecewiseLinear(const Activation& activation);

}  // namespace rectifier::server
