// Publishing a run's outputs all at once.
//
// A nightly run writes every output into a staging directory beside the output directory D
// (same parent, so same file system) and, once all of them are complete, publishes the whole
// directory with one rename. A run killed at any point leaves D as the previous run left it:
// complete, never a mix of old and new files.
//
//   recover_interrupted_publish(D);            // first thing in every run
//   OutputStaging staging(D);
//   write_file_atomically(staging.path("rfm.csv"), ...);
//   staging.commit();                          // D now holds exactly the staged files
//
// Names beside D (D's parent directory), all reserved for this mechanism:
//   .<D>.staging-<pid>-<random>   a run's staging directory; after an exchange it briefly holds
//                                 the previous outputs while they are removed
//   .<D>.previous                 the previous outputs during the fallback publish
//
// Publishing. When D exists, staging and D are swapped with renameat2(RENAME_EXCHANGE) (Linux
// 3.15+, ext4, xfs, btrfs, tmpfs, ...), which is atomic, and the previous outputs are then
// removed. When the file system does not support it (EINVAL, ENOSYS, EOPNOTSUPP), the fallback
// is two renames, D -> .<D>.previous then staging -> D, and a kill between them leaves D
// missing until recover_interrupted_publish() puts .<D>.previous back. When D does not exist,
// staging is renamed to D. Files and directories are fsynced before the rename and the parent
// after it, so a power loss after commit() keeps the new outputs.
//
// Exit codes: a staging directory that cannot be created (missing permission, read-only file
// system, D not a directory, D named "." or "..") is a usage error (exit 2) naming the path; a
// failure after staging succeeded (fsync, rename) is an unexpected system failure (exit 1),
// also naming the paths.
//
// Ownership: D holds only what cie published. commit() writes the marker file D/.cie-published
// listing the entries it published, and check_output_directory_owned() refuses, before a run
// reads anything, a D holding anything else (an input, another program's files, D = "."), so a
// publish never removes a file cie did not write. The published directory keeps D's permission
// bits (a chmod 700 D stays 700).
//
// Two runs on one D: OutputLock holds an exclusive lock (flock) on the file .<D>.lock beside D
// for the whole run; a second run fails at once naming the lock, or waits for it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cie {

/// How commit() publishes over an existing output directory.
enum class PublishMethod {
  kAuto,         ///< RENAME_EXCHANGE, and the two-rename fallback where unsupported
  kExchange,     ///< RENAME_EXCHANGE only; fails where the file system lacks it
  kRenameTwice,  ///< the fallback only (tests, and file systems known to lack RENAME_EXCHANGE)
};

class OutputStaging {
 public:
  /// Creates the parent of `output_directory` if missing, then a fresh empty staging directory
  /// in it. If D is a symbolic link, the directory it points to is the one published (the link
  /// is kept). Usage error (exit 2) naming the path when this is not possible.
  explicit OutputStaging(std::string const& output_directory);
  OutputStaging(OutputStaging const&) = delete;
  OutputStaging& operator=(OutputStaging const&) = delete;
  /// Without a successful commit(), removes the staging directory and leaves D untouched.
  ~OutputStaging();

  /// The path under which the output `relative_name` (e.g. "rfm.csv" or "models/kmeans.json")
  /// is to be written; creates its parent directories inside the staging directory. Usage error
  /// if `relative_name` is empty, absolute, or contains "." or ".." components.
  [[nodiscard]] std::string path(std::string_view relative_name) const;

  /// Publishes everything under the staging directory as D (see the header comment). Call once;
  /// afterwards D holds exactly the staged files and the staging directory is gone.
  void commit(PublishMethod method = PublishMethod::kAuto);

  /// The published directory (absolute, symbolic links resolved).
  [[nodiscard]] std::string const& output_directory() const noexcept { return output_; }
  [[nodiscard]] std::string const& staging_directory() const noexcept { return staging_; }
  [[nodiscard]] bool committed() const noexcept { return committed_; }

 private:
  std::string output_;
  std::string staging_;
  bool committed_ = false;
};

/// What recover_interrupted_publish() found and did.
struct PublishRecovery {
  bool restored_previous = false;  ///< D was missing and .<D>.previous was renamed back to D
  bool removed_previous = false;   ///< a leftover .<D>.previous was removed (D was complete)
  int removed_staging = 0;         ///< stale staging directories removed
};

/// Repairs what a killed run may have left beside D; call at the start of every run, before
/// creating an OutputStaging. In order:
///  - D missing and .<D>.previous present (killed between the fallback renames): renames
///    .<D>.previous back to D;
///  - D present and .<D>.previous present (killed before its removal): removes .<D>.previous;
///  - removes every .<D>.staging-<pid>-* directory whose process <pid> is no longer alive
///    (kill(pid, 0) fails with ESRCH). Staging directories of live processes, this one
///    included, are left alone, so a concurrent run is never disturbed; a staging directory
///    whose pid has been reused by an unrelated process waits for a later run.
/// Missing parent directory: nothing to do. Errors are internal errors (exit 1) naming the path.
PublishRecovery recover_interrupted_publish(std::string const& output_directory);

/// An exclusive lock on output directory D for as long as it lives: flock on .<D>.lock beside D
/// (created if missing, with D's parent; never removed, so every run locks the same file). When
/// another process holds it: with `wait`, blocks until it is released; otherwise a usage error
/// (exit 2) naming D and the lock file.
class OutputLock {
 public:
  OutputLock(std::string const& output_directory, bool wait);
  OutputLock(OutputLock const&) = delete;
  OutputLock& operator=(OutputLock const&) = delete;
  ~OutputLock();

 private:
  int fd_ = -1;
};

/// The marker of the entries cie published in D.
inline constexpr char kPublishedMarker[] = ".cie-published";

/// A usage error (exit 2) when D exists and holds an entry that cie did not publish there: one
/// not listed in D/.cie-published and not in `own_names` (the names this run publishes, so a D
/// written by an older cie without the marker is accepted). A missing or empty D passes.
void check_output_directory_owned(std::string const& output_directory,
                                  std::vector<std::string> const& own_names);

/// The fallback's name for the previous outputs of `output_directory`: "<parent>/.<name>.previous".
std::string previous_outputs_path(std::string const& output_directory);

}  // namespace cie
