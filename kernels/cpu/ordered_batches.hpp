// The CPU twins' pass mechanism (internal to kernels/cpu): batches of rows reduced in parallel,
// each into its own partial statistics, then folded in batch order. Batches are fixed by the row
// count alone, so a pass gives the same bits whatever the thread count or the schedule.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cie::kernels::cpu_impl {

/// Reduces batches 0 .. batch_count - 1 on `threads` threads, each into its own `stride` doubles
/// with reduce(batch, partial, scratch) (one scratch per thread, from make_scratch(); reduce
/// sets every value of its partial), then hands the partials to fold(partial) in batch order.
/// Batches go in waves so the partials take at most ~64 MiB; the fold order, and so the
/// result, depends on neither the wave size nor the thread count.
template <typename MakeScratch, typename Reduce, typename Fold>
void reduce_batches_in_order(int threads, std::int64_t batch_count, std::size_t stride,
                             MakeScratch&& make_scratch, Reduce&& reduce, Fold&& fold) {
  if (batch_count <= 0) return;
  std::int64_t const wave = std::clamp<std::int64_t>(
      static_cast<std::int64_t>((std::size_t{64} << 20) / (stride * sizeof(double))), 1,
      batch_count);
  std::vector<double> partials(static_cast<std::size_t>(wave) * stride);
  for (std::int64_t first = 0; first < batch_count; first += wave) {
    std::int64_t const last = std::min(batch_count, first + wave);
#pragma omp parallel num_threads(threads)
    {
      auto scratch = make_scratch();
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t batch = first; batch < last; ++batch) {
        reduce(batch, partials.data() + (batch - first) * stride, scratch);
      }
    }
    for (std::int64_t batch = first; batch < last; ++batch) {
      fold(partials.data() + (batch - first) * stride);
    }
  }
}

}  // namespace cie::kernels::cpu_impl
