// format_nightly_summary (host/pipeline/nightly.hpp): the run report as readable text.
#include <fmt/format.h>

#include "core/units.hpp"
#include "host/pipeline/nightly.hpp"

namespace cie {

using nlohmann::json;

std::string format_nightly_summary(json const& report) {
  std::string out = fmt::format(
      "nightly run {} as of {} on {}: {} customers\n", report["config"].get<std::string>(),
      report["as_of"].get<std::string>(), report["device"].get<std::string>(),
      format_count(report["customers"].get<std::uint64_t>()));
  json const& transactions = report["inputs"]["transactions"];
  out += fmt::format("  transactions {}: {} rows, {} rejected, xxh64 {}\n",
                     transactions["path"].get<std::string>(),
                     format_count(transactions["rows"].get<std::uint64_t>()),
                     format_count(transactions["rejected_rows"].get<std::uint64_t>()),
                     transactions["xxh64"].get<std::string>());
  for (json const& side : report["join"]) {
    if (side["unmatched"].get<std::uint64_t>() == 0) continue;
    out += fmt::format("  {}: {} of {} rows without a partner (left out)\n",
                       side["source"].get<std::string>(),
                       format_count(side["unmatched"].get<std::uint64_t>()),
                       format_count(side["rows"].get<std::uint64_t>()));
  }
  out += "  stages:\n";
  for (json const& stage : report["stages"]) {
    out +=
        fmt::format("    {:<22} {:>10}  {:>14} rows  peak {}\n", stage["name"].get<std::string>(),
                    format_duration(stage["seconds"].get<double>()),
                    format_count(stage["rows"].get<std::uint64_t>()),
                    format_bytes(stage["peak_rss_bytes"].get<std::uint64_t>()));
  }
  auto const customers = static_cast<double>(report["customers"].get<std::uint64_t>());
  out += "  RFM segments:\n";
  for (json const& segment : report["rfm_segments"]) {
    auto const count = segment["customers"].get<std::uint64_t>();
    if (count == 0) continue;
    out += fmt::format("    {:<22} {:>12} {:>6.1f}%\n", segment["segment"].get<std::string>(),
                       format_count(count), 100.0 * static_cast<double>(count) / customers);
  }
  if (report.contains("clv")) {
    json const& clv = report["clv"];
    out += fmt::format(
        "  customer lifetime value ({}{}): total {:.0f}, mean {:.2f}; per RFM segment:\n",
        clv["model_type"].get<std::string>(),
        clv.value("spend_model", std::string()).empty()
            ? std::string()
            : " + " + clv["spend_model"].get<std::string>(),
        clv["clv_total"].get<double>(), clv["clv_mean"].get<double>());
    for (json const& segment : clv["by_segment"]) {
      if (segment["customers"].get<std::uint64_t>() == 0) continue;
      out += fmt::format("    {:<22} total {:>14.0f}  mean {:>10.2f}  P(alive) {:.3f}\n",
                         segment["segment"].get<std::string>(), segment["clv_total"].get<double>(),
                         segment["clv_mean"].get<double>(), segment["p_alive_mean"].get<double>());
    }
  }
  if (report.contains("clusters")) {
    out += "  clusters:";
    std::size_t c = 0;
    json const names = report.value("cluster_names", json::array());
    if (names.size() == report["clusters"].size()) {
      out += "\n";
      for (json const& size : report["clusters"]) {
        out += fmt::format("    {:>3} {:<40} {:>6.1f}%\n", c, names[c].get<std::string>(),
                           100.0 * static_cast<double>(size.get<std::uint64_t>()) / customers);
        ++c;
      }
    } else {
      for (json const& size : report["clusters"]) {
        out += fmt::format(" {}: {:.1f}%", c++,
                           100.0 * static_cast<double>(size.get<std::uint64_t>()) / customers);
      }
      out += "\n";
    }
  }
  for (json const& model : report["models"]) {
    bool const uplift = model.value("kind", "") == "uplift";
    out += fmt::format("  {} {} ({}): mean {} by decile:", uplift ? "uplift" : "propensity",
                       model["name"].get<std::string>(), model["path"].get<std::string>(),
                       uplift ? "uplift" : "probability");
    for (json const& decile : model["deciles"]) {
      out +=
          fmt::format(" {:.3f}", decile[uplift ? "mean_uplift" : "mean_probability"].get<double>());
    }
    out += "\n";
  }
  if (report.contains("offers")) {
    json const& offers = report["offers"];
    out += fmt::format(
        "  offers as of {}: {} contacts, expected value {:.2f}, dual bound {:.2f} (gap {:.4f}%), "
        "budget used {:.2f}: {} and {}\n",
        offers["as_of"].get<std::string>(), offers["contacts"].get<std::int64_t>(),
        offers["expected_value"].get<double>(), offers["dual_bound"].get<double>(),
        100.0 * offers["gap"].get<double>(), offers["budget_used"].get<double>(),
        offers["assignments"].get<std::string>(), offers["summary"].get<std::string>());
    for (json const& offer : offers["min_volume_not_met"]) {
      out += fmt::format(
          "    min_volume not met: offer {}: {} contacts of at least {:.0f} ({} short)\n",
          offer["offer"].get<std::string>(), offer["contacts"].get<std::int64_t>(),
          offer["min_volume"].get<double>(), offer["short"].get<std::int64_t>());
    }
  }
  out +=
      fmt::format("  published {}/{} and {}\n", report["outputs"]["directory"].get<std::string>(),
                  report["outputs"]["customers"].get<std::string>(),
                  report["outputs"]["report"].get<std::string>());
  return out;
}

}  // namespace cie
