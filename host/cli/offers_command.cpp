// `cie offers assign`: who gets which offer under the contact rules (models/offers/).
//   reads the customer table (--customers, the columns the catalogue names), the catalogue
//   (--catalog, models/offers/catalog.hpp) and the contact history (--history, optional:
//   host/io/contact_history_reader.hpp), applies the contact policy on --as-of, solves the
//   assignment (models/offers/assignment.hpp) and writes one row per contact
//   customer_id,offer,channel,expected_value,rank (rank 1 = the customer's highest expected
//   value) to --out, the summary to stdout and, with --summary, as JSON.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "core/text_file.hpp"
#include "host/cli/commands.hpp"
#include "host/io/contact_history_reader.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/output_paths.hpp"
#include "models/offers/assignment.hpp"

namespace cie::cli {
namespace {

using nlohmann::json;

struct AssignOptions {
  std::vector<std::string> customers_paths;
  std::string id_column = "customer_id";
  std::string catalog_path;
  std::string history_path;
  std::string as_of;
  std::string out_path;
  std::string summary_path;
  offers::AssignParams params;
};

json summary_json(offers::Catalog const& catalog, offers::OfferProblem const& problem,
                  offers::AssignmentResult const& result, json timings) {
  json summary;
  summary["customers"] = problem.customers;
  summary["contacts"] = result.contacts.size();
  summary["expected_value"] = result.expected_value;
  summary["dual_bound"] = result.dual_bound;
  summary["gap"] = result.gap;
  summary["budget_used"] = result.total_cost;
  summary["budget"] = catalog.budget == offers::kUnlimited ? json(nullptr) : json(catalog.budget);
  summary["budget_price"] = result.budget_price;
  summary["dual_iterations"] = result.dual_iterations;
  summary["passes"] = result.passes;
  summary["pass_seconds"] = result.pass_seconds;
  summary["pass_bytes"] = result.pass_bytes;
  summary["dropped_in_repair"] = result.dropped_in_repair;
  summary["added_in_fill"] = result.added_in_fill;
  summary["seconds"] = std::move(timings);
  std::vector<double> offer_value(catalog.offers.size(), 0.0);
  for (offers::Contact const& contact : result.contacts) {
    offer_value[contact.offer] += contact.expected_value;
  }
  json& per_offer = summary["offers"];
  per_offer = json::array();
  for (std::size_t o = 0; o < catalog.offers.size(); ++o) {
    offers::Offer const& offer = catalog.offers[o];
    double const ev = offer_value[o];
    per_offer.push_back(
        {{"offer", offer.name},
         {"channel", catalog.channels[offer.channel].name},
         {"eligible", problem.eligible[o]},
         {"control_group", problem.control_size[o]},
         {"contacts", result.offer_contacts[o]},
         {"capacity",
          offer.capacity() == offers::kUnlimited ? json(nullptr) : json(offer.capacity())},
         {"cost", result.offer_cost[o]},
         {"expected_value", ev},
         {"price", result.offer_price[o]}});
  }
  json& per_channel = summary["channels"];
  per_channel = json::array();
  for (std::size_t c = 0; c < catalog.channels.size(); ++c) {
    offers::Channel const& channel = catalog.channels[c];
    per_channel.push_back(
        {{"channel", channel.name},
         {"contacts", result.channel_contacts[c]},
         {"capacity",
          channel.capacity == offers::kUnlimited ? json(nullptr) : json(channel.capacity)},
         {"price", result.channel_price[c]}});
  }
  json& suppressed = summary["suppressed"];
  suppressed = json::object();
  for (auto const& [rule, count] : problem.suppressed) suppressed[rule] = count;
  return summary;
}

std::string format_summary(json const& s) {
  std::string out = fmt::format(
      "{} customers, {} contacts: expected value {:.2f}, dual bound {:.2f} (gap {:.4f}%), "
      "budget used {:.2f}{}\n",
      s["customers"].get<std::int64_t>(), s["contacts"].get<std::int64_t>(),
      s["expected_value"].get<double>(), s["dual_bound"].get<double>(),
      100.0 * s["gap"].get<double>(), s["budget_used"].get<double>(),
      s["budget"].is_null() ? "" : fmt::format(" of {:.2f}", s["budget"].get<double>()));
  out +=
      "  offer                channel    eligible  control  contacts  capacity        cost  "
      "expected value\n";
  for (json const& o : s["offers"]) {
    out += fmt::format("  {:<20} {:<10} {:>8} {:>8} {:>9} {:>9} {:>11.2f} {:>15.2f}\n",
                       o["offer"].get<std::string>(), o["channel"].get<std::string>(),
                       o["eligible"].get<std::int64_t>(), o["control_group"].get<std::int64_t>(),
                       o["contacts"].get<std::int64_t>(),
                       o["capacity"].is_null() ? std::string("-")
                                               : fmt::format("{:.0f}", o["capacity"].get<double>()),
                       o["cost"].get<double>(), o["expected_value"].get<double>());
  }
  for (json const& c : s["channels"]) {
    out += fmt::format("  channel {}: {} contacts{}\n", c["channel"].get<std::string>(),
                       c["contacts"].get<std::int64_t>(),
                       c["capacity"].is_null()
                           ? std::string()
                           : fmt::format(" of {:.0f}", c["capacity"].get<double>()));
  }
  out += "  candidate contacts suppressed:";
  for (auto const& [rule, count] : s["suppressed"].items()) {
    out += fmt::format(" {} {}", rule, count.get<std::int64_t>());
  }
  out += fmt::format("\n  {} dual iterations, {} passes, {:.3f} s in passes\n",
                     s["dual_iterations"].get<int>(), s["passes"].get<int>(),
                     s["pass_seconds"].get<double>());
  return out;
}

void run_assign(GlobalOptions const& global, AssignOptions const& options) {
  std::vector<NamedPath> inputs = {{options.catalog_path, "--catalog"},
                                   {options.history_path, "--history"}};
  for (std::string const& path : options.customers_paths) inputs.push_back({path, "--customers"});
  check_output_paths(inputs, {{options.out_path, "--out"}, {options.summary_path, "--summary"}});
  std::optional<std::int32_t> const as_of = parse_date(options.as_of);
  CIE_EXPECTS(as_of.has_value(), "--as-of: expected a date YYYY-MM-DD");
  options.params.validate();
  Context ctx = make_context(global);
  auto const clock = [] { return std::chrono::steady_clock::now(); };
  auto const seconds = [](auto since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  };
  auto const start = clock();
  offers::Catalog const catalog =
      offers::Catalog::from_toml(read_text_file(options.catalog_path), options.catalog_path);
  CustomerTableRequest request;
  request.id_column = options.id_column;
  request.needed_by = "catalogue " + options.catalog_path;
  CustomerTable table;
  if (options.customers_paths.size() == 1) {  // one table: read only the catalogue's columns
    request.columns = catalog.columns();
    table = read_customer_table(options.customers_paths[0], request);
  } else {  // several: every column of each, joined on the id (customers in all tables)
    std::vector<CustomerTable> others;
    for (std::size_t t = 1; t < options.customers_paths.size(); ++t) {
      others.push_back(read_customer_table(options.customers_paths[t], request));
    }
    std::vector<JoinSide> sides;
    table = join_tables(read_customer_table(options.customers_paths[0], request), std::move(others),
                        sides);
    for (JoinSide const& side : sides) {
      ctx.logger().info("{}: {} rows, {} matched, {} left out", side.source, side.rows,
                        side.matched, side.unmatched);
    }
  }
  IdDictionary const ids = index_ids(table, [&](std::size_t row, std::size_t first) {
    fail(ExitCode::kInputData, "{}: duplicate customer id (first on {})", table.describe_row(row),
         table.describe_row(first));
  });
  ContactHistoryRead history;
  if (!options.history_path.empty()) {
    history = read_contact_history(options.history_path, ids, catalog);
    if (history.unknown_customers > 0) {
      ctx.logger().info("{} history rows name customers not in the customer table (not counted)",
                        history.unknown_customers);
    }
  }
  double const read_seconds = seconds(start);
  auto const policy_start = clock();
  offers::OfferProblem const problem =
      offers::build_offer_problem(ctx, catalog, table, history.history, *as_of);
  double const policy_seconds = seconds(policy_start);
  auto const solve_start = clock();
  offers::AssignmentResult const result =
      offers::assign_offers(ctx, options.params, catalog, problem);
  double const solve_seconds = seconds(solve_start);
  auto const write_start = clock();
  std::vector<CsvColumns> schema;
  schema.push_back({{"customer_id", "offer", "channel", "expected_value", "rank"},
                    [&](fmt::memory_buffer& out, std::size_t row) {
                      offers::Contact const& contact = result.contacts[row];
                      offers::Offer const& offer = catalog.offers[contact.offer];
                      append_csv_field(out, table.ids[contact.customer]);
                      out.push_back(',');
                      append_csv_field(out, offer.name);
                      out.push_back(',');
                      append_csv_field(out, catalog.channels[offer.channel].name);
                      fmt::format_to(std::back_inserter(out), ",{},{}", contact.expected_value,
                                     contact.rank);
                    }});
  write_csv_table(ctx, options.out_path, schema, result.contacts.size());
  double const write_seconds = seconds(write_start);
  json const summary = summary_json(catalog, problem, result,
                                    {{"read", read_seconds},
                                     {"policy", policy_seconds},
                                     {"optimise", solve_seconds},
                                     {"write", write_seconds}});
  if (!options.summary_path.empty()) {
    write_file_atomically(options.summary_path, summary.dump(2) + "\n");
  }
  fmt::print("{}", format_summary(summary));
  fmt::print("  read {:.2f} s, policy {:.2f} s, optimise {:.2f} s, write {:.2f} s\n", read_seconds,
             policy_seconds, solve_seconds, write_seconds);
}

}  // namespace

void add_offers_command(CLI::App& app, GlobalOptions const& global) {
  CLI::App* offers = app.add_subcommand("offers", "who gets which offer under contact rules");
  offers->require_subcommand(1);
  offers->fallthrough();
  auto assign_options = std::make_shared<AssignOptions>();
  AssignOptions& a = *assign_options;
  CLI::App* assign = offers->add_subcommand(
      "assign", "choose offers per customer: capacities, budgets and contact rules");
  assign->fallthrough();
  assign
      ->add_option("--customers", a.customers_paths,
                   "customer table CSV (scores, segments, ...); repeat to join several on the id")
      ->required();
  assign->add_option("--id-col", a.id_column, "customer id column")->capture_default_str();
  assign->add_option("--catalog", a.catalog_path, "offer catalogue and contact policy (TOML)")
      ->required();
  assign->add_option("--history", a.history_path,
                     "contact history CSV: customer_id,date,channel,offer");
  assign->add_option("--as-of", a.as_of, "the day the contacts go out (YYYY-MM-DD)")->required();
  assign->add_option("--out", a.out_path, "assignments CSV (written atomically)")->required();
  assign->add_option("--summary", a.summary_path, "summary JSON (written atomically)");
  assign->add_option("--max-iterations", a.params.max_iterations, "dual update passes")
      ->capture_default_str();
  assign
      ->add_option("--tolerance", a.params.tolerance,
                   "accepted slack of a priced constraint (share of its capacity)")
      ->capture_default_str();
  assign->callback([assign_options, &global] { run_assign(global, *assign_options); });
}

}  // namespace cie::cli
