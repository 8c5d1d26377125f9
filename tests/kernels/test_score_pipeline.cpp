// The batch scoring pipeline: the CPU path equals logistic_predict_proba bit for bit for awkward
// batchings, encode and on_batch_done see each batch once and in order, errors stop it cleanly;
// the CUDA twin agrees with the CPU within 1e-12 (skipped with the reason where no GPU is usable).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "kernels/score_pipeline.hpp"
#include "models/propensity/logistic.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using Range = std::pair<std::size_t, std::size_t>;

struct Problem {
  std::size_t rows;
  std::size_t cols;
  std::vector<float> x;  // column-major rows × cols
  LogisticModel model;
};

Problem make_problem(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> value(0.0F, 2.0F);
  std::normal_distribution<double> weight(0.0, 1.5);
  Problem p{rows, cols, std::vector<float>(rows * cols), {}};
  for (float& v : p.x) v = value(rng);
  for (std::size_t j = 0; j < cols; ++j) p.model.coef.push_back(weight(rng));
  p.model.intercept = -0.7;
  return p;
}

/// Copies rows [begin, end) of the problem's matrix into a batch of leading dimension end − begin.
void copy_rows(Problem const& p, std::size_t begin, std::size_t end, float* x) {
  std::size_t const n = end - begin;
  for (std::size_t j = 0; j < p.cols; ++j) {
    std::memcpy(x + j * n, p.x.data() + j * p.rows + begin, n * sizeof(float));
  }
}

std::vector<double> reference(Problem const& p) {
  std::vector<double> probability(p.rows);
  logistic_predict_proba(Context::cpu(1), p.model, {p.x.data(), p.rows, p.cols}, probability);
  return probability;
}

std::vector<Range> expected_batches(std::size_t rows, std::size_t batch) {
  std::vector<Range> ranges;
  for (std::size_t begin = 0; begin < rows; begin += batch) {
    ranges.emplace_back(begin, std::min(rows, begin + batch));
  }
  return ranges;
}

struct Shape {
  std::size_t rows, batch_rows, cols;
};

class AwkwardSizes : public ::testing::TestWithParam<Shape> {};

TEST_P(AwkwardSizes, EqualsPredictProbaBitForBitWithOneCallPerBatchInOrder) {
  Shape const shape = GetParam();
  std::uint64_t const seed = 20240 + shape.rows;
  Problem const p = make_problem(shape.rows, shape.cols, seed);
  std::vector<double> const expected = reference(p);
  Context const ctx = Context::cpu(3);
  std::vector<double> out(p.rows, -1.0);
  std::vector<Range> encoded, done;
  score_logistic_batches(
      ctx, p.rows, shape.batch_rows, p.cols,
      [&](std::size_t begin, std::size_t end, float* x) {
        encoded.emplace_back(begin, end);
        copy_rows(p, begin, end, x);
      },
      p.model.coef, p.model.intercept, out,
      [&](std::size_t begin, std::size_t end) {
        done.emplace_back(begin, end);
        for (std::size_t i = begin; i < end; ++i) {  // final when reported
          ASSERT_EQ(std::memcmp(&out[i], &expected[i], sizeof(double)), 0) << "row " << i;
        }
      });
  std::string const what = "rows " + std::to_string(shape.rows) + ", batch " +
                           std::to_string(shape.batch_rows) + ", cols " +
                           std::to_string(shape.cols) + ", seed " + std::to_string(seed);
  std::vector<Range> const batches = expected_batches(p.rows, shape.batch_rows);
  EXPECT_EQ(encoded, batches) << what;
  EXPECT_EQ(done, batches) << what;
  EXPECT_EQ(std::memcmp(out.data(), expected.data(), p.rows * sizeof(double)), 0) << what;
}

INSTANTIATE_TEST_SUITE_P(LogisticScorePipeline, AwkwardSizes,
                         ::testing::Values(Shape{1, 1, 3}, Shape{5, 8, 3}, Shape{24, 8, 3},
                                           Shape{25, 8, 3}, Shape{1000, 100, 1},
                                           Shape{1001, 100, 1}, Shape{5000, 1500, 4},
                                           Shape{4097, 4096, 2}, Shape{3000, 3000, 5}),
                         [](::testing::TestParamInfo<Shape> const& info) {
                           return "rows" + std::to_string(info.param.rows) + "_batch" +
                                  std::to_string(info.param.batch_rows) + "_cols" +
                                  std::to_string(info.param.cols);
                         });

