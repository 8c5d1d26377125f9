// Stage "segments": every customer's k-means cluster, from a saved model ([segments] model) or
// one trained tonight on the RFM table ([segments] retrain, published as segments_model.json,
// trained exactly as `cie segment fit` trains: models/segments/train_segments.hpp). A retrained
// model's clusters keep the ids of the previously published model's clusters they match
// (models/segments/cluster_matching.hpp) and their names (models/segments/cluster_names.hpp); the
// report lists the matches, new and gone clusters. [segments] names = "FILE" replaces names
// (host/io/cluster_names_file.hpp). The customer table gets `cluster` and `cluster_name`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "host/io/cluster_names_file.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/model_file.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "models/segments/cluster_matching.hpp"
#include "models/segments/cluster_names.hpp"
#include "models/segments/segment_model.hpp"
#include "models/segments/train_segments.hpp"

namespace cie {
namespace {

class SegmentsStage final : public NightlyStage {
 public:
  void check(NightlyRun& run) override {
    NightlySegments const& settings = run.config.segments;
    if (!settings.names.empty()) {
      given_names_ = naming(run.config, "[segments] names",
                            [&] { return read_cluster_names(settings.names); });
    }
    if (settings.retrain) {
      run.need_columns(settings.features, "[segments] features");
      // The ids and the names' distinctness are checked now, against placeholders.
      std::vector<std::string> placeholders;
      for (int c = 0; c < settings.k; ++c) placeholders.push_back(fmt::format("\x1f{}", c));
      (void)naming(run.config, "[segments] names",
                   [&] { return apply_given_names(placeholders, given_names_, settings.names); });
      return;
    }
    ModelDocument const document = naming(run.config, "[segments] model", [&] {
      return read_model_file(settings.model, kSegmentModelKind);
    });
    model_.emplace(naming(run.config, "[segments] model", [&] {
      return SegmentModel::from_document(document, settings.model);
    }));
    run.need_columns(model_->pipeline().column_names(), "the segments model " + settings.model);
    if (!given_names_.empty()) {
      model_->set_names(naming(run.config, "[segments] names", [&] {
        return apply_given_names(model_->names(), given_names_, settings.names);
      }));
    }
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
    run.report["cluster_names"] = model_->names();
    stage.advance(run.customers.rows());
    run.finish(stage);
    for (std::string const& name : model_->names()) {
      quoted_names_.emplace_back();
      append_csv_field(quoted_names_.back(), name);
    }
    run.output.push_back(
        {{"cluster", "cluster_name"}, [this](fmt::memory_buffer& out, std::size_t row) {
           auto const cluster = static_cast<std::size_t>(clusters_[row]);
           fmt::format_to(std::back_inserter(out), "{},{}", cluster, quoted_names_[cluster]);
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
    if (!given_names_.empty()) {
      trained.rename(apply_given_names(trained.model.names(), given_names_, settings.names));
    }
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
    std::vector<std::string> previous_names;  // none when the previous model predates names
    try {
      ModelDocument const document = read_model_file(previous_path, kSegmentModelKind);
      SegmentModel const previous = SegmentModel::from_document(document, previous_path);
      match = match_clusters(previous, trained.model, why);
      if (document.fitted.contains("cluster_names")) previous_names = previous.names();
    } catch (Error const& error) {
      why = error.what();
    }
    if (!match) {
      run.logger->warn("segments: cluster ids not matched to {}: {}", previous_path, why);
      return {{"previous_model", previous_path}, {"note", "not matched: " + why}};
    }
    std::vector<std::string> names =
        carry_names(previous_names, match->new_id, match->previous_id, trained.naming.wordings);
    trained.renumber(match->new_id, names);
    nlohmann::json clusters = nlohmann::json::array();
    std::vector<std::int32_t> fresh;
    for (std::size_t c = 0; c < match->new_id.size(); ++c) {
      clusters.push_back(
          {{"id", match->new_id[c]},
           {"previous_id", match->previous_id[c] < 0 ? nlohmann::json(nullptr)
                                                     : nlohmann::json(match->previous_id[c])},
           {"centroid_distance", match->distance[c]},
           {"name", names[static_cast<std::size_t>(match->new_id[c])]},
           {"wording_tonight", trained.naming.wordings[c]}});
      if (match->previous_id[c] < 0) fresh.push_back(match->new_id[c]);
    }
    std::sort(fresh.begin(), fresh.end());
    run.logger->info("segments: clusters matched to the previous model's ids; new: [{}], gone: [{}]",
                     fmt::join(fresh, ", "), fmt::join(match->gone, ", "));
    return {{"previous_model", previous_path}, {"clusters", std::move(clusters)},
            {"new", fresh}, {"gone", match->gone}};
  }

  std::optional<SegmentModel> model_;
  std::map<int, std::string> given_names_;
  std::vector<std::int32_t> clusters_;
  std::vector<std::string> quoted_names_;  ///< per cluster id, as a CSV field
};

}  // namespace

std::unique_ptr<NightlyStage> segments_stage() { return std::make_unique<SegmentsStage>(); }

}  // namespace cie
