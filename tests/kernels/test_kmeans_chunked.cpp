// Chunked k-means workspaces (kernels/kmeans_chunked.hpp): the plan's arithmetic, and every pass
// of a chunked workspace equal bit for bit to one workspace over all rows, for chunkings with
// every chunk streamed, some resident and all resident (the CUDA instantiation skips with the
// reason where no GPU is usable).
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "kernels/kmeans.hpp"
#include "kernels/kmeans_chunked.hpp"
#include "tests/kernels/kmeans_test_data.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGiB = std::size_t{1} << 30;

/// The device bytes a plan asks for: its slots' held bytes and one pass's needs.
std::size_t planned_bytes(KMeansChunking plan, int cols) {
  auto const chunk = static_cast<std::size_t>(plan.chunk_rows);
  return (static_cast<std::size_t>(plan.resident_chunks) + 1) * chunk *
             kmeans_held_bytes_per_row(cols) +
         chunk * kKMeansPassBytesPerRow + kKMeansPassFixedBytes;
}

TEST(KMeansChunkPlan, EverythingResidentWhenItFits) {
  KMeansChunking const plan = plan_kmeans_chunks(1000, 8, kGiB);
  EXPECT_EQ(plan.chunk_rows, kKMeansBatchRows);  // 1000 rows rounded up to one batch
  EXPECT_EQ(plan.resident_chunks, 1);
  // 10M × 8 needs 10M × 108 bytes next to 384 MiB for a pass: fits in 2 GiB, not in 1 GiB.
  EXPECT_GE(plan_kmeans_chunks(10'000'000, 8, 2 * kGiB).chunk_rows, 10'000'000);
  EXPECT_LT(plan_kmeans_chunks(10'000'000, 8, kGiB).chunk_rows, 10'000'000);
}

TEST(KMeansChunkPlan, LargeDataStreamsWhatDoesNotFit) {
  // 100M rows × 8 features (108 bytes per row in all) in 4 GiB less 384 MiB: 36.0M rows fit,
  // so chunks are the largest allowed (4,194,304 rows = 256 batches) and 13 slots fit next to
  // one pass: 12 resident chunks and the streaming one.
  KMeansChunking const plan = plan_kmeans_chunks(100'000'000, 8, 4 * kGiB);
  EXPECT_EQ(plan.chunk_rows, kKMeansMaxChunkRows);
  EXPECT_EQ(plan.resident_chunks, 12);
  EXPECT_LE(planned_bytes(plan, 8), 4 * kGiB);
  EXPECT_GT(planned_bytes({plan.chunk_rows, plan.resident_chunks + 1}, 8), 4 * kGiB);
}

TEST(KMeansChunkPlan, SmallDeviceTakesSmallerChunksOfWholeBatches) {
  // 8 MiB beside a pass's fixed needs: 77,672 rows of 108 bytes fit; a quarter of that rounds
  // down to one batch.
  KMeansChunking const plan = plan_kmeans_chunks(1'000'000, 8, kKMeansPassFixedBytes + 8 * kMiB);
  EXPECT_EQ(plan.chunk_rows, kKMeansBatchRows);
  EXPECT_EQ(plan.resident_chunks, 5);
  EXPECT_LE(planned_bytes(plan, 8), kKMeansPassFixedBytes + 8 * kMiB);
  // Wide rows: 64 features, 292 held bytes per row.
  KMeansChunking const wide = plan_kmeans_chunks(100'000'000, 64, 16 * kGiB);
  EXPECT_EQ(wide.chunk_rows % kKMeansBatchRows, 0);
  EXPECT_GT(wide.resident_chunks, 0);
  EXPECT_LE(planned_bytes(wide, 64), 16 * kGiB);
}

TEST(KMeansChunkPlan, DeviceTooSmallForOneBatchIsADeviceError) {
  for (std::size_t usable : {kKMeansPassFixedBytes + kMiB, 100 * kMiB}) {
    try {
      (void)plan_kmeans_chunks(1'000'000, 8, usable);
      FAIL() << "expected a device error for " << usable << " bytes";
    } catch (Error const& e) {
      EXPECT_EQ(e.code(), ExitCode::kDevice);
      EXPECT_NE(std::string(e.what()).find("cannot hold one batch of 16,384 rows"),
                std::string::npos)
          << e.what();
    }
  }
}

