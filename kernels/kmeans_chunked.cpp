// Chunked k-means workspaces and their planning; see kernels/kmeans_chunked.hpp.
#include "kernels/kmeans_chunked.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"

namespace cie::kernels {
namespace {

template <typename T>
std::span<T> chunk_part(std::span<T> whole, std::int64_t begin, std::int64_t rows) {
  if (whole.empty()) return whole;
  return whole.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(rows));
}

class ChunkedKMeansWorkspace final : public KMeansWorkspace {
 public:
  ChunkedKMeansWorkspace(KMeansWorkspaceFactory make, int cols, KMeansChunking chunking)
      : make_(std::move(make)), cols_(cols), chunking_(chunking) {
    CIE_EXPECTS(chunking.chunk_rows > 0 && chunking.chunk_rows % kKMeansBatchRows == 0,
                "k-means chunk rows must be a positive multiple of {}, got {}", kKMeansBatchRows,
                chunking.chunk_rows);
    CIE_EXPECTS(chunking.resident_chunks >= 0, "k-means resident chunks must be >= 0, got {}",
                chunking.resident_chunks);
  }

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
    chunks_ = (rows + chunking_.chunk_rows - 1) / chunking_.chunk_rows;
    std::int64_t const resident = std::min(chunking_.resident_chunks, chunks_);
    resident_.clear();
    streaming_.reset();
    for (std::int64_t c = 0; c < resident; ++c) resident_.push_back(make_for(c));
    if (resident < chunks_) {
      streaming_ = make_for(resident);
      streaming_chunk_ = resident;
    }
    first_streamed_row_ = begin(resident);
    host_closest_.clear();
    closest_loaded_ = false;
  }

  void add_lloyd_pass(std::span<float const> centroids, int k, std::span<std::int32_t> labels,
                      KMeansPassStats& stats) override {
    for (std::int64_t c = 0; c < chunks_; ++c) {
      visit(c, false).add_lloyd_pass(centroids, k, part(labels, c), stats);
    }
  }

  std::vector<std::int64_t> hartigan_candidates(std::span<float const> centroids, int k,
                                                std::span<double const> cluster_weights,
                                                std::span<std::int32_t const> labels) override {
    std::vector<std::int64_t> candidates;
    for (std::int64_t c = 0; c < chunks_; ++c) {
      for (std::int64_t row :
           visit(c, false).hartigan_candidates(centroids, k, cluster_weights, part(labels, c))) {
        candidates.push_back(begin(c) + row);
      }
    }
    return candidates;
  }

  void nearest_distances(std::span<float const> centroids, int k,
                         std::span<float> distances) override {
    CIE_ASSERT(distances.size() == static_cast<std::size_t>(rows_));
    for (std::int64_t c = 0; c < chunks_; ++c) {
      visit(c, false).nearest_distances(centroids, k, part(distances, c));
    }
  }

  void reset_closest() override {
    for (auto& workspace : resident_) workspace->reset_closest();
    host_closest_.assign(static_cast<std::size_t>(rows_ - first_streamed_row_), 1.0f);
    closest_loaded_ = false;
  }

  void update_closest(std::span<float const> points, int m, bool replace) override {
    host_closest_.resize(static_cast<std::size_t>(rows_ - first_streamed_row_));
    for (std::int64_t c = 0; c < chunks_; ++c) {
      KMeansWorkspace& workspace = visit(c, !replace);
      workspace.update_closest(points, m, replace);
      if (is_streamed(c)) {
        workspace.get_closest(streamed_closest(c));
        closest_loaded_ = true;
      }
    }
  }

  void get_closest(std::span<float> closest) override {
    CIE_ASSERT(closest.size() == static_cast<std::size_t>(rows_));
    for (std::int64_t c = 0; c < chunks_; ++c) {
      if (is_streamed(c)) {
        std::span<float const> const held = streamed_closest(c);
        std::copy(held.begin(), held.end(), part(closest, c).begin());
      } else {
        resident_[static_cast<std::size_t>(c)]->get_closest(part(closest, c));
      }
    }
  }

