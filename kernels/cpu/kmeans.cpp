// CPU twin of kernels/kmeans.hpp (OpenMP).
//
// Rows are taken in blocks of kKMeansBlockRows: kernels/cpu/kmeans_tiles.cpp finds the nearest
// centroid of every row of the block (SIMD, register-blocked, bit-identical to the shared rule),
// then adds the block's rows to kSumLanes interleaved copies of the per-cluster statistics,
// folded in copy order at the end of each batch. Every statistic is thus a fixed function of its
// batch, whatever the thread count.
#include "kernels/kmeans.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/error.hpp"
#include "kernels/cpu/kmeans_tiles.hpp"
#include "kernels/cpu/ordered_batches.hpp"
#include "kernels/kmeans_rules.hpp"

namespace cie::kernels::cpu_impl {
namespace {

/// Rows per block: their labels, distances and features stay in L1 between the two steps.
constexpr int kKMeansBlockRows = 256;
static_assert(kKMeansBatchRows % kKMeansBlockRows == 0 && kKMeansBlockRows % kSumLanes == 0);

class CpuKMeansWorkspace final : public KMeansWorkspace {
 public:
  CpuKMeansWorkspace(Context const& ctx, int cols) : threads_(ctx.threads()), cols_(cols) {}

  [[nodiscard]] std::int64_t rows() const noexcept override { return rows_; }
  [[nodiscard]] int cols() const noexcept override { return cols_; }

  void bind(float const* x, std::int64_t ld, std::int64_t rows,
            std::span<float const> sample_weight) override {
    CIE_ASSERT(rows > 0 && ld >= rows);
    CIE_ASSERT(sample_weight.empty() || sample_weight.size() == static_cast<std::size_t>(rows));
    x_ = x;
    ld_ = ld;
    rows_ = rows;
    weight_ = sample_weight;
    closest_.clear();
  }

  void add_lloyd_pass(std::span<float const> centroids, int k, std::span<std::int32_t> labels,
                      KMeansPassStats& stats) override {
    CIE_ASSERT(centroids.size() == static_cast<std::size_t>(k) * cols_);
    CIE_ASSERT(labels.empty() || labels.size() == static_cast<std::size_t>(rows_));
    std::size_t const sums_size = static_cast<std::size_t>(k) * cols_;
    std::size_t const stride = sums_size + k + 1;  // sums, weights, inertia
    CIE_ASSERT(stats.sums.size() == sums_size &&
               stats.weights.size() == static_cast<std::size_t>(k));
    for_each_batch_in_order(
        stride,
        [&](std::int64_t batch, double* partial, Scratch& scratch) {
          reduce_batch(batch, centroids.data(), k, partial, labels, scratch);
        },
        [&](double const* partial) {
          for (std::size_t i = 0; i < sums_size; ++i) stats.sums[i] += partial[i];
          for (int c = 0; c < k; ++c) stats.weights[c] += partial[sums_size + c];
          stats.inertia += partial[stride - 1];
        });
  }

  std::vector<std::int64_t> hartigan_candidates(std::span<float const> centroids, int k,
                                                std::span<double const> cluster_weights,
                                                std::span<std::int32_t const> labels) override {
    CIE_ASSERT(centroids.size() == static_cast<std::size_t>(k) * cols_);
    CIE_ASSERT(cluster_weights.size() == static_cast<std::size_t>(k));
    CIE_ASSERT(labels.size() == static_cast<std::size_t>(rows_));
    // Per row a flag, then one ordered scan: the list does not depend on the thread count.
    std::vector<std::uint8_t> flagged(static_cast<std::size_t>(rows_), 0);
    double const min_weight = *std::min_element(cluster_weights.begin(), cluster_weights.end());
    for_each_block([&](std::int64_t r0, int count, Scratch& scratch) {
      // distances[c * kKMeansBlockRows + r]: the SIMD tile rule against one centroid at a time.
      scratch.distances.resize(static_cast<std::size_t>(k) * kKMeansBlockRows);
      for (int c = 0; c < k; ++c) {
        nearest_points(x_, ld_, r0, count, centroids.data() + static_cast<std::size_t>(c) * cols_,
                       1, cols_,
                       scratch.distances.data() + static_cast<std::size_t>(c) * kKMeansBlockRows,
                       scratch.label.data());
      }
      // min_other[r]: the least distance to a centroid other than the row's own (cluster by
      // cluster, so the loop over rows vectorizes).
      float* __restrict const min_other = scratch.best.data();
      std::int32_t const* __restrict const own = labels.data() + r0;
      constexpr float kInfinity = std::numeric_limits<float>::infinity();
      std::fill_n(min_other, count, kInfinity);
      for (int c = 0; c < k; ++c) {
        float const* __restrict const to_c =
            scratch.distances.data() + static_cast<std::size_t>(c) * kKMeansBlockRows;
        for (int r = 0; r < count; ++r) {
          float const distance = to_c[r];  // loaded unconditionally, so the loop vectorizes
          float const other = own[r] == c ? kInfinity : distance;
          min_other[r] = other < min_other[r] ? other : min_other[r];
        }
      }
      for (int r = 0; r < count; ++r) {
        auto const distance = [&](int c) { return scratch.distances[c * kKMeansBlockRows + r]; };
        // The filter rejects only rows the full rule would reject (see hartigan_may_move).
        flagged[r0 + r] =
            hartigan_may_move(weight(r0 + r), cluster_weights[own[r]], distance(own[r]), min_weight,
                              min_other[r]) &&
            hartigan_target(weight(r0 + r), own[r], cluster_weights.data(), k, distance) >= 0;
      }
    });
    std::vector<std::int64_t> candidates;
    for (std::int64_t i = 0; i < rows_; ++i) {
      if (flagged[i] != 0) candidates.push_back(i);
    }
    return candidates;
  }

