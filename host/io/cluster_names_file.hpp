// The cluster names a user gives (`cie segment fit --cluster-names FILE`, `[segments] names =
// "FILE"` in the nightly configuration): a CSV with the header `cluster,cluster_name` and one row
// per renamed cluster, e.g.
//     cluster,cluster_name
//     0,VIP
//     3,"Lapsed, one-time"
// Clusters not listed keep the names from their profiles (models/segments/cluster_names.hpp).
#pragma once

#include <map>
#include <string>

namespace cie {

/// Cluster id -> name. A usage error naming the file for a missing column; an input error
/// (exit 3) naming file and line for an id that is not a whole number >= 0, a repeated id or an
/// empty name.
std::map<int, std::string> read_cluster_names(std::string const& path);

}  // namespace cie
