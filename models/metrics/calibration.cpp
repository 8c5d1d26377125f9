// Calibrator (declared in models/metrics/classification_metrics.hpp): Platt scaling and isotonic
// regression of predicted probabilities.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "models/metrics/classification_metrics.hpp"

namespace cie {
namespace {

using nlohmann::json;

/// logit(p) is taken on p clipped this far from 0 and 1, so it stays finite.
constexpr double kLogitClip = 1e-15;
/// Scores closer than this to a group's first score are one isotonic point (scikit-learn's
/// _make_unique uses numpy's float64 resolution, 1e-15).
constexpr double kIsotonicTieTolerance = 1e-15;

double clipped_logit(double p) {
  double const q = std::clamp(p, kLogitClip, 1.0 - kLogitClip);
  return std::log(q) - std::log1p(-q);
}

double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  double const e = std::exp(z);
  return e / (1.0 + e);
}

/// log(1 + e^z) without overflow.
double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

char const* kind_name(Calibrator::Kind kind) {
  switch (kind) {
    case Calibrator::Kind::kNone:
      return "none";
    case Calibrator::Kind::kPlatt:
      return "platt";
    case Calibrator::Kind::kIsotonic:
      return "isotonic";
  }
  return "none";
}

/// Platt's fit: minimizes Σ softplus(a·f + b) − t·(a·f + b) over (a, b), where f = logit(p) and
/// t are the smoothed targets. Newton with the Hessian's diagonal nudged by 1e-12 (as Lin, Lin
/// and Weng, so it stays invertible when all f are equal) and Armijo backtracking.
std::array<double, 2> fit_platt(std::span<double const> score, std::span<float const> label,
                                std::size_t positives) {
  std::size_t const n = score.size();
  std::size_t const negatives = n - positives;
  double const target_positive =
      (static_cast<double>(positives) + 1.0) / (static_cast<double>(positives) + 2.0);
  double const target_negative = 1.0 / (static_cast<double>(negatives) + 2.0);
  std::vector<double> f(n);
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) {
    f[i] = clipped_logit(score[i]);
    t[i] = label[i] == 1.0F ? target_positive : target_negative;
  }
  auto const loss = [&](double a, double b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      double const z = a * f[i] + b;
      sum += softplus(z) - t[i] * z;
    }
    return sum;
  };
  // Platt's starting point: slope 0 and the smoothed prior log-odds.
  double a = 0.0;
  double b =
      std::log((static_cast<double>(positives) + 1.0) / (static_cast<double>(negatives) + 1.0));
  double value = loss(a, b);
  double const gradient_tolerance = 1e-10 * static_cast<double>(n);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double ga = 0.0, gb = 0.0, haa = 1e-12, hab = 0.0, hbb = 1e-12;
    for (std::size_t i = 0; i < n; ++i) {
      double const p = sigmoid(a * f[i] + b);
      double const residual = p - t[i];
      double const h = p * (1.0 - p);
      ga += residual * f[i];
      gb += residual;
      haa += h * f[i] * f[i];
      hab += h * f[i];
      hbb += h;
    }
    if (std::max(std::abs(ga), std::abs(gb)) <= gradient_tolerance) break;
    double const determinant = haa * hbb - hab * hab;
    double const da = -(hbb * ga - hab * gb) / determinant;
    double const db = -(haa * gb - hab * ga) / determinant;
    double const slope = ga * da + gb * db;
    double step = 1.0;
    for (; step >= 1e-10; step /= 2.0) {
      double const candidate = loss(a + step * da, b + step * db);
      if (candidate <= value + 1e-4 * step * slope) {
        a += step * da;
        b += step * db;
        value = candidate;
        break;
      }
    }
    if (step < 1e-10) break;  // no further decrease: at the optimum within rounding
  }
  CIE_ASSERT(std::isfinite(a) && std::isfinite(b));
  return {a, b};
}

/// Pool-adjacent-violators on (x ascending, y, weight): the weighted least-squares
/// non-decreasing fit, returned as one value per point.
std::vector<double> pool_adjacent_violators(std::vector<double> const& y,
                                            std::vector<double> const& weight) {
  struct Block {
    double weighted_sum;
    double weight;
    std::size_t points;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < y.size(); ++i) {
    blocks.push_back({y[i] * weight[i], weight[i], 1});
    while (blocks.size() > 1) {
      Block const& last = blocks.back();
      Block const& previous = blocks[blocks.size() - 2];
      if (previous.weighted_sum / previous.weight <= last.weighted_sum / last.weight) break;
      Block const merged{previous.weighted_sum + last.weighted_sum, previous.weight + last.weight,
                         previous.points + last.points};
      blocks.pop_back();
      blocks.back() = merged;
    }
  }
  std::vector<double> fitted;
  fitted.reserve(y.size());
  for (Block const& block : blocks)
    fitted.insert(fitted.end(), block.points, block.weighted_sum / block.weight);
  return fitted;
}

}  // namespace

Calibrator::Kind parse_calibration(std::string const& text) {
  for (Calibrator::Kind const kind :
       {Calibrator::Kind::kNone, Calibrator::Kind::kPlatt, Calibrator::Kind::kIsotonic}) {
    if (text == kind_name(kind)) return kind;
  }
  fail(ExitCode::kUsage, "unknown calibration '{}': expected none, platt or isotonic", text);
}

