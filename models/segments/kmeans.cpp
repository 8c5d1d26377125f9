// K-means fit and predict; see models/segments/kmeans.hpp. Seeding lives in
// models/segments/kmeans_init.cpp, Hartigan refinement in models/segments/kmeans_refine.cpp, the
// passes in kernels/kmeans.hpp.
#include "models/segments/kmeans.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "kernels/kmeans.hpp"
#include "models/segments/kmeans_init.hpp"
#include "models/segments/kmeans_refine.hpp"

namespace cie {
namespace {

using kernels::KMeansPassStats;
using kernels::KMeansWorkspace;
using kmeans_detail::KMeansRng;

char const* non_finite_name(float value) {
  return std::isnan(value) ? "NaN" : (value > 0 ? "Inf" : "-Inf");
}

/// Sum over i < n of term(values[i]) in 8 interleaved lanes folded in a fixed order:
/// deterministic, and 8 independent chains of adds instead of one latency-bound chain.
template <typename Term>
double lane_sum(float const* values, std::size_t n, Term term) {
  constexpr std::size_t kLanes = 8;
  double lanes[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) lanes[lane] += term(values[i + lane]);
  }
  for (; i < n; ++i) lanes[i % kLanes] += term(values[i]);
  double total = 0.0;
  for (double lane : lanes) total += lane;
  return total;
}

/// Mean over features of the (population) feature variance: scikit-learn's scale for tol.
double mean_feature_variance(FeatureMatrix x, int threads) {
  std::vector<double> variance(x.cols);
  std::int64_t const cols = static_cast<std::int64_t>(x.cols);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t j = 0; j < cols; ++j) {
    float const* column = x.column(static_cast<std::size_t>(j));
    double const n = static_cast<double>(x.rows);
    double const mean = lane_sum(column, x.rows, [](float v) { return double{v}; }) / n;
    variance[j] = lane_sum(column, x.rows, [mean](float v) { return (v - mean) * (v - mean); }) / n;
  }
  return std::accumulate(variance.begin(), variance.end(), 0.0) / static_cast<double>(x.cols);
}

void check_sample_weight(std::span<float const> sample_weight, std::size_t rows) {
  if (sample_weight.empty()) return;
  CIE_EXPECTS(sample_weight.size() == rows,
              "sample_weight must hold one weight per row ({}), got {}", rows,
              sample_weight.size());
  double total = 0.0;
  for (std::size_t i = 0; i < rows; ++i) {
    CIE_EXPECTS_DATA(std::isfinite(sample_weight[i]) && sample_weight[i] >= 0.0f,
                     "sample weight at row {} is {}; weights must be finite and >= 0", i + 1,
                     sample_weight[i]);
    total += sample_weight[i];
  }
  CIE_EXPECTS_DATA(total > 0.0, "sample weights sum to 0; at least one row must have weight > 0");
}

/// One run from its initial centroids to convergence.
struct LloydRun {
  std::vector<float> centroids;
  std::vector<std::int32_t> labels;
  double inertia = 0.0;
  int iterations = 0;
  bool converged = false;
  int reseeded_clusters = 0;
  int refine_passes = 0;
  std::int64_t refine_moves = 0;
};

