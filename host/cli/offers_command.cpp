// `cie offers assign`: who gets which offer under the contact rules (models/offers/).
//   reads the customer table (--customers, the columns the catalogue names), the catalogue
//   (--catalog, models/offers/catalog.hpp) and the contact history (--history, optional:
//   host/io/contact_history_reader.hpp), applies the contact policy on --as-of, solves the
//   assignment (models/offers/assignment.hpp) and writes one row per contact
//   customer_id,offer,channel,expected_value,rank (rank 1 = the customer's highest expected
//   value) to --out, the summary to stdout and, with --summary, as JSON.
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "core/text_file.hpp"
#include "host/cli/commands.hpp"
#include "host/io/assignments_output.hpp"
#include "host/io/contact_history_reader.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/output_paths.hpp"
#include "models/offers/assignment.hpp"
#include "models/offers/assignment_summary.hpp"

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
  auto const cpu_seconds = [](std::clock_t since) {
    return static_cast<double>(std::clock() - since) / CLOCKS_PER_SEC;
  };
  auto const start = clock();
  std::clock_t const cpu_start = std::clock();
  offers::Catalog const catalog =
      offers::Catalog::from_toml(read_text_file(options.catalog_path), options.catalog_path);
  CustomerTableRequest request;
  request.id_column = options.id_column;
  request.needed_by = "catalogue " + options.catalog_path;
  CustomerTable table;
  if (options.customers_paths.size() == 1) {  // one table: read only the catalogue's columns
    request.columns = catalog.columns();
    table = read_customer_table(ctx, options.customers_paths[0], request);
  } else {  // several: every column of each, joined on the id (customers in all tables)
    std::vector<CustomerTable> others;
    for (std::size_t t = 1; t < options.customers_paths.size(); ++t) {
      others.push_back(read_customer_table(ctx, options.customers_paths[t], request));
    }
    std::vector<JoinSide> sides;
    table = join_tables(read_customer_table(ctx, options.customers_paths[0], request),
                        std::move(others), sides);
    for (JoinSide const& side : sides) {
      ctx.logger().info("{}: {} rows, {} matched, {} left out", side.source, side.rows,
                        side.matched, side.unmatched);
    }
  }
  IdDictionary const ids = index_ids(ctx, table, [&](std::size_t row, std::size_t first) {
    fail(ExitCode::kInputData, "{}: duplicate customer id (first on {})", table.describe_row(row),
         table.describe_row(first));
  });
  ContactHistoryRead history;
  if (!options.history_path.empty()) {
    history = read_contact_history(ctx, options.history_path, ids, catalog);
    if (history.unknown_customers > 0) {
      ctx.logger().info("{} history rows name customers not in the customer table (not counted)",
                        history.unknown_customers);
    }
  }
  double const read_seconds = seconds(start);
  double const read_cpu = cpu_seconds(cpu_start);
  auto const policy_start = clock();
  std::clock_t const policy_cpu_start = std::clock();
  offers::OfferProblem const problem =
      offers::build_offer_problem(ctx, catalog, table, history.history, *as_of);
  double const policy_seconds = seconds(policy_start);
  double const policy_cpu = cpu_seconds(policy_cpu_start);
  auto const solve_start = clock();
  std::clock_t const solve_cpu_start = std::clock();
  offers::AssignmentResult const result =
      offers::assign_offers(ctx, options.params, catalog, problem);
  double const solve_seconds = seconds(solve_start);
  double const solve_cpu = cpu_seconds(solve_cpu_start);
  auto const write_start = clock();
  std::clock_t const write_cpu_start = std::clock();
  write_assignments(ctx, options.out_path, catalog, table.ids, result);
  double const write_seconds = seconds(write_start);
  double const write_cpu = cpu_seconds(write_cpu_start);
  json summary = offers::assignment_summary_json(catalog, problem, result,
                                                 {{"read", read_seconds},
                                                  {"policy", policy_seconds},
                                                  {"optimise", solve_seconds},
                                                  {"write", write_seconds}});
  // Process CPU time per phase (all threads): comparable on a busy machine where wall is not.
  summary["cpu_seconds"] = {
      {"read", read_cpu}, {"policy", policy_cpu}, {"optimise", solve_cpu}, {"write", write_cpu}};
  if (!options.summary_path.empty()) {
    write_file_atomically(options.summary_path, summary.dump(2) + "\n");
  }
  for (json const& offer : summary["min_volume_not_met"]) {
    ctx.logger().warn("offer {}: {} contacts, {} short of its min_volume {:.0f}",
                      offer["offer"].get<std::string>(), offer["contacts"].get<std::int64_t>(),
                      offer["short"].get<std::int64_t>(), offer["min_volume"].get<double>());
  }
  fmt::print("{}", offers::format_assignment_summary(summary));
  fmt::print(
      "  read {:.2f} s, policy {:.2f} s, optimise {:.2f} s, write {:.2f} s (CPU-s: {:.2f}, {:.2f}, "
      "{:.2f}, {:.2f})\n",
      read_seconds, policy_seconds, solve_seconds, write_seconds, read_cpu, policy_cpu, solve_cpu,
      write_cpu);
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
