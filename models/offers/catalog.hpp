// The offer catalogue and contact policy of `cie offers assign` (a TOML file, issue 18).
//
// What a catalogue says, every key checked (unknown keys are usage errors naming file and line):
//
//   seed = 2026                 # key of the control groups (keep it fixed: groups stay stable)
//   max_contacts_per_run = 2    # offers one customer may get in this run (1..8)
//   min_days_between = 3        # contact days at least this many days apart (0 = no rule):
//                               # no contact when the last one was less than N days before as-of
//   opt_out_column = "do_not_contact"  # optional: customers whose value is non-zero get nothing
//   budget = 50000.0            # optional overall budget (sum of contact costs)
//   [[window]]                  # sliding windows over the history, any number:
//   days = 7                    #   contacts on days (as_of - days, as_of], this run's included,
//   max_contacts = 1            #   at most max_contacts
//   [[channel]]                 # 1..8 channels
//   name = "email"
//   capacity = 100000           # optional: contacts this run (the run is one day)
//   opt_out_column = "email_opt_out"  # optional: non-zero = no contact on this channel
//   window_days = 30            # optional per-channel window: at most max_contacts contacts on
//   max_contacts = 2            #   this channel in (as_of - window_days, as_of]
//   [[segment_limit]]           # customers whose `column` is one of `levels` get at most
//   column = "segment"          #   max_contacts_per_run offers in this run
//   levels = ["At Risk"]
//   max_contacts_per_run = 1
//   [[pair]]                    # never both offers in one run; with days > 0, neither offer
//   offers = ["winter", "spring"]  # within `days` days after a contact with the other
//   days = 14
//   [[offer]]                   # 1..64 offers
//   name = "winter"
//   channel = "email"
//   cost = 0.05                 # per contact, >= 0
//   response_column = "p_winter"  # propensity or uplift of the customer for this offer
//   value = 40.0                #   times the value of a response (or value_column = "clv")
//   # or expected_value_column = "ev_winter": the net expected value given directly
//   min_volume = 1000           # optional: contacts this offer should get at least (a campaign
//                               #   commitment); met by the repair when the rules leave enough
//                               #   candidates room, otherwise reported with the shortfall
//   max_volume = 5000           # optional
//   budget = 250.0              # optional, per offer
//   control_share = 0.1         # optional: persistent control group, never contacted
//   eligible = [{ column = "segment", levels = ["Champions", "Loyal"] },
//               { column = "p_winter", min = 0.05 }]  # all must hold; missing value = not
//
// Expected value of a contact: response × value − cost, or the expected_value_column as given.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cie::offers {

inline constexpr int kMaxOffers = 64;
inline constexpr int kMaxChannels = 8;
inline constexpr int kMaxContactsPerRun = 8;
inline constexpr double kUnlimited = std::numeric_limits<double>::infinity();

/// One eligibility condition on a customer column: a categorical column's value in `levels`,
/// or a numeric column's value within [min, max]. A missing value fails the condition.
struct EligibilityRule {
  std::string column;
  std::vector<std::string> levels;  ///< non-empty: a level condition
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

struct Offer {
  std::string name;
  int channel = 0;              ///< index into Catalog::channels
  double cost = 0.0;            ///< per contact
  std::string response_column;  ///< propensity or uplift (with value or value_column)
  double value = 0.0;           ///< value of a response when value_column is empty
  std::string value_column;
  std::string expected_value_column;  ///< the expected value given directly (net of cost)
  double min_volume = 0.0;            ///< a lower bound on its contacts (0: none)
  double max_volume = kUnlimited;
  double budget = kUnlimited;
  double control_share = 0.0;  ///< in [0, 1)
  std::vector<EligibilityRule> eligible;

  /// Contacts this offer may get: min(max_volume, floor(budget / cost)).
  [[nodiscard]] double capacity() const noexcept;
};

struct Channel {
  std::string name;
  double capacity = kUnlimited;  ///< contacts this run
  std::string opt_out_column;
  int window_days = 0;  ///< 0: no per-channel window
  int max_contacts = 0;
};

struct ContactWindow {
  int days = 0;
  int max_contacts = 0;
};

struct SegmentLimit {
  std::string column;
  std::vector<std::string> levels;
  int max_contacts_per_run = 0;
};

struct PairRule {
  int first = 0;  ///< offer indices
  int second = 0;
  int days = 0;
};

struct Catalog {
  std::string source;
  std::uint64_t seed = 0;
  int max_contacts_per_run = 1;
  int min_days_between = 0;
  std::string opt_out_column;
  double budget = kUnlimited;
  std::vector<ContactWindow> windows;
  std::vector<Channel> channels;
  std::vector<SegmentLimit> segment_limits;
  std::vector<PairRule> pairs;
  std::vector<Offer> offers;

  /// Parses and checks a catalogue; usage errors (exit 2) name `source` and the line.
  static Catalog from_toml(std::string_view text, std::string const& source);

  /// Every customer column the catalogue reads (scores, values, eligibility, opt-outs,
  /// segment limits), each once, in first-mention order.
  [[nodiscard]] std::vector<std::string> columns() const;
  /// Index of the offer / channel called `name`, or -1.
  [[nodiscard]] int offer_index(std::string_view name) const noexcept;
  [[nodiscard]] int channel_index(std::string_view name) const noexcept;
};

}  // namespace cie::offers
