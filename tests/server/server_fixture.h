// Shared helpers for the rectifier-server integration tests: an in-process RectifierServer on a real
// loopback port, real channels to it, tensors of every data type, the kernel library's own result for
// bitwise comparison, grpc.health.v1 and grpc.reflection.v1alpha clients (Debian ships neither stub, so
// they use grpc::GenericStub with hand-encoded protobuf bytes), and test certificates made with openssl.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "google/protobuf/unknown_field_set.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "kernels/activation.h"
#include "kernels/activation_text.h"
#include "kernels/apply.h"
#include "kernels/data_type.h"
#include "kernels/tensor.h"
#include "kernels/validation.h"
#include "rectifier/v1/rectifier.grpc.pb.h"
#include "server/model_repository.h"
#include "server/rectifier_server.h"
#include "tests/kernels/reference.h"

namespace rectifier::server::itest {

namespace v1 = ::rectifier::v1;
using namespace std::chrono_literals;

// Keeps the gRPC library initialised for the whole test process. Otherwise every test that releases its
// last server and channel runs grpc_shutdown(), which in gRPC 1.51 can block for up to 10 s joining an
// internal executor thread parked in epoll_wait (seen after a zero-grace shutdown with cancelled calls).
inline const bool kGrpcInitialisedForTheProcess = (grpc_init(), true);

// ---------------------------------------------------------------------------------------------------------
// Scratch directory.

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/rectifier_itest_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  std::string Write(std::string_view name, std::string_view contents) const {
    const std::string file = Path(name);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) {
      ADD_FAILURE() << "cannot write " << file;
    }
    return file;
  }
  std::string Path(std::string_view name) const { return (path_ / std::string(name)).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// ---------------------------------------------------------------------------------------------------------
// Servers and channels.

inline std::unique_ptr<ModelRepository> BuiltInModels() {
  auto models = ModelRepository::Create({});
  if (!models.ok()) {
    ADD_FAILURE() << "ModelRepository::Create: " << models.status();
    return nullptr;
  }
  return std::make_unique<ModelRepository>(std::move(*models));
}

// Options for a plaintext server on a free loopback port with two executor threads. With
// RECTIFIER_TEST_ZERO_COPY_MIN_BYTES set (tests/server/CMakeLists.txt runs the round-trip, stream and
// metrics suites a second time with 0), requests of at least that many bytes, instead of the production
// default, are computed where they were received.
inline RectifierServerOptions LoopbackOptions(const ModelRepository* models) {
  RectifierServerOptions options;
  options.address = "127.0.0.1:0";
  options.threads = 2;
  options.models = models;
  if (const char* min_bytes = std::getenv("RECTIFIER_TEST_ZERO_COPY_MIN_BYTES")) {
    options.zero_copy_min_bytes = std::strtoull(min_bytes, nullptr, 10);
  }
  return options;
}

// Starts a server or fails the test (fatally, so callers use ASSERT_NO_FATAL_FAILURE or check null).
inline std::unique_ptr<RectifierServer> StartServer(const RectifierServerOptions& options) {
  auto server = RectifierServer::Start(options);
  if (!server.ok()) {
    ADD_FAILURE() << "RectifierServer::Start: " << server.status();
    return nullptr;
  }
  EXPECT_GT((*server)->port(), 0);
  return std::move(*server);
}

inline std::string LoopbackTarget(int port) { return "127.0.0.1:" + std::to_string(port); }

// A channel of its own (no subchannel sharing between channels), without gRPC's client-side 4 MiB receive
// limit, so that only the server's limits are under test.
inline std::shared_ptr<grpc::Channel> MakeChannel(
    int port, std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials(),
    const std::function<void(grpc::ChannelArguments&)>& customize = nullptr) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (customize) customize(args);
  return grpc::CreateCustomChannel(LoopbackTarget(port), std::move(credentials), args);
}

