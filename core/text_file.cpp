#include "core/text_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace cie {

std::string read_text_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ExitCode::kUsage, "cannot read {}: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(ExitCode::kUsage, "cannot read {}: {}", path, std::strerror(errno));
  return std::move(text).str();
}

}  // namespace cie
