// Cancellation (Ctrl-C, core/interrupt.hpp): the thread's interrupt check stops the long loops of
// k-means, logistic regression and boosted trees with Interrupted (exit code 130) at the check
// that first says so, and a check that never fires leaves the results unchanged.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "models/gbdt/gbdt.hpp"
#include "models/propensity/logistic.hpp"
#include "models/segments/kmeans.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

struct Data {
  std::size_t rows = 2000;
  std::size_t cols = 3;
  std::vector<float> x;
  std::vector<float> y;
  [[nodiscard]] FeatureMatrix matrix() const { return {x.data(), rows, cols}; }
};

Data make_data() {
  Data data;
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  data.x.resize(data.rows * data.cols);
  for (float& v : data.x) v = normal(rng);
  data.y.resize(data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) {
    float const margin = data.x[i] - 0.5f * data.x[data.rows + i] + 0.5f * normal(rng);
    data.y[i] = margin > 0.0f ? 1.0f : 0.0f;
  }
  return data;
}

/// A check that fires from its `fire_at`-th call on, counting the calls.
struct CountingCheck {
  int calls = 0;
  int fire_at = 0;
};

InterruptScope counting_scope(CountingCheck& check) {
  return InterruptScope([&check] { return ++check.calls >= check.fire_at; });
}

template <typename Fit>
void expect_interrupted(Fit const& fit, int fire_at) {
  CountingCheck check{0, fire_at};
  InterruptScope const scope = counting_scope(check);
  Context const ctx = Context::cpu(1);
  try {
    fit(ctx);
    FAIL() << "not interrupted";
  } catch (Error const& error) {
    EXPECT_EQ(static_cast<int>(error.code()), 130);
    EXPECT_STREQ(error.what(), "interrupted");
  }
  // Stopped at the check that fired: not one more.
  EXPECT_EQ(check.calls, fire_at);
}

TEST(Interrupt, KMeansStopsBetweenIterations) {
  Data const data = make_data();
  KMeansParams params;
  params.n_clusters = 5;
  params.n_init = 3;
  auto const fit = [&](Context const& ctx) { return kmeans_fit(ctx, params, data.matrix()); };
  // A check that never fires: the same result as no check; and it is polled many times.
  CountingCheck never{0, 1 << 30};
  KMeansResult const checked = [&] {
    InterruptScope const scope = counting_scope(never);
    return fit(Context::cpu(1));
  }();
  KMeansResult const plain = fit(Context::cpu(1));
  EXPECT_EQ(checked.centroids, plain.centroids);
  EXPECT_EQ(checked.labels, plain.labels);
  EXPECT_GT(never.calls, checked.iterations);
  expect_interrupted(fit, 1);
  expect_interrupted(fit, 3);
}

TEST(Interrupt, LogisticStopsBetweenEvaluations) {
  Data const data = make_data();
  for (Penalty const penalty : {Penalty::kL2, Penalty::kL1}) {
    LogisticParams params;
    params.penalty = penalty;
    auto const fit = [&](Context const& ctx) {
      return logistic_fit(ctx, params, data.matrix(), data.y);
    };
    CountingCheck never{0, 1 << 30};
    LogisticModel const checked = [&] {
      InterruptScope const scope = counting_scope(never);
      return fit(Context::cpu(1));
    }();
    LogisticModel const plain = fit(Context::cpu(1));
    EXPECT_EQ(checked.coef, plain.coef);
    EXPECT_GT(never.calls, checked.iterations);
    expect_interrupted(fit, 2);
  }
}

TEST(Interrupt, BoostingStopsBetweenTrees) {
  Data const data = make_data();
  GbdtParams params;
  params.n_trees = 20;
  auto const fit = [&](Context const& ctx) { return gbdt_fit(ctx, params, data.matrix(), data.y); };
  CountingCheck never{0, 1 << 30};
  {
    InterruptScope const scope = counting_scope(never);
    (void)fit(Context::cpu(1));
  }
  EXPECT_EQ(never.calls, 20);
  expect_interrupted(fit, 5);
}

TEST(Interrupt, ScopesNestAndEnd) {
  int outer_calls = 0;
  {
    InterruptScope const outer([&] { return ++outer_calls > 100; });
    {
      InterruptScope const inner([] { return true; });
      EXPECT_THROW(check_interrupt(), Interrupted);
    }
    EXPECT_NO_THROW(check_interrupt());  // the outer check again
    EXPECT_EQ(outer_calls, 1);
  }
  EXPECT_NO_THROW(check_interrupt());  // none installed
  EXPECT_EQ(outer_calls, 1);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
