#include "host/io/cluster_names_file.hpp"

#include <charconv>

#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"

namespace cie {

std::map<int, std::string> read_cluster_names(std::string const& path) {
  CustomerTableRequest request;
  request.id_column = "cluster";
  request.columns = {"cluster_name"};
  request.categorical = {"cluster_name"};
  request.missing_tokens = {};
  request.needed_by = "the cluster names";
  CustomerTable const table = read_customer_table(path, request);
  TableColumn const& names = *table.find("cluster_name");
  std::map<int, std::string> given;
  for (std::size_t row = 0; row < table.rows(); ++row) {
    std::string const& id = table.ids[row];
    int cluster = -1;
    auto const [end, error] = std::from_chars(id.data(), id.data() + id.size(), cluster);
    CIE_EXPECTS_DATA(error == std::errc() && end == id.data() + id.size() && cluster >= 0,
                     "{}: column cluster: expected a cluster id (a whole number >= 0)",
                     table.describe_row(row));
    std::int32_t const code = names.codes[row];
    CIE_EXPECTS_DATA(code >= 0 && !names.levels[static_cast<std::size_t>(code)].empty(),
                     "{}: column cluster_name: the name is empty", table.describe_row(row));
    given[cluster] = names.levels[static_cast<std::size_t>(code)];
  }
  return given;
}

}  // namespace cie
