#include "host/io/output_paths.hpp"

#include <filesystem>
#include <optional>
#include <sys/stat.h>
#include <utility>

#include "core/error.hpp"

namespace cie {
namespace {

namespace fs = std::filesystem;

struct FileIdentity {
  fs::path normalized;
  std::optional<std::pair<dev_t, ino_t>> inode;  ///< when the file exists
};

FileIdentity identify(std::string const& path) {
  FileIdentity identity;
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  identity.normalized = (error ? fs::path(path) : absolute).lexically_normal();
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) identity.inode = std::make_pair(info.st_dev, info.st_ino);
  return identity;
}

bool same_file(FileIdentity const& a, FileIdentity const& b) {
  if (a.inode && b.inode) return *a.inode == *b.inode;
  return a.normalized == b.normalized;
}

}  // namespace

void check_output_paths(std::vector<NamedPath> const& inputs,
                        std::vector<NamedPath> const& outputs) {
  std::vector<std::pair<NamedPath const*, FileIdentity>> seen;
  for (NamedPath const& input : inputs) {
    if (!input.path.empty()) seen.emplace_back(&input, identify(input.path));
  }
  std::size_t const input_count = seen.size();
  for (NamedPath const& output : outputs) {
    if (output.path.empty()) continue;
    std::error_code error;
    CIE_EXPECTS(!fs::is_directory(output.path, error), "{} {} is a directory; name a file to write",
                output.setting, output.path);
    FileIdentity identity = identify(output.path);
    for (std::size_t i = 0; i < seen.size(); ++i) {
      NamedPath const& other = *seen[i].first;
      CIE_EXPECTS(!same_file(identity, seen[i].second),
                  "{} {} is the same file as {} {}, which this run {}; cie never writes over a "
                  "file it reads or writes twice",
                  output.setting, output.path, other.setting, other.path,
                  i < input_count ? "reads" : "also writes");
    }
    seen.emplace_back(&output, std::move(identity));
  }
}

}  // namespace cie
