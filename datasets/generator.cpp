#include "datasets/generator.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <iterator>
#include <optional>
#include <utility>

#include "core/atomic_file.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "datasets/campaign_arms.hpp"
#include "datasets/campaign_contacts.hpp"
#include "datasets/customer_model.hpp"

namespace cie::datasets {

void GeneratorParams::validate() const {
  constexpr std::int32_t kMinStartDay = -25567;   // 1900-01-01
  constexpr std::int32_t kMaxStartDay = 2567655;  // 9000-01-01
  auto positive = [](double value) { return std::isfinite(value) && value > 0.0; };
  auto probability = [](double value) { return value >= 0.0 && value <= 1.0; };
  CIE_EXPECTS(customers >= 1 && customers <= 1'000'000'000,
              "customers (--customers) must be in [1, 1000000000], got {}", customers);
  CIE_EXPECTS(start_day >= kMinStartDay && start_day <= kMaxStartDay,
              "start_day (--start) must be in [1900-01-01, 9000-01-01], got day {}", start_day);
  CIE_EXPECTS(period_days >= 1 && period_days <= 36500,
              "period_days (--days) must be in [1, 36500], got {}", period_days);
  CIE_EXPECTS(positive(purchase_rate_shape_r), "purchase_rate_shape_r must be > 0, got {}",
              purchase_rate_shape_r);
  CIE_EXPECTS(positive(purchase_rate_alpha), "purchase_rate_alpha must be > 0, got {}",
              purchase_rate_alpha);
  double const immortal_purchases =
      purchase_rate_shape_r / purchase_rate_alpha * static_cast<double>(period_days);
  CIE_EXPECTS(immortal_purchases <= 1000.0,
              "purchase_rate_shape_r / purchase_rate_alpha * period_days (purchases expected "
              "without dropout) must be <= 1000, got {}",
              immortal_purchases);
  CIE_EXPECTS(positive(dropout_rate_shape_s), "dropout_rate_shape_s must be > 0, got {}",
              dropout_rate_shape_s);
  CIE_EXPECTS(positive(dropout_rate_beta), "dropout_rate_beta must be > 0, got {}",
              dropout_rate_beta);
  CIE_EXPECTS(positive(spend_shape_p), "spend_shape_p must be > 0, got {}", spend_shape_p);
  CIE_EXPECTS(std::isfinite(spend_rate_shape_q) && spend_rate_shape_q > 1.0,
              "spend_rate_shape_q must be > 1, got {}", spend_rate_shape_q);
  CIE_EXPECTS(positive(spend_rate_gamma), "spend_rate_gamma must be > 0, got {}", spend_rate_gamma);
  CIE_EXPECTS(probability(return_probability), "return_probability must be in [0, 1], got {}",
              return_probability);
  CIE_EXPECTS(probability(return_full_share), "return_full_share must be in [0, 1], got {}",
              return_full_share);
  CIE_EXPECTS(return_max_delay_days >= 1 && return_max_delay_days <= 365,
              "return_max_delay_days must be in [1, 365], got {}", return_max_delay_days);
  CIE_EXPECTS(!campaign_name.empty() && campaign_name.find_first_of(",\"\r\n") == std::string::npos,
              "campaign_name must be non-empty without commas, quotes or line breaks, got '{}'",
              campaign_name);
  CIE_EXPECTS(probability(treated_share), "treated_share must be in [0, 1], got {}", treated_share);
  CIE_EXPECTS(arms == 0 || (arms >= 2 && arms <= 9), "arms must be 0 or in [2, 9], got {}", arms);
  std::pair<char const*, double> const coefficients[] = {
      {"intercept", response.intercept},
      {"log1p_frequency", response.log1p_frequency},
      {"log1p_recency", response.log1p_recency},
      {"log1p_monetary", response.log1p_monetary},
      {"age_per_15_years", response.age_per_15_years},
      {"email_opt_in", response.email_opt_in},
      {"uplift", response.uplift},
      {"uplift_email_opt_in", response.uplift_email_opt_in}};
  for (auto const& [name, value] : coefficients) {
    CIE_EXPECTS(std::isfinite(value), "response.{} must be finite, got {}", name, value);
  }
  for (std::size_t level = 0; level < response.region.size(); ++level) {
    CIE_EXPECTS(std::isfinite(response.region[level]),
                "response.region[{}] ({}) must be finite, got {}", level, kRegions[level],
                response.region[level]);
  }
  CIE_EXPECTS(block_customers >= 1 && block_customers <= 10'000'000,
              "block_customers must be in [1, 10000000], got {}", block_customers);
}

namespace {

/// One block's CSV text and counts, and the scratch space reused from block to block.
struct BlockWork {
  std::string transactions;
  std::string customers;
  std::string campaign;
  std::string truth;
  std::string arms, arms_truth;  ///< campaign_arms.csv and campaign_arms_truth.csv rows
  std::int64_t purchase_rows = 0;
  std::int64_t return_rows = 0;
  std::int64_t treated = 0;
  std::int64_t responders = 0;
  /// Probabilities in units of 2^-32, summed exactly as integers so that the total does not
  /// depend on how customers are cut into blocks (1e9 customers stay below 2^63).
  std::int64_t probability_units = 0;
  CustomerScratch scratch;
};

void append_int(std::string& out, std::int64_t value) {
  fmt::format_int const text(value);
  out.append(text.data(), text.size());
}

/// Cents as a decimal with exactly two places: -1234 -> "-12.34".
void append_cents(std::string& out, std::int64_t cents) {
  if (cents < 0) out.push_back('-');
  std::int64_t const magnitude = cents < 0 ? -cents : cents;
  append_int(out, magnitude / 100);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + magnitude / 10 % 10));
  out.push_back(static_cast<char>('0' + magnitude % 10));
}