  void set_closest(std::span<float const> closest) override {
    CIE_ASSERT(closest.size() == static_cast<std::size_t>(rows_));
    host_closest_.assign(closest.begin() + first_streamed_row_, closest.end());
    for (std::int64_t c = 0; c < chunks_ && !is_streamed(c); ++c) {
      resident_[static_cast<std::size_t>(c)]->set_closest(part(closest, c));
    }
    closest_loaded_ = false;
  }

  void add_candidate_potentials(std::span<float const> candidates, int m,
                                std::span<double> potentials) override {
    for (std::int64_t c = 0; c < chunks_; ++c) {
      visit(c, true).add_candidate_potentials(candidates, m, potentials);
    }
  }

  // A streamed chunk's potentials need only its closest column and weights, both on the host:
  // they are summed here, as the twins do (per row sampling_potential, each batch in row order),
  // instead of copying the chunk to the device for them.

  std::vector<double> batch_potentials() override {
    check_streamed_closest();
    std::vector<double> potentials;
    potentials.reserve(static_cast<std::size_t>(batches()));
    for (std::int64_t c = 0; c < chunks_; ++c) {
      if (!is_streamed(c)) {
        std::vector<double> const chunk =
            resident_[static_cast<std::size_t>(c)]->batch_potentials();
        potentials.insert(potentials.end(), chunk.begin(), chunk.end());
        continue;
      }
      for (std::int64_t b0 = begin(c); b0 < begin(c) + rows_of(c); b0 += kKMeansBatchRows) {
        double sum = 0.0;
        for (std::int64_t i = b0; i < std::min(rows_, b0 + kKMeansBatchRows); ++i) {
          sum += streamed_potential(i);
        }
        potentials.push_back(sum);
      }
    }
    return potentials;
  }

  std::vector<double> row_potentials(std::int64_t batch) override {
    std::int64_t const batches_per_chunk = chunking_.chunk_rows / kKMeansBatchRows;
    std::int64_t const c = batch / batches_per_chunk;
    if (!is_streamed(c)) {
      return resident_[static_cast<std::size_t>(c)]->row_potentials(batch - c * batches_per_chunk);
    }
    check_streamed_closest();
    std::vector<double> potentials;
    for (std::int64_t i = batch * kKMeansBatchRows;
         i < std::min(rows_, (batch + 1) * kKMeansBatchRows); ++i) {
      potentials.push_back(streamed_potential(i));
    }
    return potentials;
  }

  std::vector<float> gather_rows(std::span<std::int64_t const> rows) override {
    return gather_column_major_rows(x_, ld_, cols_, rows);
  }

 private:
  [[nodiscard]] std::int64_t begin(std::int64_t chunk) const {
    return std::min(rows_, chunk * chunking_.chunk_rows);
  }
  [[nodiscard]] std::int64_t rows_of(std::int64_t chunk) const {
    return std::min(rows_, begin(chunk) + chunking_.chunk_rows) - begin(chunk);
  }
  [[nodiscard]] bool is_streamed(std::int64_t chunk) const {
    return chunk >= static_cast<std::int64_t>(resident_.size());
  }
  template <typename T>
  [[nodiscard]] std::span<T> part(std::span<T> whole, std::int64_t chunk) const {
    return chunk_part(whole, begin(chunk), rows_of(chunk));
  }
  [[nodiscard]] std::span<float> streamed_closest(std::int64_t chunk) {
    return chunk_part(std::span<float>(host_closest_), begin(chunk) - first_streamed_row_,
                      rows_of(chunk));
  }

  /// The closest column must have been reset or updated before potentials are asked for.
  void check_streamed_closest() const {
    CIE_ASSERT(host_closest_.size() == static_cast<std::size_t>(rows_ - first_streamed_row_));
  }

  [[nodiscard]] double streamed_potential(std::int64_t row) const {
    float const weight = weight_.empty() ? 1.0f : weight_[static_cast<std::size_t>(row)];
    auto const at = static_cast<std::size_t>(row - first_streamed_row_);
    return sampling_potential(weight, host_closest_[at]);
  }

  std::unique_ptr<KMeansWorkspace> make_for(std::int64_t chunk) const {
    return make_(x_ + begin(chunk), ld_, rows_of(chunk), part(weight_, chunk));
  }

