// LoadSpec: what one measured point sends (method, pre-serialized request, call mode) and for how long.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/loadgen/recorder.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace rectifier::bench {

struct LoadSpec {
  // Borrowed; outlive the run.
  const std::vector<std::unique_ptr<grpc::GenericStub>>* stubs = nullptr;
  const std::string* method = nullptr;
  const grpc::ByteBuffer* request = nullptr;
  bool streaming = false;
  std::chrono::microseconds call_timeout{std::chrono::seconds(30)};
};

}  // namespace rectifier::bench
