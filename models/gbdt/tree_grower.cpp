#include "models/gbdt/tree_grower.hpp"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "models/gbdt/split_scan.hpp"

namespace cie::gbdt_detail {
namespace {

using kernels::GbdtNode;
using kernels::GradientPair;
using kernels::HistogramBin;
using kernels::kBinsPerFeature;
using kernels::kMissingBin;

using CategorySet = std::array<std::uint64_t, kernels::kCategoryWords>;

/// Rows from which a node's partition runs on several threads (fewer: starting them costs more).
constexpr std::size_t kParallelPartition = std::size_t{1} << 16;

struct Split {
  double gain = 0.0;
  std::int32_t feature = -1;
  int bin = 0;
  bool default_left = false;
  HistogramBin left;  ///< sums of the left child
  bool categorical = false;
  CategorySet set{};      ///< categorical: the level codes that go left
  double extra_l2 = 0.0;  ///< cat_l2 for a sorted categorical split: also in its children's values
  [[nodiscard]] bool valid() const noexcept { return feature >= 0; }
  [[nodiscard]] bool goes_left(std::uint8_t bin_value) const {
    if (!categorical)
      return kernels::bin_goes_left(bin_value, static_cast<std::uint8_t>(bin), default_left);
    if (bin_value == kMissingBin) return default_left;
    return kernels::in_category_set(set.data(), bin_value);
  }
};

struct Leaf {
  std::int32_t node = -1;
  std::size_t begin = 0;
  std::size_t end = 0;
  int depth = 0;
  HistogramBin sum;
  std::unique_ptr<HistogramBin[]> hist;
  Split best;
  double extra_l2 = 0.0;  ///< added to lambda in this leaf's value (a sorted split's child)
};

ScanRules scan_rules(GbdtParams const& params, kernels::GradientScales scales) {
  return {params.lambda,           params.alpha, params.min_child_weight,
          params.min_data_in_leaf, scales.g,     scales.h};
}

bool is_power_of_two(double x) {
  int exponent = 0;
  return x > 0.0 && std::frexp(x, &exponent) == 0.5;
}

HistogramBin operator+(HistogramBin a, HistogramBin const& b) {
  return {a.g + b.g, a.h + b.h, a.count + b.count};
}
HistogramBin operator-(HistogramBin a, HistogramBin const& b) {
  return {a.g - b.g, a.h - b.h, a.count - b.count};
}

class Grower {
 public:
  Grower(Context const& ctx, GbdtParams const& params, TreeInput const& input,
         std::vector<std::uint32_t>& rows, GbdtModel& model, GrowScratch& scratch)
      : ctx_(ctx),
        params_(params),
        input_(input),
        rows_(rows),
        model_(model),
        scratch_(scratch),
        scan_(scan_rules(params, input.scales)) {
    CIE_ASSERT(is_power_of_two(input.scales.g) && is_power_of_two(input.scales.h));
  }

  std::int32_t grow(std::vector<GrownLeaf>& grown) {
    if (scratch_.right_rows.size() < rows_.size()) scratch_.right_rows.resize(rows_.size());
    std::int32_t const root = new_node(0.0);
    Leaf first{root, 0, rows_.size(), 0, {}, make_hist(), {}};
    build(first);
    HistogramBin const* slots =
        first.hist.get() + static_cast<std::size_t>(input_.features.front()) * kBinsPerFeature;
    for (int b = 0; b < kBinsPerFeature; ++b) first.sum = first.sum + slots[b];
    first.best = best_split(first);
    leaves_.push_back(std::move(first));
    while (params_.num_leaves == 0 || static_cast<int>(leaves_.size()) < params_.num_leaves) {
      std::size_t const chosen = pick();
      if (chosen == leaves_.size()) break;
      split(chosen);
    }
    for (Leaf& leaf : leaves_) {
      model_.nodes[leaf.node].value =
          params_.learning_rate * kernels::leaf_weight(g(leaf.sum), h(leaf.sum),
                                                       params_.lambda + leaf.extra_l2,
                                                       params_.alpha);
      model_.node_cover[leaf.node] = h(leaf.sum);
      grown.push_back({leaf.node, leaf.begin, leaf.end});
      recycle(leaf.hist);
    }
    return root;
  }

 private:
  [[nodiscard]] double g(HistogramBin const& s) const { return scan_.g(s); }
  [[nodiscard]] double h(HistogramBin const& s) const { return scan_.h(s); }

  std::int32_t new_node(double cover) {
    model_.nodes.emplace_back();
    model_.node_gain.push_back(0.0);
    model_.node_cover.push_back(cover);
    return static_cast<std::int32_t>(model_.nodes.size() - 1);
  }

  /// A histogram buffer (a spare one of this fit when there is one): the slots of the features
  /// it is built for are written before they are read.
  [[nodiscard]] std::unique_ptr<HistogramBin[]> make_hist() const {
    if (scratch_.histograms.empty()) {
      return std::make_unique<HistogramBin[]>(input_.bins.cols * kBinsPerFeature);
    }
    std::unique_ptr<HistogramBin[]> hist = std::move(scratch_.histograms.back());
    scratch_.histograms.pop_back();
    return hist;
  }

  void recycle(std::unique_ptr<HistogramBin[]>& hist) const {
    if (hist) scratch_.histograms.push_back(std::move(hist));
  }

  /// Stable partition of rows_[begin, end): the rows `s` sends left first, then the others, each
  /// side in its order (std::stable_partition's result); returns the end of the left rows. No
  /// branch on the data (a random split mispredicts half of them): every row is written both to
  /// the next left slot (in place: it never passes the row being read) and to the next slot of
  /// the right buffer, and the condition, looked up per bin, advances one of the two. A range of
  /// at least kParallelPartition rows is cut into one chunk per thread, each partitioned so
  /// (its left rows compacted at the chunk's start, its right rows into the buffer at the chunk's
  /// offset); the left runs are then moved together in chunk order and the right runs copied
  /// after them, in parallel: the same result for any thread count.
  std::size_t partition(Split const& s, std::uint8_t const* column, std::size_t begin,
                        std::size_t end) const {
    std::array<std::uint8_t, kBinsPerFeature> goes_left{};
    for (int bin = 0; bin < kBinsPerFeature; ++bin) {
      goes_left[bin] = s.goes_left(static_cast<std::uint8_t>(bin)) ? 1 : 0;
    }
    std::uint32_t* const right = scratch_.right_rows.data();
    std::uint32_t* const data = rows_.data();
    // Chunk [first, last): returns its left rows' count (compacted at data + first).
    auto const partition_chunk = [&](std::size_t first, std::size_t last, std::uint32_t* out) {
      std::size_t write = first;
      std::size_t right_count = 0;
      for (std::size_t i = first; i < last; ++i) {
        std::uint32_t const row = data[i];
        std::size_t const left = goes_left[column[row]];
        data[write] = row;
        out[right_count] = row;
        write += left;
        right_count += 1 - left;
      }
      return write - first;
    };
    std::size_t const n = end - begin;
    int const parts = n >= kParallelPartition ? std::max(1, ctx_.threads()) : 1;
    if (parts == 1) {
      std::size_t const lefts = partition_chunk(begin, end, right);
      std::copy_n(right, n - lefts, data + begin + lefts);
      return begin + lefts;
    }
    auto const chunk_first = [&](int part) { return begin + n * part / parts; };
    std::vector<std::size_t> lefts(parts);
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int part = 0; part < parts; ++part) {
      std::size_t const first = chunk_first(part);
      lefts[part] = partition_chunk(first, chunk_first(part + 1), right + (first - begin));
    }
    std::size_t write = begin;  // each left run moves towards begin (std::copy: in chunk order)
    for (int part = 0; part < parts; ++part) {
      std::uint32_t const* const first = data + chunk_first(part);
      if (data + write != first) std::copy(first, first + lefts[part], data + write);
      write += lefts[part];
    }
    std::vector<std::size_t> right_at(parts);
    for (std::size_t part = 0, at = write; part < right_at.size(); ++part) {
      right_at[part] = at;
      int const p = static_cast<int>(part);
      at += chunk_first(p + 1) - chunk_first(p) - lefts[part];
    }
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int part = 0; part < parts; ++part) {
      std::size_t const first = chunk_first(part);
      std::copy_n(right + (first - begin), chunk_first(part + 1) - first - lefts[part],
                  data + right_at[part]);
    }
    return write;
  }

  void build(Leaf& leaf) const {
    std::span<std::uint32_t const> const rows(rows_.data() + leaf.begin, leaf.end - leaf.begin);
    input_.workspace->build_histogram(rows, input_.features, leaf.hist.get());
  }

  /// A categorical candidate: `left` holds the set's rows (missing rows not included).
  void consider_set(Split& best, Leaf const& leaf, HistogramBin const& missing,
                    HistogramBin const& left, std::int32_t feature, CategorySet const& set,
                    double extra_l2) const {
    auto const try_side = [&](HistogramBin const& with, bool default_left) {
      HistogramBin const right = leaf.sum - with;
      if (!scan_.child_ok(with) || !scan_.child_ok(right)) return;
      double const gain = scan_.score(with, extra_l2) + scan_.score(right, extra_l2) -
                          scan_.score(leaf.sum, extra_l2);
      if (gain > best.gain) best = {gain, feature, 0, default_left, with, true, set, extra_l2};
    };
    if (missing.count == 0) {
      try_side(left, left.h >= (leaf.sum - left).h);
      return;
    }
    try_side(left, false);
    try_side(left + missing, true);
  }

  void best_categorical_split(Split& best, Leaf const& leaf, std::int32_t feature) const {
    HistogramBin const* slots =
        leaf.hist.get() + static_cast<std::size_t>(feature) * kBinsPerFeature;
    HistogramBin const missing = slots[kMissingBin];
    int const levels = input_.category_levels[feature];
    std::vector<int> present;
    for (int code = 0; code < levels; ++code) {
      if (slots[code].count > 0) present.push_back(code);
    }
    if (levels <= params_.max_cat_to_onehot) {
      for (int const code : present) {
        CategorySet set{};
        set[code >> 6] |= std::uint64_t{1} << (code & 63);
        consider_set(best, leaf, missing, slots[code], feature, set, 0.0);
      }
      return;
    }
    std::vector<int> sorted;
    for (int const code : present) {
      if (static_cast<double>(slots[code].count) >= params_.cat_smooth) sorted.push_back(code);
    }
    auto const key = [&](int code) {
      return g(slots[code]) / (h(slots[code]) + params_.cat_smooth);
    };
    std::sort(sorted.begin(), sorted.end(), [&](int a, int b) {
      double const ka = key(a), kb = key(b);
      return ka < kb || (ka == kb && a < b);
    });
    auto const used = static_cast<int>(sorted.size());
    int const most = std::min(params_.max_cat_threshold, (used + 1) / 2);
    for (int const direction : {1, -1}) {
      HistogramBin left;
      CategorySet set{};
      std::int64_t group = 0;
      for (int i = 0; i < used && i < most; ++i) {
        int const code = direction > 0 ? sorted[i] : sorted[used - 1 - i];
        left = left + slots[code];
        set[code >> 6] |= std::uint64_t{1} << (code & 63);
        group += slots[code].count;
        if (left.count < params_.min_data_in_leaf) continue;
        std::int64_t const right_count = leaf.sum.count - left.count;
        if (right_count < params_.min_data_in_leaf || right_count < params_.min_data_per_group) {
          break;
        }
        if (group < params_.min_data_per_group) continue;
        group = 0;
        consider_set(best, leaf, missing, left, feature, set, params_.cat_l2);
      }
    }
  }

  [[nodiscard]] Split best_split(Leaf const& leaf) const {
    Split best;
    best.gain = params_.min_split_gain;
    if (params_.max_depth >= 0 && leaf.depth >= params_.max_depth) return best;
    if (leaf.sum.count < 2 * static_cast<std::int64_t>(params_.min_data_in_leaf)) return best;
    double const parent_score = scan_.score(leaf.sum);
    for (std::int32_t const feature : input_.features) {
      if (!input_.category_levels.empty() && input_.category_levels[feature] > 0) {
        best_categorical_split(best, leaf, feature);
        continue;
      }
      HistogramBin const* slots =
          leaf.hist.get() + static_cast<std::size_t>(feature) * kBinsPerFeature;
      int const value_bins = static_cast<int>((*input_.edges)[feature].size()) + 1;
      NumericSplit numeric;
      numeric.gain = best.gain;
      if (scan_.scan(slots, value_bins, leaf.sum, parent_score, numeric)) {
        best = {numeric.gain, feature, numeric.bin, numeric.default_left, numeric.left};
      }
    }
    return best;
  }

  /// The next leaf to split (leaves_.size() when none can).
  [[nodiscard]] std::size_t pick() const {
    std::size_t chosen = leaves_.size();
    for (std::size_t i = 0; i < leaves_.size(); ++i) {
      Leaf const& leaf = leaves_[i];
      if (!leaf.best.valid()) continue;
      if (chosen == leaves_.size()) {
        chosen = i;
        continue;
      }
      Leaf const& current = leaves_[chosen];
      bool const better =
          params_.growth == TreeGrowth::kLeafwise
              ? leaf.best.gain > current.best.gain ||
                    (leaf.best.gain == current.best.gain && leaf.node < current.node)
              : leaf.depth < current.depth ||
                    (leaf.depth == current.depth && leaf.node < current.node);
      if (better) chosen = i;
    }
    return chosen;
  }

  void split(std::size_t index) {
    Leaf parent = std::move(leaves_[index]);
    leaves_.erase(leaves_.begin() + static_cast<std::ptrdiff_t>(index));
    Split const& s = parent.best;
    std::vector<float> const& edges = (*input_.edges)[s.feature];
    std::uint8_t const* column = input_.bins.column(static_cast<std::size_t>(s.feature));
    std::size_t const mid = partition(s, column, parent.begin, parent.end);
    CIE_ASSERT(static_cast<std::int64_t>(mid - parent.begin) == s.left.count);

    HistogramBin const right_sum = parent.sum - s.left;
    std::int32_t const left_node = new_node(h(s.left));
    std::int32_t const right_node = new_node(h(right_sum));
    GbdtNode& node = model_.nodes[parent.node];
    node.feature = s.feature;
    node.bin = static_cast<std::uint8_t>(s.bin);
    node.threshold = s.categorical                                    ? 0.0f
                     : static_cast<std::size_t>(s.bin) < edges.size() ? edges[s.bin]
                                                                      : FLT_MAX;
    if (s.categorical) {
      // Codes beyond the training's levels go the default way, with the missing values.
      CategorySet set = s.set;
      for (int code = input_.category_levels[s.feature]; s.default_left && code < kMissingBin;
           ++code) {
        set[code >> 6] |= std::uint64_t{1} << (code & 63);
      }
      node.categories =
          static_cast<std::int32_t>(model_.category_bits.size() / kernels::kCategoryWords);
      model_.category_bits.insert(model_.category_bits.end(), set.begin(), set.end());
    }
    node.default_left = s.default_left ? 1 : 0;
    node.left = left_node;
    node.right = right_node;
    model_.node_gain[parent.node] = s.gain;
    model_.node_cover[parent.node] = h(parent.sum);

    Leaf left{left_node, parent.begin, mid, parent.depth + 1, s.left, nullptr, {}, s.extra_l2};
    Leaf right{right_node, mid, parent.end, parent.depth + 1, right_sum, nullptr, {}, s.extra_l2};
    Leaf& smaller = left.sum.count <= right.sum.count ? left : right;
    Leaf& larger = left.sum.count <= right.sum.count ? right : left;
    smaller.hist = make_hist();
    build(smaller);
    kernels::gbdt_subtract_histogram(input_.features, parent.hist.get(), smaller.hist.get());
    larger.hist = std::move(parent.hist);
    left.best = best_split(left);
    right.best = best_split(right);
    for (Leaf* child : {&left, &right}) {
      if (!child->best.valid()) recycle(child->hist);  // a final leaf needs no histogram
      leaves_.push_back(std::move(*child));
    }
  }

  Context const& ctx_;
  GbdtParams const& params_;
  TreeInput const& input_;
  std::vector<std::uint32_t>& rows_;
  GbdtModel& model_;
  GrowScratch& scratch_;
  NumericScan scan_;  ///< the numeric split scan, with g(), h() and the score of sums
  std::vector<Leaf> leaves_;
};

}  // namespace

std::int32_t grow_tree(Context const& ctx, GbdtParams const& params, TreeInput const& input,
                       std::vector<std::uint32_t>& rows, GbdtModel& model, GrowScratch& scratch,
                       std::vector<GrownLeaf>& leaves) {
  CIE_ASSERT(!input.features.empty() && !rows.empty() && input.workspace != nullptr);
  leaves.clear();
  return Grower(ctx, params, input, rows, model, scratch).grow(leaves);
}

}  // namespace cie::gbdt_detail
