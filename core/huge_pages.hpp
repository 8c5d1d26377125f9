// An allocator for large arrays read at random (a GBDT fit's binned matrix, its row-major copy,
// the gradient pairs and row lists: hundreds of MB at 10M rows, gathered row by row).
//
// With 4 KiB pages such a gather misses the TLB on nearly every row (2,048 second-level TLB
// entries cover 8 MiB), and each miss is a page walk. A block of at least kHugePageBytes is
// therefore allocated aligned to kHugePageBytes and, on Linux, marked MADV_HUGEPAGE before its
// first use, so the kernel backs it with 2 MiB pages where transparent huge pages are enabled
// ("always" or "madvise"; with "never" the advice is ignored). Smaller blocks come from
// std::allocator. The contents and their order are unaffected: only the page size changes.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cie {

/// Blocks of at least this many bytes are aligned to it and advised to use huge pages.
inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

template <class T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  explicit HugePageAllocator(HugePageAllocator<U> const& /*other*/) noexcept {}

  [[nodiscard]] T* allocate(std::size_t n) {
    std::size_t const bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return std::allocator<T>{}.allocate(n);
    std::size_t const rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    void* const block = std::aligned_alloc(kHugePageBytes, rounded);
    if (block == nullptr) throw std::bad_alloc();
#if defined(__linux__)
    madvise(block, rounded, MADV_HUGEPAGE);  // advice only: its failure changes nothing else
#endif
    return static_cast<T*>(block);
  }

  void deallocate(T* block, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugePageBytes) {
      std::allocator<T>{}.deallocate(block, n);
    } else {
      std::free(block);
    }
  }

  template <class U>
  bool operator==(HugePageAllocator<U> const& /*other*/) const noexcept {
    return true;
  }
};

/// A std::vector whose large buffers use huge pages (HugePageAllocator).
template <class T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace cie