  /// The workspace holding `chunk`: its own when resident, else the streaming one, bound to the
  /// chunk (a copy to the device) unless it holds it already, with the chunk's closest column
  /// loaded when `need_closest`.
  KMeansWorkspace& visit(std::int64_t chunk, bool need_closest) {
    if (!is_streamed(chunk)) return *resident_[static_cast<std::size_t>(chunk)];
    if (streaming_chunk_ != chunk) {
      streaming_chunk_ = -1;  // holds no chunk should the bind fail half-way
      closest_loaded_ = false;
      streaming_->bind(x_ + begin(chunk), ld_, rows_of(chunk), part(weight_, chunk));
      streaming_chunk_ = chunk;
    }
    if (need_closest && !closest_loaded_) {
      streaming_->set_closest(streamed_closest(chunk));
      closest_loaded_ = true;
    }
    return *streaming_;
  }

  KMeansWorkspaceFactory make_;
  int cols_;
  KMeansChunking chunking_;
  float const* x_ = nullptr;
  std::int64_t ld_ = 0;
  std::int64_t rows_ = 0;
  std::span<float const> weight_;
  std::int64_t chunks_ = 0;
  std::vector<std::unique_ptr<KMeansWorkspace>> resident_;  ///< chunk c < resident_.size()
  std::unique_ptr<KMeansWorkspace> streaming_;              ///< the other chunks, one at a time
  std::int64_t streaming_chunk_ = -1;                       ///< the chunk streaming_ holds
  std::int64_t first_streamed_row_ = 0;
  std::vector<float> host_closest_;  ///< closest of rows first_streamed_row_ .. rows_ - 1
  bool closest_loaded_ = false;      ///< streaming_ holds its chunk's current closest column
};

std::int64_t round_up_to_batches(std::int64_t rows) {
  return (rows + kKMeansBatchRows - 1) / kKMeansBatchRows * kKMeansBatchRows;
}

}  // namespace

KMeansChunking plan_kmeans_chunks(std::int64_t rows, int cols, std::size_t usable_bytes) {
  CIE_ASSERT(rows > 0 && cols > 0);
  std::size_t const held = kmeans_held_bytes_per_row(cols);
  std::size_t const row_bytes = held + kKMeansPassBytesPerRow;
  std::size_t const for_rows =
      usable_bytes > kKMeansPassFixedBytes ? usable_bytes - kKMeansPassFixedBytes : 0;
  auto const fitting = static_cast<std::int64_t>(for_rows / row_bytes);
  if (rows <= fitting) return {round_up_to_batches(rows), 1};
  std::int64_t const chunk_rows =
      std::min(kKMeansMaxChunkRows, fitting / 4 / kKMeansBatchRows * kKMeansBatchRows);
  if (chunk_rows < kKMeansBatchRows) {
    fail(ExitCode::kDevice,
         "k-means: {} of usable device memory cannot hold one batch of {} rows ({} bytes per "
         "row at {} features, {} in all, next to {} for one pass's buffers)",
         format_bytes(usable_bytes), format_count(kKMeansBatchRows), row_bytes, cols,
         format_bytes(static_cast<std::uint64_t>(kKMeansBatchRows) * row_bytes),
         format_bytes(kKMeansPassFixedBytes));
  }
  auto const slot_bytes = static_cast<std::size_t>(chunk_rows) * held;
  auto const pass_bytes = static_cast<std::size_t>(chunk_rows) * kKMeansPassBytesPerRow;
  auto const slots = static_cast<std::int64_t>((for_rows - pass_bytes) / slot_bytes);
  return {chunk_rows, slots - 1};  // one slot streams the chunks that are not resident
}

std::unique_ptr<KMeansWorkspace> make_chunked_kmeans_workspace(KMeansWorkspaceFactory make,
                                                               float const* x, std::int64_t rows,
                                                               int cols,
                                                               std::span<float const> sample_weight,
                                                               KMeansChunking chunking) {
  auto workspace = std::make_unique<ChunkedKMeansWorkspace>(std::move(make), cols, chunking);
  workspace->bind(x, rows, rows, sample_weight);
  return workspace;
}

}  // namespace cie::kernels
