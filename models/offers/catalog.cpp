#include "models/offers/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/toml_support.hpp"

namespace cie::offers {
namespace {

/// Reads typed keys of one TOML table, with messages naming the file, line and key.
class Keys {
 public:
  Keys(toml::table const& table, std::string const& source, std::string what)
      : table_(table), source_(source), what_(std::move(what)) {}

  [[nodiscard]] std::string where() const { return toml_where(source_, table_); }

  std::string text(std::string_view key, bool required) const {
    toml::node const* node = table_.get(key);
    if (node == nullptr) {
      CIE_EXPECTS(!required, "{}: {} needs '{}'", where(), what_, key);
      return {};
    }
    std::optional<std::string> value = node->value<std::string>();
    CIE_EXPECTS(value.has_value() && !value->empty(), "{}: '{}' in {} must be a non-empty string",
                toml_where(source_, *node), key, what_);
    return *value;
  }

  double number(std::string_view key, double fallback, double low, double high) const {
    toml::node const* node = table_.get(key);
    if (node == nullptr) return fallback;
    std::optional<double> value = node->value<double>();
    CIE_EXPECTS(value.has_value() && std::isfinite(*value) && *value >= low && *value <= high,
                "{}: '{}' in {} must be a number in [{}, {}]", toml_where(source_, *node), key,
                what_, low, high);
    return *value;
  }

  int integer(std::string_view key, int fallback, int low, int high) const {
    toml::node const* node = table_.get(key);
    if (node == nullptr) return fallback;
    std::optional<std::int64_t> value = node->value_exact<std::int64_t>();
    CIE_EXPECTS(value.has_value() && *value >= low && *value <= high,
                "{}: '{}' in {} must be an integer in {}..{}", toml_where(source_, *node), key,
                what_, low, high);
    return static_cast<int>(*value);
  }

  std::vector<std::string> texts(std::string_view key) const {
    toml::node const* node = table_.get(key);
    CIE_EXPECTS(node != nullptr, "{}: {} needs '{}'", where(), what_, key);
    toml::array const* array = node->as_array();
    CIE_EXPECTS(array != nullptr && !array->empty(), "{}: '{}' in {} must be a non-empty array",
                toml_where(source_, *node), key, what_);
    std::vector<std::string> values;
    for (toml::node const& item : *array) {
      std::optional<std::string> value = item.value<std::string>();
      CIE_EXPECTS(value.has_value(), "{}: '{}' in {} must hold strings", toml_where(source_, item),
                  key, what_);
      values.push_back(*value);
    }
    return values;
  }

