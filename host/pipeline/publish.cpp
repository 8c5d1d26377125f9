#include "host/pipeline/publish.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "core/error.hpp"

namespace cie {
namespace fs = std::filesystem;
namespace {

/// D made absolute with symbolic links resolved and no trailing separator; a usage error for
/// paths that cannot be published by rename ("", "/", ".", "..").
fs::path resolve_output(std::string const& output_directory) {
  CIE_EXPECTS(!output_directory.empty(), "output directory: the path is empty");
  std::error_code error;
  fs::path resolved = fs::weakly_canonical(fs::absolute(output_directory), error);
  if (error) fail(ExitCode::kUsage, "output directory {}: {}", output_directory, error.message());
  if (resolved.filename().empty()) resolved = resolved.parent_path();
  std::string const name = resolved.filename().string();
  CIE_EXPECTS(!name.empty() && name != "." && name != "..",
              "output directory '{}' cannot be published; name a directory below its parent",
              output_directory);
  return resolved;
}

std::string staging_prefix(fs::path const& output) {
  return fmt::format(".{}.staging-", output.filename().string());
}

fs::path previous_path(fs::path const& output) {
  return output.parent_path() / fmt::format(".{}.previous", output.filename().string());
}

bool present(fs::path const& path) {
  std::error_code ignored;
  return fs::exists(fs::symlink_status(path, ignored));
}

/// fsync of one file or directory; an internal error naming it on failure.
void sync_path(fs::path const& path, bool directory) {
  int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  bool const ok = fd >= 0 && ::fsync(fd) == 0;
  int const error = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) fail(ExitCode::kInternal, "fsync of {} failed: {}", path.string(), std::strerror(error));
}

/// fsyncs every regular file and directory under `root`, and `root` itself.
void sync_tree(fs::path const& root) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    fs::file_status const status = it->symlink_status();
    if (fs::is_regular_file(status)) sync_path(it->path(), false);
    if (fs::is_directory(status)) sync_path(it->path(), true);
  }
  if (error) fail(ExitCode::kInternal, "listing {} failed: {}", root.string(), error.message());
  sync_path(root, true);
}

void rename_or_fail(fs::path const& from, fs::path const& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    fail(ExitCode::kInternal, "renaming {} to {} failed: {}", from.string(), to.string(),
         std::strerror(errno));
  }
}

