// K-means clustering (Lloyd, then optionally Hartigan refinement), deterministic: every pass
// reduces per-cluster sums in double in a fixed batch order, so the same data, params and
// backend give the same bits.
//
// Data: a FeatureMatrix, column-major float32 (one contiguous array per feature, as everywhere
// in cie). Centroids: row-major k × d float32 (centroid c, feature j at [c * d + j]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"

namespace cie {

namespace kernels {
class KMeansWorkspace;
}  // namespace kernels

enum class KMeansInit {
  kKMeansPlusPlus,  ///< k-means++ (greedy variant as scikit-learn: 2 + log k candidates per step)
  kKMeansParallel,  ///< k-means|| (Bahmani et al.): oversampled rounds, then weighted k-means++
  kRandom,          ///< k distinct rows chosen uniformly
  kGiven,           ///< KMeansParams::initial_centroids
};

enum class KMeansRefine {
  kNone,      ///< Lloyd iterations only (scikit-learn's and faiss's algorithm)
  kHartigan,  ///< then Hartigan single-row moves until none lowers the inertia
};

/// "k-means++", "k-means||" or "random"; otherwise a usage error naming `setting` (an option or a
/// config key).
KMeansInit parse_kmeans_init(std::string_view text, std::string_view setting);
/// The name parse_kmeans_init accepts for `init` ("given" for kGiven).
char const* kmeans_init_name(KMeansInit init);

/// "none" or "hartigan"; otherwise a usage error naming `setting` (an option or a config key).
KMeansRefine parse_kmeans_refine(std::string_view text, std::string_view setting);
/// The name parse_kmeans_refine accepts for `refine`.
char const* kmeans_refine_name(KMeansRefine refine);

struct KMeansParams {
  /// Upper bounds of n_init and max_iter: far past any useful value, so a typo cannot run for
  /// days.
  static constexpr int kMaxInit = 1000;
  static constexpr int kMaxIter = 1'000'000;

  /// Number of clusters k; 1 <= k <= rows.
  int n_clusters = 8;
  /// How the first centroids are chosen.
  KMeansInit init = KMeansInit::kKMeansPlusPlus;
  /// k-means||: points sampled per round = oversampling_factor × k; > 0.
  double oversampling_factor = 2.0;
  /// k-means||: sampling rounds; >= 1.
  int init_rounds = 5;
  /// Runs from different initializations, the lowest inertia kept. Run r draws from its own
  /// stream, kmeans_detail::run_seed(seed, r), so nearby seeds share no runs. >= 1;
  /// must be 1 with KMeansInit::kGiven.
  int n_init = 1;
  /// Lloyd iterations at most; >= 1.
  int max_iter = 300;
  /// Convergence: stop when the sum over centroids of the squared shift of the last iteration
  /// is <= tol × (mean over features of the feature variance), as scikit-learn defines it; >= 0.
  double tol = 1e-4;
  /// After Lloyd converges: kHartigan moves single rows while a move lowers the inertia (one
  /// parallel candidate pass per round, at most max_iter rounds, stopping on tol as Lloyd
  /// does; models/segments/kmeans_refine.hpp). It reaches lower inertia than Lloyd alone from the
  /// same start on overlapping data, at the cost of those passes; kNone reproduces plain Lloyd.
  KMeansRefine refine = KMeansRefine::kHartigan;
  /// Seed of every random choice.
  std::uint64_t seed = 42;
  /// For KMeansInit::kGiven: k × d row-major centroids.
  std::vector<float> initial_centroids;

  /// Throws a usage error naming the field and its allowed range (k > rows is rejected here).
  void validate(std::size_t rows, std::size_t cols) const;
};

struct KMeansResult {
  std::vector<float> centroids;  ///< k × d row-major
  std::vector<std::int32_t> labels;
  double inertia = 0.0;  ///< sum of (weighted) squared distances to the assigned centroid
  int iterations = 0;    ///< Lloyd iterations of the kept run
  /// Whether the kept run met tol before max_iter, and so did its refinement (or it ended on a
  /// pass that moved no row).
  bool converged = false;
  int refine_passes = 0;          ///< Hartigan candidate passes of the kept run
  std::int64_t refine_moves = 0;  ///< rows the kept run's refinement moved
  int best_init = 0;              ///< which of the n_init runs was kept
  int reseeded_clusters = 0;      ///< empty clusters re-seeded (farthest point) in the kept run
};

/// Fits k-means on ctx's device. `sample_weight` is empty (all 1) or one non-negative finite
/// weight per row, used in initialization, update and inertia: in Lloyd's passes an integer
/// weight w acts exactly as w copies of the row. Hartigan refinement moves a weighted row as a
/// unit where copies move one at a time, so on overlapping data the two may stop in different
/// partitions (KMeansRefine::kNone keeps them identical). NaN or Inf in `x` is an input
/// data error naming the column index and the first bad row (callers with column names catch
/// and rename; see check_finite_columns).
KMeansResult kmeans_fit(Context const& ctx, KMeansParams const& params, FeatureMatrix x,
                        std::span<float const> sample_weight = {});

/// kmeans_fit with the passes on `workspace`, which the caller made over the same x and
/// sample_weight (kernels/kmeans.hpp; for instance a chunked one, to test or measure streaming).
/// Any workspace of ctx's backend gives the same result bit for bit.
KMeansResult kmeans_fit(Context const& ctx, KMeansParams const& params, FeatureMatrix x,
                        std::span<float const> sample_weight, kernels::KMeansWorkspace& workspace);

/// Assigns each row to its nearest centroid (ties: the lower cluster index). If `inertia` is
/// not null it receives the (unweighted) sum of squared distances.
std::vector<std::int32_t> kmeans_predict(Context const& ctx, std::span<float const> centroids,
                                         int n_clusters, FeatureMatrix x,
                                         double* inertia = nullptr);

}  // namespace cie
