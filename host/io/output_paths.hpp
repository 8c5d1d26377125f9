// Outputs never replace inputs: every command checks, before it reads anything, that no file it
// will write is one it reads or another it writes.
#pragma once

#include <string>
#include <vector>

namespace cie {

/// A file a command reads or writes, and the option or key that names it (for messages).
struct NamedPath {
  std::string path;
  std::string setting;  ///< e.g. "--out", "[inputs] transactions"
};

/// A usage error (exit code 2) naming both settings when an output is the same file as an input
/// or as another output: the same path once made absolute and normalized, or, when both exist,
/// the same device and inode (hard links, symbolic links, "./x" against "x"). Also refuses an
/// output that is an existing directory. Empty paths (options not given) are ignored.
void check_output_paths(std::vector<NamedPath> const& inputs,
                        std::vector<NamedPath> const& outputs);

}  // namespace cie
