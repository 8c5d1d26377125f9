#include "models/rfm/rfm_segments.hpp"

#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/toml_support.hpp"

namespace cie {
namespace detail {
std::string_view standard_segment_table_toml(int score_bins);  // generated from datasets/
}

namespace {

ScoreRange parse_range(toml::table const& rule, std::string_view key, int score_bins,
                       std::string const& source_name, std::string const& rule_name) {
  toml::node const* node = rule.get(key);
  if (node == nullptr) {
    fail(ExitCode::kUsage, "{}: segment '{}' has no '{}' range", toml_where(source_name, rule),
         rule_name, key);
  }
  toml::array const* array = node->as_array();
  if (array == nullptr || array->size() != 2 || !array->get(0)->is_integer() ||
      !array->get(1)->is_integer()) {
    fail(ExitCode::kUsage, "{}: segment '{}': '{}' must be [low, high] with integer scores",
         toml_where(source_name, *node), rule_name, key);
  }
  ScoreRange range{static_cast<int>(array->get(0)->as_integer()->get()),
                   static_cast<int>(array->get(1)->as_integer()->get())};
  if (range.low < 1 || range.high > score_bins || range.low > range.high) {
    fail(ExitCode::kUsage,
         "{}: segment '{}': '{}' = [{}, {}] must satisfy 1 <= low <= high <= score_bins ({})",
         toml_where(source_name, *node), rule_name, key, range.low, range.high, score_bins);
  }
  return range;
}

}  // namespace

SegmentTable SegmentTable::standard(int score_bins) {
  std::string_view text = detail::standard_segment_table_toml(score_bins);
  if (text.empty()) return unnamed(score_bins);
  return from_toml(text, fmt::format("<standard segment table, {} bins>", score_bins));
}

SegmentTable SegmentTable::unnamed(int score_bins) {
  CIE_EXPECTS(score_bins >= 2 && score_bins <= 9, "score_bins must be in 2..9, got {}", score_bins);
  SegmentTable table;
  table.score_bins_ = score_bins;
  return table;
}

SegmentTable SegmentTable::from_toml(std::string_view text, std::string const& source_name) {
  toml::table document;
  try {
    document = toml::parse(text, source_name);
  } catch (toml::parse_error const& error) {
    fail(ExitCode::kUsage, "{}:{}:{}: {}", source_name, error.source().begin.line,
         error.source().begin.column, error.description());
  }
  reject_unknown_keys(document, {"score_bins", "fallback", "segment"}, source_name, "the table");

  SegmentTable table;
  std::optional<std::int64_t> score_bins = document["score_bins"].value<std::int64_t>();
  CIE_EXPECTS(score_bins.has_value() && *score_bins >= 2 && *score_bins <= 9,
              "{}: 'score_bins' must be an integer in 2..9", source_name);
  table.score_bins_ = static_cast<int>(*score_bins);
  table.fallback_ = document["fallback"].value_or(std::string("Others"));
  CIE_EXPECTS(!table.fallback_.empty(), "{}: 'fallback' must not be empty", source_name);

  toml::array const* segments = document["segment"].as_array();
  CIE_EXPECTS(segments != nullptr && !segments->empty(),
              "{}: the table needs at least one [[segment]]", source_name);
  std::set<std::string> names{table.fallback_};
  for (toml::node const& node : *segments) {
    toml::table const* rule = node.as_table();
    CIE_EXPECTS(rule != nullptr, "{}: each 'segment' must be a table",
                toml_where(source_name, node));
    reject_unknown_keys(*rule, {"name", "description", "recency", "frequency", "monetary"},
                        source_name, "a [[segment]]");
    SegmentRule parsed;
    parsed.name = (*rule)["name"].value_or(std::string());
    CIE_EXPECTS(!parsed.name.empty(), "{}: a segment needs a non-empty 'name'",
                toml_where(source_name, *rule));
    CIE_EXPECTS(names.insert(parsed.name).second, "{}: segment name '{}' is used twice",
                toml_where(source_name, *rule), parsed.name);
    parsed.description = (*rule)["description"].value_or(std::string());
    parsed.recency = parse_range(*rule, "recency", table.score_bins_, source_name, parsed.name);
    parsed.frequency = parse_range(*rule, "frequency", table.score_bins_, source_name, parsed.name);
    parsed.monetary = parse_range(*rule, "monetary", table.score_bins_, source_name, parsed.name);
    table.rules_.push_back(std::move(parsed));
  }
  CIE_EXPECTS(table.rules_.size() < 32000, "{}: too many segments", source_name);
  return table;
}

std::string const& SegmentTable::name(std::size_t segment) const {
  CIE_ASSERT(segment <= rules_.size());
  return segment < rules_.size() ? rules_[segment].name : fallback_;
}

std::int16_t SegmentTable::classify(int recency, int frequency, int monetary) const noexcept {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    SegmentRule const& rule = rules_[i];
    if (rule.recency.contains(recency) && rule.frequency.contains(frequency) &&
        rule.monetary.contains(monetary)) {
      return static_cast<std::int16_t>(i);
    }
  }
  return static_cast<std::int16_t>(rules_.size());
}

}  // namespace cie