// Call deadlines are multiplied by RECTIFIER_TEST_TIME_SCALE (default 1): sanitizer builds run several
// times slower, and a deadline meant as "surely enough" must stay so there (scripts/test.sh sets it).
inline int TestTimeScale() {
  static const int scale = [] {
    const char* value = std::getenv("RECTIFIER_TEST_TIME_SCALE");
    const int parsed = value != nullptr ? std::atoi(value) : 1;
    return parsed > 0 ? parsed : 1;
  }();
  return scale;
}

inline std::chrono::system_clock::time_point In(std::chrono::milliseconds timeout) {
  return std::chrono::system_clock::now() + timeout * TestTimeScale();
}

// Polls `condition` every millisecond until it holds or `timeout` passes; returns the last value.
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Tensors.

inline v1::DataType ProtoType(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return v1::DATA_TYPE_FLOAT32;
    case DataType::kFloat64: return v1::DATA_TYPE_FLOAT64;
    case DataType::kFloat16: return v1::DATA_TYPE_FLOAT16;
    case DataType::kBFloat16: return v1::DATA_TYPE_BFLOAT16;
    case DataType::kInt8: return v1::DATA_TYPE_INT8;
    case DataType::kUInt8: return v1::DATA_TYPE_UINT8;
    case DataType::kInt16: return v1::DATA_TYPE_INT16;
    case DataType::kInt32: return v1::DATA_TYPE_INT32;
    case DataType::kInt64: return v1::DATA_TYPE_INT64;
  }
  return v1::DATA_TYPE_UNSPECIFIED;
}

inline int64_t Product(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

template <typename T>
void AppendRaw(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

// Pseudo-random elements of `dtype`, deterministic in `seed`. Floating-point data mixes ordinary values
// around the activations' interesting range with the special values (NaN, +-inf, +-0, subnormals, huge
// values, the kinks at -3, 0, 3, 6) at every 16th position; integer data mixes small values with the type's
// extremes.
inline std::string RandomData(DataType dtype, int64_t elements, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string out;
  out.reserve(static_cast<size_t>(elements) * ElementSizeBytes(dtype));
  if (IsFloatingPoint(dtype)) {
    static constexpr double kSpecial[] = {
        std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), 0.0, -0.0, 1e-40, -1e-40, 3.0, -3.0, 6.0, 1e30, -1e30,
        20.0, 88.5, -88.5, 710.0, -710.0, 1e-8, -1e-8, 0.5};
    std::uniform_real_distribution<double> ordinary(-8.0, 8.0);
    std::uniform_real_distribution<double> wide(-100.0, 100.0);
    size_t special = 0;
    for (int64_t i = 0; i < elements; ++i) {
      double v;
      if (i % 16 == 5) {
        v = kSpecial[special++ % std::size(kSpecial)];
      } else if (i % 16 == 11) {
        v = wide(rng);
      } else {
        v = ordinary(rng);
      }
      switch (dtype) {
        case DataType::kFloat32: AppendRaw(&out, static_cast<float>(v)); break;
        case DataType::kFloat64: AppendRaw(&out, v); break;
        case DataType::kFloat16: AppendRaw(&out, ref::FloatToHalf(static_cast<float>(v))); break;
        case DataType::kBFloat16: AppendRaw(&out, ref::FloatToBFloat16(static_cast<float>(v))); break;
        default: break;
      }
    }
    return out;
  }
  int64_t lo = 0, hi = 0;
  switch (dtype) {
    case DataType::kInt8: lo = INT8_MIN; hi = INT8_MAX; break;
    case DataType::kUInt8: lo = 0; hi = UINT8_MAX; break;
    case DataType::kInt16: lo = INT16_MIN; hi = INT16_MAX; break;
    case DataType::kInt32: lo = INT32_MIN; hi = INT32_MAX; break;
    case DataType::kInt64: lo = INT64_MIN; hi = INT64_MAX; break;
    default: break;
  }
  std::uniform_int_distribution<int64_t> full(lo, hi);
  std::uniform_int_distribution<int64_t> small(std::max<int64_t>(lo, -20), std::min<int64_t>(hi, 20));
  for (int64_t i = 0; i < elements; ++i) {
    int64_t v = i % 8 == 0 ? lo : i % 8 == 1 ? hi : i % 4 == 2 ? full(rng) : small(rng);
    switch (dtype) {
      case DataType::kInt8: AppendRaw(&out, static_cast<int8_t>(v)); break;
      case DataType::kUInt8: AppendRaw(&out, static_cast<uint8_t>(v)); break;
      case DataType::kInt16: AppendRaw(&out, static_cast<int16_t>(v)); break;
      case DataType::kInt32: AppendRaw(&out, static_cast<int32_t>(v)); break;
      case DataType::kInt64: AppendRaw(&out, v); break;
      default: break;
    }
  }
  return out;
}

inline void SetTensor(v1::Tensor* tensor, DataType dtype, std::span<const int64_t> shape, std::string data) {
  tensor->set_dtype(ProtoType(dtype));
  tensor->mutable_shape()->Assign(shape.begin(), shape.end());
  tensor->set_data(std::move(data));
}

// What the kernel library itself computes for `input`: the bytes the server must return unchanged.
struct KernelResult {
  DataType dtype;
  std::vector<int64_t> shape;
  std::string data;
};

inline KernelResult KernelApply(const Activation& activation, DataType dtype, std::span<const int64_t> shape,
                                const std::string& data) {
  KernelResult result;
  result.dtype = OutputDataType(activation, dtype);
  result.shape = OutputShape(activation, shape);
  result.data.resize(static_cast<size_t>(Product(result.shape)) * ElementSizeBytes(result.dtype));
  absl::Status status = Apply(activation, TensorView{dtype, shape, data.data()},
                              MutableTensorView{result.dtype, result.shape, result.data.data()});
  EXPECT_TRUE(status.ok()) << "kernel Apply of " << FormatActivation(activation) << " on "
                           << DataTypeName(dtype) << ": " << status;
  return result;
}

inline Activation ParseOrDie(std::string_view text) {
  auto activation = ParseActivation(text);
  if (!activation.ok()) {
    ADD_FAILURE() << "ParseActivation(" << text << "): " << activation.status();
    return act::Relu{};
  }
  return *activation;
}

// The first differing byte's element index, or -1. For failure messages that do not dump megabytes.
inline int64_t FirstDifference(const std::string& got, const std::string& want, size_t element_size) {
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) return static_cast<int64_t>(i / element_size);
  }
  return got.size() == want.size() ? -1 : static_cast<int64_t>(n / element_size);
}

