// Stage "segments": every customer's k-means cluster, from a saved model ([segments] model) or
// one trained tonight on the RFM table ([segments] retrain, published as segments_model.json,
// trained exactly as `cie segment fit` trains: models/segments/train_segments.hpp). A retrained
// model's clusters keep the ids of the previously published model's clusters they match
// (models/segments/cluster_matching.hpp) and their names (models/segments/cluster_names.hpp); the
// report lists the matches, new and gone clusters. The customer table gets `cluster` and
// `cluster_name`.
//
//   [segments]  (optional) model = "FILE" to apply a saved k-means model, or retrain = true with
//               k, features, transforms, n_init, max_iter, refine ("hartigan" | "none"), as the
//               `cie segment fit` options of the same names: fits on tonight's RFM table and
//               publishes the model beside the outputs as segments_model.json; names = "FILE"
//               (optional, either way): cluster names that replace the profile names, as
//               `cie segment fit --cluster-names` (host/io/cluster_names_file.hpp)
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

/// [segments].
struct SegmentsSettings {
  std::string model;  ///< a k-means model file to apply, or "" with retrain
  bool retrain = false;
  int k = 6;
  std::vector<std::string> features = {"recency_days", "frequency", "monetary_total"};
  std::vector<std::string> transforms;  ///< one per feature; "" = the RFM default
  int n_init = 3;
  int max_iter = 300;
  KMeansRefine refine = KMeansRefine::kHartigan;
  std::string names;  ///< a cluster names file (host/io/cluster_names_file.hpp), or ""
};

SegmentsSettings read_segments_settings(ConfigSection const& section, ConfigFile const& file) {
  SegmentsSettings segments;
  segments.retrain = section.boolean("retrain").value_or(false);
  std::optional<std::string> model = section.path("model", file.base(), !segments.retrain);
  CIE_EXPECTS(segments.retrain != model.has_value(),
              "{}: [segments] needs either model = \"FILE\" (apply a saved k-means model) or "
              "retrain = true (fit on tonight's RFM table), not both",
              file.source());
  segments.model = model.value_or("");
  segments.names = section.path("names", file.base(), true).value_or("");
  if (auto k = section.integer("k")) {
    CIE_EXPECTS(*k >= 1 && *k <= 1000, "{} must be in [1, 1000], got {}", section.setting("k"), *k);
    segments.k = static_cast<int>(*k);
  }
  if (auto features = section.strings("features")) {
    CIE_EXPECTS(!features->empty(), "{} must name at least one column",
                section.setting("features"));
    segments.features = *features;
  }
  if (auto transforms = section.strings("transforms")) {
    CIE_EXPECTS(transforms->size() == segments.features.size(),
                "{} must have one entry per feature ({}), got {}", section.setting("transforms"),
                segments.features.size(), transforms->size());
    segments.transforms = *transforms;
  }
  if (auto n_init = section.integer("n_init")) segments.n_init = static_cast<int>(*n_init);
  if (auto max_iter = section.integer("max_iter")) segments.max_iter = static_cast<int>(*max_iter);
  if (auto refine = section.text("refine")) {
    segments.refine = parse_kmeans_refine(*refine, section.setting("refine"));
  }
  bool const any_fit_setting = section.integer("k") || section.strings("features") ||
                               section.strings("transforms") || section.integer("n_init") ||
                               section.integer("max_iter") || section.text("refine");
  CIE_EXPECTS(segments.retrain || !any_fit_setting,
              "{}: [segments] k, features, transforms, n_init, max_iter and refine are for "
              "retrain = true; a saved model has its own",
              file.source());
  return segments;
}

class SegmentsStage final : public NightlyStage {
 public:
  explicit SegmentsStage(SegmentsSettings settings) : settings_(std::move(settings)) {}

  static std::vector<std::shared_ptr<NightlyStage>> configure(ConfigFile const& file,
                                                              NightlyConfig& config) {
    ConfigSection const section = file.section("segments");
    if (!section.present()) return {};
    SegmentsSettings settings = read_segments_settings(section, file);
    config.stage_inputs.push_back({settings.model, "[segments] model"});
    if (!settings.names.empty())
      config.stage_inputs.push_back({settings.names, "[segments] names"});
    if (settings.retrain) {
      config.stage_outputs.push_back({"segments_model.json", "the retrained segments model"});
    }
    return {std::make_shared<SegmentsStage>(std::move(settings))};
  }

  void check(NightlyRun& run) override {
    SegmentsSettings const& settings = settings_;
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
      run.will_produce({"cluster", "cluster_name"}, "[segments]");
      return;
    }
    ModelDocument const document = naming(run.config, "[segments] model", [&] {
      return read_model_file(settings.model, kSegmentModelKind);
    });
    model_.emplace(naming(run.config, "[segments] model",
                          [&] { return SegmentModel::from_document(document, settings.model); }));
    run.need_columns(model_->pipeline().column_names(), "the segments model " + settings.model);
    if (!given_names_.empty()) {
      model_->set_names(naming(run.config, "[segments] names", [&] {
        return apply_given_names(model_->names(), given_names_, settings.names);
      }));
    }
    run.will_produce({"cluster", "cluster_name"}, "[segments]");
  }

  void run(NightlyRun& run) override {
    StageProgress stage("segments", run.customers.rows(), *run.logger);
    if (settings_.retrain) retrain(run);
    clusters_ = model_->assign(
        run.ctx, complete_numeric_columns(run.customers, model_->pipeline().column_names(),
                                          "the segments model"));
    run.clusters = clusters_;
    run.share_numeric("cluster", std::span<std::int32_t const>(clusters_));
    run.share_categorical("cluster_name", model_->names(), clusters_);
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
    SegmentsSettings const& settings = settings_;
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
  /// id, previous_id or null for a new one, centroid_distance; "new" and "gone" ids). Without a
  /// usable previous model the fitted order stands (and the report says why).
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
    run.logger->info(
        "segments: clusters matched to the previous model's ids; new: [{}], gone: [{}]",
        fmt::join(fresh, ", "), fmt::join(match->gone, ", "));
    return {{"previous_model", previous_path},
            {"clusters", std::move(clusters)},
            {"new", fresh},
            {"gone", match->gone}};
  }

  SegmentsSettings settings_;
  std::optional<SegmentModel> model_;
  std::map<int, std::string> given_names_;
  std::vector<std::int32_t> clusters_;
  std::vector<std::string> quoted_names_;  ///< per cluster id, as a CSV field
};

}  // namespace

NightlyStageKind segments_stage() {
  return {
      "segments",
      false,
      {"model", "retrain", "k", "features", "transforms", "n_init", "max_iter", "refine", "names"},
      {"segments_model.json"},
      &SegmentsStage::configure};
}

}  // namespace cie
