// The backend dispatch of kernels/kmeans.hpp: CPU views, one CUDA device copy, or CUDA chunks
// streamed through (kernels/kmeans_chunked.hpp) when the data do not fit on the device.
#include "kernels/kmeans.hpp"

#include <algorithm>

#include "core/units.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/kmeans_chunked.hpp"

namespace cie::kernels {
namespace {

/// Share of the device's free memory a k-means fit may use; the rest is left for the CUDA
/// context, cuBLAS and other processes (as BatchPlanOptions::device_fraction).
constexpr double kDeviceFraction = 0.8;

KMeansWorkspaceFactory backend_factory(Context const& ctx, int cols) {
  return [&ctx, cols](float const* x, std::int64_t ld, std::int64_t rows,
                      std::span<float const> weight) {
    return ctx.is_cuda() ? cuda_impl::make_kmeans_workspace(ctx, x, ld, rows, cols, weight)
                         : cpu_impl::make_kmeans_workspace(ctx, x, ld, rows, cols, weight);
  };
}

}  // namespace

std::unique_ptr<KMeansWorkspace> make_chunked_kmeans_workspace(Context const& ctx, float const* x,
                                                               std::int64_t rows, int cols,
                                                               std::span<float const> sample_weight,
                                                               KMeansChunking chunking) {
  return make_chunked_kmeans_workspace(backend_factory(ctx, cols), x, rows, cols, sample_weight,
                                       chunking);
}

std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight) {
  if (!ctx.is_cuda()) {
    return cpu_impl::make_kmeans_workspace(ctx, x, rows, rows, cols, sample_weight);
  }
  std::size_t const free_bytes = cuda_memory_info(ctx.device_ordinal()).free_bytes;
  auto const usable = static_cast<std::size_t>(static_cast<double>(free_bytes) * kDeviceFraction);
  KMeansChunking const chunking = plan_kmeans_chunks(rows, cols, usable);
  if (chunking.chunk_rows >= rows) {
    return cuda_impl::make_kmeans_workspace(ctx, x, rows, rows, cols, sample_weight);
  }
  std::int64_t const chunks = (rows + chunking.chunk_rows - 1) / chunking.chunk_rows;
  std::int64_t const resident = std::min(chunking.resident_chunks, chunks);
  ctx.logger().info(
      "k-means: {} rows x {} features do not fit in one piece in {:.0f}% of the GPU's {} free; "
      "{} of {} chunks of {} rows stay on the GPU{}",
      format_count(static_cast<std::uint64_t>(rows)), cols, kDeviceFraction * 100,
      format_bytes(free_bytes), resident, chunks,
      format_count(static_cast<std::uint64_t>(chunking.chunk_rows)),
      resident < chunks ? ", the others stream through at every pass" : "");
  return make_chunked_kmeans_workspace(ctx, x, rows, cols, sample_weight, chunking);
}

}  // namespace cie::kernels
