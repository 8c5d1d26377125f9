#include "host/pipeline/nightly_config.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "core/units.hpp"
#include "core/date.hpp"
#include "host/io/delimited_text.hpp"
#include "core/date_format.hpp"
#include "core/error.hpp"
#include "core/text_file.hpp"
#include "core/toml_support.hpp"

namespace cie {
namespace {

namespace fs = std::filesystem;

/// Reads the keys of one TOML table with messages naming file, line and key.
class Section {
 public:
  Section(toml::table const* table, std::string name, std::string const& source)
      : table_(table), name_(std::move(name)), source_(source) {}

  [[nodiscard]] bool present() const noexcept { return table_ != nullptr; }

  void allow(std::set<std::string_view> const& keys) const {
    if (table_ != nullptr) reject_unknown_keys(*table_, keys, source_, "[" + name_ + "]");
  }

  template <typename T>
  std::optional<T> get(std::string_view key, std::string_view type_name) const {
    if (table_ == nullptr) return std::nullopt;
    toml::node const* node = table_->get(key);
    if (node == nullptr) return std::nullopt;
    std::optional<T> value = node->value_exact<T>();
    CIE_EXPECTS(value.has_value(), "{}: [{}] {} must be {}", toml_where(source_, *node), name_,
                key, type_name);
    return value;
  }
  std::optional<std::string> text(std::string_view key) const {
    return get<std::string>(key, "a string");
  }
  std::optional<std::int64_t> integer(std::string_view key) const {
    return get<std::int64_t>(key, "an integer");
  }
  std::optional<bool> boolean(std::string_view key) const { return get<bool>(key, "true or false"); }
  /// A float, or an integer read as one.
  std::optional<double> number(std::string_view key) const {
    toml::node const* node = table_ != nullptr ? table_->get(key) : nullptr;
    if (node == nullptr) return std::nullopt;
    std::optional<double> value = node->is_integer()
                                      ? std::optional<double>(double(*node->value_exact<std::int64_t>()))
                                      : node->value_exact<double>();
    CIE_EXPECTS(value.has_value(), "{}: [{}] {} must be a number", toml_where(source_, *node),
                name_, key);
    return value;
  }

  std::optional<std::vector<std::string>> strings(std::string_view key) const {
    if (table_ == nullptr || table_->get(key) == nullptr) return std::nullopt;
    toml::node const& node = *table_->get(key);
    toml::array const* array = node.as_array();
    std::vector<std::string> out;
    bool ok = array != nullptr;
    if (ok) {
      for (toml::node const& item : *array) {
        std::optional<std::string> value = item.value_exact<std::string>();
        ok = ok && value.has_value();
        if (value) out.push_back(*value);
      }
    }
    CIE_EXPECTS(ok, "{}: [{}] {} must be an array of strings", toml_where(source_, node), name_,
                key);
    return out;
  }

  /// "FILE:LINE: [section] key" for a value's messages.
  [[nodiscard]] std::string setting(std::string_view key) const {
    toml::node const* node = table_ != nullptr ? table_->get(key) : nullptr;
    return node != nullptr ? fmt::format("{}: [{}] {}", toml_where(source_, *node), name_, key)
                           : fmt::format("{}: [{}] {}", source_, name_, key);
  }

  /// A path value resolved against `base`; `must_exist` checks the file.
  std::optional<std::string> path(std::string_view key, fs::path const& base,
                                  bool must_exist) const {
    std::optional<std::string> value = text(key);
    if (!value) return std::nullopt;
    CIE_EXPECTS(!value->empty(), "{} must not be empty", setting(key));
    fs::path resolved = fs::path(*value).is_absolute() ? fs::path(*value) : base / *value;
    std::error_code error;
    CIE_EXPECTS(!must_exist || fs::is_regular_file(resolved, error),
                "{}: file {} does not exist (or is not a regular file)", setting(key),
                resolved.string());
    return resolved.lexically_normal().string();
  }

