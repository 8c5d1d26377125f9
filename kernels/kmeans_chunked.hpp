// K-means data larger than the device: the rows stream through in chunks (ARCHITECTURE.md,
// "passes over customer batches").
//
// A chunked workspace is a KMeansWorkspace over all rows that runs every pass chunk by chunk, in
// row order, on inner workspaces of one backend. Chunks 0 .. resident_chunks - 1 each have their
// own inner workspace, bound once (on CUDA: copied to the device once); the other chunks share one
// more inner workspace that is bound again (copied again) at each visit, and their closest columns
// (the D² seeding state) wait on the host between visits. Chunks are whole kKMeansBatchRows
// batches and every pass is a function of its batches folded in batch order (kernels/kmeans.hpp),
// so the results equal those of one workspace over all rows bit for bit, whatever the chunking.
//
// Cost: each pass copies the streamed chunks to the device again, (rows - resident rows) ×
// (4·cols + 4) bytes over the host link, one chunk after the other; the copy of a chunk is not
// overlapped with the kernels of the previous one. Resident chunks cost nothing extra, so data
// just over the device's memory streams only the excess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "kernels/kmeans.hpp"

namespace cie::kernels {

/// Device bytes a CUDA workspace holds per row of its chunk: x and the weight (4·cols + 4), the
/// closest, distance, label and potential columns and the cuBLAS path's norms and distances (32).
[[nodiscard]] constexpr std::size_t kmeans_held_bytes_per_row(int cols) {
  return 4 * static_cast<std::size_t>(cols) + 36;
}
/// Device bytes the pass running at the time needs on top, per row of its chunk: the cuBLAS
/// path's sort keys, row order and sort scratch, or the Hartigan pass's flags and list.
inline constexpr std::size_t kKMeansPassBytesPerRow = 40;
/// Device bytes one pass needs whatever the rows: the cuBLAS path's dot-product tile (up to
/// 256 MiB), a wave of batch partials (up to 64 MiB) and room for cuBLAS's and the sort's scratch.
inline constexpr std::size_t kKMeansPassFixedBytes = std::size_t{384} << 20;
/// The largest chunk worth making: 4,194,304 rows (256 batches; 200 MiB of x at cols = 8).
inline constexpr std::int64_t kKMeansMaxChunkRows = std::int64_t{256} * kKMeansBatchRows;

/// How to hold `rows` rows of `cols` features in `usable_bytes` of device memory, of which
/// kKMeansPassFixedBytes are kept for one pass's buffers.
///  - Everything fits (rows × (held + pass bytes per row) <= the rest): one resident chunk of
///    all rows, rounded up to whole batches.
///  - Otherwise chunks of min(kKMeansMaxChunkRows, a quarter of what fits) rows, rounded down
///    to whole batches, and as many resident chunks as fit next to the one streaming slot and
///    one pass's needs.
/// A device error (exit 4) naming the memory when not even one batch fits.
KMeansChunking plan_kmeans_chunks(std::int64_t rows, int cols, std::size_t usable_bytes);

/// Makes an inner workspace bound to (x, ld, rows, sample_weight); see KMeansWorkspace::bind.
using KMeansWorkspaceFactory = std::function<std::unique_ptr<KMeansWorkspace>(
    float const* x, std::int64_t ld, std::int64_t rows, std::span<float const> sample_weight)>;

/// A workspace over column-major `x` (rows × cols, leading dimension rows) and `sample_weight`
/// that runs its passes chunk by chunk on workspaces from `make` (at most resident_chunks + 1 of
/// them), per `chunking` (chunk_rows a positive multiple of kKMeansBatchRows, resident_chunks
/// >= 0; otherwise a usage error). x and the weights must outlive it.
std::unique_ptr<KMeansWorkspace> make_chunked_kmeans_workspace(KMeansWorkspaceFactory make,
                                                               float const* x, std::int64_t rows,
                                                               int cols,
                                                               std::span<float const> sample_weight,
                                                               KMeansChunking chunking);

}  // namespace cie::kernels