Calibrator Calibrator::fit(Kind kind, std::span<double const> score, std::span<float const> label) {
  check_scored_labels(score, label);
  Calibrator calibrator;
  calibrator.kind_ = kind;
  if (kind == Kind::kNone) return calibrator;
  auto const positives = static_cast<std::size_t>(std::count(label.begin(), label.end(), 1.0F));
  CIE_EXPECTS_DATA(positives > 0 && positives < score.size(),
                   "{} calibration needs both classes, but the {} rows have {} positives",
                   kind_name(kind), score.size(), positives);
  if (kind == Kind::kPlatt) {
    auto const [a, b] = fit_platt(score, label, positives);
    calibrator.a_ = a;
    calibrator.b_ = b;
    return calibrator;
  }

  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    return score[i] < score[j] || (score[i] == score[j] && i < j);
  });
  std::vector<double> x;  // first score of each group of (nearly) equal scores
  std::vector<double> mean_label;
  std::vector<double> count;
  for (std::size_t const row : order) {
    if (x.empty() || score[row] - x.back() >= kIsotonicTieTolerance) {
      x.push_back(score[row]);
      mean_label.push_back(0.0);
      count.push_back(0.0);
    }
    mean_label.back() += label[row];
    count.back() += 1.0;
  }
  for (std::size_t g = 0; g < x.size(); ++g) mean_label[g] /= count[g];
  std::vector<double> const fitted = pool_adjacent_violators(mean_label, count);
  for (std::size_t g = 0; g < x.size(); ++g) {
    bool const interior = g > 0 && g + 1 < x.size();
    if (interior && fitted[g] == fitted[g - 1] && fitted[g] == fitted[g + 1]) continue;
    calibrator.x_.push_back(x[g]);
    calibrator.y_.push_back(fitted[g]);
  }
  return calibrator;
}

void Calibrator::apply(std::span<double> score) const {
  check_scores(score);
  switch (kind_) {
    case Kind::kNone:
      return;
    case Kind::kPlatt:
      for (double& p : score) p = sigmoid(a_ * clipped_logit(p) + b_);
      return;
    case Kind::kIsotonic:
      for (double& p : score) {
        if (x_.size() == 1) {
          p = y_.front();
          continue;
        }
        double const v = std::clamp(p, x_.front(), x_.back());
        // scipy's interp1d: the segment [x[hi − 1], x[hi]] with hi the first x >= v, at least 1.
        auto const found = std::lower_bound(x_.begin(), x_.end(), v) - x_.begin();
        auto const hi = static_cast<std::size_t>(
            std::clamp<std::ptrdiff_t>(found, 1, static_cast<std::ptrdiff_t>(x_.size()) - 1));
        std::size_t const lo = hi - 1;
        double const slope = (y_[hi] - y_[lo]) / (x_[hi] - x_[lo]);
        p = slope * (v - x_[lo]) + y_[lo];
      }
      return;
  }
}

json Calibrator::to_json() const {
  json out = {{"kind", kind_name(kind_)}};
  if (kind_ == Kind::kPlatt) {
    out["a"] = a_;
    out["b"] = b_;
  } else if (kind_ == Kind::kIsotonic) {
    out["x"] = x_;
    out["y"] = y_;
  }
  return out;
}

Calibrator Calibrator::from_json(json const& json, std::string const& source) {
  auto const damaged = [&](std::string const& why) {
    fail(ExitCode::kUsage, "model file {} has a damaged calibration: {}", source, why);
  };
  if (!json.is_object() || !json.contains("kind") || !json["kind"].is_string()) {
    damaged("expected an object with a string 'kind'");
  }
  std::string const kind = json["kind"].get<std::string>();
  Calibrator calibrator;
  if (kind == "none") return calibrator;
  auto const number = [&](nlohmann::json const& value, std::string const& what) {
    if (!value.is_number()) damaged(fmt::format("{} is not a number", what));
    double const x = value.get<double>();
    if (!std::isfinite(x)) damaged(fmt::format("{} is not finite", what));
    return x;
  };
  if (kind == "platt") {
    if (!json.contains("a") || !json.contains("b")) damaged("platt needs numbers 'a' and 'b'");
    calibrator.kind_ = Kind::kPlatt;
    calibrator.a_ = number(json["a"], "'a'");
    calibrator.b_ = number(json["b"], "'b'");
    return calibrator;
  }
  if (kind != "isotonic") {
    damaged(fmt::format("unknown kind '{}' (expected none, platt or isotonic)", kind));
  }
  if (!json.contains("x") || !json.contains("y") || !json["x"].is_array() ||
      !json["y"].is_array() || json["x"].empty() || json["x"].size() != json["y"].size()) {
    damaged("isotonic needs arrays 'x' and 'y' of the same, non-zero length");
  }
  calibrator.kind_ = Kind::kIsotonic;
  for (std::size_t i = 0; i < json["x"].size(); ++i) {
    double const x = number(json["x"][i], fmt::format("x[{}]", i));
    double const y = number(json["y"][i], fmt::format("y[{}]", i));
    if (i > 0 && x <= calibrator.x_.back()) damaged("'x' is not strictly increasing");
    if (y < 0.0 || y > 1.0 || (i > 0 && y < calibrator.y_.back())) {
      damaged("'y' is not non-decreasing within [0, 1]");
    }
    calibrator.x_.push_back(x);
    calibrator.y_.push_back(y);
  }
  return calibrator;
}

}  // namespace cie