/// "C" and the 1-based index, zero-padded to `width` digits.
std::string_view format_id(char (&buffer)[24], std::int64_t index, int width) {
  buffer[0] = 'C';
  std::int64_t value = index + 1;
  for (int i = width; i >= 1; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return {buffer, static_cast<std::size_t>(width) + 1};
}

int id_width(std::int64_t customers) {
  int digits = 1;
  for (std::int64_t value = customers; value >= 10; value /= 10) ++digits;
  return std::max(8, digits);
}

void generate_block(GeneratorParams const& params, std::uint64_t seed,
                    std::vector<std::string> const& dates, std::int64_t first, std::int64_t last,
                    BlockWork& work) {
  work.transactions.clear();
  work.customers.clear();
  work.campaign.clear();
  work.truth.clear();
  work.arms.clear();
  work.arms_truth.clear();
  work.purchase_rows = work.return_rows = work.treated = work.responders = 0;
  work.probability_units = 0;
  int const width = id_width(params.customers);
  char id_buffer[24];
  for (std::int64_t index = first; index < last; ++index) {
    SimulatedCustomer const customer = simulate_customer(params, seed, index, work.scratch);
    std::string_view const id = format_id(id_buffer, index, width);
    for (TransactionRow const& row : work.scratch.rows) {
      work.transactions.append(id);
      work.transactions.push_back(',');
      work.transactions.append(dates[static_cast<std::size_t>(row.day)]);
      work.transactions.push_back(',');
      append_cents(work.transactions, row.cents);
      work.transactions.push_back('\n');
      ++(row.cents > 0 ? work.purchase_rows : work.return_rows);
    }

    std::string& attributes = work.customers;
    attributes.append(id);
    attributes.push_back(',');
    append_int(attributes, customer.age);
    attributes.push_back(',');
    attributes.append(kRegions[static_cast<std::size_t>(customer.region)]);
    attributes.push_back(',');
    attributes.append(kChannels[static_cast<std::size_t>(customer.channel)]);
    attributes.append(customer.email_opt_in ? ",1," : ",0,");
    attributes.append(dates[static_cast<std::size_t>(customer.acquisition_day)]);
    attributes.push_back('\n');

    auto const contact = dates.begin() + params.period_days;  // the as-of day's date
    append_campaign_row(work.campaign, id, params.campaign_name, customer,
                        contact[customer.contact_offset]);

    work.truth.append(id);
    work.truth.push_back(',');
    fmt::format_to(std::back_inserter(work.truth), "{}\n", customer.probability);

    if (params.arms > 0) {
      append_campaign_arms(work.arms, work.arms_truth, params.arms, id, customer,
                           contact[customer.arm_contact_offset]);
    }

    work.treated += customer.treated ? 1 : 0;
    work.responders += customer.responded ? 1 : 0;
    work.probability_units += std::llround(std::ldexp(customer.probability, 32));
  }
}

/// meta.json: everything needed to reproduce the files or check a model against the truth.
std::string describe_dataset(GeneratorParams const& params, std::uint64_t seed,
                             GeneratorSummary const& summary) {
  using Json = nlohmann::ordered_json;
  auto const period = static_cast<std::int32_t>(params.period_days);
  auto const& b = params.response;
  Json region_shares = Json::object();
  Json region_effects = Json::object();
  for (std::size_t level = 0; level < kRegions.size(); ++level) {
    region_shares[std::string(kRegions[level])] = kRegionShares[level];
    region_effects[std::string(kRegions[level])] = b.region[level];
  }
  Json channel_shares = Json::object();
  for (std::size_t level = 0; level < kChannels.size(); ++level) {
    channel_shares[std::string(kChannels[level])] = kChannelShares[level];
  }
  Json meta;
  meta["generator"] = "cie gen";
  meta["engine_version"] = CIE_VERSION;
  meta["seed"] = seed;
  meta["customers"] = params.customers;
  meta["start_date"] = format_date(params.start_day);
  meta["period_days"] = params.period_days;
  meta["period_end"] = format_date(params.start_day + period - 1);
  meta["campaign_as_of"] = format_date(summary.as_of_day);
  meta["purchases"] = {
      {"model",
       "Pareto/NBD: first purchase on the acquisition day (uniform over the period), "
       "then Poisson(lambda) until an Exp(mu) lifetime or the period ends"},
      {"purchase_rate_shape_r", params.purchase_rate_shape_r},
      {"purchase_rate_alpha", params.purchase_rate_alpha},
      {"dropout_rate_shape_s", params.dropout_rate_shape_s},
      {"dropout_rate_beta", params.dropout_rate_beta}};
  meta["spend"] = {
      {"model",
       "gamma-gamma: nu ~ Gamma(q, rate gamma) per customer, value ~ Gamma(p, rate nu), "
       "rounded to cents, at least 0.01"},
      {"spend_shape_p", params.spend_shape_p},
      {"spend_rate_shape_q", params.spend_rate_shape_q},
      {"spend_rate_gamma", params.spend_rate_gamma}};
  meta["returns"] = {{"return_probability", params.return_probability},
                     {"return_full_share", params.return_full_share},
                     {"partial_fraction_range", {kPartialReturnMin, kPartialReturnMax}},
                     {"return_max_delay_days", params.return_max_delay_days}};
  meta["attributes"] = {
      {"age", {{"mean", kAgeMean}, {"sd", kAgeSd}, {"min", kMinAge}, {"max", kMaxAge}}},
      {"region_shares", region_shares},
      {"channel_shares", channel_shares},
      {"email_opt_in_share", kEmailOptInShare},
      {"signup_date", "the acquisition day (first purchase)"}};
  meta["campaign"] = {
      {"name", params.campaign_name},
      {"as_of", format_date(summary.as_of_day)},
      {"treated_share", params.treated_share},
      {"response_model",
       {{"formula",
         "logit(p) = intercept + log1p_frequency*log1p(F) + log1p_recency*log1p(R) + "
         "log1p_monetary*log1p(max(M,0)) + age_per_15_years*(age-45)/15 + region[region] + "
         "email_opt_in*email_opt_in + treated*(uplift + uplift_email_opt_in*email_opt_in)"},
        {"features",
         {{"F", "distinct days with a purchase (a positive amount; returns excluded) before as_of"},
          {"R", "as_of - day of the last purchase (returns excluded), in days"},
          {"M", "net sum of all amounts before as_of, returns included"}}},
        {"coefficients",
         {{"intercept", b.intercept},
          {"log1p_frequency", b.log1p_frequency},
          {"log1p_recency", b.log1p_recency},
          {"log1p_monetary", b.log1p_monetary},
          {"age_per_15_years", b.age_per_15_years},
          {"region", region_effects},
          {"email_opt_in", b.email_opt_in},
          {"uplift", b.uplift},
          {"uplift_email_opt_in", b.uplift_email_opt_in}}}}},
      {"revenue", "responders: Gamma(p, rate nu) of the customer's own spend, in cents"},
      {"contacts", describe_campaign_contacts(summary.as_of_day)}};
  meta["files"] = {{"transactions.csv", {{"rows", summary.transaction_rows}}},
                   {"customers.csv", {{"rows", summary.customers}}},
                   {"campaign.csv", {{"rows", summary.customers}}},
                   {"campaign_truth.csv", {{"rows", summary.customers}}}};
  if (params.arms > 0) {
    meta["multi_arm_campaign"] = describe_campaign_arms(params.arms, summary.as_of_day);
    meta["files"]["campaign_arms.csv"] = {{"rows", summary.customers}};
    meta["files"]["campaign_arms_truth.csv"] = {{"rows", summary.customers}};
  }
  meta["summary"] = {{"purchase_rows", summary.purchase_rows},
                     {"return_rows", summary.return_rows},
                     {"treated", summary.treated},
                     {"responders", summary.responders},
                     {"mean_true_probability", summary.mean_true_probability}};
  return meta.dump(2);
}

}  // namespace

