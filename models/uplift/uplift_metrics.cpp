#include "models/uplift/uplift_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace cie::uplift {
namespace {

void check_inputs(std::span<double const> uplift, std::span<std::uint8_t const> response,
                  std::span<std::uint8_t const> treatment) {
  CIE_EXPECTS(uplift.size() == response.size() && uplift.size() == treatment.size(),
              "uplift metrics: {} predictions, {} responses and {} treatments differ in number",
              uplift.size(), response.size(), treatment.size());
  bool treated = false;
  bool control = false;
  for (std::size_t i = 0; i < uplift.size(); ++i) {
    CIE_EXPECTS_DATA(std::isfinite(uplift[i]),
                     "uplift metrics: row {}: predicted uplift is not finite", i + 1);
    CIE_EXPECTS_DATA(response[i] <= 1 && treatment[i] <= 1,
                     "uplift metrics: row {}: response and treatment must be 0 or 1", i + 1);
    (treatment[i] != 0 ? treated : control) = true;
  }
  CIE_EXPECTS_DATA(treated && control,
                   "uplift metrics: both treated and control customers are needed");
}

// Rows by predicted uplift, highest first, ties in row order.
std::vector<std::size_t> ranking(std::span<double const> uplift) {
  std::vector<std::size_t> order(uplift.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return uplift[a] > uplift[b]; });
  return order;
}

template <typename Value>
UpliftCurve curve(std::span<double const> uplift, std::span<std::uint8_t const> response,
                  std::span<std::uint8_t const> treatment, Value&& value) {
  std::vector<std::size_t> const order = ranking(uplift);
  UpliftCurve out;
  out.customers.push_back(0.0);
  out.value.push_back(0.0);
  double n_t = 0.0, y_t = 0.0, y_c = 0.0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::size_t const row = order[i];
    n_t += treatment[row];
    (treatment[row] != 0 ? y_t : y_c) += response[row];
    bool const last_of_tie = i + 1 == order.size() || uplift[order[i + 1]] != uplift[row];
    if (!last_of_tie) continue;
    double const n = static_cast<double>(i + 1);
    out.customers.push_back(n);
    out.value.push_back(value(n, n_t, n - n_t, y_t, y_c));
  }
  return out;
}

double ratio_or_zero(double a, double b) { return b != 0.0 ? a / b : 0.0; }

UpliftCurve qini_of(std::span<double const> uplift, std::span<std::uint8_t const> response,
                    std::span<std::uint8_t const> treatment) {
  return curve(uplift, response, treatment,
               [](double, double n_t, double n_c, double y_t, double y_c) {
                 return y_t - y_c * ratio_or_zero(n_t, n_c);
               });
}

UpliftCurve uplift_of(std::span<double const> uplift, std::span<std::uint8_t const> response,
                      std::span<std::uint8_t const> treatment) {
  return curve(uplift, response, treatment,
               [](double n, double n_t, double n_c, double y_t, double y_c) {
                 return (ratio_or_zero(y_t, n_t) - ratio_or_zero(y_c, n_c)) * n;
               });
}

// (area − baseline) / (perfect area − baseline), the baseline joining the origin to the perfect
// curve's end.
double normalized_area(UpliftCurve const& actual, UpliftCurve const& perfect) {
  double const baseline = 0.5 * perfect.customers.back() * perfect.value.back();
  return (curve_area(actual) - baseline) / (curve_area(perfect) - baseline);
}

}  // namespace

UpliftCurve qini_curve(std::span<double const> uplift, std::span<std::uint8_t const> response,
                       std::span<std::uint8_t const> treatment) {
  check_inputs(uplift, response, treatment);
  return qini_of(uplift, response, treatment);
}

UpliftCurve uplift_curve(std::span<double const> uplift, std::span<std::uint8_t const> response,
                         std::span<std::uint8_t const> treatment) {
  check_inputs(uplift, response, treatment);
  return uplift_of(uplift, response, treatment);
}

double curve_area(UpliftCurve const& curve) {
  double area = 0.0;
  for (std::size_t i = 1; i < curve.customers.size(); ++i) {
    area +=
        (curve.customers[i] - curve.customers[i - 1]) * (curve.value[i] + curve.value[i - 1]) / 2.0;
  }
  return area;
}