 private:
  toml::table const& table_;
  std::string const& source_;
  std::string what_;
};

/// The tables of an array of tables `key` (empty when absent).
std::vector<toml::table const*> tables_of(toml::table const& document, std::string_view key,
                                          std::string const& source) {
  std::vector<toml::table const*> tables;
  toml::node const* node = document.get(key);
  if (node == nullptr) return tables;
  toml::array const* array = node->as_array();
  CIE_EXPECTS(array != nullptr, "{}: '{}' must be an array of tables ([[{}]])",
              toml_where(source, *node), key, key);
  for (toml::node const& item : *array) {
    CIE_EXPECTS(item.as_table() != nullptr, "{}: each '{}' must be a table",
                toml_where(source, item), key);
    tables.push_back(item.as_table());
  }
  return tables;
}

constexpr double kHuge = 1e300;

Offer parse_offer(toml::table const& table, Catalog const& catalog, std::string const& source) {
  reject_unknown_keys(
      table,
      {"name", "channel", "cost", "response_column", "value", "value_column",
       "expected_value_column", "min_volume", "max_volume", "budget", "control_share", "eligible"},
      source, "an [[offer]]");
  Keys const keys(table, source, "an [[offer]]");
  Offer offer;
  offer.name = keys.text("name", true);
  std::string const channel = keys.text("channel", true);
  offer.channel = catalog.channel_index(channel);
  CIE_EXPECTS(offer.channel >= 0, "{}: offer '{}' names channel '{}', which no [[channel]] defines",
              keys.where(), offer.name, channel);
  offer.cost = keys.number("cost", 0.0, 0.0, kHuge);
  offer.response_column = keys.text("response_column", false);
  offer.value = keys.number("value", 0.0, -kHuge, kHuge);
  offer.value_column = keys.text("value_column", false);
  offer.expected_value_column = keys.text("expected_value_column", false);
  bool const direct = !offer.expected_value_column.empty();
  CIE_EXPECTS(direct != !offer.response_column.empty(),
              "{}: offer '{}' needs either 'expected_value_column' or 'response_column' (with "
              "'value' or 'value_column'), not both",
              keys.where(), offer.name);
  CIE_EXPECTS(!direct || (offer.value_column.empty() && table.get("value") == nullptr),
              "{}: offer '{}': 'value' and 'value_column' go with 'response_column'", keys.where(),
              offer.name);
  CIE_EXPECTS(direct || offer.value_column.empty() || table.get("value") == nullptr,
              "{}: offer '{}': give 'value' or 'value_column', not both", keys.where(), offer.name);
  CIE_EXPECTS(direct || !offer.value_column.empty() || table.get("value") != nullptr,
              "{}: offer '{}' needs 'value' or 'value_column'", keys.where(), offer.name);
  if (table.get("max_volume") != nullptr) {
    offer.max_volume = std::floor(keys.number("max_volume", 0.0, 0.0, kHuge));
  }
  offer.budget =
      table.get("budget") == nullptr ? kUnlimited : keys.number("budget", 0.0, 0.0, kHuge);
  offer.control_share = keys.number("control_share", 0.0, 0.0, 0.99);
  if (table.get("min_volume") != nullptr) {
    offer.min_volume = std::ceil(keys.number("min_volume", 0.0, 0.0, kHuge));
    CIE_EXPECTS(offer.min_volume <= offer.capacity(),
                "{}: offer '{}': min_volume {} exceeds the {:.0f} contacts its max_volume and "
                "budget allow",
                keys.where(), offer.name, offer.min_volume, offer.capacity());
  }
  if (toml::node const* eligible = table.get("eligible")) {
    toml::array const* array = eligible->as_array();
    CIE_EXPECTS(array != nullptr, "{}: 'eligible' must be an array of inline tables",
                toml_where(source, *eligible));
    for (toml::node const& item : *array) {
      toml::table const* rule_table = item.as_table();
      CIE_EXPECTS(rule_table != nullptr,
                  "{}: each 'eligible' entry must be a table "
                  "{{ column = ..., levels = [...] }} or {{ column = ..., min = ..., max = ... }}",
                  toml_where(source, item));
      reject_unknown_keys(*rule_table, {"column", "levels", "min", "max"}, source,
                          "an eligibility rule");
      Keys const rule_keys(*rule_table, source, "an eligibility rule");
      EligibilityRule rule;
      rule.column = rule_keys.text("column", true);
      bool const has_levels = rule_table->get("levels") != nullptr;
      bool const has_range = rule_table->get("min") != nullptr || rule_table->get("max") != nullptr;
      CIE_EXPECTS(has_levels != has_range,
                  "{}: an eligibility rule needs 'levels' or "
                  "'min'/'max', not both",
                  rule_keys.where());
      if (has_levels) rule.levels = rule_keys.texts("levels");
      rule.min = rule_keys.number("min", -kHuge, -kHuge, kHuge);
      rule.max = rule_keys.number("max", kHuge, -kHuge, kHuge);
      CIE_EXPECTS(rule.min <= rule.max, "{}: 'min' exceeds 'max'", rule_keys.where());
      offer.eligible.push_back(std::move(rule));
    }
  }
  return offer;
}

}  // namespace

double Offer::capacity() const noexcept {
  double cap = max_volume;
  if (cost > 0.0 && budget != kUnlimited) cap = std::min(cap, std::floor(budget / cost));
  return cap;
}

Catalog Catalog::from_toml(std::string_view text, std::string const& source) {
  toml::table document;
  try {
    document = toml::parse(text, source);
  } catch (toml::parse_error const& error) {
    fail(ExitCode::kUsage, "{}:{}:{}: {}", source, error.source().begin.line,
         error.source().begin.column, error.description());
  }
  reject_unknown_keys(document,
                      {"seed", "max_contacts_per_run", "min_days_between", "opt_out_column",
                       "budget", "window", "channel", "segment_limit", "pair", "offer"},
                      source, "the catalogue");
  Keys const keys(document, source, "the catalogue");
  Catalog catalog;
  catalog.source = source;
  toml::node const* seed = document.get("seed");
  CIE_EXPECTS(seed != nullptr && seed->value_exact<std::int64_t>().has_value() &&
                  *seed->value_exact<std::int64_t>() >= 0,
              "{}: the catalogue needs 'seed', a non-negative integer that keys the control groups "
              "(keep it fixed so they stay stable)",
              source);
  catalog.seed = static_cast<std::uint64_t>(*seed->value_exact<std::int64_t>());
  catalog.max_contacts_per_run = keys.integer("max_contacts_per_run", 1, 1, kMaxContactsPerRun);
  catalog.min_days_between = keys.integer("min_days_between", 0, 0, 3650);
  catalog.opt_out_column = keys.text("opt_out_column", false);
  catalog.budget =
      document.get("budget") == nullptr ? kUnlimited : keys.number("budget", 0.0, 0.0, kHuge);
  for (toml::table const* table : tables_of(document, "window", source)) {
    reject_unknown_keys(*table, {"days", "max_contacts"}, source, "a [[window]]");
    Keys const window_keys(*table, source, "a [[window]]");
    CIE_EXPECTS(table->get("days") && table->get("max_contacts"),
                "{}: a [[window]] needs 'days' and 'max_contacts'", window_keys.where());
    catalog.windows.push_back(
        {window_keys.integer("days", 0, 1, 3650), window_keys.integer("max_contacts", 0, 0, 1000)});
  }
  for (toml::table const* table : tables_of(document, "channel", source)) {
    reject_unknown_keys(*table,
                        {"name", "capacity", "opt_out_column", "window_days", "max_contacts"},
                        source, "a [[channel]]");
    Keys const channel_keys(*table, source, "a [[channel]]");
    Channel channel;
    channel.name = channel_keys.text("name", true);
    CIE_EXPECTS(catalog.channel_index(channel.name) < 0, "{}: channel '{}' is defined twice",
                channel_keys.where(), channel.name);
    if (table->get("capacity") != nullptr) {
      channel.capacity = std::floor(channel_keys.number("capacity", 0.0, 0.0, kHuge));
    }
    channel.opt_out_column = channel_keys.text("opt_out_column", false);
    CIE_EXPECTS((table->get("window_days") == nullptr) == (table->get("max_contacts") == nullptr),
                "{}: a channel window needs both 'window_days' and 'max_contacts'",
                channel_keys.where());
    channel.window_days = channel_keys.integer("window_days", 0, 1, 3650);
    channel.max_contacts = channel_keys.integer("max_contacts", 0, 0, 1000);
    catalog.channels.push_back(std::move(channel));
  }
  CIE_EXPECTS(!catalog.channels.empty() &&
                  catalog.channels.size() <= static_cast<std::size_t>(kMaxChannels),
              "{}: the catalogue needs 1..{} [[channel]] tables", source, kMaxChannels);
  for (toml::table const* table : tables_of(document, "offer", source)) {
    Offer offer = parse_offer(*table, catalog, source);
    CIE_EXPECTS(catalog.offer_index(offer.name) < 0, "{}: offer '{}' is defined twice",
                toml_where(source, *table), offer.name);
    catalog.offers.push_back(std::move(offer));
  }
  CIE_EXPECTS(
      !catalog.offers.empty() && catalog.offers.size() <= static_cast<std::size_t>(kMaxOffers),
      "{}: the catalogue needs 1..{} [[offer]] tables", source, kMaxOffers);
  // The minimum volumes must fit the shared limits together.
  double min_cost = 0.0;
  std::vector<double> channel_min(catalog.channels.size(), 0.0);
  for (Offer const& offer : catalog.offers) {
    min_cost += offer.min_volume * offer.cost;
    channel_min[offer.channel] += offer.min_volume;
  }
  CIE_EXPECTS(
      min_cost <= catalog.budget,
      "{}: the offers' min_volume contacts cost {:.2f} together, more than the budget {:.2f}",
      source, min_cost, catalog.budget);
  for (std::size_t c = 0; c < catalog.channels.size(); ++c) {
    CIE_EXPECTS(channel_min[c] <= catalog.channels[c].capacity,
                "{}: the min_volume of the offers on channel '{}' add up to {:.0f}, more than its "
                "capacity {:.0f}",
                source, catalog.channels[c].name, channel_min[c], catalog.channels[c].capacity);
  }
  for (toml::table const* table : tables_of(document, "segment_limit", source)) {
    reject_unknown_keys(*table, {"column", "levels", "max_contacts_per_run"}, source,
                        "a [[segment_limit]]");
    Keys const limit_keys(*table, source, "a [[segment_limit]]");
    CIE_EXPECTS(table->get("max_contacts_per_run") != nullptr,
                "{}: a [[segment_limit]] needs 'max_contacts_per_run'", limit_keys.where());
    catalog.segment_limits.push_back(
        {limit_keys.text("column", true), limit_keys.texts("levels"),
         limit_keys.integer("max_contacts_per_run", 0, 0, kMaxContactsPerRun)});
  }
  for (toml::table const* table : tables_of(document, "pair", source)) {
    reject_unknown_keys(*table, {"offers", "days"}, source, "a [[pair]]");
    Keys const pair_keys(*table, source, "a [[pair]]");
    std::vector<std::string> const names = pair_keys.texts("offers");
    CIE_EXPECTS(names.size() == 2 && names[0] != names[1],
                "{}: 'offers' of a [[pair]] must name two different offers", pair_keys.where());
    PairRule rule{catalog.offer_index(names[0]), catalog.offer_index(names[1]),
                  pair_keys.integer("days", 0, 0, 3650)};
    CIE_EXPECTS(rule.first >= 0 && rule.second >= 0, "{}: a [[pair]] names an unknown offer",
                pair_keys.where());
    catalog.pairs.push_back(rule);
  }
  return catalog;
}

std::vector<std::string> Catalog::columns() const {
  std::vector<std::string> names;
  auto const add = [&](std::string const& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  add(opt_out_column);
  for (Channel const& channel : channels) add(channel.opt_out_column);
  for (SegmentLimit const& limit : segment_limits) add(limit.column);
  for (Offer const& offer : offers) {
    add(offer.response_column);
    add(offer.value_column);
    add(offer.expected_value_column);
    for (EligibilityRule const& rule : offer.eligible) add(rule.column);
  }
  return names;
}

int Catalog::offer_index(std::string_view name) const noexcept {
  for (std::size_t o = 0; o < offers.size(); ++o) {
    if (offers[o].name == name) return static_cast<int>(o);
  }
  return -1;
}

int Catalog::channel_index(std::string_view name) const noexcept {
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (channels[c].name == name) return static_cast<int>(c);
  }
  return -1;
}

}  // namespace cie::offers
