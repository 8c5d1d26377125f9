// The recovery sweep: for each model (BG/NBD, modified BG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma)
// many data sets are simulated here from known parameters, each is fitted, and the true values
// must fall inside the fits' 95% intervals at about the nominal rate. The intervals are Wald
// intervals in the log-parameters the fit works in: |ln θ̂ − ln θ| <= 1.96 · se(θ̂)/θ̂ (the
// reported standard error is se(θ̂) = θ̂ · se(ln θ̂), the delta method). Every fit must converge
// with finite standard errors; coverage must reach 90% over all parameters of a model (nominal
// 95%; 100 data sets of 3,000 customers per model, 40 for the slower Pareto/NBD, so the binomial
// standard deviation of the rate is 1.1 points, 1.7 for Pareto/NBD) and 80% for each parameter.
// Measured (these seeds): BG/NBD 96.2%, modified BG/NBD 93.0%, Pareto/NBD 91.9%, BG/BB 94.0%,
// Gamma-Gamma 93.0%.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "models/clv/clv_fit.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using Rng = std::mt19937_64;

double gamma_draw(Rng& rng, double shape, double rate) {
  return std::gamma_distribution<double>(shape, 1.0 / rate)(rng);
}

double beta_draw(Rng& rng, double a, double b) {
  double const x = gamma_draw(rng, a, 1.0), y = gamma_draw(rng, b, 1.0);
  return x / (x + y);
}

/// BG/NBD (or, with `modified`, the modified BG/NBD: a first coin right after the first
/// purchase) customers observed for T ~ U(20, 52) time units.
ClvSummary simulate_bgnbd(Rng& rng, std::size_t n, std::vector<double> const& truth,
                          bool modified) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  ClvSummary s;
  for (std::size_t i = 0; i < n; ++i) {
    double const age = 20.0 + 32.0 * uniform(rng);
    double const lambda = gamma_draw(rng, truth[0], truth[1]);
    double const dropout = beta_draw(rng, truth[2], truth[3]);
    double t = 0.0, x = 0.0, t_x = 0.0;
    bool alive = !(modified && uniform(rng) < dropout);
    std::exponential_distribution<double> gap(lambda);
    while (alive) {
      t += gap(rng);
      if (t > age) break;
      x += 1.0;
      t_x = t;
      alive = !(uniform(rng) < dropout);
    }
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(age);
  }
  return s;
}

/// Pareto/NBD customers: λ ~ Gamma(r, α), lifetime ~ Exp(μ), μ ~ Gamma(s, β); T ~ U(20, 52).
ClvSummary simulate_pareto(Rng& rng, std::size_t n, std::vector<double> const& truth) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  ClvSummary s;
  for (std::size_t i = 0; i < n; ++i) {
    double const age = 20.0 + 32.0 * uniform(rng);
    double const lambda = gamma_draw(rng, truth[0], truth[1]);
    double const mu = gamma_draw(rng, truth[2], truth[3]);
    double const end = std::min(age, std::exponential_distribution<double>(mu)(rng));
    std::exponential_distribution<double> gap(lambda);
    double t = gap(rng), x = 0.0, t_x = 0.0;
    for (; t <= end; t += gap(rng)) {
      x += 1.0;
      t_x = t;
    }
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(age);
  }
  return s;
}

/// BG/BB customers over 6 opportunities: before each one an active customer leaves with
/// probability θ ~ Beta(γ, δ); an active one transacts with probability p ~ Beta(α, β).
ClvSummary simulate_bgbb(Rng& rng, std::size_t n, std::vector<double> const& truth) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  ClvSummary s;
  for (std::size_t i = 0; i < n; ++i) {
    double const p = beta_draw(rng, truth[0], truth[1]);
    double const theta = beta_draw(rng, truth[2], truth[3]);
    double x = 0.0, t_x = 0.0;
    for (int k = 1; k <= 6; ++k) {
      if (uniform(rng) < theta) break;
      if (uniform(rng) < p) {
        x += 1.0;
        t_x = k;
      }
    }
    s.frequency.push_back(x);
    s.recency.push_back(t_x);
    s.age.push_back(6.0);
  }
  return s;
}

