#include "host/pipeline/config_section.hpp"

#include <fmt/format.h>

#include <cctype>
#include <set>

#include "core/error.hpp"
#include "core/toml_support.hpp"

namespace cie {

namespace fs = std::filesystem;

std::string ConfigSection::where() const {
  return table_ != nullptr ? toml_where(*source_, *table_) : *source_;
}

template <typename T>
std::optional<T> ConfigSection::get(std::string_view key, std::string_view type_name) const {
  if (table_ == nullptr) return std::nullopt;
  toml::node const* node = table_->get(key);
  if (node == nullptr) return std::nullopt;
  std::optional<T> value = node->value_exact<T>();
  CIE_EXPECTS(value.has_value(), "{}: [{}] {} must be {}", toml_where(*source_, *node), name_, key,
              type_name);
  return value;
}

std::optional<std::string> ConfigSection::text(std::string_view key) const {
  return get<std::string>(key, "a string");
}

std::optional<std::int64_t> ConfigSection::integer(std::string_view key) const {
  return get<std::int64_t>(key, "an integer");
}

std::optional<bool> ConfigSection::boolean(std::string_view key) const {
  return get<bool>(key, "true or false");
}

std::optional<double> ConfigSection::number(std::string_view key) const {
  toml::node const* node = table_ != nullptr ? table_->get(key) : nullptr;
  if (node == nullptr) return std::nullopt;
  std::optional<double> value =
      node->is_integer() ? std::optional<double>(double(*node->value_exact<std::int64_t>()))
                         : node->value_exact<double>();
  CIE_EXPECTS(value.has_value(), "{}: [{}] {} must be a number", toml_where(*source_, *node), name_,
              key);
  return value;
}

std::optional<std::vector<std::string>> ConfigSection::strings(std::string_view key) const {
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
  CIE_EXPECTS(ok, "{}: [{}] {} must be an array of strings", toml_where(*source_, node), name_,
              key);
  return out;
}

std::string ConfigSection::setting(std::string_view key) const {
  toml::node const* node = table_ != nullptr ? table_->get(key) : nullptr;
  return node != nullptr ? fmt::format("{}: [{}] {}", toml_where(*source_, *node), name_, key)
                         : fmt::format("{}: [{}] {}", *source_, name_, key);
}

std::optional<std::string> ConfigSection::path(std::string_view key, fs::path const& base,
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

ConfigSection ConfigFile::section(std::string_view name) const {
  toml::node const* node = document_->get(name);
  CIE_EXPECTS(node == nullptr || node->is_table(), "{}: {} must be a table ([{}])",
              node != nullptr ? toml_where(*source_, *node) : *source_, name, name);
  return ConfigSection(node != nullptr ? node->as_table() : nullptr, std::string(name), *source_);
}

std::vector<ConfigSection> ConfigFile::tables(std::string_view name) const {
  toml::node const* node = document_->get(name);
  if (node == nullptr) return {};
  toml::array const* array = node->as_array();
  CIE_EXPECTS(array != nullptr && array->is_array_of_tables(),
              "{}: {} must be an array of tables ([[{}]])", toml_where(*source_, *node), name,
              name);
  std::vector<ConfigSection> out;
  for (toml::node const& item : *array) {
    out.emplace_back(item.as_table(), fmt::format("[{}]", name), *source_);
  }
  return out;
}

std::vector<NamedModel> read_named_models(ConfigFile const& file, std::string const& key) {
  std::vector<NamedModel> entries;
  std::set<std::string> names;
  for (ConfigSection const& section : file.tables(key)) {
    std::optional<std::string> name = section.text("name");
    CIE_EXPECTS(name.has_value(), "{}: each [[{}]] needs a name", section.where(), key);
    bool valid = !name->empty();
    for (char const c : *name) {
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    }
    CIE_EXPECTS(valid, "{}: name '{}' must be letters, digits and '_' (it names output columns)",
                section.setting("name"), *name);
    CIE_EXPECTS(names.insert(*name).second, "{}: two [[{}]] models are named '{}'",
                section.setting("name"), key, *name);
    std::optional<std::string> model = section.path("model", file.base(), true);
    CIE_EXPECTS(model.has_value(), "{}: [[{}]] '{}' needs model = \"FILE\"", section.where(), key,
                *name);
    entries.push_back({*name, *model});
  }
  return entries;
}

}  // namespace cie