void remove_quietly(fs::path const& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

/// The pid in ".<D>.staging-<pid>-<random>", or -1.
pid_t staging_owner(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return -1;
  name.remove_prefix(prefix.size());
  pid_t pid = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '-') {
    return -1;
  }
  return pid > 0 ? pid : -1;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

/// The fallback publish: D -> .<D>.previous, staging -> D. On failure of the second rename the
/// previous outputs are put back before the error is raised.
void publish_by_two_renames(fs::path const& staging, fs::path const& output) {
  fs::path const previous = previous_path(output);
  if (present(previous)) {
    // D is present, so this is the leftover of a run killed before removing it.
    std::error_code error;
    fs::remove_all(previous, error);
    if (error) {
      fail(ExitCode::kInternal, "removing stale {} failed: {}", previous.string(), error.message());
    }
  }
  rename_or_fail(output, previous);
  if (std::rename(staging.c_str(), output.c_str()) != 0) {
    int const error = errno;
    std::rename(previous.c_str(), output.c_str());
    fail(ExitCode::kInternal, "renaming {} to {} failed: {}", staging.string(), output.string(),
         std::strerror(error));
  }
}

/// Lists the staging directory's entries in its marker file.
void write_marker(fs::path const& staging) {
  std::vector<std::string> names;
  for (fs::directory_entry const& entry : fs::directory_iterator(staging)) {
    std::string name = entry.path().filename().string();
    if (name != kPublishedMarker) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::string text;
  for (std::string const& name : names) text += name + "\n";
  std::FILE* file = std::fopen((staging / kPublishedMarker).c_str(), "wb");
  bool ok = file != nullptr && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  ok = file != nullptr && std::fclose(file) == 0 && ok;
  if (!ok) fail(ExitCode::kInternal, "writing {} failed", (staging / kPublishedMarker).string());
}

}  // namespace

OutputLock::OutputLock(std::string const& output_directory, bool wait) {
  fs::path const output = resolve_output(output_directory);
  std::error_code error;
  fs::create_directories(output.parent_path(), error);
  if (error) {
    fail(ExitCode::kUsage, "cannot create directory {} for output directory {}: {}",
         output.parent_path().string(), output.string(), error.message());
  }
  fs::path const lock = output.parent_path() / fmt::format(".{}.lock", output.filename().string());
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    fail(ExitCode::kUsage, "cannot create lock file {}: {}", lock.string(), std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  int const busy = errno;
  if (busy == EWOULDBLOCK && wait) {
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) break;
    }
    return;
  }
  ::close(fd_);
  fd_ = -1;
  fail(ExitCode::kUsage,
       "another cie run is publishing to {} (it holds {}); wait for it to finish, or pass --wait",
       output.string(), lock.string());
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

void check_output_directory_owned(std::string const& output_directory,
                                  std::vector<std::string> const& own_names) {
  fs::path const output = resolve_output(output_directory);
  std::error_code error;
  if (!fs::is_directory(output, error)) return;
  std::set<std::string> owned(own_names.begin(), own_names.end());
  owned.insert(kPublishedMarker);
  std::ifstream marker(output / kPublishedMarker);
  for (std::string line; std::getline(marker, line);) owned.insert(line);
  std::vector<std::string> foreign;
  for (fs::directory_iterator it(output, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!owned.contains(name)) foreign.push_back(std::move(name));
  }
  if (error)
    fail(ExitCode::kUsage, "cannot list output directory {}: {}", output.string(), error.message());
  if (foreign.empty()) return;
  std::sort(foreign.begin(), foreign.end());
  std::size_t const shown = std::min<std::size_t>(foreign.size(), 5);
  fail(ExitCode::kUsage,
       "output directory {} holds {} {} that cie did not publish there ({}{}); each run replaces "
       "the whole directory, so name an empty or cie-only directory",
       output.string(), foreign.size(), foreign.size() == 1 ? "entry" : "entries",
       fmt::join(foreign.begin(), foreign.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
       foreign.size() > shown ? ", ..." : "");
}

std::string previous_outputs_path(std::string const& output_directory) {
  return previous_path(resolve_output(output_directory)).string();
}

OutputStaging::OutputStaging(std::string const& output_directory) {
  fs::path const output = resolve_output(output_directory);
  output_ = output.string();
  std::error_code error;
  fs::create_directories(output.parent_path(), error);
  if (error) {
    fail(ExitCode::kUsage, "cannot create directory {} for output directory {}: {}",
         output.parent_path().string(), output_, error.message());
  }
  if (present(output) && !fs::is_directory(fs::status(output, error))) {
    fail(ExitCode::kUsage, "output directory {} exists and is not a directory", output_);
  }
  std::random_device entropy;
  std::string const prefix = fmt::format("{}{}-", staging_prefix(output), ::getpid());
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path const candidate = output.parent_path() / fmt::format("{}{:08x}", prefix, entropy());
    if (::mkdir(candidate.c_str(), 0777) == 0) {
      staging_ = candidate.string();
      return;
    }
    if (errno != EEXIST) {
      fail(ExitCode::kUsage, "cannot create staging directory {} for output directory {}: {}",
           candidate.string(), output_, std::strerror(errno));
    }
  }
  fail(ExitCode::kInternal, "cannot find a free staging directory name beside {}", output_);
}

OutputStaging::~OutputStaging() {
  if (!committed_) remove_quietly(staging_);
}

std::string OutputStaging::path(std::string_view relative_name) const {
  fs::path const relative(relative_name);
  bool valid = !relative_name.empty() && relative.is_relative();
  for (fs::path const& part : relative) {
    valid = valid && !part.empty() && part != "." && part != "..";
  }
  CIE_EXPECTS(valid, "output file name '{}' must be a relative path without '.' or '..' parts",
              relative_name);
  fs::path const full = fs::path(staging_) / relative;
  std::error_code error;
  fs::create_directories(full.parent_path(), error);
  if (error) {
    fail(ExitCode::kInternal, "cannot create directory {}: {}", full.parent_path().string(),
         error.message());
  }
  return full.string();
}

void OutputStaging::commit(PublishMethod method) {
  CIE_ASSERT(!committed_);
  fs::path const staging(staging_);
  fs::path const output(output_);
  write_marker(staging);
  struct stat previous {};
  if (::stat(output.c_str(), &previous) == 0 && S_ISDIR(previous.st_mode)) {
    ::chmod(staging.c_str(), previous.st_mode & 07777);  // D keeps its permission bits
  }
  sync_tree(staging);

  if (!present(output)) {
    rename_or_fail(staging, output);
    committed_ = true;
  } else if (method != PublishMethod::kRenameTwice &&
             ::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, output.c_str(), RENAME_EXCHANGE) ==
                 0) {
    committed_ = true;  // the staging path now holds the previous outputs
  } else {
    int const error = errno;
    bool const unsupported = error == EINVAL || error == ENOSYS || error == EOPNOTSUPP;
    if (method == PublishMethod::kExchange || (method == PublishMethod::kAuto && !unsupported)) {
      fail(ExitCode::kInternal, "exchanging {} with {} failed: {}", staging_, output_,
           std::strerror(error));
    }
    publish_by_two_renames(staging, output);
    committed_ = true;
  }
  sync_path(output.parent_path(), true);
  remove_quietly(staging);
  remove_quietly(previous_path(output));
}

PublishRecovery recover_interrupted_publish(std::string const& output_directory) {
  PublishRecovery recovery;
  fs::path const output = resolve_output(output_directory);
  fs::path const parent = output.parent_path();
  std::error_code parent_error;
  if (!fs::is_directory(parent, parent_error)) return recovery;

  fs::path const previous = previous_path(output);
  if (present(previous)) {
    if (!present(output)) {
      rename_or_fail(previous, output);
      sync_path(parent, true);
      recovery.restored_previous = true;
    } else {
      std::error_code error;
      fs::remove_all(previous, error);
      if (error) {
        fail(ExitCode::kInternal, "removing stale {} failed: {}", previous.string(),
             error.message());
      }
      recovery.removed_previous = true;
    }
  }

  std::string const prefix = staging_prefix(output);
  std::error_code error;
  for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
    pid_t const owner = staging_owner(it->path().filename().string(), prefix);
    if (owner < 0 || owner == ::getpid() || process_alive(owner)) continue;
    std::error_code remove_error;
    fs::remove_all(it->path(), remove_error);
    if (remove_error) {
      fail(ExitCode::kInternal, "removing stale staging directory {} failed: {}",
           it->path().string(), remove_error.message());
    }
    ++recovery.removed_staging;
  }
  if (error) fail(ExitCode::kInternal, "listing {} failed: {}", parent.string(), error.message());
  return recovery;
}

}  // namespace cie
