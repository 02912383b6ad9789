// Channels to one target. Each gets a distinct channel argument and a local subchannel pool, so gRPC opens
// a separate TCP connection per channel (as perf_analyzer's clients do) instead of sharing one; message
// size limits are lifted (4 MiB tensors and more).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"

namespace rectifier::bench {

// `count` generic stubs on `count` separate plaintext connections to `address`.
std::vector<std::unique_ptr<grpc::GenericStub>> CreateStubs(const std::string& address, int count);

}  // namespace rectifier::bench
