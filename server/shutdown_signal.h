// Waiting for SIGTERM or SIGINT without an async-signal handler: the signals are blocked in every thread
// and one thread takes them with sigwait.
#pragma once

namespace rectifier::server {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards. Call first in
// main(), before any thread exists.
void BlockShutdownSignals();

// Waits for SIGTERM or SIGINT (blocked by BlockShutdownSignals) and returns its number.
int WaitForShutdownSignal();

}  // namespace rectifier::server
