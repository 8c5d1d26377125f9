#include "host/nightly.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "host/atomic_file.hpp"
#include "host/batch_plan.hpp"
#include "host/customer_table.hpp"
#include "host/date.hpp"
#include "host/delimited_text.hpp"
#include "host/error.hpp"
#include "host/model_file.hpp"
#include "host/nightly_inputs.hpp"
#include "host/progress.hpp"
#include "host/publish.hpp"
#include "host/rfm_output.hpp"
#include "host/text_file.hpp"
#include "host/units.hpp"
#include "models/propensity.hpp"
#include "models/rfm.hpp"
#include "models/segment_model.hpp"

namespace cie {
namespace {

using nlohmann::json;

/// A device failure the run may recover from: the request was auto, not an explicit GPU.
bool may_fall_back(NightlyConfig const& config, Context const& ctx, Error const& error) {
  return error.code() == ExitCode::kDevice && ctx.is_cuda() &&
         DeviceRequest::parse(config.device).kind == DeviceRequest::Kind::kAuto;
}

Context cpu_context(NightlyConfig const& config, std::shared_ptr<Logger> logger) {
  ContextOptions options;
  options.device.kind = DeviceRequest::Kind::kCpu;
  options.threads = config.threads;
  options.seed = config.seed;
  options.memory_budget_bytes = config.memory_limit_bytes;
  return Context(options, std::move(logger));
}

/// Fits tonight's k-means model on the RFM table (config [segments] retrain).
SegmentModel retrain_segments(Context const& ctx, NightlySegments const& settings,
                              CustomerTable const& customers, json& metrics) {
  std::vector<FeatureSpec> specs;
  for (std::size_t j = 0; j < settings.features.size(); ++j) {
    std::string const& column = settings.features[j];
    std::string const spec = settings.transforms.empty() || settings.transforms[j].empty()
                                 ? default_rfm_transform(column)
                                 : settings.transforms[j];
    specs.push_back({column, ColumnTransform::parse(spec, column)});
  }
  FeaturePipeline pipeline(std::move(specs));
  RawColumns const raw =
      complete_numeric_columns(customers, settings.features, "[segments] retrain");
  pipeline.fit(ctx, raw);
  std::vector<float> const prepared = pipeline.apply(ctx, raw);
  KMeansParams params;
  params.n_clusters = settings.k;
  params.n_init = settings.n_init;
  params.max_iter = settings.max_iter;
  params.refine = settings.refine;
  params.seed = ctx.seed();
  KMeansResult const result =
      kmeans_fit(ctx, params, FeatureMatrix{prepared.data(), raw.rows, pipeline.size()});
  metrics = {{"inertia", result.inertia},
             {"iterations", result.iterations},
             {"converged", result.converged},
             {"refine_moves", result.refine_moves},
             {"device", ctx.device_name()},
             {"params",
              {{"n_clusters", params.n_clusters},
               {"n_init", params.n_init},
               {"max_iter", params.max_iter},
               {"refine", kmeans_refine_name(params.refine)},
               {"seed", params.seed}}}};
  return {std::move(pipeline), result.centroids, params.n_clusters};
}

/// Scores `customers` with one model in planned batches, with the device fallback.
std::vector<double> score(NightlyConfig const& config, Context& ctx,
                          std::shared_ptr<Logger> const& logger, LoadedPropensity const& loaded,
                          CustomerTable const& customers, json& plan_report,
                          std::vector<StageTiming>& stages) {
  std::size_t const features = loaded.model.encoder().feature_names().size();
  // One batch buffer row: the encoded features (float32) and the probability (double); the
  // pipeline encodes straight from the table, so nothing else is per batch.
  std::size_t const row_bytes = 4 * features + 8;
  std::size_t const resident = current_rss_bytes();
  std::size_t const budget = ctx.memory_budget_bytes() > resident
                                 ? ctx.memory_budget_bytes() - resident
                                 : std::size_t{1} << 20;
  if (ctx.memory_budget_bytes() <= resident) {
    logger->warn("score {}: the tables held already use {} of memory_limit {}; scoring in the "
                 "smallest batches",
                 loaded.name, format_bytes(resident), format_bytes(ctx.memory_budget_bytes()));
  }
  BatchPlan plan =
      plan_batches(customers.rows(), row_bytes, row_bytes, budget, device_free_bytes(ctx));
  plan_report = {{"batch_rows", plan.batch_rows}, {"batches", plan.batches}, {"reason", plan.reason}};
  logger->debug("score {}: {}", loaded.name, plan.reason);

  StageProgress progress("score " + loaded.name, customers.rows(), *logger);
  std::vector<double> probability(customers.rows());
  std::size_t batch_rows = std::max<std::size_t>(plan.batch_rows, 1);
  std::size_t done = 0;  // rows [0, done) are scored; a retry resumes there
  auto const batch_done = [&](std::size_t /*begin*/, std::size_t end) {
    progress.advance(end - done);
    done = end;
  };
  while (done < customers.rows()) {
    try {
      loaded.model.score(ctx, customers, loaded.path, batch_rows, probability, batch_done, done);
    } catch (Error const& error) {
      if (!may_fall_back(config, ctx, error)) throw;
      if (batch_rows > 1024) {
        batch_rows /= 2;
        logger->warn("score {}: device failure ({}); retrying with batches of {} rows",
                     loaded.name, error.what(), batch_rows);
      } else {
        logger->warn("score {}: device failure ({}); continuing on the CPU", loaded.name,
                     error.what());
        ctx = cpu_context(config, logger);
      }
    }
  }
  stages.push_back(progress.finish());
  return probability;
}

json decile_summary(std::vector<double> const& probability, Ranking const& ranking) {
  json out = json::array();
  for (int d = 1; d <= 10; ++d) {
    std::size_t count = 0;
    double sum = 0.0;
    for (std::size_t i = 0; i < probability.size(); ++i) {
      if (ranking.decile[i] != d) continue;
      ++count;
      sum += probability[i];
    }
    out.push_back({{"decile", d},
                   {"customers", count},
                   {"mean_probability", count == 0 ? 0.0 : sum / static_cast<double>(count)}});
  }
  return out;
}

}  // namespace

json run_nightly(NightlyConfig const& config, std::shared_ptr<Logger> logger) {
  // Everything that can be checked without reading the data is checked first.
  NightlyInputs inputs = load_nightly_inputs(config);
  PublishRecovery const recovery = recover_interrupted_publish(config.output_directory);
  if (recovery.restored_previous) {
    logger->warn("{}: restored the previous outputs left by an interrupted publish",
                 config.output_directory);
  }
  OutputStaging staging(config.output_directory);
  ContextOptions options;
  options.device = DeviceRequest::parse(config.device);
  options.threads = config.threads;
  options.seed = config.seed;
  options.memory_budget_bytes = config.memory_limit_bytes;
  Context ctx(options, logger);

  std::vector<StageTiming> stages;
  json report = {{"config", config.source}, {"device", ctx.device_name()},
                 {"seed", config.seed}, {"memory_limit_bytes", ctx.memory_budget_bytes()}};

  StageProgress read("read transactions", 0, *logger);
  ReadReport read_report;
  Transactions transactions =
      read_transactions(ctx, config.transactions, config.transactions_format, read_report);
  read.advance(read_report.rows_accepted);
  stages.push_back(read.finish());
  report["inputs"] = {{"transactions", input_file_json(config.transactions, read_report)}};

  StageProgress rfm_stage("rfm", transactions.customer_count(), *logger);
  RfmParams rfm_params = config.rfm;
  rfm_params.as_of_day = config.as_of_day;
  RfmTable const rfm = compute_rfm(ctx, rfm_params, transactions, inputs.segment_table);
  rfm_stage.advance(rfm.size());
  stages.push_back(rfm_stage.finish());
  report["as_of"] = format_date(rfm.as_of_day);
  report["transactions_after_as_of"] = rfm.transactions_after_as_of;

  // Only the customer ids are needed from here on: free the rows (20 bytes each).
  std::vector<std::int32_t>().swap(transactions.customer);
  std::vector<std::int64_t>().swap(transactions.timestamp);
  std::vector<double>().swap(transactions.amount);

  std::vector<std::string> rfm_columns = inputs.needed_columns;
  rfm_columns.push_back("segment");  // never empty: an empty list would mean every column
  CustomerTable customers = rfm_customer_table(rfm, transactions, inputs.segment_table,
                                               "RFM of " + config.transactions, rfm_columns);
  std::vector<JoinSide> sides;
  if (!config.attributes.empty()) {
    StageProgress stage("read attributes", 0, *logger);
    CustomerTable attributes = read_attributes(config, inputs);
    report["inputs"]["attributes"] = input_file_json(config.attributes, attributes.rows());
    std::vector<CustomerTable> others;
    others.push_back(std::move(attributes));
    customers = join_tables(std::move(customers), std::move(others), sides);
    stage.advance(customers.rows());
    stages.push_back(stage.finish());
  }
  report["join"] = join_json(sides);
  report["customers"] = customers.rows();
  CIE_EXPECTS_DATA(customers.rows() > 0, "{}: no customer has a transaction before {}{}",
                   config.transactions, format_date(rfm.as_of_day),
                   config.attributes.empty() ? "" : " and a row in the attributes file");
  // RFM table row of each customer (the join keeps the RFM table's order and line numbers).
  std::vector<std::size_t> rfm_rows(customers.rows());
  for (std::size_t i = 0; i < customers.rows(); ++i) rfm_rows[i] = customers.line_numbers[i] - 1;

  std::vector<std::int32_t> clusters;
  if (config.segments.enabled) {
    StageProgress stage("segments", customers.rows(), *logger);
    json metrics;
    if (config.segments.retrain) {
      SegmentModel const model = retrain_segments(ctx, config.segments, customers, metrics);
      ModelDocument document = model.to_document();
      document.training_metrics = metrics;
      write_model_file(staging.path("segments_model.json"), document);
      inputs.segment_model.emplace(model);
      report["segments_model"] = {{"retrained", true}, {"file", "segments_model.json"},
                                  {"inertia", metrics["inertia"]}};
    }
    SegmentModel const& model = *inputs.segment_model;
    clusters = model.assign(
        ctx, complete_numeric_columns(customers, model.pipeline().column_names(),
                                      "the segments model"));
    std::vector<std::size_t> sizes(static_cast<std::size_t>(model.n_clusters()));
    for (std::int32_t const c : clusters) ++sizes[static_cast<std::size_t>(c)];
    report["clusters"] = sizes;
    stage.advance(customers.rows());
    stages.push_back(stage.finish());
  }

  std::vector<std::vector<double>> probabilities;
  std::vector<Ranking> rankings;
  report["models"] = json::array();
  for (LoadedPropensity const& loaded : inputs.propensity) {
    json plan;
    probabilities.push_back(score(config, ctx, logger, loaded, customers, plan, stages));
    rankings.push_back(rank_scores(probabilities.back(), 10));
    json model = model_json(loaded);
    model["batches"] = plan;
    model["deciles"] = decile_summary(probabilities.back(), rankings.back());
    report["models"].push_back(std::move(model));
  }
  if (ctx.device_name() != report["device"].get<std::string>()) {
    report["device_fallback"] = ctx.device_name();  // a device failure moved the rest here
  }

  StageProgress write("write", customers.rows(), *logger);
  RfmExtraColumns extra;
  if (config.segments.enabled) extra.names.push_back("cluster");
  for (LoadedPropensity const& loaded : inputs.propensity) {
    extra.names.push_back(loaded.name + "_probability");
    extra.names.push_back(loaded.name + "_decile");
  }
  extra.append = [&](fmt::memory_buffer& out, std::size_t row) {
    if (!clusters.empty()) fmt::format_to(std::back_inserter(out), ",{}", clusters[row]);
    for (std::size_t m = 0; m < probabilities.size(); ++m) {
      fmt::format_to(std::back_inserter(out), ",{},{}", probabilities[m][row],
                     rankings[m].decile[row]);
    }
  };
  write_rfm_csv(ctx, rfm, transactions, inputs.segment_table, staging.path(config.customers_file),
                rfm_rows, &extra);
  write.advance(customers.rows());
  stages.push_back(write.finish());

  report["rfm_segments"] = rfm_segment_json(rfm, inputs.segment_table, rfm_rows);
  report["stages"] = stages_json(stages);
  report["outputs"] = {{"directory", config.output_directory},
                       {"customers", config.customers_file},
                       {"report", config.report_file}};
  write_file_atomically(staging.path(config.report_file), report.dump(2) + "\n");
  staging.commit();
  return report;
}

}  // namespace cie
