// A fitted k-means segmentation as one unit: the feature pipeline
// (models/features/feature_pipeline.hpp) and the centroids in its prepared space, stored as one
// model file of kind "kmeans". Shared by `cie segment` and the nightly run. Each cluster has a name
// (models/segments/cluster_names.hpp), stored as fitted.cluster_names; a model file written before
// names existed reads as "cluster 0", "cluster 1", ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "models/features/feature_pipeline.hpp"
#include "models/model_document.hpp"
#include "models/segments/kmeans.hpp"

namespace cie {

inline constexpr char kSegmentModelKind[] = "kmeans";

class SegmentModel {
 public:
  /// `centroids`: k × pipeline.size() row-major, in the prepared (transformed, scaled) space.
  /// `names`: one per cluster, or empty for "cluster 0", "cluster 1", ...
  SegmentModel(FeaturePipeline pipeline, std::vector<float> centroids, int n_clusters,
               std::vector<std::string> names = {});

  /// Nearest centroid of each row of `input` (original units; the pipeline prepares it), on
  /// ctx's device. `prepared`, when not null, receives the prepared matrix; `inertia` the sum of
  /// squared distances in the prepared space.
  [[nodiscard]] std::vector<std::int32_t> assign(Context const& ctx, RawColumns const& input,
                                                 std::vector<float>* prepared = nullptr,
                                                 double* inertia = nullptr) const;

  [[nodiscard]] FeaturePipeline const& pipeline() const noexcept { return pipeline_; }
  [[nodiscard]] std::vector<float> const& centroids() const noexcept { return centroids_; }
  [[nodiscard]] int n_clusters() const noexcept { return n_clusters_; }
  /// Per cluster id, its name.
  [[nodiscard]] std::vector<std::string> const& names() const noexcept { return names_; }
  /// Replaces the names (one per cluster, distinct).
  void set_names(std::vector<std::string> names);

  /// kind "kmeans", features = the pipeline, fitted = {"centroids": [[...], ...],
  /// "cluster_names": [...]}. The caller
  /// adds params, training metrics and the fingerprint.
  [[nodiscard]] ModelDocument to_document() const;
  /// A usage error starting with "model file `source`" when the document is damaged.
  static SegmentModel from_document(ModelDocument const& document, std::string const& source);

 private:
  FeaturePipeline pipeline_;
  std::vector<float> centroids_;
  int n_clusters_;
  std::vector<std::string> names_;
};

}  // namespace cie
