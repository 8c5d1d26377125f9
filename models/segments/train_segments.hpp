// Training a segments model: the one path `cie segment fit` and the nightly run's retrain share,
// so both write the same model file (params, training metrics and training-data fingerprint).
#pragma once

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/feature_matrix.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/metrics/cluster_metrics.hpp"
#include "models/model_document.hpp"
#include "models/segments/cluster_names.hpp"
#include "models/segments/kmeans.hpp"
#include "models/segments/segment_model.hpp"

namespace cie {

struct SegmentTrainingParams {
  /// The k-means run (n_clusters, init, n_init, max_iter, tol, refine, seed).
  KMeansParams kmeans;
  /// Silhouette sampling for the quality metrics stored with the model.
  ClusterMetricsParams metrics;
  /// The column the sample weights came from, recorded in the model's params ("" = none).
  std::string weights_column;
};

/// The model's "params" section: {"n_clusters", "init", "n_init", "max_iter", "tol", "refine",
/// "seed", "weights_column"}.
nlohmann::json segment_params_json(SegmentTrainingParams const& params);

struct TrainedSegments {
  SegmentModel model;
  KMeansResult result;
  ClusterMetrics metrics;
  /// The training rows in the prepared space, column-major (rows × model.pipeline().size()).
  std::vector<float> prepared;
  /// How the fitted clusters were named (in fitted order), and the id each is published under
  /// (0..k-1 until a retrain renumbers them).
  ClusterNaming naming;
  std::vector<std::int32_t> published_id;
  /// The model file's content: the model, params, training metrics (inertia, iterations,
  /// convergence, Hartigan moves, silhouette, Davies-Bouldin, Calinski-Harabasz, device) and the
  /// prepared matrix's fingerprint; fitted.cluster_naming says how each cluster got its name.
  ModelDocument document;

  /// Replaces the model's names (per published id; distinct) and updates the document.
  void rename(std::vector<std::string> names);
  /// Renumbers the clusters (fitted cluster c becomes id new_id[c]) with the given names per new
  /// id, and updates the document.
  void renumber(std::vector<std::int32_t> const& new_id, std::vector<std::string> names);

  [[nodiscard]] FeatureMatrix matrix() const {
    return {prepared.data(), prepared.size() / model.pipeline().size(), model.pipeline().size()};
  }
};

/// Fits `pipeline` (unfitted) on `raw`, k-means on the prepared rows with `weights` (empty: all
/// 1), the cluster metrics and the cluster names (models/segments/cluster_names.hpp), on ctx's
/// device. Errors as FeaturePipeline::fit, kmeans_fit and
/// cluster_metrics.
TrainedSegments train_segments(Context const& ctx, FeaturePipeline pipeline,
                               SegmentTrainingParams const& params, RawColumns const& raw,
                               std::span<float const> weights = {});

}  // namespace cie
