// Stage "segments": every customer's k-means cluster, from a saved model ([segments] model) or
// one trained tonight on the RFM table ([segments] retrain, published as segments_model.json,
// trained exactly as `cie segment fit` trains: models/segments/train_segments.hpp). A retrained
// model's clusters keep the ids of the previously published model's clusters they match
// (models/segments/cluster_matching.hpp); the report lists the matches, new and gone clusters.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "host/io/model_file.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "models/segments/cluster_matching.hpp"
#include "models/segments/segment_model.hpp"
#include "models/segments/train_segments.hpp"

namespace cie {
namespace {

class SegmentsStage final : public NightlyStage {
 public:
  void check(NightlyRun& run) override {
    NightlySegments const& settings = run.config.segments;
    if (settings.retrain) {
      run.need_columns(settings.features, "[segments] features");
      return;
    }
    ModelDocument const document = naming(run.config, "[segments] model", [&] {
      return read_model_file(settings.model, kSegmentModelKind);
    });
    model_.emplace(naming(run.config, "[segments] model", [&] {
      return SegmentModel::from_document(document, settings.model);
    }));
    run.need_columns(model_->pipeline().column_names(), "the segments model " + settings.model);
  }

  void run(NightlyRun& run) override {
    StageProgress stage("segments", run.customers.rows(), *run.logger);
    if (run.config.segments.retrain) retrain(run);
    clusters_ = model_->assign(
        run.ctx, complete_numeric_columns(run.customers, model_->pipeline().column_names(),
                                          "the segments model"));
    run.clusters = clusters_;
    std::vector<std::size_t> sizes(static_cast<std::size_t>(model_->n_clusters()));
    for (std::int32_t const c : clusters_) ++sizes[static_cast<std::size_t>(c)];
    run.report["clusters"] = sizes;
    stage.advance(run.customers.rows());
    run.finish(stage);
    run.output.push_back({{"cluster"}, [this](fmt::memory_buffer& out, std::size_t row) {
                            fmt::format_to(std::back_inserter(out), "{}", clusters_[row]);
                          }});
  }

 private:
  /// Fits tonight's model on the customers (config [segments] retrain) and stages its file.
  void retrain(NightlyRun& run) {
    NightlySegments const& settings = run.config.segments;
    std::vector<FeatureSpec> specs;
    for (std::size_t j = 0; j < settings.features.size(); ++j) {
      std::string const& column = settings.features[j];
      std::string const spec = settings.transforms.empty() || settings.transforms[j].empty()
                                   ? default_rfm_transform(column)
                                   : settings.transforms[j];
      specs.push_back({column, ColumnTransform::parse(spec, column)});
    }
    SegmentTrainingParams params;
    params.kmeans.n_clusters = settings.k;
    params.kmeans.n_init = settings.n_init;
    params.kmeans.max_iter = settings.max_iter;
    params.kmeans.refine = settings.refine;
    params.kmeans.seed = run.ctx.seed();
    params.metrics.seed = run.ctx.seed();
    TrainedSegments trained = train_segments(
        run.ctx, FeaturePipeline(std::move(specs)), params,
        complete_numeric_columns(run.customers, settings.features, "[segments] retrain"));
    nlohmann::json cluster_ids = keep_previous_ids(run, trained);
    write_model_file(run.staging->path("segments_model.json"), trained.document);
    run.report["segments_model"] = {{"retrained", true},
                                    {"file", "segments_model.json"},
                                    {"inertia", trained.result.inertia},
                                    {"cluster_ids", std::move(cluster_ids)}};
    model_.emplace(std::move(trained.model));
  }

  /// Renumbers `trained` so that its clusters keep the ids of the previously published model's
  /// clusters they match; returns the report's "cluster_ids" part ("clusters" in fitted order:
  /// id, previous_id or null for a new one, centroid_distance; "new" and "gone" ids). Without a usable previous
  /// model the fitted order stands (and the report says why).
  static nlohmann::json keep_previous_ids(NightlyRun& run, TrainedSegments& trained) {
    std::string const previous_path =
        (std::filesystem::path(run.config.output_directory) / "segments_model.json").string();
    if (!std::filesystem::exists(previous_path)) {
      return {{"previous_model", nullptr}, {"note", "no previous model: ids in fitted order"}};
    }
    std::string why;
    std::optional<ClusterMatch> match;
    try {
      SegmentModel const previous = SegmentModel::from_document(
          read_model_file(previous_path, kSegmentModelKind), previous_path);
      match = match_clusters(previous, trained.model, why);
    } catch (Error const& error) {
      why = error.what();
    }
    if (!match) {
      run.logger->warn("segments: cluster ids not matched to {}: {}", previous_path, why);
      return {{"previous_model", previous_path}, {"note", "not matched: " + why}};
    }
    trained.model = relabel(trained.model, match->new_id);
    trained.document.fitted = trained.model.to_document().fitted;
    nlohmann::json clusters = nlohmann::json::array();
    std::vector<std::int32_t> fresh;
    for (std::size_t c = 0; c < match->new_id.size(); ++c) {
      clusters.push_back({{"id", match->new_id[c]},
                          {"previous_id", match->previous_id[c] < 0
                                              ? nlohmann::json(nullptr)
                                              : nlohmann::json(match->previous_id[c])},
                          {"centroid_distance", match->distance[c]}});
      if (match->previous_id[c] < 0) fresh.push_back(match->new_id[c]);
    }
    std::sort(fresh.begin(), fresh.end());
    run.logger->info("segments: clusters matched to the previous model's ids; new: [{}], gone: [{}]",
                     fmt::join(fresh, ", "), fmt::join(match->gone, ", "));
    return {{"previous_model", previous_path}, {"clusters", std::move(clusters)},
            {"new", fresh}, {"gone", match->gone}};
  }

  std::optional<SegmentModel> model_;
  std::vector<std::int32_t> clusters_;
};

}  // namespace

std::unique_ptr<NightlyStage> segments_stage() { return std::make_unique<SegmentsStage>(); }

}  // namespace cie