TEST(LogisticScorePipeline, NoRowsCallsNothing) {
  Problem const p = make_problem(0, 2, 1);
  int calls = 0;
  std::vector<double> out;
  score_logistic_batches(
      Context::cpu(2), 0, 16, 2, [&](std::size_t, std::size_t, float*) { ++calls; }, p.model.coef,
      p.model.intercept, out, [&](std::size_t, std::size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(LogisticScorePipeline, AnEncodeErrorStopsItAfterTheBatchesAlreadyReported) {
  Problem const p = make_problem(50, 2, 7);
  std::vector<double> out(p.rows);
  std::vector<Range> done;
  auto const run = [&] {
    score_logistic_batches(
        Context::cpu(2), p.rows, 10, p.cols,
        [&](std::size_t begin, std::size_t end, float* x) {
          if (begin == 30) fail(ExitCode::kInputData, "bad row {}", begin);
          copy_rows(p, begin, end, x);
        },
        p.model.coef, p.model.intercept, out,
        [&](std::size_t begin, std::size_t end) { done.emplace_back(begin, end); });
  };
  try {
    run();
    ADD_FAILURE() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kInputData);
    EXPECT_STREQ(error.what(), "bad row 30");
  }
  EXPECT_EQ(done, (std::vector<Range>{{0, 10}, {10, 20}, {20, 30}}));
}

#if !CIE_WITH_CUDA
TEST(LogisticScorePipeline, ACudaContextInABuildWithoutCudaIsADeviceError) {
  // Context cannot be made CUDA here, so call the twin directly, as the dispatcher would.
  Problem const p = make_problem(4, 1, 3);
  std::vector<double> out(p.rows);
  try {
    kernels::cuda_impl::score_logistic_batches(Context::cpu(1), p.rows, 4, p.cols,
                                               [&](std::size_t, std::size_t, float*) {},
                                               p.model.coef, p.model.intercept, out, {});
    ADD_FAILURE() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kDevice);
    EXPECT_THAT(error.what(), ::testing::HasSubstr("built without CUDA support"));
  }
}
#endif

TEST(LogisticScorePipelineCuda, AgreesWithTheCpuWithin1e12InBatchOrder) {
  std::string skip_reason;
  std::unique_ptr<Context> const cuda = testing::make_backend_context(Backend::kCuda, skip_reason);
  if (!cuda) GTEST_SKIP() << skip_reason;
  for (Shape const shape : {Shape{1, 1, 3}, Shape{5, 8, 3}, Shape{25, 8, 3}, Shape{1001, 100, 1},
                            Shape{100000, 16384, 9}, Shape{300001, 100000, 32}}) {
    std::uint64_t const seed = 777 + shape.rows;
    Problem const p = make_problem(shape.rows, shape.cols, seed);
    std::vector<double> const expected = reference(p);
    std::vector<double> out(p.rows, -1.0);
    std::vector<Range> encoded, done;
    score_logistic_batches(
        *cuda, p.rows, shape.batch_rows, p.cols,
        [&](std::size_t begin, std::size_t end, float* x) {
          encoded.emplace_back(begin, end);
          copy_rows(p, begin, end, x);
        },
        p.model.coef, p.model.intercept, out,
        [&](std::size_t begin, std::size_t end) { done.emplace_back(begin, end); });
    std::string const what = "rows " + std::to_string(shape.rows) + ", batch " +
                             std::to_string(shape.batch_rows) + ", cols " +
                             std::to_string(shape.cols) + ", seed " + std::to_string(seed);
    std::vector<Range> const batches = expected_batches(p.rows, shape.batch_rows);
    EXPECT_EQ(encoded, batches) << what;
    EXPECT_EQ(done, batches) << what;
    for (std::size_t i = 0; i < p.rows; ++i) {
      ASSERT_NEAR(out[i], expected[i], 1e-12) << what << ", row " << i;
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
