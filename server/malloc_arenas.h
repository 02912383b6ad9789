// Caps glibc's malloc arenas at one per core the process may run on.
//
// glibc gives a thread that finds its arena busy an arena of its own, up to 8 per core, and each arena keeps
// its own high-water mark of freed memory. gRPC's and the executor's threads handle messages of up to tens
// of MiB, so each of up to 16 arenas (2 cores) slowly reaches the peak of what it happened to serve: in the
// soak test's random load, resident memory kept climbing for four minutes (33 to 45 MiB, +35%) before it
// levelled off. With one arena per core it levels off within 30 s, at 31-33 MiB, and stays flat (SECURITY.md,
// "How the guarantees are tested"). Contention stays low: no more threads than cores run at once.
#pragma once

namespace rectifier::server {

// Call once, at the start of main(), before threads start. Respects explicit settings: when the
// environment sets MALLOC_ARENA_MAX or GLIBC_TUNABLES, nothing changes.
void LimitMallocArenas();

}  // namespace rectifier::server