 private:
  toml::table const* table_;
  std::string name_;
  std::string const& source_;
};

void read_run(Section const& run, NightlyConfig& config) {
  run.allow({"as_of", "device", "threads", "seed", "memory_limit"});
  if (auto as_of = run.text("as_of")) {
    std::optional<std::int32_t> day = parse_date(*as_of);
    CIE_EXPECTS(day.has_value(), "{}: expected a date such as 2026-01-01, got '{}'",
                run.setting("as_of"), *as_of);
    config.as_of_day = day;
  }
  if (auto device = run.text("device")) {
    DeviceRequest::parse(*device);  // checked now, used by the caller
    config.device = *device;
  }
  if (auto threads = run.integer("threads")) {
    CIE_EXPECTS(*threads >= 0 && *threads <= 4096, "{} must be in [0, 4096], got {}",
                run.setting("threads"), *threads);
    config.threads = static_cast<int>(*threads);
  }
  if (auto seed = run.integer("seed")) {
    CIE_EXPECTS(*seed >= 0, "{} must be >= 0, got {}", run.setting("seed"), *seed);
    config.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto limit = run.text("memory_limit")) {
    config.memory_limit_bytes = parse_memory_size(*limit, run.setting("memory_limit"));
  }
}

void read_inputs(Section const& inputs, fs::path const& base, NightlyConfig& config) {
  CIE_EXPECTS(inputs.present(), "{}: the [inputs] section is missing (it names the transactions)",
              config.source);
  inputs.allow({"transactions", "attributes", "delimiter", "id_column", "date_column", "date_format",
                "amount_column", "quantity_column", "price_column", "order_column",
                "cancel_prefix", "bad_rows", "returns", "attributes_delimiter",
                "attributes_id_column"});
  std::optional<std::string> transactions = inputs.path("transactions", base, true);
  CIE_EXPECTS(transactions.has_value(), "{}: [inputs] transactions is required", config.source);
  config.transactions = *transactions;
  config.attributes = inputs.path("attributes", base, true).value_or("");
  TransactionsFormat& format = config.transactions_format;
  if (auto text = inputs.text("delimiter")) {
    format.delimiter = parse_delimiter(*text, inputs.setting("delimiter"));
  }
  format.id_column = inputs.text("id_column").value_or(format.id_column);
  format.date_column = inputs.text("date_column").value_or(format.date_column);
  format.amount_column = inputs.text("amount_column").value_or(format.amount_column);
  format.date_format = inputs.text("date_format").value_or("");
  if (!format.date_format.empty()) {
    (void)DateFormat::compile(format.date_format, inputs.setting("date_format"));
  }
  format.quantity_column = inputs.text("quantity_column").value_or("");
  format.price_column = inputs.text("price_column").value_or("");
  CIE_EXPECTS(format.quantity_column.empty() == format.price_column.empty(),
              "{}: [inputs] quantity_column and price_column go together", config.source);
  format.order_column = inputs.text("order_column").value_or("");
  format.cancel_prefix = inputs.text("cancel_prefix").value_or("");
  CIE_EXPECTS(format.cancel_prefix.empty() || !format.order_column.empty(),
              "{}: [inputs] cancel_prefix needs order_column", config.source);
  if (auto text = inputs.text("bad_rows")) {
    set_bad_rows(format, *text, inputs.setting("bad_rows"));
    if (format.bad_rows == BadRowPolicy::kQuarantine && fs::path(format.quarantine_path).is_relative()) {
      format.quarantine_path = (base / format.quarantine_path).lexically_normal().string();
    }
  }
  if (auto text = inputs.text("returns")) set_returns(format, *text, inputs.setting("returns"));
  if (auto text = inputs.text("attributes_delimiter")) {
    config.attributes_delimiter = parse_delimiter(*text, inputs.setting("attributes_delimiter"));
  }
  config.attributes_id_column =
      inputs.text("attributes_id_column").value_or(config.attributes_id_column);
}

void read_rfm(Section const& rfm, fs::path const& base, NightlyConfig& config) {
  rfm.allow({"score_bins", "frequency", "monetary", "ties", "segments"});
  if (auto bins = rfm.integer("score_bins")) config.rfm.score_bins = static_cast<int>(*bins);
  bool const has_orders = !config.transactions_format.order_column.empty();
  if (auto text = rfm.text("frequency")) {
    config.rfm.frequency = parse_frequency_definition(*text, rfm.setting("frequency"));
    CIE_EXPECTS(config.rfm.frequency != FrequencyDefinition::kOrders || has_orders,
                "{}: frequency = \"orders\" needs [inputs] order_column", rfm.setting("frequency"));
  } else if (has_orders) {
    config.rfm.frequency = FrequencyDefinition::kOrders;
  }
  if (auto text = rfm.text("ties")) {
    config.rfm.ties = parse_score_ties(*text, rfm.setting("ties"));
  }
  if (auto text = rfm.text("monetary")) {
    config.rfm.monetary_basis = parse_monetary_basis(*text, rfm.setting("monetary"));
  }
  config.segment_table = rfm.path("segments", base, true).value_or("");
  try {
    config.rfm.validate();
  } catch (Error const& error) {
    fail(ExitCode::kUsage, "{}: [rfm] {}", config.source, error.what());
  }
}

void read_segments(Section const& section, fs::path const& base, NightlyConfig& config) {
  if (!section.present()) return;
  section.allow(
      {"model", "retrain", "k", "features", "transforms", "n_init", "max_iter", "refine", "names"});
  NightlySegments& segments = config.segments;
  segments.enabled = true;
  segments.retrain = section.boolean("retrain").value_or(false);
  std::optional<std::string> model = section.path("model", base, !segments.retrain);
  CIE_EXPECTS(segments.retrain != model.has_value(),
              "{}: [segments] needs either model = \"FILE\" (apply a saved k-means model) or "
              "retrain = true (fit on tonight's RFM table), not both",
              config.source);
  segments.model = model.value_or("");
  segments.names = section.path("names", base, true).value_or("");
  if (auto k = section.integer("k")) {
    CIE_EXPECTS(*k >= 1 && *k <= 1000, "{} must be in [1, 1000], got {}", section.setting("k"), *k);
    segments.k = static_cast<int>(*k);
  }
  if (auto features = section.strings("features")) {
    CIE_EXPECTS(!features->empty(), "{} must name at least one column", section.setting("features"));
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
              config.source);
}

/// [[propensity]] and [[uplift]]: arrays of {name, model} tables, names unique within the array.
template <typename Entry>
void read_named_models(toml::node const* node, fs::path const& base, std::string const& key,
                       NightlyConfig const& config, std::vector<Entry>& entries) {
  if (node == nullptr) return;
  toml::array const* array = node->as_array();
  CIE_EXPECTS(array != nullptr && array->is_array_of_tables(),
              "{}: {} must be an array of tables ([[{}]])", toml_where(config.source, *node), key,
              key);
  std::set<std::string> names;
  for (toml::node const& item : *array) {
    Section const section(item.as_table(), "[" + key + "]", config.source);
    section.allow({"name", "model"});
    std::optional<std::string> name = section.text("name");
    CIE_EXPECTS(name.has_value(), "{}: each [[{}]] needs a name", toml_where(config.source, item),
                key);
    bool valid = !name->empty();
    for (char const c : *name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    CIE_EXPECTS(valid, "{}: name '{}' must be letters, digits and '_' (it names output columns)",
                section.setting("name"), *name);
    CIE_EXPECTS(names.insert(*name).second, "{}: two [[{}]] models are named '{}'",
                section.setting("name"), key, *name);
    std::optional<std::string> model = section.path("model", base, true);
    CIE_EXPECTS(model.has_value(), "{}: [[{}]] '{}' needs model = \"FILE\"",
                toml_where(config.source, item), key, *name);
    entries.push_back({*name, *model});
  }
}

void read_output(Section const& output, fs::path const& base, NightlyConfig& config) {
  CIE_EXPECTS(output.present(), "{}: the [output] section is missing (it names the directory)",
              config.source);
  output.allow({"directory", "customers", "report"});
  std::optional<std::string> directory = output.path("directory", base, false);
  CIE_EXPECTS(directory.has_value(), "{}: [output] directory is required", config.source);
  config.output_directory = *directory;
  for (auto [key, target] : {std::pair{"customers", &config.customers_file},
                             std::pair{"report", &config.report_file}}) {
    if (auto name = output.text(key)) {
      CIE_EXPECTS(!name->empty() && name->find('/') == std::string::npos && *name != "." &&
                      *name != "..",
                  "{} must be a file name inside the output directory, got '{}'",
                  output.setting(key), *name);
      *target = *name;
    }
  }
  CIE_EXPECTS(config.customers_file != config.report_file,
              "{}: [output] customers and report must be different files", config.source);
}

void read_clv(Section const& section, fs::path const& base, NightlyConfig& config) {
  if (!section.present()) return;
  section.allow({"model", "horizon", "clv_months", "discount_rate", "margin"});
  NightlyClv& clv = config.clv;
  clv.enabled = true;
  clv.model = section.path("model", base, true).value_or("");
  CIE_EXPECTS(!clv.model.empty(), "{}: [clv] needs model = \"FILE\" (from cie clv fit)",
              config.source);
  auto const real = [&](std::string_view key, double& out) {
    if (auto value = section.number(key)) out = *value;
  };
  real("horizon", clv.horizon);
  real("discount_rate", clv.discount_rate);
  real("margin", clv.margin);
  if (auto months = section.integer("clv_months")) clv.clv_months = static_cast<int>(*months);
  CIE_EXPECTS(std::isfinite(clv.horizon) && clv.horizon > 0, "{} must be > 0",
              section.setting("horizon"));
  CIE_EXPECTS(clv.clv_months >= 1 && clv.clv_months <= 1200, "{} must be in 1..1200",
              section.setting("clv_months"));
  CIE_EXPECTS(std::isfinite(clv.discount_rate) && clv.discount_rate >= 0, "{} must be >= 0",
              section.setting("discount_rate"));
  CIE_EXPECTS(std::isfinite(clv.margin) && clv.margin >= 0, "{} must be >= 0",
              section.setting("margin"));
}

}  // namespace

NightlyConfig parse_nightly_config(std::string const& text, std::string const& source) {
  NightlyConfig config;
  config.source = source;
  toml::table document;
  try {
    document = toml::parse(text, source);
  } catch (toml::parse_error const& error) {
    fail(ExitCode::kUsage, "{}:{}: {}", source, error.source().begin.line, error.description());
  }
  reject_unknown_keys(document,
                      {"run", "inputs", "rfm", "segments", "propensity", "clv", "uplift", "output"},
                      source, "the file");
  fs::path const base = fs::path(source).parent_path();
  auto const section = [&](char const* name) {
    toml::node const* node = document.get(name);
    CIE_EXPECTS(node == nullptr || node->is_table(), "{}: {} must be a table ([{}])",
                node ? toml_where(source, *node) : source, name, name);
    return Section(node ? node->as_table() : nullptr, name, config.source);
  };
  read_run(section("run"), config);
  read_inputs(section("inputs"), base, config);
  read_rfm(section("rfm"), base, config);
  read_segments(section("segments"), base, config);
  read_named_models(document.get("propensity"), base, "propensity", config, config.propensity);
  read_named_models(document.get("uplift"), base, "uplift", config, config.uplift);
  read_clv(section("clv"), base, config);
  read_output(section("output"), base, config);
  return config;
}

NightlyConfig read_nightly_config(std::string const& path) {
  return parse_nightly_config(read_text_file(path), path);
}

}  // namespace cie
