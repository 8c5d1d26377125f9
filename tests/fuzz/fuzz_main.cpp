// libFuzzer entry point of one target, chosen at compile time (CIE_FUZZ_TARGET, a name of
// tests/fuzz/fuzz_targets.hpp). Built only by scripts/fuzz.sh (clang -fsanitize=fuzzer).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  cie::fuzz::CIE_FUZZ_TARGET(data, size);
  return 0;
}
