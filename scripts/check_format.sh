#!/usr/bin/env bash
# Fails when a tracked C++/CUDA file differs from what clang-format (.clang-format: Google style,
# 100 columns) makes of it, naming the files. Fix with: clang-format -i FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
formatter="$(command -v clang-format-14 || command -v clang-format)"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h' 2>/dev/null ||
  find core kernels models datasets host tests bench -name '*.[ch]pp' -o -name '*.cu')
bad=()
for f in "${files[@]}"; do
  "$formatter" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'format: not clang-formatted (run clang-format -i on it): %s\n' "${bad[@]}"
  exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
