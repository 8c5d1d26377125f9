#include "models/segments/segment_model.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "core/error.hpp"

namespace cie {

using nlohmann::json;

SegmentModel::SegmentModel(FeaturePipeline pipeline, std::vector<float> centroids, int n_clusters,
                           std::vector<std::string> names)
    : pipeline_(std::move(pipeline)), centroids_(std::move(centroids)), n_clusters_(n_clusters) {
  CIE_ASSERT(pipeline_.fitted() && n_clusters_ >= 1 &&
             centroids_.size() == static_cast<std::size_t>(n_clusters_) * pipeline_.size());
  if (names.empty()) {
    for (int c = 0; c < n_clusters_; ++c) names.push_back(fmt::format("cluster {}", c));
  }
  set_names(std::move(names));
}

void SegmentModel::set_names(std::vector<std::string> names) {
  CIE_ASSERT(names.size() == static_cast<std::size_t>(n_clusters_));
  names_ = std::move(names);
}

std::vector<std::int32_t> SegmentModel::assign(Context const& ctx, RawColumns const& input,
                                               std::vector<float>* prepared,
                                               double* inertia) const {
  std::vector<float> matrix = pipeline_.apply(ctx, input);
  std::vector<std::int32_t> labels =
      kmeans_predict(ctx, centroids_, n_clusters_,
                     FeatureMatrix{matrix.data(), input.rows, pipeline_.size()}, inertia);
  if (prepared != nullptr) *prepared = std::move(matrix);
  return labels;
}

ModelDocument SegmentModel::to_document() const {
  ModelDocument document;
  document.kind = kSegmentModelKind;
  document.features = pipeline_.to_json();
  json centroids = json::array();
  std::size_t const d = pipeline_.size();
  for (int c = 0; c < n_clusters_; ++c) {
    auto const begin = centroids_.begin() + static_cast<std::ptrdiff_t>(c * d);
    centroids.push_back(std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(d)));
  }
  document.fitted = {{"centroids", std::move(centroids)}, {"cluster_names", names_}};
  return document;
}

SegmentModel SegmentModel::from_document(ModelDocument const& document, std::string const& source) {
  CIE_EXPECTS(document.kind == kSegmentModelKind, "model file {} holds a {} model, not a {} model",
              source, document.kind, kSegmentModelKind);
  FeaturePipeline pipeline = FeaturePipeline::from_json(document.features, source);
  json const& rows = document.fitted.contains("centroids") ? document.fitted["centroids"] : json();
  CIE_EXPECTS(rows.is_array() && !rows.empty(),
              "model file {} is damaged: fitted.centroids is not a non-empty array", source);
  std::vector<float> centroids;
  for (json const& row : rows) {
    CIE_EXPECTS(row.is_array() && row.size() == pipeline.size(),
                "model file {} is damaged: a centroid does not have {} values", source,
                pipeline.size());
    for (json const& value : row) {
      CIE_EXPECTS(value.is_number() && std::isfinite(value.get<double>()),
                  "model file {} is damaged: a centroid holds a non-number", source);
      centroids.push_back(value.get<float>());
    }
  }
  std::vector<std::string> names;
  if (document.fitted.contains("cluster_names")) {
    json const& given = document.fitted["cluster_names"];
    CIE_EXPECTS(given.is_array() && given.size() == rows.size(),
                "model file {} is damaged: fitted.cluster_names does not have {} names", source,
                rows.size());
    for (json const& name : given) {
      CIE_EXPECTS(name.is_string() && !name.get<std::string>().empty(),
                  "model file {} is damaged: a cluster name is not a non-empty string", source);
      names.push_back(name.get<std::string>());
    }
  }
  return {std::move(pipeline), std::move(centroids), static_cast<int>(rows.size()),
          std::move(names)};
}

}  // namespace cie
