// Small helpers for reading TOML files (toml++) with messages that name the file and line.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cie {

/// "FILE:LINE" of a node, for messages.
inline std::string toml_where(std::string const& source_name, toml::node const& node) {
  return fmt::format("{}:{}", source_name, node.source().begin.line);
}

/// Single-character edits (insert, delete, replace, swap of two neighbours) from `a` to `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The name in `candidates` that `key` most likely misspells, or "" when none is close: the
/// fewest edits (edit_distance), at most 2 and fewer than half of key's characters; ties go to
/// the first candidate.
std::string closest_name(std::string_view key, std::vector<std::string_view> const& candidates);

/// One problem found in a TOML file, so that all of them can be reported at once in file order.
struct TomlProblem {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;  ///< what is wrong, without the file and line
};

/// Nothing when `problems` is empty; otherwise a usage error (exit code 2) listing every problem
/// in file order (line, then column): one alone as "SOURCE:LINE: MESSAGE", several as
/// "SOURCE: N problems:" and one "  SOURCE:LINE: MESSAGE" line each.
void fail_on_problems(std::vector<TomlProblem> problems, std::string const& source_name);

/// The problem "unknown key 'KEY' in CONTEXT" for the key `key` at `node`, with "; did you mean
/// 'NAME'?" when closest_name finds one in `allowed`.
TomlProblem unknown_key_problem(toml::key const& key, std::vector<std::string_view> const& allowed,
                                std::string_view context);

/// A usage error listing every key of `table` that is not in `allowed`, in file order, each with
/// a did-you-mean where one is close.
void reject_unknown_keys(toml::table const& table, std::set<std::string_view> const& allowed,
                         std::string const& source_name, std::string_view context);

}  // namespace cie