  void nearest_distances(std::span<float const> centroids, int k,
                         std::span<float> distances) override {
    CIE_ASSERT(distances.size() == static_cast<std::size_t>(rows_));
    for_each_block([&](std::int64_t r0, int count, Scratch& scratch) {
      nearest_points(x_, ld_, r0, count, centroids.data(), k, cols_, distances.data() + r0,
                     scratch.label.data());
    });
  }

  void reset_closest() override { closest_.assign(static_cast<std::size_t>(rows_), 1.0f); }

  void update_closest(std::span<float const> points, int m, bool replace) override {
    closest_.resize(static_cast<std::size_t>(rows_));
    for_each_block([&](std::int64_t r0, int count, Scratch& scratch) {
      nearest_points(x_, ld_, r0, count, points.data(), m, cols_, scratch.best.data(),
                     scratch.label.data());
      for (int r = 0; r < count; ++r) {
        float const distance = scratch.best[r];
        float& closest = closest_[r0 + r];
        closest = replace || is_closer(distance, closest) ? distance : closest;
      }
    });
  }

  void get_closest(std::span<float> closest) override {
    CIE_ASSERT(closest.size() == closest_.size());
    std::copy(closest_.begin(), closest_.end(), closest.begin());
  }

  void set_closest(std::span<float const> closest) override {
    CIE_ASSERT(closest.size() == static_cast<std::size_t>(rows_));
    closest_.assign(closest.begin(), closest.end());
  }

  void add_candidate_potentials(std::span<float const> candidates, int m,
                                std::span<double> potentials) override {
    CIE_ASSERT(potentials.size() == static_cast<std::size_t>(m));
    for_each_batch_in_order(
        static_cast<std::size_t>(m),
        [&](std::int64_t batch, double* partial, Scratch& scratch) {
          std::fill_n(partial, m, 0.0);
          auto [begin, end] = batch_range(batch);
          for (std::int64_t r0 = begin; r0 < end; r0 += kKMeansBlockRows) {
            int const count = static_cast<int>(std::min<std::int64_t>(kKMeansBlockRows, end - r0));
            for (int c = 0; c < m; ++c) {
              float const* candidate = candidates.data() + static_cast<std::size_t>(c) * cols_;
              nearest_points(x_, ld_, r0, count, candidate, 1, cols_, scratch.best.data(),
                             scratch.label.data());
              for (int r = 0; r < count; ++r) {
                float const closest = closest_[r0 + r];
                float const to_candidate = scratch.best[r];
                float const distance = is_closer(to_candidate, closest) ? to_candidate : closest;
                partial[c] += sampling_potential(weight(r0 + r), distance);
              }
            }
          }
        },
        [&](double const* partial) {
          for (int c = 0; c < m; ++c) potentials[c] += partial[c];
        });
  }

  std::vector<double> batch_potentials() override {
    std::int64_t const batch_count = batches();
    std::vector<double> potentials(static_cast<std::size_t>(batch_count));
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (std::int64_t batch = 0; batch < batch_count; ++batch) {
      auto [begin, end] = batch_range(batch);
      double sum = 0.0;
      for (std::int64_t i = begin; i < end; ++i) sum += sampling_potential(weight(i), closest_[i]);
      potentials[batch] = sum;
    }
    return potentials;
  }

  std::vector<double> row_potentials(std::int64_t batch) override {
    auto [begin, end] = batch_range(batch);
    std::vector<double> potentials;
    potentials.reserve(static_cast<std::size_t>(end - begin));
    for (std::int64_t i = begin; i < end; ++i) {
      potentials.push_back(sampling_potential(weight(i), closest_[i]));
    }
    return potentials;
  }

