#include "core/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"

namespace cie {
namespace {
std::atomic<unsigned> temporary_counter{0};
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
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