/// Runs the same sequence of passes on two workspaces over the same data and expects equal bits.
void expect_same_passes(KMeansWorkspace& one, KMeansWorkspace& chunked, RandomMatrix const& m) {
  ASSERT_EQ(chunked.rows(), m.rows);
  ASSERT_EQ(chunked.batches(), one.batches());
  std::size_t const rows = static_cast<std::size_t>(m.rows);

  std::vector<std::int32_t> labels_one(rows), labels_chunked(rows);
  KMeansPassStats const a = one.lloyd_pass(m.centroids, m.k, labels_one);
  KMeansPassStats const b = chunked.lloyd_pass(m.centroids, m.k, labels_chunked);
  EXPECT_EQ(a.sums, b.sums);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.inertia, b.inertia);
  EXPECT_EQ(labels_one, labels_chunked);
  // Onto running statistics: continuing a fold is what the chunks do to each other.
  KMeansPassStats again_one = a;
  KMeansPassStats again_chunked = a;
  one.add_lloyd_pass(m.centroids, m.k, {}, again_one);
  chunked.add_lloyd_pass(m.centroids, m.k, {}, again_chunked);
  EXPECT_EQ(again_one.sums, again_chunked.sums);
  EXPECT_EQ(again_one.inertia, again_chunked.inertia);

  // Hartigan candidates against other centroids, so that many rows would move.
  std::vector<float> shifted = m.centroids;
  for (float& v : shifted) v += 0.5f;
  std::vector<std::int64_t> const candidates =
      one.hartigan_candidates(shifted, m.k, a.weights, labels_one);
  EXPECT_FALSE(candidates.empty());
  EXPECT_EQ(candidates, chunked.hartigan_candidates(shifted, m.k, a.weights, labels_one));

  std::vector<float> distances_one(rows), distances_chunked(rows);
  one.nearest_distances(m.centroids, m.k, distances_one);
  chunked.nearest_distances(m.centroids, m.k, distances_chunked);
  EXPECT_EQ(distances_one, distances_chunked);

  // Seeding: the closest column must survive the streamed chunks' trips to the host.
  std::span<float const> first(m.centroids.data(), static_cast<std::size_t>(m.cols));
  std::span<float const> rest(m.centroids.data() + m.cols, static_cast<std::size_t>(2 * m.cols));
  for (KMeansWorkspace* w : {&one, &chunked}) w->reset_closest();
  EXPECT_EQ(one.batch_potentials(), chunked.batch_potentials());
  for (KMeansWorkspace* w : {&one, &chunked}) w->update_closest(first, 1, false);
  EXPECT_EQ(one.candidate_potentials(rest, 2), chunked.candidate_potentials(rest, 2));
  for (KMeansWorkspace* w : {&one, &chunked}) w->update_closest(rest, 2, false);
  EXPECT_EQ(one.batch_potentials(), chunked.batch_potentials());
  for (std::int64_t batch = 0; batch < one.batches(); ++batch) {
    ASSERT_EQ(one.row_potentials(batch), chunked.row_potentials(batch)) << "batch " << batch;
  }
  std::vector<float> closest_one(rows), closest_chunked(rows);
  one.get_closest(closest_one);
  chunked.get_closest(closest_chunked);
  EXPECT_EQ(closest_one, closest_chunked);
  for (KMeansWorkspace* w : {&one, &chunked}) w->update_closest(rest, 2, true);
  EXPECT_EQ(one.batch_potentials(), chunked.batch_potentials());
  // set_closest, then a pass that reads it.
  std::vector<float> ramp(rows);
  for (std::size_t i = 0; i < rows; ++i) ramp[i] = static_cast<float>(i % 97) * 0.25f;
  for (KMeansWorkspace* w : {&one, &chunked}) w->set_closest(ramp);
  EXPECT_EQ(one.candidate_potentials(first, 1), chunked.candidate_potentials(first, 1));
  chunked.get_closest(closest_chunked);
  EXPECT_EQ(closest_chunked, ramp);

  std::vector<std::int64_t> const picks = {0, m.rows - 1, kKMeansBatchRows, 17};
  EXPECT_EQ(one.gather_rows(picks), chunked.gather_rows(picks));
}

class KMeansChunkedBackends : public cie::testing::BackendTest {};

TEST_P(KMeansChunkedBackends, EveryPassEqualsOneWorkspaceBitForBit) {
  // 3 whole batches and a partial one. cols 5, k 6 takes the CUDA twin's fused kernel; cols 24,
  // k 40 its cuBLAS path. The CUDA emulation, where the cuBLAS path's per-cluster block sums are
  // the slowest part, takes 2 whole batches and a partial one with the fused kernel at cols 2,
  // k 3 (still every chunking's mix of resident and streamed chunks), and 1 and a partial one
  // with the cuBLAS path at k 29, the least k that does not fit the fused kernel at cols 24.
  struct Shape {
    std::int64_t batches;
    int cols;
    int k;
  };
  for (Shape const shape : {cie::testing::emulated_size(Shape{3, 5, 6}, Shape{2, 2, 3}),
                            cie::testing::emulated_size(Shape{3, 24, 40}, Shape{1, 24, 29})}) {
    std::int64_t const rows = shape.batches * kKMeansBatchRows + 1001;
    int const cols = shape.cols;
    int const k = shape.k;
    RandomMatrix const m = make_random_matrix(rows, cols, k, 91 + static_cast<std::uint64_t>(k));
    auto one = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, m.weight);
    for (KMeansChunking chunking :
         {KMeansChunking{kKMeansBatchRows, 0}, KMeansChunking{kKMeansBatchRows, 2},
          KMeansChunking{2 * kKMeansBatchRows, 1}, KMeansChunking{8 * kKMeansBatchRows, 1},
          KMeansChunking{kKMeansBatchRows, 10}}) {
      SCOPED_TRACE(::testing::Message()
                   << "cols " << cols << " k " << k << " chunk rows " << chunking.chunk_rows
                   << " resident " << chunking.resident_chunks);
      auto chunked =
          make_chunked_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, m.weight, chunking);
      expect_same_passes(*one, *chunked, m);
    }
  }
}

TEST_P(KMeansChunkedBackends, UnweightedRowsStreamToo) {
  RandomMatrix const m = make_random_matrix(2 * kKMeansBatchRows + 5, 3, 4, 7);
  auto one = make_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, {});
  auto chunked = make_chunked_kmeans_workspace(context(), m.x.data(), m.rows, m.cols, {},
                                               {kKMeansBatchRows, 0});
  KMeansPassStats const a = one->lloyd_pass(m.centroids, m.k, {});
  KMeansPassStats const b = chunked->lloyd_pass(m.centroids, m.k, {});
  EXPECT_EQ(a.sums, b.sums);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.inertia, b.inertia);
  double total = 0.0;
  for (double w : b.weights) total += w;
  EXPECT_EQ(total, static_cast<double>(m.rows));
}

INSTANTIATE_TEST_SUITE_P(KMeans, KMeansChunkedBackends,
                         ::testing::Values(Backend::kCpu, Backend::kCuda),
                         cie::testing::backend_name);

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels
