#include "models/clv/clv_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/privacy.hpp"

namespace cie {

double total_weight(kernels::ClvRows const& rows) noexcept {
  if (rows.weight.empty()) return static_cast<double>(rows.size());
  double total = 0.0;
  for (double w : rows.weight) total += w;
  return total;
}

ClvSummary summary_from_rfm(RfmTable const& table) {
  ClvSummary summary;
  summary.frequency.assign(table.repeat_frequency.begin(), table.repeat_frequency.end());
  summary.recency = table.repeat_recency;
  summary.age = table.age_t;
  summary.value = table.mean_repeat_value;
  return summary;
}

namespace {

/// What a reason adds about the row's values: nothing but a hint unless `cie --show-values`
/// (customer values stay out of messages by default).
std::string values_note(std::initializer_list<std::pair<char const*, double>> values) {
  if (!show_values()) return " (--show-values shows the values)";
  std::string note;
  for (auto const& [name, value] : values) {
    note += fmt::format("{}{} {}", note.empty() ? " (" : ", ", name,
                        message_value(fmt::format("{}", value)));
  }
  return note + ")";
}

/// Rows a block of find_invalid_row's screen covers.
constexpr std::size_t kScreenRows = 4096;

/// Whether any row of [begin, end) breaks a check of find_invalid_row: the same checks without
/// branches (whole x: x + 2⁵² − 2⁵² rounds x below 2⁵² to the nearest whole number; above it
/// every double is whole), so that the compiler vectorizes them. NaN fails every comparison.
bool screen_has_invalid_row(kernels::ClvRows const& summary, std::size_t begin, std::size_t end) {
  constexpr double kMax = std::numeric_limits<double>::max(), kTwo52 = 0x1p52;
  bool const with_value = !summary.value.empty(), with_weight = !summary.weight.empty();
  int bad = 0;
  for (std::size_t i = begin; i < end; ++i) {
    double const x = summary.frequency[i], t_x = summary.recency[i], age = summary.age[i];
    double const v = with_value ? summary.value[i] : 0.0, w = with_weight ? summary.weight[i] : 0.0;
    bool const whole = !(x < kTwo52) || (x + kTwo52) - kTwo52 == x;
    bad |= static_cast<int>(!(x >= 0.0 && x <= kMax && whole));
    bad |= static_cast<int>(!(t_x >= 0.0 && t_x <= age && age <= kMax));
    bad |= static_cast<int>(x == 0.0 && t_x != 0.0);
    bad |= static_cast<int>(!(std::abs(v) <= kMax && w >= 0.0 && w <= kMax));
  }
  return bad != 0;
}

}  // namespace

std::optional<InvalidRow> find_invalid_row(kernels::ClvRows const& summary) {
  // Screen blocks without branches; a block that fails is searched row by row for the reason.
  std::size_t first = summary.size();
  for (std::size_t begin = 0; begin < summary.size(); begin += kScreenRows) {
    std::size_t const end = std::min(summary.size(), begin + kScreenRows);
    if (screen_has_invalid_row(summary, begin, end)) {
      first = begin;
      break;
    }
  }
  for (std::size_t i = first; i < summary.size(); ++i) {
    double const x = summary.frequency[i], t_x = summary.recency[i], age = summary.age[i];
    if (!std::isfinite(x) || !std::isfinite(t_x) || !std::isfinite(age)) {
      return InvalidRow{i, "frequency, recency and T must be finite numbers"};
    }
    if (x < 0.0 || x != std::floor(x)) {
      return InvalidRow{i,
                        "frequency must be a whole number >= 0" + values_note({{"frequency", x}})};
    }
    if (t_x < 0.0 || t_x > age) {
      return InvalidRow{i,
                        "recency must be in [0, T]" + values_note({{"recency", t_x}, {"T", age}})};
    }
    if (x == 0.0 && t_x != 0.0) {
      return InvalidRow{i,
                        "recency must be 0 when frequency is 0" + values_note({{"recency", t_x}})};
    }
    if (!summary.value.empty() && !std::isfinite(summary.value[i])) {
      return InvalidRow{i, "the mean repeat value must be a finite number"};
    }
    if (!summary.weight.empty() &&
        !(summary.weight[i] >= 0.0 && std::isfinite(summary.weight[i]))) {
      return InvalidRow{
          i, "the weight must be finite and >= 0" + values_note({{"weight", summary.weight[i]}})};
    }
  }
  return std::nullopt;
}

std::optional<InvalidRow> find_invalid_discrete_row(kernels::ClvRows const& summary) {
  if (std::optional<InvalidRow> bad = find_invalid_row(summary)) return bad;
  for (std::size_t i = 0; i < summary.size(); ++i) {
    double const x = summary.frequency[i], t_x = summary.recency[i], n = summary.age[i];
    if (t_x != std::floor(t_x) || n != std::floor(n)) {
      return InvalidRow{i, "BG/BB: recency and T (opportunities) must be whole numbers"};
    }
    if (x > t_x) {
      return InvalidRow{i, "BG/BB: frequency must not exceed recency" +
                               values_note({{"frequency", x}, {"recency", t_x}})};
    }
  }
  return std::nullopt;
}

namespace {

/// Rows with equal keys merged, keys sorted: each distinct key and the sum of its rows' weights
/// added in row order (0.0 + w₁ + w₂ + ...). A key is (hi, lo), a 96-bit unsigned integer that
/// sorts as the key's values. The rows are radix-sorted stably (LSD, byte digits that vary) by
/// the 32 bits of the key from its highest varying bit down, then each run of equal such
/// prefixes, if the bits below it vary, sorted by (key, row): ties keep row order and runs of
/// equal keys merge in one scan, the same rows and bits as a stable sort by key followed by
/// merging runs. Keys whose varying bits are contiguous need few or no run sorts; keys whose
/// varying bits all lie in the prefix are sorted as 8-byte (prefix, row) words instead of
/// ClvSortKey's 16 bytes (half the bytes moved per pass; the same order).
struct ClvSortKey {
  std::uint64_t lo = 0;
  std::uint32_t hi = 0;
  std::uint32_t row = 0;
};

struct ClvKeyGroups {
  std::vector<std::uint64_t> lo;  ///< each group's key (lo, hi), in key order
  std::vector<std::uint32_t> hi;
  std::vector<double> weight;  ///< Σ weight of the group's rows
};

__extension__ using ClvKeyBits = unsigned __int128;

/// Stable LSD radix sort of `records` by the bytes `passes` of prefix(record), a 32-bit digit.
template <class Record, class Prefix>
void radix_sort_prefix_bytes(std::vector<Record>& records, std::span<int const> passes,
                             Prefix const& prefix) {
  std::vector<std::array<std::size_t, 256>> counts(passes.size());
  for (auto& count : counts) count.fill(0);
  for (Record const& record : records) {
    std::uint32_t const p = prefix(record);
    for (std::size_t d = 0; d < passes.size(); ++d) ++counts[d][(p >> (8 * passes[d])) & 0xFF];
  }
  std::vector<Record> sorted(passes.empty() ? 0 : records.size());
  for (std::size_t d = 0; d < passes.size(); ++d) {
    std::size_t offset = 0;
    for (std::size_t& c : counts[d]) offset += std::exchange(c, offset);
    int const shift = 8 * passes[d];
    for (Record const& record : records) {
      sorted[counts[d][(prefix(record) >> shift) & 0xFF]++] = record;
    }
    records.swap(sorted);
  }
}

/// The groups of records sorted by key: row(record) its row, same(a, b) whether two records'
/// keys are equal, key(record) its key as (hi << 64) | lo.
template <class Record, class Row, class Same, class Key>
ClvKeyGroups merge_sorted_runs(kernels::ClvRows const& in, std::vector<Record> const& records,
                               Row const& row, Same const& same, Key const& key) {
  ClvKeyGroups groups;
  for (std::size_t k = 0; k < records.size(); ++k) {
    double const w = in.weight.empty() ? 1.0 : in.weight[row(records[k])];
    if (k > 0 && same(records[k], records[k - 1])) {
      groups.weight.back() += w;
      continue;
    }
    ClvKeyBits const bits = key(records[k]);
    groups.lo.push_back(static_cast<std::uint64_t>(bits));
    groups.hi.push_back(static_cast<std::uint32_t>(bits >> 64));
    groups.weight.push_back(0.0 + w);
  }
  return groups;
}

ClvKeyGroups group_sorted_keys(kernels::ClvRows const& in, std::vector<ClvSortKey> keys) {
  if (keys.empty()) return {};
  std::uint64_t lo_varies = 0;
  std::uint32_t hi_varies = 0;
  for (ClvSortKey const& key : keys) {
    lo_varies |= key.lo ^ keys.front().lo;
    hi_varies |= key.hi ^ keys.front().hi;
  }
  int const top = hi_varies != 0   ? 64 + std::bit_width(hi_varies) - 1
                  : lo_varies != 0 ? std::bit_width(lo_varies) - 1
                                   : 0;
  int const low = std::max(0, top - 31);  // the prefix: bits low .. low + 31
  auto const prefix = [low](std::uint64_t lo, std::uint32_t hi) {
    if (low >= 64) return hi >> (low - 64);
    if (low == 0) return static_cast<std::uint32_t>(lo);
    return static_cast<std::uint32_t>((lo >> low) | (std::uint64_t{hi} << (64 - low)));
  };
  std::uint32_t const prefix_varies = prefix(lo_varies, hi_varies);
  std::vector<int> passes;  // the prefix's bytes that vary
  for (int d = 0; d < 4; ++d) {
    if (((prefix_varies >> (8 * d)) & 0xFF) != 0) passes.push_back(d);
  }
  bool const below_varies =
      low >= 64 ? lo_varies != 0 || (hi_varies & ((std::uint64_t{1} << (low - 64)) - 1)) != 0
                : low > 0 && (lo_varies << (64 - low)) != 0;
  if (!below_varies) {
    // Equal prefixes are equal keys: sort (prefix << 32 | row) words; a key is the first key's
    // bits outside the prefix and the prefix's.
    ClvKeyBits const outside =
        ((ClvKeyBits{keys.front().hi} << 64) | keys.front().lo) & ~(ClvKeyBits{0xFFFFFFFFu} << low);
    std::vector<std::uint64_t> words(keys.size());
    for (std::size_t k = 0; k < keys.size(); ++k) {
      words[k] = (std::uint64_t{prefix(keys[k].lo, keys[k].hi)} << 32) | keys[k].row;
    }
    std::vector<ClvSortKey>().swap(keys);
    radix_sort_prefix_bytes(words, passes,
                            [](std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); });
    return merge_sorted_runs(
        in, words, [](std::uint64_t w) { return static_cast<std::uint32_t>(w); },
        [](std::uint64_t a, std::uint64_t b) { return a >> 32 == b >> 32; },
        [outside, low](std::uint64_t w) { return outside | (ClvKeyBits{w >> 32} << low); });
  }
  auto const key_prefix = [&prefix](ClvSortKey const& key) { return prefix(key.lo, key.hi); };
  radix_sort_prefix_bytes(keys, passes, key_prefix);
  auto const before = [](ClvSortKey const& a, ClvSortKey const& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo != b.lo ? a.lo < b.lo : a.row < b.row;
  };
  for (std::size_t begin = 0; begin < keys.size();) {
    std::uint32_t const p = key_prefix(keys[begin]);
    std::size_t end = begin + 1;
    while (end < keys.size() && key_prefix(keys[end]) == p) ++end;
    if (end - begin > 1) {
      std::sort(keys.begin() + static_cast<std::ptrdiff_t>(begin),
                keys.begin() + static_cast<std::ptrdiff_t>(end), before);
    }
    begin = end;
  }
  return merge_sorted_runs(
      in, keys, [](ClvSortKey const& key) { return key.row; },
      [](ClvSortKey const& a, ClvSortKey const& b) { return a.lo == b.lo && a.hi == b.hi; },
      [](ClvSortKey const& key) { return (ClvKeyBits{key.hi} << 64) | key.lo; });
}

/// Each value of column[rows[k]] as a code: equal values (==, so −0.0 as 0.0) one code, codes
/// numbered in ascending order of value (0 .. distinct − 1), so they sort as the values. The
/// values must be finite. An open-addressing table on the values' bits; a column with a few
/// hundred distinct values (times in days or weeks) keeps it in the L1 cache.
struct ClvValueCodes {
  std::vector<std::uint32_t> code;
  std::vector<double> values;  ///< the distinct values, ascending (−0.0 as 0.0): values[code]
  int bits = 0;                ///< bits that hold every code
};

ClvValueCodes code_clv_values(std::span<double const> column,
                              std::vector<std::uint32_t> const& rows) {
  std::vector<double> values;  // distinct, in order of appearance
  std::vector<std::uint32_t> slots(256, ~std::uint32_t{0});
  int shift = 64 - 8;
  auto const home = [&](double v) {
    return static_cast<std::size_t>((std::bit_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ull) >>
                                    shift);
  };
  ClvValueCodes codes;
  codes.code.resize(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    double const v = column[rows[k]] + 0.0;
    CIE_ASSERT(std::isfinite(v));
    std::size_t s = home(v);
    while (slots[s] != ~std::uint32_t{0} && values[slots[s]] != v) s = (s + 1) & (slots.size() - 1);
    if (slots[s] == ~std::uint32_t{0}) {
      slots[s] = static_cast<std::uint32_t>(values.size());
      values.push_back(v);
      if (2 * values.size() > slots.size()) {  // rehash into twice the slots
        slots.assign(2 * slots.size(), ~std::uint32_t{0});
        --shift;
        for (std::size_t g = 0; g < values.size(); ++g) {
          std::size_t t = home(values[g]);
          while (slots[t] != ~std::uint32_t{0}) t = (t + 1) & (slots.size() - 1);
          slots[t] = static_cast<std::uint32_t>(g);
        }
        s = home(v);
        while (values[slots[s]] != v) s = (s + 1) & (slots.size() - 1);
      }
    }
    codes.code[k] = slots[s];
  }
  std::vector<std::uint32_t> order(values.size()), rank(values.size());
  std::iota(order.begin(), order.end(), std::uint32_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return values[a] < values[b]; });
  codes.values.resize(values.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = static_cast<std::uint32_t>(r);
    codes.values[r] = values[order[r]];
  }
  for (std::uint32_t& c : codes.code) c = rank[c];
  codes.bits = values.size() <= 1 ? 0 : std::bit_width(values.size() - 1);
  return codes;
}

}  // namespace

ClvSummary collapse_purchase_rows(kernels::ClvRows const& summary) {
  CIE_ASSERT(summary.size() < (std::size_t{1} << 32));
  std::vector<std::uint32_t> rows(summary.size());
  std::iota(rows.begin(), rows.end(), std::uint32_t{0});
  ClvValueCodes const age = code_clv_values(summary.age, rows);
  ClvValueCodes const frequency = code_clv_values(summary.frequency, rows);
  ClvValueCodes const recency = code_clv_values(summary.recency, rows);
  // (T, x, t_x): T's code in hi, x's and t_x's codes in the top bits of lo (right below T's,
  // so that the key's varying bits are contiguous).
  int const lo_bits = frequency.bits + recency.bits;
  std::vector<ClvSortKey> keys(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::uint64_t const lo = (std::uint64_t{frequency.code[k]} << recency.bits) | recency.code[k];
    keys[k] = {lo_bits == 0 ? 0 : lo << (64 - lo_bits), age.code[k], rows[k]};
  }
  ClvKeyGroups const groups = group_sorted_keys(summary, std::move(keys));
  ClvSummary out;
  std::size_t const count = groups.weight.size();
  out.frequency.resize(count);
  out.recency.resize(count);
  out.age.resize(count);
  out.recency_code.resize(count);
  out.age_code.resize(count);
  // The values from the group's key's codes (−0.0 as 0.0, which no rule tells apart).
  std::uint64_t const recency_mask = (std::uint64_t{1} << recency.bits) - 1;
  for (std::size_t g = 0; g < count; ++g) {
    std::uint64_t const lo = lo_bits == 0 ? 0 : groups.lo[g] >> (64 - lo_bits);
    std::uint32_t const recency_code = static_cast<std::uint32_t>(lo & recency_mask);
    out.frequency[g] = frequency.values[lo >> recency.bits];
    out.recency[g] = recency.values[recency_code];
    out.age[g] = age.values[groups.hi[g]];
    out.recency_code[g] = recency_code;
    out.age_code[g] = groups.hi[g];
  }
  out.weight = groups.weight;
  out.recency_values = recency.values;
  out.age_values = age.values;
  return out;
}

ClvSummary collapse_spend_rows(kernels::ClvRows const& summary, double& nonpositive) {
  CIE_ASSERT(summary.size() < (std::size_t{1} << 32));
  nonpositive = 0.0;
  std::vector<std::uint32_t> rows;
  for (std::size_t i = 0; i < summary.size(); ++i) {
    if (summary.frequency[i] <= 0.0) continue;
    if (summary.value[i] > 0.0) {
      rows.push_back(static_cast<std::uint32_t>(i));
    } else {
      nonpositive += summary.weight.empty() ? 1.0 : summary.weight[i];
    }
  }
  // (x, m): x's code in hi; m > 0, whose bits sort as its values, in lo.
  ClvValueCodes const frequency = code_clv_values(summary.frequency, rows);
  std::vector<ClvSortKey> keys(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    keys[k] = {std::bit_cast<std::uint64_t>(summary.value[rows[k]]), frequency.code[k], rows[k]};
  }
  ClvKeyGroups const groups = group_sorted_keys(summary, std::move(keys));
  ClvSummary out;
  std::size_t const count = groups.weight.size();
  out.frequency.resize(count);
  out.value.resize(count);
  out.log_value.resize(count);
  for (std::size_t g = 0; g < count; ++g) {  // the values from the group's key
    out.frequency[g] = frequency.values[groups.hi[g]];
    out.value[g] = std::bit_cast<double>(groups.lo[g]);
    out.log_value[g] = std::log(out.value[g]);
  }
  out.weight = groups.weight;
  return out;
}

}  // namespace cie