// Checks that `output` is exactly the kernel's result (dtype, shape and every byte).
inline ::testing::AssertionResult SameAsKernel(const v1::Tensor& output, const KernelResult& want) {
  if (output.dtype() != ProtoType(want.dtype)) {
    return ::testing::AssertionFailure() << "output dtype " << v1::DataType_Name(output.dtype()) << ", want "
                                         << v1::DataType_Name(ProtoType(want.dtype));
  }
  std::vector<int64_t> shape(output.shape().begin(), output.shape().end());
  if (shape != want.shape) return ::testing::AssertionFailure() << "output shape differs from the kernel's";
  if (output.data() != want.data) {
    return ::testing::AssertionFailure()
           << "output bytes differ from the kernel's (" << output.data().size() << " vs " << want.data.size()
           << " bytes); first differing element "
           << FirstDifference(output.data(), want.data, ElementSizeBytes(want.dtype));
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------------------
// Catalogue cases: every activation with non-default parameters (and a few with defaults), as a proto built
// by hand and as the kernel library's text form, so that a mix-up in the server's proto conversion shows.

struct ActivationCase {
  std::string name;  // Test name.
  std::string text;  // Kernel text form.
  std::function<void(v1::Activation*)> fill;
  std::vector<int64_t> small_shape = {2, 3, 5};
  std::vector<int64_t> large_shape = {2, 3, 12000};  // > 64 KiB in every data type: goes to the executor.
};

inline std::vector<ActivationCase> CatalogueCases() {
  std::vector<ActivationCase> cases = {
      {"relu", "relu", [](v1::Activation* a) { a->mutable_relu(); }},
      {"leaky_relu", "leaky_relu(negative_slope=0.2)",
       [](v1::Activation* a) { a->mutable_leaky_relu()->set_negative_slope(0.2); }},
      {"leaky_relu_default", "leaky_relu", [](v1::Activation* a) { a->mutable_leaky_relu(); }},
      {"prelu", "prelu(weight=[0.25, -0.5, 2])",
       [](v1::Activation* a) {
         auto* w = a->mutable_prelu()->mutable_weight();
         w->Add(0.25);
         w->Add(-0.5);
         w->Add(2);
       }},
      {"prelu_default", "prelu", [](v1::Activation* a) { a->mutable_prelu(); }},
      {"elu", "elu(alpha=0.7)", [](v1::Activation* a) { a->mutable_elu()->set_alpha(0.7); }},
      {"selu", "selu", [](v1::Activation* a) { a->mutable_selu(); }},
      {"celu", "celu(alpha=1.5)", [](v1::Activation* a) { a->mutable_celu()->set_alpha(1.5); }},
      {"crelu", "crelu(axis=1)", [](v1::Activation* a) { a->mutable_crelu()->set_axis(1); }},
      {"crelu_default", "crelu", [](v1::Activation* a) { a->mutable_crelu(); }},
      {"relu6", "relu6", [](v1::Activation* a) { a->mutable_relu6(); }},
      {"hardtanh", "hardtanh(min_val=-0.5, max_val=2)",
       [](v1::Activation* a) {
         a->mutable_hardtanh()->set_min_val(-0.5);
         a->mutable_hardtanh()->set_max_val(2);
       }},
      {"gelu", "gelu", [](v1::Activation* a) { a->mutable_gelu(); }},
      {"gelu_tanh", "gelu(approximate=tanh)", [](v1::Activation* a) { a->mutable_gelu()->set_approximate("tanh"); }},
      {"silu", "silu", [](v1::Activation* a) { a->mutable_silu(); }},
      {"mish", "mish", [](v1::Activation* a) { a->mutable_mish(); }},
      {"sigmoid", "sigmoid", [](v1::Activation* a) { a->mutable_sigmoid(); }},
      {"tanh", "tanh", [](v1::Activation* a) { a->mutable_tanh(); }},
      {"softplus", "softplus(beta=2, threshold=10)",
       [](v1::Activation* a) {
         a->mutable_softplus()->set_beta(2);
         a->mutable_softplus()->set_threshold(10);
       }},
      {"hardswish", "hardswish", [](v1::Activation* a) { a->mutable_hardswish(); }},
      {"hardsigmoid", "hardsigmoid", [](v1::Activation* a) { a->mutable_hardsigmoid(); }},
      {"logsigmoid", "logsigmoid", [](v1::Activation* a) { a->mutable_logsigmoid(); }},
      {"threshold", "threshold(threshold=0.5, value=-2)",
       [](v1::Activation* a) {
         a->mutable_threshold()->set_threshold(0.5);
         a->mutable_threshold()->set_value(-2);
       }},
  };
  return cases;
}

// ---------------------------------------------------------------------------------------------------------
// Hand-encoded protobuf for the services Debian ships no stubs for.

inline void AppendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// A length-delimited field (string, bytes or message).
inline std::string WireField(int number, std::string_view value) {
  std::string out;
  AppendVarint(&out, (static_cast<uint64_t>(number) << 3) | 2);
  AppendVarint(&out, value.size());
  out.append(value);
  return out;
}

inline grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

inline std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class Serving { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

struct HealthResult {
  grpc::Status status;
  Serving serving = Serving::kUnknown;
};

// grpc.health.v1.Health/Check for `service` (HealthCheckRequest {string service = 1;}).
inline HealthResult CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                                std::chrono::milliseconds timeout = 5000ms) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(In(timeout));
  grpc::ByteBuffer request = ToByteBuffer(service.empty() ? std::string() : WireField(1, service));
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  HealthResult result;
  result.status = done.get_future().get();
  if (!result.status.ok()) return result;
  google::protobuf::UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(FromByteBuffer(response)));
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == 1 && fields.field(i).type() == google::protobuf::UnknownField::TYPE_VARINT) {
      result.serving = static_cast<Serving>(fields.field(i).varint());
    }
  }
  return result;
}

