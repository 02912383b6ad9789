#include "server/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "kernels/str_cat.h"
#include "server/units.h"

namespace rectifier::server {
namespace {

absl::Status ErrnoError(int error_number, std::string_view what, const std::string& path, std::string_view action) {
  return absl::Status(absl::ErrnoToStatusCode(error_number),
                      StrCat(what, " ", path, ": cannot ", action, ": ", std::strerror(error_number)));
}

// Closes the descriptor on every path out of ReadFileBounded.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<std::string> ReadFileBounded(const std::string& path, uint64_t max_bytes, std::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(StrCat(what, " path is empty"));
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, what, path, "open");
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return ErrnoError(errno, what, path, "stat");
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(StrCat(what, " ", path, " is not a regular file"));
  }
  auto too_large = [&] {
    return absl::InvalidArgumentError(
        StrCat(what, " ", path, " is larger than the limit of ", FormatByteSize(max_bytes)));
  };
  if (static_cast<uint64_t>(info.st_size) > max_bytes) return too_large();
  // Read until end of file, not just st_size bytes: the file may change under us.
  std::string contents;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, what, path, "read");
    }
    if (n == 0) break;
    if (contents.size() + static_cast<uint64_t>(n) > max_bytes) return too_large();
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

}  // namespace rectifier::server
