// Progress of a long operation on stderr: a line redrawn in place on a terminal, a line per quarter when
// stderr is a file or pipe. Silent when disabled.
#pragma once

#include <cstddef>
#include <string>

namespace rectifier::cli {

class Progress {
 public:
  // `mode`: "auto" (shown when stderr is a terminal), "always" or "never".
  Progress(std::string label, size_t total_bytes, const std::string& mode);
  // `done_bytes` of total_bytes are finished.
  void Update(size_t done_bytes);
  // Ends the line.
  void Finish();

 private:
  std::string label_;
  size_t total_bytes_;
  bool enabled_;
  bool terminal_;
  int last_quarter_ = 0;
};

}  // namespace rectifier::cli