inline const char* ServingName(Serving serving) {
  switch (serving) {
    case Serving::kUnknown: return "UNKNOWN";
    case Serving::kServing: return "SERVING";
    case Serving::kNotServing: return "NOT_SERVING";
    case Serving::kServiceUnknown: return "SERVICE_UNKNOWN";
  }
  return "?";
}

// One grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo exchange: sends `request` (a
// ServerReflectionRequest, hand-encoded), half-closes, returns the first response's bytes.
inline std::optional<std::string> ReflectionExchange(const std::shared_ptr<grpc::Channel>& channel,
                                                     const std::string& request, grpc::Status* final_status) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(In(10000ms));
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](int expected_tag) {
    if (!cq.Next(&tag, &ok)) return false;
    EXPECT_EQ(tag, reinterpret_cast<void*>(static_cast<intptr_t>(expected_tag)));
    return ok;
  };
  auto tag_of = [](int n) { return reinterpret_cast<void*>(static_cast<intptr_t>(n)); };
  std::optional<std::string> result;
  call->StartCall(tag_of(1));
  if (step(1)) {
    call->Write(ToByteBuffer(request), tag_of(2));
    if (step(2)) {
      call->WritesDone(tag_of(3));
      step(3);
      grpc::ByteBuffer response;
      call->Read(&response, tag_of(4));
      if (step(4)) result = FromByteBuffer(response);
      // Drain further responses (there should be none).
      while (true) {
        grpc::ByteBuffer extra;
        call->Read(&extra, tag_of(5));
        if (!step(5)) break;
      }
    }
  }
  call->Finish(final_status, tag_of(6));
  step(6);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return result;
}

