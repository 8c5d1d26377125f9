#include "core/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "core/error.hpp"

namespace cie {
namespace {

std::atomic<unsigned> temporary_counter{0};

/// Removes "<target>.tmp-<pid>-<n>" files beside `target` whose process no longer runs.
void remove_dead_temporaries(std::string const& target) {
  namespace fs = std::filesystem;
  fs::path const path(target);
  fs::path const directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string const prefix = path.filename().string() + ".tmp-";
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    std::string const name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    std::size_t const dash = rest.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == rest.size()) continue;
    auto const digits = [](std::string_view text) {
      return text.find_first_not_of("0123456789") == std::string_view::npos;
    };
    if (!digits(rest.substr(0, dash)) || !digits(rest.substr(dash + 1))) continue;
    long const pid = std::strtol(std::string(rest.substr(0, dash)).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
    if (!it->is_regular_file(error)) continue;
    fs::remove(it->path(), error);
    error.clear();
  }
}

}  // namespace

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  remove_dead_temporaries(target_);
  temporary_ = fmt::format("{}.tmp-{}-{}", target_, ::getpid(), temporary_counter++);
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (file_ == nullptr) {
    fail(ExitCode::kUsage, "cannot create output file {}: {}", target_, std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(temporary_.c_str());
  }
}

void AtomicFile::write(std::string_view bytes) {
  CIE_ASSERT(file_ != nullptr);
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    fail(ExitCode::kInternal, "writing {} failed: {}", temporary_, std::strerror(errno));
  }
}

void AtomicFile::commit() {
  CIE_ASSERT(file_ != nullptr);
  // A replaced file keeps its permission bits.
  struct stat previous {};
  if (::stat(target_.c_str(), &previous) == 0 && S_ISREG(previous.st_mode)) {
    ::fchmod(::fileno(file_), previous.st_mode & 07777);
  }
  bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  int error = errno;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok || std::rename(temporary_.c_str(), target_.c_str()) != 0) {
    if (ok) error = errno;
    std::remove(temporary_.c_str());
    fail(ExitCode::kInternal, "publishing {} failed: {}", target_, std::strerror(error));
  }
}

void write_file_atomically(std::string const& target, std::string_view bytes) {
  AtomicFile file(target);
  file.write(bytes);
  file.commit();
}

void ensure_directory(std::string const& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) fail(ExitCode::kUsage, "cannot create directory {}: {}", path, error.message());
}

}  // namespace cie
