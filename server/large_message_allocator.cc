#include "server/large_message_allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <string_view>

namespace rectifier::server {
namespace {

constexpr int kMmapThresholdBytes = 64 << 20;
constexpr int kTrimThresholdBytes = 1 << 30;

}  // namespace

void TuneAllocatorForLargeMessages() {
  const char* opt_in = std::getenv("RECTIFIER_KEEP_LARGE_BUFFERS");
  if (opt_in == nullptr || std::string_view(opt_in) != "1") return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr ||
      std::getenv("GLIBC_TUNABLES") != nullptr) {
    return;
  }
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

}  // namespace rectifier::server