// The service names of a list_services reflection response.
inline std::vector<std::string> ReflectionListServices(const std::shared_ptr<grpc::Channel>& channel,
                                                       grpc::Status* status) {
  // ServerReflectionRequest { string list_services = 7; }
  std::optional<std::string> response = ReflectionExchange(channel, WireField(7, "*"), status);
  std::vector<std::string> names;
  if (!response) return names;
  google::protobuf::UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(*response));
  for (int i = 0; i < fields.field_count(); ++i) {
    // ServerReflectionResponse { ListServiceResponse list_services_response = 6; }
    if (fields.field(i).number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    EXPECT_TRUE(list.ParseFromString(fields.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      // ListServiceResponse { repeated ServiceResponse service = 1; }  ServiceResponse { string name = 1; }
      if (list.field(j).number() != 1) continue;
      google::protobuf::UnknownFieldSet service;
      EXPECT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.push_back(service.field(k).length_delimited());
      }
    }
  }
  return names;
}

// The serialized FileDescriptorProtos of a file_containing_symbol reflection response.
inline std::vector<std::string> ReflectionFileContainingSymbol(const std::shared_ptr<grpc::Channel>& channel,
                                                               const std::string& symbol, grpc::Status* status) {
  // ServerReflectionRequest { string file_containing_symbol = 4; }
  std::optional<std::string> response = ReflectionExchange(channel, WireField(4, symbol), status);
  std::vector<std::string> files;
  if (!response) return files;
  google::protobuf::UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(*response));
  for (int i = 0; i < fields.field_count(); ++i) {
    // ServerReflectionResponse { FileDescriptorResponse file_descriptor_response = 4; }
    if (fields.field(i).number() != 4) continue;
    google::protobuf::UnknownFieldSet descriptors;
    EXPECT_TRUE(descriptors.ParseFromString(fields.field(i).length_delimited()));
    // FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
    for (int j = 0; j < descriptors.field_count(); ++j) {
      if (descriptors.field(j).number() == 1) files.push_back(descriptors.field(j).length_delimited());
    }
  }
  return files;
}