/// Gamma-Gamma: x ~ 1 + Poisson(3) repeat purchases whose values are Gamma(p, rate ν),
/// ν ~ Gamma(q, rate γ).
ClvSummary simulate_spend(Rng& rng, std::size_t n, std::vector<double> const& truth) {
  ClvSummary s;
  std::poisson_distribution<int> count(3.0);
  for (std::size_t i = 0; i < n; ++i) {
    double const x = 1.0 + count(rng);
    double const nu = gamma_draw(rng, truth[1], truth[2]);
    double total = 0.0;
    for (int k = 0; k < static_cast<int>(x); ++k) total += gamma_draw(rng, truth[0], nu);
    s.frequency.push_back(x);
    s.recency.push_back(0.0);
    s.age.push_back(0.0);
    s.value.push_back(total / x);
  }
  return s;
}

/// Fits `fits` simulated data sets and checks convergence and the intervals' coverage.
void sweep(std::string const& name, std::vector<double> const& truth, int fits,
           std::function<FittedDistribution(Rng&)> const& simulate_and_fit) {
  std::size_t const k = truth.size();
  std::vector<int> covered(k, 0);
  for (int f = 0; f < fits; ++f) {
    Rng rng(1000 + static_cast<std::uint64_t>(f));
    FittedDistribution const fit = simulate_and_fit(rng);
    ASSERT_TRUE(fit.converged) << name << " fit " << f << " gradient " << fit.gradient_norm;
    for (std::size_t j = 0; j < k; ++j) {
      ASSERT_TRUE(std::isfinite(fit.values[j]) && std::isfinite(fit.std_errors[j]) &&
                  fit.std_errors[j] > 0.0)
          << name << " fit " << f << " " << fit.names[j];
      double const log_se = fit.std_errors[j] / fit.values[j];
      if (std::abs(std::log(fit.values[j] / truth[j])) <= 1.96 * log_se) ++covered[j];
    }
  }
  int total = 0;
  for (std::size_t j = 0; j < k; ++j) {
    total += covered[j];
    EXPECT_GE(covered[j], 0.8 * fits) << name << " parameter " << j;
  }
  double const rate = static_cast<double>(total) / (static_cast<double>(k) * fits);
  std::printf("%s: 95%% intervals cover the truth in %.1f%% of %d (per parameter:", name.c_str(),
              100.0 * rate, static_cast<int>(k) * fits);
  for (int c : covered) std::printf(" %d", c);
  std::printf(" of %d)\n", fits);
  EXPECT_GE(rate, 0.9) << name;
}

TEST(ClvRecovery, BgNbd) {
  std::vector<double> const truth = {0.5, 5.0, 0.8, 2.5};
  sweep("bgnbd", truth, 100, [&](Rng& rng) {
    return fit_purchases(Context::cpu(1), {}, "bgnbd", simulate_bgnbd(rng, 3000, truth, false));
  });
}

TEST(ClvRecovery, ModifiedBgNbd) {
  std::vector<double> const truth = {0.5, 5.0, 0.8, 2.5};
  sweep("mbgnbd", truth, 100, [&](Rng& rng) {
    return fit_purchases(Context::cpu(1), {}, "mbgnbd", simulate_bgnbd(rng, 3000, truth, true));
  });
}

TEST(ClvRecovery, ParetoNbd) {
  std::vector<double> const truth = {0.6, 8.0, 0.8, 12.0};
  sweep("pareto-nbd", truth, 40, [&](Rng& rng) {
    return fit_purchases(Context::cpu(1), {}, "pareto-nbd", simulate_pareto(rng, 3000, truth));
  });
}

TEST(ClvRecovery, BgBb) {
  std::vector<double> const truth = {1.2, 0.75, 0.66, 2.8};
  sweep("bgbb", truth, 100, [&](Rng& rng) {
    return fit_purchases(Context::cpu(1), {}, "bgbb", simulate_bgbb(rng, 3000, truth));
  });
}

TEST(ClvRecovery, GammaGamma) {
  std::vector<double> const truth = {4.0, 3.5, 20.0};
  sweep("gamma-gamma", truth, 100, [&](Rng& rng) {
    return fit_gamma_gamma(Context::cpu(1), {}, simulate_spend(rng, 3000, truth)).fit;
  });
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
