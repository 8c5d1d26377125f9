#include "host/io/mapped_file.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/text_file.hpp"

namespace cie {
namespace {

/// One live mapping as the SIGBUS handler sees it: [begin, end) page-rounded, begin 0 when free.
struct GuardedRange {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> truncated{false};
};

// A fixed table: the handler may not allocate or lock. Readers map one file at a time each.
constexpr int kGuardedRanges = 64;
std::array<GuardedRange, kGuardedRanges> guarded_ranges;
std::uintptr_t page_size = 4096;
struct sigaction previous_action {};

/// Hands a SIGBUS that is not ours to the previous disposition.
void forward_signal(int signal, siginfo_t* info, void* context) {
  if ((previous_action.sa_flags & SA_SIGINFO) != 0 && previous_action.sa_sigaction != nullptr) {
    previous_action.sa_sigaction(signal, info, context);
    return;
  }
  if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal);
    return;
  }
  // The default action: terminate with the signal once this handler returns (SIGBUS is blocked
  // until then).
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  ::sigemptyset(&fallback.sa_mask);
  ::sigaction(SIGBUS, &fallback, nullptr);
  ::raise(SIGBUS);
}

/// Async-signal-safe: atomics, mmap and sigaction only.
void on_sigbus(int signal, siginfo_t* info, void* context) {
  auto const address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (GuardedRange& range : guarded_ranges) {
    std::uintptr_t const begin = range.begin.load();
    std::uintptr_t const end = range.end.load();
    if (begin == 0 || address < begin || address >= end) continue;
    // Zero pages from the faulting page to the end of the mapping: the read is retried and goes
    // on over zeros, and the rest of the file cannot fault again.
    std::uintptr_t const page = address / page_size * page_size;
    void* const replaced = ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (replaced == MAP_FAILED) break;
    range.truncated.store(true);
    return;
  }
  forward_signal(signal, info, context);
}

void install_handler() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    page_size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    ::sigemptyset(&action.sa_mask);
    if (::sigaction(SIGBUS, &action, &previous_action) != 0) {
      fail(ExitCode::kInternal, "cannot install the SIGBUS handler for mapped files: {}",
           std::strerror(errno));
    }
  });
}

int guard(char const* data, std::size_t size) {
  auto const begin = reinterpret_cast<std::uintptr_t>(data);
  std::uintptr_t const end = begin + (size + page_size - 1) / page_size * page_size;
  for (int slot = 0; slot < kGuardedRanges; ++slot) {
    GuardedRange& range = guarded_ranges[static_cast<std::size_t>(slot)];
    // Claimed with a begin above every address (the handler skips it), filled, then published.
    std::uintptr_t free = 0;
    if (!range.begin.compare_exchange_strong(free, UINTPTR_MAX)) continue;
    range.end.store(end);
    range.truncated.store(false);
    range.begin.store(begin);
    return slot;
  }
  fail(ExitCode::kInternal, "more than {} files are mapped at once", kGuardedRanges);
}

bool same_time(struct timespec const& a, struct timespec const& b) noexcept {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

MappedFile::MappedFile(std::string const& path, std::string_view noun) : path_(path), noun_(noun) {
  // O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below.
  descriptor_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (descriptor_ < 0) {
    fail(ExitCode::kUsage, "cannot open {} {}: {}", noun_, path_, std::strerror(errno));
  }
  if (::fstat(descriptor_, &opened_) != 0) {
    int const error = errno;
    ::close(descriptor_);
    fail(ExitCode::kUsage, "cannot read {} {}: {}", noun_, path_, std::strerror(error));
  }
  if (!S_ISREG(opened_.st_mode)) {
    ::close(descriptor_);
    std::string const kind = describe_non_regular_file(path_);
    fail(ExitCode::kUsage, "cannot read {} {}: it is {}, not a regular file", noun_, path_,
         kind.empty() ? "something else" : kind);
  }
  size_ = static_cast<std::size_t>(opened_.st_size);
  if (size_ == 0) return;
  install_handler();
  void* const data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, descriptor_, 0);
  if (data == MAP_FAILED) {
    int const error = errno;
    ::close(descriptor_);
    fail(ExitCode::kUsage, "cannot map {} {}: {}", noun_, path_, std::strerror(error));
  }
  data_ = static_cast<char const*>(data);
  try {
    slot_ = guard(data_, size_);
  } catch (...) {
    ::munmap(data, size_);
    ::close(descriptor_);
    throw;
  }
  // Threads start on all chunks at once: ask for the whole file rather than read-ahead.
  ::madvise(data, size_, MADV_WILLNEED);
}

MappedFile::~MappedFile() {
  if (slot_ >= 0) guarded_ranges[static_cast<std::size_t>(slot_)].begin.store(0);
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  ::close(descriptor_);
}

void MappedFile::check_unchanged() const {
  if (slot_ >= 0 && guarded_ranges[static_cast<std::size_t>(slot_)].truncated.load()) {
    fail(ExitCode::kInputData,
         "{} {} was truncated while it was read (is a producer still writing it, or did a log "
         "rotation cut it?): its lost bytes were not read; nothing was written from it",
         noun_, path_);
  }
  struct stat now {};
  if (::fstat(descriptor_, &now) != 0) {
    fail(ExitCode::kInputData, "{} {}: cannot check it after reading: {}", noun_, path_,
         std::strerror(errno));
  }
  if (now.st_size != opened_.st_size || !same_time(now.st_mtim, opened_.st_mtim)) {
    fail(ExitCode::kInputData,
         "{} {} changed while it was read (size {} -> {} bytes{}): it was rewritten in place; "
         "nothing was written from it",
         noun_, path_, opened_.st_size, now.st_size,
         same_time(now.st_mtim, opened_.st_mtim) ? "" : ", new modification time");
  }
}

}  // namespace cie