// ---------------------------------------------------------------------------------------------------------
// Test certificates.

struct TestPki {
  std::string ca_pem;            // The CA that signed the server and client certificates.
  std::string server_cert_pem;   // SAN IP:127.0.0.1, DNS:localhost.
  std::string server_key_pem;
  std::string client_cert_pem;   // Signed by ca_pem, clientAuth.
  std::string client_key_pem;
  std::string rogue_ca_pem;      // An unrelated CA.
  std::string rogue_client_cert_pem;  // Signed by rogue_ca_pem.
  std::string rogue_client_key_pem;
};

// Generates a CA, a server and a client certificate (and an unrelated CA with its own client certificate)
// with the openssl command-line tool, in `dir`. EC P-256 keys: fast to generate.
inline std::optional<TestPki> GenerateTestPki(const ScratchDir& dir) {
  dir.Write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                          "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
  dir.Write("client.ext", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"
                          "keyUsage=critical,digitalSignature,keyEncipherment\n");
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  auto make_ca = [&](const std::string& name) {
    return "openssl req -x509 " + ec + " -keyout " + name + ".key -out " + name + ".pem -days 2 -subj '/CN=" +
           name + "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign";
  };
  auto make_leaf = [&](const std::string& name, const std::string& cn, const std::string& ca,
                       const std::string& ext) {
    return "openssl req " + ec + " -keyout " + name + ".key -out " + name + ".csr -subj '/CN=" + cn +
           "' && openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -out " +
           name + ".pem -days 2 -extfile " + ext;
  };
  const std::string script = "cd '" + dir.path().string() + "' && (" + make_ca("ca") + " && " +
                             make_leaf("server", "localhost", "ca", "server.ext") + " && " +
                             make_leaf("client", "rectifier-test-client", "ca", "client.ext") + " && " +
                             make_ca("rogue_ca") + " && " +
                             make_leaf("rogue_client", "rogue-client", "rogue_ca", "client.ext") +
                             ") > openssl.log 2>&1";
  if (std::system(script.c_str()) != 0) {
    ADD_FAILURE() << "openssl failed:\n" << ReadWholeFile(dir.Path("openssl.log"));
    return std::nullopt;
  }
  TestPki pki;
  pki.ca_pem = ReadWholeFile(dir.Path("ca.pem"));
  pki.server_cert_pem = ReadWholeFile(dir.Path("server.pem"));
  pki.server_key_pem = ReadWholeFile(dir.Path("server.key"));
  pki.client_cert_pem = ReadWholeFile(dir.Path("client.pem"));
  pki.client_key_pem = ReadWholeFile(dir.Path("client.key"));
  pki.rogue_ca_pem = ReadWholeFile(dir.Path("rogue_ca.pem"));
  pki.rogue_client_cert_pem = ReadWholeFile(dir.Path("rogue_client.pem"));
  pki.rogue_client_key_pem = ReadWholeFile(dir.Path("rogue_client.key"));
  for (const std::string* pem : {&pki.ca_pem, &pki.server_cert_pem, &pki.server_key_pem, &pki.client_cert_pem,
                                 &pki.client_key_pem, &pki.rogue_client_cert_pem, &pki.rogue_client_key_pem}) {
    if (pem->find("-----BEGIN") == std::string::npos) {
      ADD_FAILURE() << "openssl produced no PEM:\n" << ReadWholeFile(dir.Path("openssl.log"));
      return std::nullopt;
    }
  }
  return pki;
}

// ---------------------------------------------------------------------------------------------------------
// Requests.

inline v1::ApplyRequest MakeRequest(const ActivationCase& c, DataType dtype, std::span<const int64_t> shape,
                                    uint32_t seed, std::string request_id = "") {
  v1::ApplyRequest request;
  request.set_request_id(std::move(request_id));
  c.fill(request.mutable_activation());
  SetTensor(request.mutable_input(), dtype, shape, RandomData(dtype, Product(shape), seed));
  return request;
}

