// Reading one section of the nightly configuration (host/pipeline/nightly_config.hpp): typed
// values with usage errors (exit code 2) that name the file, the line, the section and the key.
// The stages read their own sections with it (host/pipeline/stages/).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cie {

class ConfigSection {
 public:
  /// `table` null: the section is absent (every value is then absent too). `name` is how messages
  /// name it ("run" gives "[run]"; "[propensity]" gives "[[propensity]]").
  ConfigSection(toml::table const* table, std::string name, std::string const& source)
      : table_(table), name_(std::move(name)), source_(&source) {}

  [[nodiscard]] bool present() const noexcept { return table_ != nullptr; }
  [[nodiscard]] std::string const& source() const noexcept { return *source_; }
  /// "FILE:LINE" of the section's table, or "FILE" when absent.
  [[nodiscard]] std::string where() const;

  std::optional<std::string> text(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  /// A float, or an integer read as one.
  std::optional<double> number(std::string_view key) const;
  std::optional<std::vector<std::string>> strings(std::string_view key) const;
  /// A path resolved against `base` (relative paths are relative to the TOML file's directory);
  /// `must_exist` checks that it is a regular file. An empty string is refused.
  std::optional<std::string> path(std::string_view key, std::filesystem::path const& base,
                                  bool must_exist) const;

  /// "FILE:LINE: [section] key" for a value's messages ("FILE: [section] key" when absent).
  [[nodiscard]] std::string setting(std::string_view key) const;

 private:
  template <typename T>
  std::optional<T> get(std::string_view key, std::string_view type_name) const;

  toml::table const* table_;
  std::string name_;
  std::string const* source_;
};

/// The configuration file as the stages read it: its sections by name and its directory.
class ConfigFile {
 public:
  ConfigFile(toml::table const& document, std::string const& source)
      : document_(&document),
        source_(&source),
        base_(std::filesystem::path(source).parent_path()) {}

  [[nodiscard]] std::string const& source() const noexcept { return *source_; }
  /// The file's directory: relative paths are resolved against it.
  [[nodiscard]] std::filesystem::path const& base() const noexcept { return base_; }
  /// [name]; absent: a section whose present() is false; anything but a table: a usage error.
  [[nodiscard]] ConfigSection section(std::string_view name) const;
  /// [[name]]: its tables in file order (none when absent); anything else: a usage error.
  [[nodiscard]] std::vector<ConfigSection> tables(std::string_view name) const;

 private:
  toml::table const* document_;
  std::string const* source_;
  std::filesystem::path base_;
};

/// One entry of [[propensity]] or [[uplift]].
struct NamedModel {
  std::string name;   ///< letters, digits and '_' (it names output columns)
  std::string model;  ///< the model file, resolved; it exists
};

/// The [[key]] tables of name = "NAME", model = "FILE", names unique within the array.
std::vector<NamedModel> read_named_models(ConfigFile const& file, std::string const& key);

}  // namespace cie
