#include "host/io/csv_table.hpp"

#include <algorithm>

#include "core/atomic_file.hpp"

namespace cie {

void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char ch : field) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}

void append_csv_field(fmt::memory_buffer& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field.data(), field.data() + field.size());
    return;
  }
  std::string quoted;
  append_csv_field(quoted, field);
  out.append(quoted.data(), quoted.data() + quoted.size());
}

void write_csv_table(Context const& ctx, std::string const& path,
                     std::span<CsvColumns const> schema, std::size_t rows) {
  AtomicFile file(path);
  std::string header;
  for (CsvColumns const& group : schema) {
    for (std::string const& name : group.names) {
      if (!header.empty()) header.push_back(',');
      append_csv_field(header, name);
    }
  }
  header.push_back('\n');
  file.write(header);
  constexpr std::size_t kBlockRows = 1 << 16;
  std::size_t const blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::size_t const batch = static_cast<std::size_t>(std::max(1, ctx.threads()));
  std::vector<fmt::memory_buffer> text(batch);
  for (std::size_t first_block = 0; first_block < blocks; first_block += batch) {
    std::size_t const count = std::min(batch, blocks - first_block);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static, 1)
    for (std::size_t b = 0; b < count; ++b) {
      fmt::memory_buffer& out = text[b];
      out.clear();
      std::size_t const begin = (first_block + b) * kBlockRows;
      std::size_t const end = std::min(rows, begin + kBlockRows);
      for (std::size_t row = begin; row < end; ++row) {
        for (std::size_t g = 0; g < schema.size(); ++g) {
          if (g > 0) out.push_back(',');
          schema[g].append(out, row);
        }
        out.push_back('\n');
      }
    }
    for (std::size_t b = 0; b < count; ++b) {
      file.write(std::string_view(text[b].data(), text[b].size()));
    }
  }
  file.commit();
}

}  // namespace cie
