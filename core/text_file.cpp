#include "core/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/units.hpp"

namespace cie {
namespace {

std::string describe_mode(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Closes a descriptor on every path out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string describe_non_regular_file(std::string const& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";
  return describe_mode(info.st_mode);
}

std::string read_text_file(std::string const& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below.
  Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) fail(ExitCode::kUsage, "cannot read {}: {}", path, std::strerror(errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) {
    fail(ExitCode::kUsage, "cannot read {}: {}", path, std::strerror(errno));
  }
  std::string const kind = describe_mode(info.st_mode);
  CIE_EXPECTS(kind.empty(), "cannot read {}: it is {}, not a regular file", path, kind);
  auto const size = static_cast<std::size_t>(info.st_size);
  CIE_EXPECTS(size <= max_bytes, "cannot read {}: it holds {}, more than the {} allowed here", path,
              format_bytes(size), format_bytes(max_bytes));
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t const got = ::read(file.fd, text.data() + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(ExitCode::kUsage, "cannot read {}: {}", path, std::strerror(errno));
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  char extra = 0;
  ssize_t const more = ::read(file.fd, &extra, 1);
  CIE_EXPECTS_DATA(done == size && more == 0,
                   "{} changed size while it was read (from {} bytes); is something still "
                   "writing it?",
                   path, size);
  return text;
}

}  // namespace cie
