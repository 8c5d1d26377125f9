#include "host/pipeline/nightly_run.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.hpp"

namespace cie {

void NightlyRun::need_columns(std::vector<std::string> const& needed, std::string const& what) {
  for (std::string const& name : needed) {
    if (std::find(needed_columns.begin(), needed_columns.end(), name) == needed_columns.end()) {
      needed_columns.push_back(name);
    }
  }
  std::vector<std::string> missing;
  for (std::string const& name : needed) {
    if (!available_columns.contains(name)) missing.push_back(name);
  }
  CIE_EXPECTS(missing.empty(),
              "{}: {} needs {} {}, which neither the RFM table nor {} has; the columns are: {}",
              config.source, what, missing.size() == 1 ? "column" : "columns",
              fmt::join(missing, ", "),
              config.attributes.empty() ? std::string("an attributes file (none is configured)")
                                        : config.attributes,
              fmt::join(available_columns, ", "));
}

}  // namespace cie
