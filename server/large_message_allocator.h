// Keeps glibc's allocator from mapping and unmapping memory for every large message.
//
// By default glibc serves allocations of more than 128 KiB (raised dynamically up to 32 MiB) with mmap and
// returns freed memory at the top of the heap to the kernel beyond 128 KiB. A server that receives, parses
// and answers multi-megabyte tensors then pays, for every request, page faults and the kernel zeroing
// fresh pages for each of its buffers: a profile of 4 MiB relu requests showed about 7% of the server's
// CPU in page faults, page zeroing and unmapping, and gRPC's own receive buffers suffer the same (the echo
// baseline gained as much). With mmap reserved for allocations above 64 MiB and the heap trimmed only
// above 1 GiB free, freed message buffers are reused. The cost: memory freed after a burst stays resident
// (up to the burst's peak, which the message size and concurrency limits bound) instead of going back to
// the kernel.
#pragma once

namespace rectifier::server {

// Opt-in, with RECTIFIER_KEEP_LARGE_BUFFERS=1 in the environment: with it the soak test saw resident
// memory settle 13.6% above its warm-up peak (the retained buffers), over the 10% that test allows, so
// glibc's defaults stay the default until a bounded buffer pool replaces this.
// Call once, at the start of main(), before threads start. Respects explicit settings: when the
// environment sets MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES, nothing changes.
void TuneAllocatorForLargeMessages();

}  // namespace rectifier::server
