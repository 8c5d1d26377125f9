#include "host/io/input_text.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <zlib.h>

#include "core/error.hpp"

namespace cie {

bool is_gzip(std::string_view bytes) noexcept {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string gunzip(std::string_view bytes, std::string const& source) {
  std::string out;
  z_stream stream{};
  // 16 + MAX_WBITS: gzip wrapper only.
  CIE_EXPECTS(inflateInit2(&stream, 16 + MAX_WBITS) == Z_OK, "{}: cannot start zlib", source);
  constexpr std::size_t kStep = std::size_t{1} << 20;
  auto const* next = reinterpret_cast<Bytef const*>(bytes.data());
  std::size_t left = bytes.size();
  int status = Z_OK;
  while (true) {
    if (stream.avail_in == 0 && left > 0) {
      std::size_t const take = std::min<std::size_t>(left, std::numeric_limits<uInt>::max());
      stream.next_in = const_cast<Bytef*>(next);
      stream.avail_in = static_cast<uInt>(take);
      next += take;
      left -= take;
    }
    std::size_t const used = out.size();
    out.resize(used + kStep);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    stream.avail_out = static_cast<uInt>(kStep);
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(used + (kStep - stream.avail_out));
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0 && left == 0) break;
      inflateReset(&stream);  // another gzip member follows
      continue;
    }
    if (status != Z_OK && status != Z_BUF_ERROR) break;
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && left == 0) break;  // truncated
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) {
    fail(ExitCode::kInputData, "{}: the gzip data is {} ({})", source,
         status == Z_BUF_ERROR ? "truncated" : "corrupt",
         stream.msg != nullptr ? stream.msg : "zlib");
  }
  return out;
}

std::string read_standard_input() {
  std::string text;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) text.append(buffer, got);
  if (std::ferror(stdin)) {
    fail(ExitCode::kUsage, "cannot read standard input: {}", std::strerror(errno));
  }
  return text;
}

}  // namespace cie