  std::vector<float> gather_rows(std::span<std::int64_t const> rows) override {
    return gather_column_major_rows(x_, ld_, cols_, rows);
  }

 private:
  /// Per-thread buffers for one block of rows, and the interleaved statistics of a Lloyd pass.
  struct Scratch {
    std::vector<float> best = std::vector<float>(kKMeansBlockRows);
    std::vector<std::int32_t> label = std::vector<std::int32_t>(kKMeansBlockRows);
    std::vector<double> lanes;
    std::vector<float> distances;  ///< Hartigan pass: k × kKMeansBlockRows
  };

  [[nodiscard]] float weight(std::int64_t row) const {
    return weight_.empty() ? 1.0f : weight_[static_cast<std::size_t>(row)];
  }

  [[nodiscard]] std::pair<std::int64_t, std::int64_t> batch_range(std::int64_t batch) const {
    std::int64_t const begin = batch * kKMeansBatchRows;
    return {begin, std::min(rows_, begin + kKMeansBatchRows)};
  }

  /// Runs `body(r0, count, scratch)` on every block of rows, in parallel; the blocks are
  /// independent (each writes only its own rows).
  template <typename Body>
  void for_each_block(Body&& body) {
    std::int64_t const blocks = (rows_ + kKMeansBlockRows - 1) / kKMeansBlockRows;
#pragma omp parallel num_threads(threads_)
    {
      Scratch scratch;
#pragma omp for schedule(static)
      for (std::int64_t b = 0; b < blocks; ++b) {
        std::int64_t const r0 = b * kKMeansBlockRows;
        body(r0, static_cast<int>(std::min<std::int64_t>(kKMeansBlockRows, rows_ - r0)), scratch);
      }
    }
  }

  /// reduce_batches_in_order over this workspace's batches, with one Scratch per thread.
  template <typename Reduce, typename Fold>
  void for_each_batch_in_order(std::size_t stride, Reduce&& reduce, Fold&& fold) {
    reduce_batches_in_order(
        threads_, batches(), stride, [] { return Scratch{}; }, reduce, fold);
  }

  /// One batch of a Lloyd pass: labels, then the rows' statistics into the kSumLanes
  /// interleaved copies, folded in copy order into `partial` (sums k × cols, weights, inertia).
  void reduce_batch(std::int64_t batch, float const* centroids, int k, double* partial,
                    std::span<std::int32_t> labels, Scratch& scratch) const {
    int const padded = padded_cols(cols_);
    std::size_t const lane_stride = sum_lane_stride(k, cols_);
    scratch.lanes.assign(kSumLanes * lane_stride, 0.0);
    auto [begin, end] = batch_range(batch);
    for (std::int64_t r0 = begin; r0 < end; r0 += kKMeansBlockRows) {
      int const count = static_cast<int>(std::min<std::int64_t>(kKMeansBlockRows, end - r0));
      nearest_points(x_, ld_, r0, count, centroids, k, cols_, scratch.best.data(),
                     scratch.label.data());
      accumulate_rows(x_, ld_, r0, count, cols_, k, scratch.label.data(), scratch.best.data(),
                      weight_.empty() ? nullptr : weight_.data() + r0, scratch.lanes.data());
      if (!labels.empty()) std::copy_n(scratch.label.data(), count, labels.data() + r0);
    }
    std::size_t const sums_size = static_cast<std::size_t>(k) * cols_;
    std::fill_n(partial, sums_size + k + 1, 0.0);
    for (int copy = 0; copy < kSumLanes; ++copy) {
      double const* lane = scratch.lanes.data() + copy * lane_stride;
      for (int c = 0; c < k; ++c) {
        for (int j = 0; j < cols_; ++j) {
          partial[static_cast<std::size_t>(c) * cols_ + j] +=
              lane[static_cast<std::size_t>(c) * padded + j];
        }
        partial[sums_size + c] += lane[static_cast<std::size_t>(k) * padded + c];
      }
      partial[sums_size + k] += lane[lane_stride - 1];
    }
  }

  int threads_;
  int cols_;
  float const* x_ = nullptr;
  std::int64_t ld_ = 0;  ///< leading dimension of x_: feature j of row i at x_[j * ld_ + i]
  std::int64_t rows_ = 0;
  std::span<float const> weight_;
  std::vector<float> closest_;
};

}  // namespace

std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const& ctx, float const* x,
                                                       std::int64_t ld, std::int64_t rows, int cols,
                                                       std::span<float const> sample_weight) {
  CIE_ASSERT(cols > 0);
  auto workspace = std::make_unique<CpuKMeansWorkspace>(ctx, cols);
  workspace->bind(x, ld, rows, sample_weight);
  return workspace;
}

}  // namespace cie::kernels::cpu_impl
