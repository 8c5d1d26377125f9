#include "host/pipeline/nightly_run.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.hpp"

namespace cie {

void NightlyRun::need_columns(std::vector<std::string> const& needed, std::string const& what) {
  for (std::string const& name : needed) {
    if (produced_columns.contains(name)) {
      shared_columns.insert(name);
    } else if (std::find(needed_columns.begin(), needed_columns.end(), name) ==
               needed_columns.end()) {
      needed_columns.push_back(name);
    }
  }
  std::vector<std::string> missing;
  for (std::string const& name : needed) {
    if (!available_columns.contains(name) && !produced_columns.contains(name)) {
      missing.push_back(name);
    }
  }
  std::vector<std::string> computed;
  for (auto const& [name, stage] : produced_columns) computed.push_back(name);
  CIE_EXPECTS(missing.empty(),
              "{}: {} needs {} {}, which neither the RFM table nor {} has; the columns are: {}{}",
              config.source, what, missing.size() == 1 ? "column" : "columns",
              fmt::join(missing, ", "),
              config.attributes.empty() ? std::string("an attributes file (none is configured)")
                                        : config.attributes,
              fmt::join(available_columns, ", "),
              computed.empty()
                  ? std::string()
                  : fmt::format("; the earlier stages compute: {}", fmt::join(computed, ", ")));
}

void NightlyRun::will_produce(std::vector<std::string> const& names, std::string const& what) {
  for (std::string const& name : names) {
    CIE_EXPECTS(!available_columns.contains(name),
                "{}: {} computes a column {}, which the {} already has; rename one of them",
                config.source, what, name,
                std::find(attribute_columns.begin(), attribute_columns.end(), name) !=
                        attribute_columns.end()
                    ? "attributes file " + config.attributes
                    : std::string("RFM table"));
    auto const [at, added] = produced_columns.emplace(name, what);
    CIE_EXPECTS(added, "{}: {} and {} both compute a column {}; rename one of them", config.source,
                at->second, what, name);
  }
}

void NightlyRun::share_categorical(std::string const& name, std::vector<std::string> levels,
                                   std::span<std::int32_t const> codes) {
  if (!shared_columns.contains(name)) return;
  TableColumn column;
  column.name = name;
  column.type = ColumnType::kCategorical;
  column.levels = std::move(levels);
  column.codes.assign(codes.begin(), codes.end());
  column.missing.resize(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) column.missing[i] = codes[i] < 0 ? 1 : 0;
  customers.columns.push_back(std::move(column));
}

}  // namespace cie