/// New centroids from a pass's sums. An empty cluster takes the row farthest from its
/// centroid (ties: the lower row); that row leaves its old cluster's sums, as in scikit-learn.
/// A cluster left with no weight keeps its previous centroid, so no centroid is ever NaN.
std::vector<float> update_centroids(KMeansWorkspace& workspace, std::span<float const> weight,
                                    std::span<float const> old_centroids, int k,
                                    KMeansPassStats& stats, int& reseeded) {
  int const cols = workspace.cols();
  std::vector<int> empty;
  for (int c = 0; c < k; ++c) {
    if (stats.weights[c] <= 0.0) empty.push_back(c);
  }
  std::vector<float> centroids(old_centroids.begin(), old_centroids.end());
  std::vector<bool> fixed(static_cast<std::size_t>(k), false);
  if (!empty.empty()) {
    std::vector<float> distances(static_cast<std::size_t>(workspace.rows()));
    workspace.nearest_distances(old_centroids, k, distances);
    std::size_t const take = std::min(empty.size(), distances.size());
    std::vector<std::int64_t> order(distances.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end(),
                      [&](std::int64_t a, std::int64_t b) {
                        return distances[a] > distances[b] ||
                               (distances[a] == distances[b] && a < b);
                      });
    order.resize(take);
    std::vector<float> const far_points = workspace.gather_rows(order);
    for (std::size_t e = 0; e < take; ++e) {
      float const* point = far_points.data() + e * cols;
      double const w = weight.empty() ? 1.0 : weight[static_cast<std::size_t>(order[e])];
      int const from =
          kernels::nearest_centroid(point, 1, 0, old_centroids.data(), k, cols).cluster;
      int const to = empty[e];
      for (int j = 0; j < cols; ++j) {
        stats.sums[static_cast<std::size_t>(from) * cols + j] -= w * point[j];
        stats.sums[static_cast<std::size_t>(to) * cols + j] = w * point[j];
        centroids[static_cast<std::size_t>(to) * cols + j] = point[j];
      }
      stats.weights[from] -= w;
      stats.weights[to] = w;
      fixed[to] = true;
      ++reseeded;
    }
  }
  for (int c = 0; c < k; ++c) {
    if (fixed[c] || !(stats.weights[c] > 0.0)) continue;
    for (int j = 0; j < cols; ++j) {
      std::size_t const at = static_cast<std::size_t>(c) * cols + j;
      centroids[at] = static_cast<float>(stats.sums[at] / stats.weights[c]);
    }
  }
  return centroids;
}

LloydRun run_lloyd(KMeansWorkspace& workspace, KMeansParams const& params,
                   std::span<float const> weight, std::vector<float> centroids, double tolerance) {
  int const k = params.n_clusters;
  LloydRun run;
  for (int iteration = 1; iteration <= params.max_iter; ++iteration) {
    check_interrupt();
    KMeansPassStats stats = workspace.lloyd_pass(centroids, k, {});
    std::vector<float> next =
        update_centroids(workspace, weight, centroids, k, stats, run.reseeded_clusters);
    double shift = 0.0;
    for (std::size_t i = 0; i < next.size(); ++i) {
      double const delta = static_cast<double>(next[i]) - centroids[i];
      shift += delta * delta;
    }
    centroids = std::move(next);
    run.iterations = iteration;
    if (shift <= tolerance) {
      run.converged = true;
      break;
    }
  }
  // A last assignment, so labels and inertia belong to the returned centroids.
  run.labels.resize(static_cast<std::size_t>(workspace.rows()));
  KMeansPassStats stats = workspace.lloyd_pass(centroids, k, run.labels);
  run.inertia = stats.inertia;
  if (params.refine == KMeansRefine::kHartigan) {
    kmeans_detail::RefineOutcome const outcome = kmeans_detail::hartigan_refine(
        workspace, weight, centroids, k, stats, run.labels, params.max_iter, tolerance);
    run.refine_passes = outcome.passes;
    run.refine_moves = outcome.moves;
    run.converged = run.converged && outcome.converged;
    // Refined centroids need a last assignment, as Lloyd's do.
    if (outcome.moves > 0) run.inertia = workspace.lloyd_pass(centroids, k, run.labels).inertia;
  }
  run.centroids = std::move(centroids);
  return run;
}

std::vector<float> initial_centroids(KMeansWorkspace& workspace, KMeansParams const& params,
                                     KMeansRng& rng) {
  switch (params.init) {
    case KMeansInit::kKMeansPlusPlus:
      return kmeans_detail::kmeans_plus_plus(workspace, params.n_clusters, rng);
    case KMeansInit::kKMeansParallel:
      return kmeans_detail::kmeans_parallel(workspace, params.n_clusters,
                                            params.oversampling_factor, params.init_rounds, rng);
    case KMeansInit::kRandom:
      return kmeans_detail::random_rows(workspace, params.n_clusters, rng);
    case KMeansInit::kGiven:
      return params.initial_centroids;
  }
  CIE_ASSERT(false);
  return {};
}

}  // namespace

