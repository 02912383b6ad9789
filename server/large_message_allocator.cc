#include "server/large_message_allocator.h"

#include <malloc.h>

#include <cstdlib>

namespace rectifier::server {
namespace {

constexpr int kMmapThresholdBytes = 64 << 20;
constexpr int kTrimThresholdBytes = 1 << 30;

}  // namespace

void TuneAllocatorForLargeMessages() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr ||
      std::getenv("GLIBC_TUNABLES") != nullptr) {
    return;
  }
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

}  // namespace rectifier::server
