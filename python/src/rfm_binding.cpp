// cie._core.rfm: models/rfm's compute_rfm on transactions given as arrays. The package's
// cie.rfm (python/cie/rfm.py) reads the columns of a pandas, polars or pyarrow table, codes the
// customer ids in order of first appearance (as the CLI's reader does) and builds the table back.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/transactions.hpp"
#include "models/rfm/rfm.hpp"
#include "models/rfm/rfm_segments.hpp"
#include "python/src/support.hpp"

namespace cie::python {
namespace {

template <typename T>
using Column = nb::ndarray<T const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

template <typename T>
std::vector<T> to_vector(Column<T> const& column) {
  return std::vector<T>(column.data(), column.data() + column.shape(0));
}

nb::dict rfm(Column<std::int32_t> customer, std::size_t n_customers, Column<std::int64_t> timestamp,
             Column<double> amount, std::optional<Column<std::uint64_t>> order,
             std::optional<std::int32_t> as_of_day, std::string const& frequency,
             std::string const& ties, std::string const& monetary, int score_bins,
             int time_unit_days, std::optional<std::string> const& segments_toml,
             std::string const& device, int threads) {
  std::size_t const rows = customer.shape(0);
  CIE_EXPECTS(
      timestamp.shape(0) == rows && amount.shape(0) == rows && (!order || order->shape(0) == rows),
      "rfm: the customer, date, amount (and order) columns differ in length");
  RfmParams params;
  params.as_of_day = as_of_day;
  params.frequency = parse_frequency_definition(frequency, "frequency");
  params.ties = parse_score_ties(ties, "ties");
  params.monetary_basis = parse_monetary_basis(monetary, "monetary");
  CIE_EXPECTS(time_unit_days == 1 || time_unit_days == 7, "time_unit: expected 'days' or 'weeks'");
  params.time_unit_days = time_unit_days;
  params.score_bins = score_bins;
  params.validate();
  CIE_EXPECTS(params.frequency != FrequencyDefinition::kOrders || order.has_value(),
              "frequency='orders' needs an order column (order=...)");
  SegmentTable const segments = segments_toml ? SegmentTable::from_toml(*segments_toml, "segments")
                                              : SegmentTable::standard(score_bins);
  CIE_EXPECTS(segments.score_bins() == score_bins,
              "segments: the table is for {} score bins, but score_bins is {}",
              segments.score_bins(), score_bins);
  Context ctx = make_context(device, threads);

  RfmTable table;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    Transactions transactions;
    transactions.customer_ids.resize(n_customers);
    transactions.customer = to_vector(customer);
    for (std::int32_t const c : transactions.customer) {
      CIE_EXPECTS(c >= 0 && static_cast<std::size_t>(c) < n_customers,
                  "rfm: customer code out of range");
    }
    transactions.timestamp = to_vector(timestamp);
    transactions.amount = to_vector(amount);
    if (order) transactions.order = to_vector(*order);
    table = compute_rfm(ctx, params, transactions, segments);
  }

  std::vector<std::string> segment_names;
  for (std::size_t s = 0; s < segments.segment_count(); ++s)
    segment_names.push_back(segments.name(s));
  nb::dict out;
  out["as_of_day"] = table.as_of_day;
  out["transactions_after_as_of"] = table.transactions_after_as_of;
  out["return_rows"] = table.return_rows;
  out["return_only_customers"] = table.return_only_customers;
  out["days_after_last_purchase"] = table.days_after_last_purchase;
  out["device"] = ctx.device_name();
  out["segment_names"] = segment_names;
  out["customer"] = to_numpy(std::move(table.customer));
  out["recency_days"] = to_numpy(std::move(table.recency_days));
  out["frequency"] = to_numpy(std::move(table.frequency));
  out["transactions"] = to_numpy(std::move(table.transactions));
  out["returns"] = to_numpy(std::move(table.returns));
  out["monetary_total"] = to_numpy(std::move(table.monetary_total));
  out["monetary_mean"] = to_numpy(std::move(table.monetary_mean));
  out["first_day"] = to_numpy(std::move(table.first_day));
  out["last_day"] = to_numpy(std::move(table.last_day));
  out["tenure_days"] = to_numpy(std::move(table.tenure_days));
  out["repeat_frequency"] = to_numpy(std::move(table.repeat_frequency));
  out["repeat_recency"] = to_numpy(std::move(table.repeat_recency));
  out["T"] = to_numpy(std::move(table.age_t));
  out["mean_repeat_value"] = to_numpy(std::move(table.mean_repeat_value));
  out["r_score"] = to_numpy(std::move(table.r_score));
  out["f_score"] = to_numpy(std::move(table.f_score));
  out["m_score"] = to_numpy(std::move(table.m_score));
  out["segment"] = to_numpy(std::move(table.segment));
  return out;
}

}  // namespace

void bind_rfm(nb::module_& m) {
  m.def("rfm", &rfm, nb::arg("customer"), nb::arg("n_customers"), nb::arg("timestamp"),
        nb::arg("amount"), nb::arg("order").none(), nb::arg("as_of_day").none(),
        nb::arg("frequency"), nb::arg("ties"), nb::arg("monetary"), nb::arg("score_bins"),
        nb::arg("time_unit_days"), nb::arg("segments_toml").none(), nb::arg("device"),
        nb::arg("threads"),
        "compute_rfm (models/rfm/rfm.hpp) on coded transactions: customer codes 0..n-1 in order "
        "of first appearance, timestamps in seconds since 1970-01-01 UTC, signed amounts and "
        "optional order codes. Returns the RfmTable's columns as numpy arrays (no copy) and its "
        "counts. The GIL is released while it computes.");
}

}  // namespace cie::python
