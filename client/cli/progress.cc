#include "client/cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace rectifier::cli {

Progress::Progress(std::string label, size_t total_bytes, const std::string& mode)
    : label_(std::move(label)), total_bytes_(total_bytes), terminal_(isatty(STDERR_FILENO) == 1) {
  enabled_ = mode == "always" || (mode == "auto" && terminal_);
}

void Progress::Update(size_t done_bytes) {
  if (!enabled_ || total_bytes_ == 0) return;
  const double fraction = static_cast<double>(done_bytes) / static_cast<double>(total_bytes_);
  const double mib = 1.0 / (1 << 20);
  if (terminal_) {
    std::fprintf(stderr, "\r%s: %5.1f%% (%.1f of %.1f MiB)", label_.c_str(), 100 * fraction, done_bytes * mib,
                 total_bytes_ * mib);
  } else if (const int quarter = static_cast<int>(fraction * 4); quarter > last_quarter_) {
    last_quarter_ = quarter;
    std::fprintf(stderr, "%s: %5.1f%% (%.1f of %.1f MiB)\n", label_.c_str(), 100 * fraction, done_bytes * mib,
                 total_bytes_ * mib);
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && terminal_) std::fputc('\n', stderr);
}

}  // namespace rectifier::cli