GeneratorSummary generate_dataset(Context const& ctx, GeneratorParams const& params,
                                  std::string const& out_dir) {
  params.validate();
  auto const started = std::chrono::steady_clock::now();
  ensure_directory(out_dir);
  auto path = [&](char const* name) { return (std::filesystem::path(out_dir) / name).string(); };
  AtomicFile transactions_file(path("transactions.csv"));
  AtomicFile customers_file(path("customers.csv"));
  AtomicFile campaign_file(path("campaign.csv"));
  AtomicFile truth_file(path("campaign_truth.csv"));
  transactions_file.write("customer_id,date,amount\n");
  customers_file.write("customer_id,age,region,channel,email_opt_in,signup_date\n");
  campaign_file.write(campaign_header());
  truth_file.write("customer_id,true_probability\n");
  std::optional<AtomicFile> arms_file, arms_truth_file;
  if (params.arms > 0) {
    arms_file.emplace(path("campaign_arms.csv"));
    arms_truth_file.emplace(path("campaign_arms_truth.csv"));
    arms_file->write(campaign_arms_header());
    arms_truth_file->write(campaign_arms_truth_header(params.arms));
  }

  // Every row's date is one of the period's days or a contact day after it: format each once.
  std::int64_t const days = params.period_days + kContactWindowDays;
  std::vector<std::string> dates;
  dates.reserve(static_cast<std::size_t>(days));
  for (std::int64_t day = 0; day < days; ++day) {
    dates.push_back(format_date(params.start_day + static_cast<std::int32_t>(day)));
  }

  std::uint64_t const seed = ctx.seed();
  std::int64_t const blocks =
      (params.customers + params.block_customers - 1) / params.block_customers;
  int const threads = static_cast<int>(std::clamp<std::int64_t>(ctx.threads(), 1, blocks));
  ctx.logger().info("gen: {} customers in {} blocks on {} threads", params.customers, blocks,
                    threads);

  GeneratorSummary summary;
  summary.customers = params.customers;
  summary.as_of_day = params.start_day + static_cast<std::int32_t>(params.period_days);
  std::int64_t probability_units = 0;
  std::vector<BlockWork> work(static_cast<std::size_t>(threads));
  std::exception_ptr failure;
  std::atomic<bool> failed{false};

  // Blocks are generated in parallel and written in block order (the ordered section), so each
  // thread holds one block and the files do not depend on the schedule. Exceptions must not
  // leave the parallel region: the first one is kept and rethrown after it.
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t block = 0; block < blocks; ++block) {
    BlockWork& mine = work[static_cast<std::size_t>(omp_get_thread_num())];
    std::exception_ptr block_failure;
    if (!failed.load()) {
      try {
        std::int64_t const first = block * params.block_customers;
        generate_block(params, seed, dates, first,
                       std::min(first + params.block_customers, params.customers), mine);
      } catch (...) {
        block_failure = std::current_exception();
      }
    }
#pragma omp ordered
    {
      if (!failure && block_failure) failure = block_failure;
      if (!failure) {
        try {
          transactions_file.write(mine.transactions);
          customers_file.write(mine.customers);
          campaign_file.write(mine.campaign);
          truth_file.write(mine.truth);
          if (arms_file) {
            arms_file->write(mine.arms);
            arms_truth_file->write(mine.arms_truth);
          }
          summary.purchase_rows += mine.purchase_rows;
          summary.return_rows += mine.return_rows;
          summary.treated += mine.treated;
          summary.responders += mine.responders;
          probability_units += mine.probability_units;
        } catch (...) {
          failure = std::current_exception();
        }
      }
      if (failure) failed.store(true);
    }
  }
  if (failure) std::rethrow_exception(failure);

  summary.transaction_rows = summary.purchase_rows + summary.return_rows;
  summary.mean_true_probability = std::ldexp(static_cast<double>(probability_units), -32) /
                                  static_cast<double>(params.customers);
  std::vector<AtomicFile*> files = {&transactions_file, &customers_file, &campaign_file,
                                    &truth_file};
  if (arms_file) files.insert(files.end(), {&*arms_file, &*arms_truth_file});
  for (AtomicFile* file : files) {
    file->commit();
    summary.files.push_back(file->target());
  }
  std::string const meta_path = path("meta.json");
  write_file_atomically(meta_path, describe_dataset(params, seed, summary) + "\n");
  summary.files.push_back(meta_path);

  double const seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ctx.logger().info("gen: {} transaction rows for {} customers in {:.1f} s",
                    summary.transaction_rows, summary.customers, seconds);
  return summary;
}

}  // namespace cie::datasets
