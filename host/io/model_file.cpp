#include "host/io/model_file.hpp"

#include "core/atomic_file.hpp"
#include "core/text_file.hpp"

namespace cie {

void write_model_file(std::string const& path, ModelDocument const& document) {
  write_file_atomically(path, model_file_text(document));
}

ModelDocument read_model_file(std::string const& path, std::string_view expected_kind) {
  return parse_model_file(read_text_file(path), path, expected_kind);
}

}  // namespace cie