KMeansInit parse_kmeans_init(std::string_view text, std::string_view setting) {
  if (text == "k-means++") return KMeansInit::kKMeansPlusPlus;
  if (text == "k-means||") return KMeansInit::kKMeansParallel;
  if (text == "random") return KMeansInit::kRandom;
  fail(ExitCode::kUsage, "{}: expected k-means++, k-means|| or random, got '{}'", setting, text);
}

char const* kmeans_init_name(KMeansInit init) {
  switch (init) {
    case KMeansInit::kKMeansPlusPlus:
      return "k-means++";
    case KMeansInit::kKMeansParallel:
      return "k-means||";
    case KMeansInit::kRandom:
      return "random";
    case KMeansInit::kGiven:
      break;
  }
  return "given";
}

KMeansRefine parse_kmeans_refine(std::string_view text, std::string_view setting) {
  if (text == "none") return KMeansRefine::kNone;
  if (text == "hartigan") return KMeansRefine::kHartigan;
  fail(ExitCode::kUsage, "{}: expected hartigan or none, got '{}'", setting, text);
}

char const* kmeans_refine_name(KMeansRefine refine) {
  return refine == KMeansRefine::kNone ? "none" : "hartigan";
}

void KMeansParams::validate(std::size_t rows, std::size_t cols) const {
  CIE_EXPECTS_DATA(rows >= 1, "k-means needs at least one row, got 0");
  CIE_EXPECTS_DATA(cols >= 1, "k-means needs at least one feature column, got 0");
  CIE_EXPECTS(n_clusters >= 1, "n_clusters (k) must be >= 1, got {}", n_clusters);
  CIE_EXPECTS(static_cast<std::size_t>(n_clusters) <= rows,
              "n_clusters (k) = {} is more than the {} rows; k must be in [1, {}]", n_clusters,
              rows, rows);
  CIE_EXPECTS(std::isfinite(oversampling_factor) && oversampling_factor > 0.0,
              "oversampling_factor must be finite and > 0, got {}", oversampling_factor);
  CIE_EXPECTS(init_rounds >= 1, "init_rounds must be >= 1, got {}", init_rounds);
  CIE_EXPECTS(n_init >= 1 && n_init <= kMaxInit, "n_init must be in [1, {}], got {}", kMaxInit,
              n_init);
  CIE_EXPECTS(init != KMeansInit::kGiven || n_init == 1,
              "n_init must be 1 when the initial centroids are given, got {}", n_init);
  CIE_EXPECTS(max_iter >= 1 && max_iter <= kMaxIter, "max_iter must be in [1, {}], got {}",
              kMaxIter, max_iter);
  CIE_EXPECTS(std::isfinite(tol) && tol >= 0.0, "tol must be finite and >= 0, got {}", tol);
  if (init == KMeansInit::kGiven) {
    std::size_t const expected = static_cast<std::size_t>(n_clusters) * cols;
    CIE_EXPECTS(initial_centroids.size() == expected,
                "initial_centroids must hold n_clusters × columns = {} × {} = {} values, got {}",
                n_clusters, cols, expected, initial_centroids.size());
    for (std::size_t i = 0; i < expected; ++i) {
      CIE_EXPECTS(std::isfinite(initial_centroids[i]),
                  "initial_centroids has {} at centroid {}, feature {}",
                  non_finite_name(initial_centroids[i]), i / cols + 1, i % cols + 1);
    }
  } else {
    CIE_EXPECTS(initial_centroids.empty(),
                "initial_centroids is only used with init = given; leave it empty");
  }
}

