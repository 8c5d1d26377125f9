// Transactions in memory: the data type every layer shares (host/io/transactions_reader.hpp
// fills it from files, datasets/ generates it, models/rfm/ aggregates it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cie {

/// Transactions as columns. Row i is (customer[i], timestamp[i], amount[i]).
struct Transactions {
  /// Original customer ids; customer_ids[c] is the id of dense index c, in order of first
  /// appearance in the input.
  std::vector<std::string> customer_ids;
  std::vector<std::int32_t> customer;   ///< dense customer index per row
  std::vector<std::int64_t> timestamp;  ///< seconds since 1970-01-01 00:00 UTC (dates: midnight)
  std::vector<double> amount;           ///< signed amount; returns and cancellations are negative
  /// Optional (empty when the input has no order column): a 64-bit hash of the row's order
  /// (invoice) id, so that purchases can be counted per order.
  std::vector<std::uint64_t> order;

  [[nodiscard]] std::size_t size() const noexcept { return customer.size(); }
  [[nodiscard]] std::size_t customer_count() const noexcept { return customer_ids.size(); }
};

}  // namespace cie