double qini_coefficient(std::span<double const> uplift, std::span<std::uint8_t const> response,
                        std::span<std::uint8_t const> treatment) {
  check_inputs(uplift, response, treatment);
  std::vector<double> perfect(uplift.size());
  for (std::size_t i = 0; i < perfect.size(); ++i) {
    perfect[i] = response[i] != 0 ? (treatment[i] != 0 ? 1.0 : -1.0) : 0.0;
  }
  return normalized_area(qini_of(uplift, response, treatment),
                         qini_of(perfect, response, treatment));
}

double uplift_auc(std::span<double const> uplift, std::span<std::uint8_t const> response,
                  std::span<std::uint8_t const> treatment) {
  check_inputs(uplift, response, treatment);
  std::int64_t control_responders = 0;
  std::int64_t treated_nonresponders = 0;
  for (std::size_t i = 0; i < uplift.size(); ++i) {
    control_responders += response[i] == 1 && treatment[i] == 0;
    treated_nonresponders += response[i] == 0 && treatment[i] == 1;
  }
  bool const by_response = control_responders > treated_nonresponders;
  std::vector<double> perfect(uplift.size());
  for (std::size_t i = 0; i < perfect.size(); ++i) {
    perfect[i] = 2.0 * (response[i] == treatment[i]) + (by_response ? response[i] : treatment[i]);
  }
  return normalized_area(uplift_of(uplift, response, treatment),
                         uplift_of(perfect, response, treatment));
}

std::vector<UpliftDecile> uplift_by_decile(std::span<double const> uplift,
                                           std::span<std::uint8_t const> response,
                                           std::span<std::uint8_t const> treatment, int bins) {
  check_inputs(uplift, response, treatment);
  CIE_EXPECTS(bins >= 1, "uplift deciles: bins must be >= 1, got {}", bins);
  std::vector<std::size_t> const order = ranking(uplift);
  std::vector<UpliftDecile> deciles(static_cast<std::size_t>(bins));
  for (int d = 0; d < bins; ++d) deciles[static_cast<std::size_t>(d)].decile = d + 1;
  std::size_t const n = order.size();
  for (std::size_t rank = 0; rank < n; ++rank) {
    std::size_t const row = order[rank];
    UpliftDecile& group = deciles[rank * static_cast<std::size_t>(bins) / n];
    if (treatment[row] != 0) {
      ++group.treated;
      group.treated_responders += response[row];
    } else {
      ++group.control;
      group.control_responders += response[row];
    }
    group.mean_predicted += uplift[row];
  }
  for (UpliftDecile& group : deciles) {
    double const size = static_cast<double>(group.treated + group.control);
    group.mean_predicted = size > 0 ? group.mean_predicted / size : 0.0;
    group.treated_rate = ratio_or_zero(static_cast<double>(group.treated_responders),
                                       static_cast<double>(group.treated));
    group.control_rate = ratio_or_zero(static_cast<double>(group.control_responders),
                                       static_cast<double>(group.control));
    group.observed_uplift = group.treated_rate - group.control_rate;
  }
  return deciles;
}

nlohmann::json uplift_report(std::span<double const> uplift, std::span<std::uint8_t const> response,
                             std::span<std::uint8_t const> treatment, int bins) {
  nlohmann::json deciles = nlohmann::json::array();
  for (UpliftDecile const& d : uplift_by_decile(uplift, response, treatment, bins)) {
    deciles.push_back({{"decile", d.decile},
                       {"treated", d.treated},
                       {"control", d.control},
                       {"treated_responders", d.treated_responders},
                       {"control_responders", d.control_responders},
                       {"treated_rate", d.treated_rate},
                       {"control_rate", d.control_rate},
                       {"observed_uplift", d.observed_uplift},
                       {"mean_predicted_uplift", d.mean_predicted}});
  }
  return {{"customers", uplift.size()},
          {"qini_coefficient", qini_coefficient(uplift, response, treatment)},
          {"auuc", uplift_auc(uplift, response, treatment)},
          {"qini_area", curve_area(qini_curve(uplift, response, treatment))},
          {"uplift_area", curve_area(uplift_curve(uplift, response, treatment))},
          {"deciles", deciles}};
}

}  // namespace cie::uplift