namespace {

void check_fit_inputs(Context const& ctx, KMeansParams const& params, FeatureMatrix x,
                      std::span<float const> sample_weight) {
  params.validate(x.rows, x.cols);
  check_finite_columns(x, {}, ctx.threads());
  check_sample_weight(sample_weight, x.rows);
}

/// The n_init runs on a workspace over checked inputs; the lowest inertia kept.
KMeansResult fit_runs(Context const& ctx, KMeansParams const& params, FeatureMatrix x,
                      std::span<float const> sample_weight, KMeansWorkspace& workspace) {
  double const tolerance =
      params.tol > 0.0 ? params.tol * mean_feature_variance(x, ctx.threads()) : 0.0;

  KMeansResult result;
  for (int run_index = 0; run_index < params.n_init; ++run_index) {
    KMeansRng rng(kmeans_detail::run_seed(params.seed, run_index));
    check_interrupt();
    LloydRun run = run_lloyd(workspace, params, sample_weight,
                             initial_centroids(workspace, params, rng), tolerance);
    ctx.logger().debug(
        "k-means run {}: {} iterations, {} clusters re-seeded, {} rows moved in {} Hartigan "
        "passes, inertia {}",
        run_index, run.iterations, run.reseeded_clusters, run.refine_moves, run.refine_passes,
        run.inertia);
    if (run_index == 0 || run.inertia < result.inertia) {
      result.centroids = std::move(run.centroids);
      result.labels = std::move(run.labels);
      result.inertia = run.inertia;
      result.iterations = run.iterations;
      result.converged = run.converged;
      result.best_init = run_index;
      result.reseeded_clusters = run.reseeded_clusters;
      result.refine_passes = run.refine_passes;
      result.refine_moves = run.refine_moves;
    }
  }
  return result;
}

}  // namespace

KMeansResult kmeans_fit(Context const& ctx, KMeansParams const& params, FeatureMatrix x,
                        std::span<float const> sample_weight) {
  check_fit_inputs(ctx, params, x, sample_weight);
  auto workspace = kernels::make_kmeans_workspace(ctx, x.data, static_cast<std::int64_t>(x.rows),
                                                  static_cast<int>(x.cols), sample_weight);
  return fit_runs(ctx, params, x, sample_weight, *workspace);
}

KMeansResult kmeans_fit(Context const& ctx, KMeansParams const& params, FeatureMatrix x,
                        std::span<float const> sample_weight, KMeansWorkspace& workspace) {
  check_fit_inputs(ctx, params, x, sample_weight);
  CIE_EXPECTS(workspace.rows() == static_cast<std::int64_t>(x.rows) &&
                  workspace.cols() == static_cast<int>(x.cols),
              "the k-means workspace holds {} × {} values, the data {} × {}", workspace.rows(),
              workspace.cols(), x.rows, x.cols);
  return fit_runs(ctx, params, x, sample_weight, workspace);
}

std::vector<std::int32_t> kmeans_predict(Context const& ctx, std::span<float const> centroids,
                                         int n_clusters, FeatureMatrix x, double* inertia) {
  CIE_EXPECTS(n_clusters >= 1, "n_clusters (k) must be >= 1, got {}", n_clusters);
  CIE_EXPECTS(centroids.size() == static_cast<std::size_t>(n_clusters) * x.cols,
              "centroids must hold n_clusters × columns = {} × {} values, got {}", n_clusters,
              x.cols, centroids.size());
  std::vector<std::int32_t> labels(x.rows);
  if (x.rows == 0) {
    if (inertia != nullptr) *inertia = 0.0;
    return labels;
  }
  check_finite_columns(x, {}, ctx.threads());
  auto workspace = kernels::make_kmeans_workspace(ctx, x.data, static_cast<std::int64_t>(x.rows),
                                                  static_cast<int>(x.cols), {});
  double const total = workspace->lloyd_pass(centroids, n_clusters, labels).inertia;
  if (inertia != nullptr) *inertia = total;
  return labels;
}

}  // namespace cie
