#include "core/toml_support.hpp"

#include <algorithm>
#include <numeric>

namespace cie {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: three rows of the Damerau-Levenshtein table.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t const cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string closest_name(std::string_view key, std::vector<std::string_view> const& candidates) {
  std::string best;
  std::size_t best_edits = 3;  // at most 2
  for (std::string_view const candidate : candidates) {
    std::size_t const edits = edit_distance(key, candidate);
    if (edits < best_edits && 2 * edits < key.size()) {
      best = candidate;
      best_edits = edits;
    }
  }
  return best;
}

void fail_on_problems(std::vector<TomlProblem> problems, std::string const& source_name) {
  if (problems.empty()) return;
  std::stable_sort(problems.begin(), problems.end(),
                   [](TomlProblem const& a, TomlProblem const& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  if (problems.size() == 1) {
    fail(ExitCode::kUsage, "{}:{}: {}", source_name, problems[0].line, problems[0].message);
  }
  std::string text = fmt::format("{}: {} problems:", source_name, problems.size());
  for (TomlProblem const& problem : problems) {
    text += fmt::format("\n  {}:{}: {}", source_name, problem.line, problem.message);
  }
  fail(ExitCode::kUsage, "{}", text);
}

TomlProblem unknown_key_problem(toml::key const& key, std::vector<std::string_view> const& allowed,
                                std::string_view context) {
  std::string message = fmt::format("unknown key '{}' in {}", key.str(), context);
  if (std::string const close = closest_name(key.str(), allowed); !close.empty()) {
    message += fmt::format("; did you mean '{}'?", close);
  }
  return {key.source().begin.line, key.source().begin.column, std::move(message)};
}

void reject_unknown_keys(toml::table const& table, std::set<std::string_view> const& allowed,
                         std::string const& source_name, std::string_view context) {
  std::vector<std::string_view> const names(allowed.begin(), allowed.end());
  std::vector<TomlProblem> problems;
  for (auto const& [key, value] : table) {
    if (!allowed.contains(key.str())) problems.push_back(unknown_key_problem(key, names, context));
  }
  fail_on_problems(std::move(problems), source_name);
}

}  // namespace cie
