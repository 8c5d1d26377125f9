// The run's own sections ([run], [inputs], [output]), the unknown-key report over the whole file,
// and the stages' configuration in stage-list order (host/pipeline/nightly_config.hpp).
#include "host/pipeline/nightly_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/date.hpp"
#include "core/date_format.hpp"
#include "core/error.hpp"
#include "core/text_file.hpp"
#include "core/toml_support.hpp"
#include "core/units.hpp"
#include "host/io/delimited_text.hpp"
#include "host/pipeline/config_section.hpp"
#include "host/pipeline/nightly_run.hpp"

namespace cie {
namespace {

namespace fs = std::filesystem;

/// A section's keys, for the unknown-key report.
struct SectionKeys {
  std::string name;
  bool array = false;
  std::vector<std::string_view> keys;
};

std::vector<SectionKeys> run_sections() {
  return {{"run", false, {"as_of", "device", "threads", "seed", "memory_limit"}},
          {"inputs",
           false,
           {"transactions", "delimiter", "no_header", "id_col", "date_col", "date_format",
            "amount_col", "quantity_col", "price_col", "order_col", "cancel_prefix", "bad_rows",
            "returns", "attributes", "attributes_delimiter", "attributes_id_col"}},
          {"output", false, {"directory", "customers", "report"}}};
}

/// Keys renamed to follow the command-line options (the old name refused with the new one).
std::map<std::string_view, std::string_view> const kRenamedKeys = {
    {"id_column", "id_col"},
    {"date_column", "date_col"},
    {"amount_column", "amount_col"},
    {"quantity_column", "quantity_col"},
    {"price_column", "price_col"},
    {"order_column", "order_col"},
    {"attributes_id_column", "attributes_id_col"}};

/// Every unknown key of the file (top-level or in a known section), in file order.
void check_keys(toml::table const& document, std::vector<SectionKeys> const& sections,
                std::string const& source) {
  std::map<std::string, SectionKeys> known;
  for (SectionKeys const& section : sections) {
    SectionKeys& entry = known[section.name];
    entry.name = section.name;
    entry.array = section.array;
    entry.keys.insert(entry.keys.end(), section.keys.begin(), section.keys.end());
  }
  std::vector<std::string_view> section_names;
  for (auto const& [name, _] : known) section_names.push_back(name);

  std::vector<TomlProblem> problems;
  auto const check_table = [&](toml::table const& table, SectionKeys const& section) {
    std::string const context =
        section.array ? "[[" + section.name + "]]" : "[" + section.name + "]";
    for (auto const& [key, value] : table) {
      std::string_view const name = key.str();
      if (std::find(section.keys.begin(), section.keys.end(), name) != section.keys.end()) continue;
      TomlProblem problem = unknown_key_problem(key, section.keys, context);
      if (auto renamed = kRenamedKeys.find(name);
          renamed != kRenamedKeys.end() && section.name == "inputs") {
        problem.message = fmt::format(
            "unknown key '{}' in {}: it is now '{}' (keys are named like the command-line "
            "options, '_' for '-')",
            name, context, renamed->second);
      } else if (problem.message.find("did you mean") == std::string::npos) {
        for (auto const& [other, keys] : known) {
          if (std::find(keys.keys.begin(), keys.keys.end(), name) != keys.keys.end()) {
            problem.message += fmt::format("; it belongs in {}",
                                           keys.array ? "[[" + other + "]]" : "[" + other + "]");
            break;
          }
        }
      }
      problems.push_back(std::move(problem));
    }
  };
  for (auto const& [key, value] : document) {
    auto const section = known.find(std::string(key.str()));
    if (section == known.end()) {
      problems.push_back(unknown_key_problem(key, section_names, "the file"));
      continue;
    }
    if (toml::table const* table = value.as_table()) {
      check_table(*table, section->second);
    } else if (toml::array const* array = value.as_array()) {
      for (toml::node const& item : *array) {
        if (item.is_table()) check_table(*item.as_table(), section->second);
      }
    }  // anything else: the section's reader reports its form
  }
  fail_on_problems(std::move(problems), source);
}

void read_run(ConfigSection const& run, NightlyConfig& config) {
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

void read_inputs(ConfigSection const& inputs, fs::path const& base, NightlyConfig& config) {
  CIE_EXPECTS(inputs.present(), "{}: the [inputs] section is missing (it names the transactions)",
              config.source);
  std::optional<std::string> transactions = inputs.path("transactions", base, true);
  CIE_EXPECTS(transactions.has_value(), "{}: [inputs] transactions is required", config.source);
  config.transactions = *transactions;
  config.attributes = inputs.path("attributes", base, true).value_or("");
  TransactionsFormat& format = config.transactions_format;
  if (auto text = inputs.text("delimiter")) {
    format.delimiter = parse_delimiter(*text, inputs.setting("delimiter"));
  }
  format.has_header = !inputs.boolean("no_header").value_or(false);
  format.id_column = inputs.text("id_col").value_or(format.id_column);
  format.date_column = inputs.text("date_col").value_or(format.date_column);
  format.amount_column = inputs.text("amount_col").value_or(format.amount_column);
  format.date_format = inputs.text("date_format").value_or("");
  if (!format.date_format.empty()) {
    (void)DateFormat::compile(format.date_format, inputs.setting("date_format"));
  }
  format.quantity_column = inputs.text("quantity_col").value_or("");
  format.price_column = inputs.text("price_col").value_or("");
  CIE_EXPECTS(format.quantity_column.empty() == format.price_column.empty(),
              "{}: [inputs] quantity_col and price_col go together", config.source);
  format.order_column = inputs.text("order_col").value_or("");
  format.cancel_prefix = inputs.text("cancel_prefix").value_or("");
  CIE_EXPECTS(format.cancel_prefix.empty() || !format.order_column.empty(),
              "{}: [inputs] cancel_prefix needs order_col", config.source);
  if (auto text = inputs.text("bad_rows")) {
    set_bad_rows(format, *text, inputs.setting("bad_rows"));
    if (format.bad_rows == BadRowPolicy::kQuarantine &&
        fs::path(format.quarantine_path).is_relative()) {
      format.quarantine_path = (base / format.quarantine_path).lexically_normal().string();
    }
  }
  if (auto text = inputs.text("returns")) set_returns(format, *text, inputs.setting("returns"));
  if (auto text = inputs.text("attributes_delimiter")) {
    config.attributes_delimiter = parse_delimiter(*text, inputs.setting("attributes_delimiter"));
  }
  config.attributes_id_column =
      inputs.text("attributes_id_col").value_or(config.attributes_id_column);
}

void read_output(ConfigSection const& output, fs::path const& base, NightlyConfig& config) {
  CIE_EXPECTS(output.present(), "{}: the [output] section is missing (it names the directory)",
              config.source);
  std::optional<std::string> directory = output.path("directory", base, false);
  CIE_EXPECTS(directory.has_value(), "{}: [output] directory is required", config.source);
  config.output_directory = *directory;
  for (auto [key, target] :
       {std::pair{"customers", &config.customers_file}, std::pair{"report", &config.report_file}}) {
    if (auto name = output.text(key)) {
      CIE_EXPECTS(
          !name->empty() && name->find('/') == std::string::npos && *name != "." && *name != "..",
          "{} must be a file name inside the output directory, got '{}'", output.setting(key),
          *name);
      *target = *name;
    }
  }
  CIE_EXPECTS(config.customers_file != config.report_file,
              "{}: [output] customers and report must be different files", config.source);
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
  std::vector<SectionKeys> sections = run_sections();
  for (NightlyStageKind const& kind : nightly_stage_kinds()) {
    if (!kind.section.empty()) sections.push_back({kind.section, kind.array, kind.keys});
  }
  check_keys(document, sections, source);

  ConfigFile const file(document, config.source);
  read_run(file.section("run"), config);
  read_inputs(file.section("inputs"), file.base(), config);
  read_output(file.section("output"), file.base(), config);
  for (NightlyStageKind const& kind : nightly_stage_kinds()) {
    for (std::shared_ptr<NightlyStage>& stage : kind.configure(file, config)) {
      config.stages.push_back(std::move(stage));
    }
    config.published_names.insert(config.published_names.end(), kind.published.begin(),
                                  kind.published.end());
  }
  return config;
}

NightlyConfig read_nightly_config(std::string const& path) {
  return parse_nightly_config(read_text_file(path), path);
}

}  // namespace cie
