// Process-wide logging setup (spdlog to stderr), as text or one JSON object per line.
//
// Rectifier never logs tensor data or credentials: log lines carry sizes, codes and names only.
#pragma once

#include "server/server_options.h"

namespace rectifier::server {

// Replaces spdlog's default logger with one writing to stderr in `format` at `level`.
void ConfigureLogging(LogFormat format, LogLevel level);

}  // namespace rectifier::server