// A float32 request of `elements` elements applying gelu, mish or relu (for size, deadline and shutdown
// tests).
inline v1::ApplyRequest LargeRequest(int64_t elements, std::string_view activation = "gelu", uint32_t seed = 1) {
  v1::ApplyRequest request;
  if (activation == "gelu") {
    request.mutable_activation()->mutable_gelu();
  } else if (activation == "mish") {
    request.mutable_activation()->mutable_mish();
  } else {
    request.mutable_activation()->mutable_relu();
  }
  const std::vector<int64_t> shape = {elements};
  SetTensor(request.mutable_input(), DataType::kFloat32, shape, RandomData(DataType::kFloat32, elements, seed));
  return request;
}

// The kernel result of `activation` on the request's input.
inline KernelResult ExpectedFor(const v1::ApplyRequest& request, const Activation& activation) {
  std::vector<int64_t> shape(request.input().shape().begin(), request.input().shape().end());
  DataType dtype = DataType::kFloat32;
  for (DataType t : kAllDataTypes) {
    if (ProtoType(t) == request.input().dtype()) dtype = t;
  }
  return KernelApply(activation, dtype, shape, request.input().data());
}

// ---------------------------------------------------------------------------------------------------------
// Holding a call in flight.

// A stream whose client stops reading after the first response: the server's next 1 MiB responses cannot
// be written (small flow-control windows, no BDP growth), so the call stays in flight until the client
// reads again. Lets a test hold a graceful drain open for as long as it needs.
class StalledStream {
 public:
  StalledStream(int port, int requests, std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials()) {
    channel_ = MakeChannel(port, std::move(credentials), [](grpc::ChannelArguments& args) {
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
    });
    stub_ = v1::ActivationService::NewStub(channel_);
    context_.set_deadline(In(60000ms));
    stream_ = stub_->ApplyStream(&context_);
    for (int i = 0; i < requests; ++i) {
      v1::ApplyRequest request = LargeRequest(int64_t{1} << 18, "relu", 500 + i);  // 1 MiB.
      request.set_request_id("held-" + std::to_string(i));
      expected_.push_back(ExpectedFor(request, act::Relu{}));
      requests_.push_back(std::move(request));
    }
    writer_ = std::thread([this] {
      for (const auto& request : requests_) {
        if (!stream_->Write(request)) break;
        ++written_;
      }
    });
  }
  ~StalledStream() {
    context_.TryCancel();
    if (writer_.joinable()) writer_.join();
  }
  // Reads the first response and waits until every request is written: the server is now stuck writing.
  bool Stall() {
    v1::ApplyResponse first;
    if (!stream_->Read(&first)) return false;
    responses_.push_back(first);
    return WaitFor([&] { return written_.load() == static_cast<int>(requests_.size()); }, 20000ms);
  }
  // Reads everything that is left; returns the final status.
  grpc::Status ReadToEnd() {
    v1::ApplyResponse response;
    while (stream_->Read(&response)) responses_.push_back(response);
    writer_.join();
    return stream_->Finish();
  }
  // Every response is its request's kernel result or (read after the drain began) UNAVAILABLE; returns the
  // number of results.
  int CheckResponses() const {
    int results = 0;
    for (const v1::ApplyResponse& response : responses_) {
      const int i = std::stoi(response.request_id().substr(5));
      if (response.has_error()) {
        EXPECT_EQ(response.error().code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE)) << response.error().message();
      } else {
        ++results;
        EXPECT_TRUE(SameAsKernel(response.output(), expected_[i])) << response.request_id();
      }
    }
    return results;
  }
  size_t responses() const { return responses_.size(); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ActivationService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ApplyRequest, v1::ApplyResponse>> stream_;
  std::vector<v1::ApplyRequest> requests_;
  std::vector<KernelResult> expected_;
  std::vector<v1::ApplyResponse> responses_;
  std::atomic<int> written_{0};
  std::thread writer_;
};

}  // namespace rectifier::server::itest
