#include "models/segments/train_segments.hpp"

#include <numeric>
#include <utility>

#include "models/segments/cluster_matching.hpp"

namespace cie {

nlohmann::json segment_params_json(SegmentTrainingParams const& params) {
  KMeansParams const& kmeans = params.kmeans;
  return {{"n_clusters", kmeans.n_clusters},
          {"init", kmeans_init_name(kmeans.init)},
          {"n_init", kmeans.n_init},
          {"max_iter", kmeans.max_iter},
          {"tol", kmeans.tol},
          {"refine", kmeans_refine_name(kmeans.refine)},
          {"seed", kmeans.seed},
          {"weights_column", params.weights_column}};
}

TrainedSegments train_segments(Context const& ctx, FeaturePipeline pipeline,
                               SegmentTrainingParams const& params, RawColumns const& raw,
                               std::span<float const> weights) {
  pipeline.fit(ctx, raw);
  std::vector<float> prepared = pipeline.apply(ctx, raw);
  FeatureMatrix const x{prepared.data(), raw.rows, pipeline.size()};
  KMeansResult result = kmeans_fit(ctx, params.kmeans, x, weights);
  ClusterMetrics const metrics =
      cluster_metrics(ctx, params.metrics, x, result.labels, params.kmeans.n_clusters);
  ClusterNaming naming =
      name_clusters(pipeline, result.centroids, params.kmeans.n_clusters, raw, result.labels);
  std::vector<std::int32_t> published_id(static_cast<std::size_t>(params.kmeans.n_clusters));
  std::iota(published_id.begin(), published_id.end(), 0);
  SegmentModel model(std::move(pipeline), result.centroids, params.kmeans.n_clusters, naming.names);
  ModelDocument document = model.to_document();
  document.fitted["cluster_naming"] = naming.to_json(model.pipeline().column_names(), published_id);
  document.params = segment_params_json(params);
  document.training_metrics = {{"inertia", result.inertia},
                               {"iterations", result.iterations},
                               {"converged", result.converged},
                               {"refine_moves", result.refine_moves},
                               {"silhouette", metrics.silhouette},
                               {"silhouette_rows", metrics.silhouette_rows},
                               {"silhouette_sampled", metrics.silhouette_sampled},
                               {"davies_bouldin", metrics.davies_bouldin},
                               {"calinski_harabasz", metrics.calinski_harabasz},
                               {"device", ctx.device_name()}};
  document.training_data = fingerprint_matrix(prepared, raw.rows);
  return {std::move(model),    std::move(result), metrics,
          std::move(prepared), std::move(naming), std::move(published_id),
          std::move(document)};
}

void TrainedSegments::rename(std::vector<std::string> names) {
  model.set_names(std::move(names));
  document.fitted["cluster_names"] = model.names();
}

void TrainedSegments::renumber(std::vector<std::int32_t> const& new_id,
                               std::vector<std::string> names) {
  model = relabel(model, new_id);
  published_id = new_id;
  nlohmann::json naming_json = naming.to_json(model.pipeline().column_names(), published_id);
  document.fitted = model.to_document().fitted;
  document.fitted["cluster_naming"] = std::move(naming_json);
  rename(std::move(names));
}

}  // namespace cie
