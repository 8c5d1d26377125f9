#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "host/pipeline/batch_plan.hpp"
#include "kernels/device.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGiB = std::size_t{1} << 30;

bool mentions(std::string const& text, std::string const& part) {
  return text.find(part) != std::string::npos;
}

TEST(BatchPlan, HostLimited) {
  // 2 buffers x 64 B/row in 64 MiB: 524,288 rows per batch; 10M rows need 20 batches.
  BatchPlan const plan = plan_batches(10'000'000, 64, 32, 64 * kMiB, 0);
  EXPECT_EQ(plan.batches, 20u);
  EXPECT_EQ(plan.batch_rows, 500'000u);  // balanced: 10M / 20
  EXPECT_TRUE(mentions(plan.reason, "host memory")) << plan.reason;
  EXPECT_TRUE(mentions(plan.reason, "memory_limit 64.0 MiB")) << plan.reason;
}

TEST(BatchPlan, DeviceLimited) {
  // Device: 80% of 1 GiB = 858,993,459 bytes over 2 x 400 B/row -> 1,073,741 rows per batch.
  BatchPlan const plan = plan_batches(5'000'000, 16, 400, 16 * kGiB, kGiB);
  EXPECT_EQ(plan.batches, 5u);
  EXPECT_EQ(plan.batch_rows, 1'000'000u);
  EXPECT_TRUE(mentions(plan.reason, "device memory: 80% of 1.0 GiB free")) << plan.reason;
}

TEST(BatchPlan, DeviceIgnoredOnTheCpu) {
  BatchPlan const plan = plan_batches(5'000'000, 16, 400, 16 * kGiB, 0);
  EXPECT_EQ(plan.batches, 1u);
  EXPECT_EQ(plan.batch_rows, 5'000'000u);
}

TEST(BatchPlan, FewRowsMakeOneBatch) {
  BatchPlan const plan = plan_batches(10, 64, 64, 64 * kMiB, kGiB);
  EXPECT_EQ(plan.batches, 1u);
  EXPECT_EQ(plan.batch_rows, 10u);
  EXPECT_TRUE(mentions(plan.reason, "all 10 rows in one batch")) << plan.reason;
}

TEST(BatchPlan, FewerRowsThanTheMinimumNeedOnlyFitThemselves) {
  // 100 rows x 2 x 100 B = 20,000 bytes fit; min_batch_rows (1,024) would not.
  BatchPlan const plan = plan_batches(100, 100, 0, 20'000, 0);
  EXPECT_EQ(plan.batches, 1u);
  EXPECT_EQ(plan.batch_rows, 100u);
}

TEST(BatchPlan, ExactDivision) {
  BatchPlanOptions options;
  options.host_buffers = 1;
  options.min_batch_rows = 1;
  BatchPlan const plan = plan_batches(1000, 4, 0, 1000, 0, options);  // 250 rows per batch
  EXPECT_EQ(plan.batch_rows, 250u);
  EXPECT_EQ(plan.batches, 4u);
}

TEST(BatchPlan, UnevenRowsAreBalancedOverTheFewestBatches) {
  BatchPlanOptions options;
  options.host_buffers = 1;
  options.min_batch_rows = 1;
  BatchPlan const plan = plan_batches(1001, 4, 0, 1000, 0, options);
  EXPECT_EQ(plan.batches, 5u);
  EXPECT_EQ(plan.batch_rows, 201u);  // not 4 x 250 + 1
}

TEST(BatchPlan, NeverBelowTheMinimumWhenBalancing) {
  BatchPlanOptions options;
  options.host_buffers = 1;
  options.min_batch_rows = 1000;
  BatchPlan const plan = plan_batches(1001, 1, 0, 1000, 0, options);
  EXPECT_EQ(plan.batch_rows, 1000u);
  EXPECT_EQ(plan.batches, 2u);
}

TEST(BatchPlan, MaxBatchRowsCaps) {
  BatchPlanOptions options;
  options.min_batch_rows = 10;
  options.max_batch_rows = 100;
  BatchPlan const plan = plan_batches(1000, 1, 1, kGiB, kGiB, options);
  EXPECT_EQ(plan.batch_rows, 100u);
  EXPECT_EQ(plan.batches, 10u);
  EXPECT_TRUE(mentions(plan.reason, "max_batch_rows 100")) << plan.reason;
}

TEST(BatchPlan, InFlightBuffersAndFractionScaleTheDeviceLimit) {
  BatchPlanOptions options;
  options.min_batch_rows = 1;
  options.device_fraction = 0.5;
  options.device_buffers = 4;
  // 0.5 x 8000 B / (4 x 10 B/row) = 100 rows.
  BatchPlan const plan = plan_batches(1000, 1, 10, kGiB, 8000, options);
  EXPECT_EQ(plan.batch_rows, 100u);
  EXPECT_EQ(plan.batches, 10u);
}

TEST(BatchPlan, NoRows) {
  BatchPlan const plan = plan_batches(0, 8, 8, kGiB, 0);
  EXPECT_EQ(plan.batches, 0u);
  EXPECT_EQ(plan.batch_rows, 0u);
}

TEST(BatchPlan, TooSmallAHostBudgetIsAUsageErrorNamingMemoryLimit) {
  try {
    plan_batches(1'000'000, 1000, 0, kMiB, 0);  // 1,024 rows x 2 x 1000 B = 2,048,000 B > 1 MiB
    FAIL() << "no error";
  } catch (Error const& error) {
    std::string const message = error.what();
    EXPECT_EQ(error.code(), ExitCode::kUsage);
    EXPECT_TRUE(mentions(message, "memory_limit 1.0 MiB is too small")) << message;
    EXPECT_TRUE(mentions(message, "at least 2.0 MiB")) << message;
  }
}

TEST(BatchPlan, TooLittleDeviceMemoryIsADeviceError) {
  try {
    plan_batches(1'000'000, 8, 1000, kGiB, kMiB);
    FAIL() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kDevice);
    EXPECT_TRUE(mentions(error.what(), "the GPU has 1.0 MiB free")) << error.what();
  }
}

TEST(DeviceFreeBytes, ZeroOnTheCpu) { EXPECT_EQ(device_free_bytes(Context::cpu(1)), 0u); }

TEST(DeviceFreeBytes, CudaReportsFreeMemoryOrSkips) {
  std::string skip_reason;
  auto context = testing::make_backend_context(Backend::kCuda, skip_reason);
  if (!context) GTEST_SKIP() << skip_reason;
  kernels::DeviceMemory const memory = kernels::cuda_memory_info(context->device_ordinal());
  EXPECT_GT(memory.total_bytes, 0u);
  EXPECT_GT(memory.free_bytes, 0u);
  EXPECT_LE(memory.free_bytes, memory.total_bytes);
  EXPECT_GT(device_free_bytes(*context), 0u);
}

TEST(DeviceFreeBytes, WithoutCudaTheQueryIsADeviceError) {
  if (kernels::built_with_cuda()) GTEST_SKIP() << "this build has CUDA";
  try {
    kernels::cuda_memory_info(0);
    FAIL() << "no error";
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), ExitCode::kDevice);
    EXPECT_TRUE(mentions(error.what(), "without CUDA")) << error.what();
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
