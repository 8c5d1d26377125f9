#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "core/logger.hpp"
#include "host/pipeline/progress.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

std::size_t count_of(std::string const& text, std::string const& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST(StageSummary, FormatsRowsTimeRateAndMemory) {
  StageTiming timing{"rfm", 1.23, 1000000, std::size_t{3} << 29, true};
  EXPECT_EQ(format_stage_summary(timing),
            "rfm: 1,000,000 rows in 1.23 s (813,008 rows/s), peak memory 1.5 GiB");
  timing.rows = 0;
  timing.peak_rss_bytes = 0;
  EXPECT_EQ(format_stage_summary(timing), "rfm: 1.23 s");
}

TEST(ProgressLine, ShowsBarPercentRateAndEta) {
  EXPECT_EQ(format_progress_line("rfm", 250, 1000, 2.0),
            "rfm [######..................]  25% 250/1,000 rows  125 rows/s  ETA 6.00 s");
  EXPECT_EQ(format_progress_line("rfm", 1000, 1000, 4.0),
            "rfm [########################] 100% 1,000/1,000 rows  250 rows/s  ETA 0.00 s");
  EXPECT_EQ(format_progress_line("score", 0, 1000, 0.0),
            "score [........................]   0% 0/1,000 rows  ? rows/s  ETA ?");
  EXPECT_EQ(format_progress_line("read", 1500, 0, 3.0), "read 1,500 rows  500 rows/s");
}

TEST(StageProgress, NonInteractiveLogsExactlyOneLinePerStage) {
  Logger logger(LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  for (std::string const name : {"rfm", "kmeans"}) {
    StageProgress progress(name, 4000, logger, /*interactive=*/false);
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) progress.advance(1);
      });
    }
    for (auto& worker : workers) worker.join();
    StageTiming const timing = progress.finish();
    EXPECT_EQ(timing.name, name);
    EXPECT_EQ(timing.rows, 4000u);
    EXPECT_GE(timing.seconds, 0.0);
  }
  std::string const err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_of(err, "\n"), 2u) << err;
  EXPECT_EQ(count_of(err, "\r"), 0u) << err;
  EXPECT_TRUE(err.starts_with("cie [info] rfm: 4,000 rows in ")) << err;
  EXPECT_NE(err.find("\ncie [info] kmeans: 4,000 rows in "), std::string::npos) << err;
}

TEST(StageProgress, InteractiveDrawsABarAndClearsItBeforeTheSummary) {
  Logger logger(LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  {
    StageProgress progress("rfm", 1000, logger, /*interactive=*/true);
    progress.advance(500);  // the first advance always draws
    progress.finish();
  }
  std::string const err = ::testing::internal::GetCapturedStderr();
  std::size_t const bar = err.find("\rrfm [############............]  50% 500/1,000 rows");
  std::size_t const clear = err.find("\r\033[K", bar + 1);
  std::size_t const summary = err.find("cie [info] rfm: 500 rows in ");
  ASSERT_NE(bar, std::string::npos) << err;
  ASSERT_NE(clear, std::string::npos) << err;
  ASSERT_NE(summary, std::string::npos) << err;
  EXPECT_LT(clear, summary);
  EXPECT_EQ(count_of(err, "\n"), 1u) << err;
}

TEST(StageProgress, NoBarWhenTheLoggerHidesInfoLines) {
  Logger logger(LogLevel::kWarn);
  ::testing::internal::CaptureStderr();
  {
    StageProgress progress("rfm", 1000, logger, /*interactive=*/true);
    progress.advance(500);
    EXPECT_EQ(progress.finish().rows, 500u);
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(StageProgress, AbandonedStageClearsItsBarAndLogsNothing) {
  Logger logger(LogLevel::kInfo);
  ::testing::internal::CaptureStderr();
  {
    StageProgress progress("rfm", 1000, logger, /*interactive=*/true);
    progress.advance(10);
  }
  std::string const err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(err.ends_with("\r\033[K")) << err;
  EXPECT_EQ(count_of(err, "\n"), 0u) << err;
}

TEST(MemoryUsage, PeakRssGrowsAfterTouching64MiB) {
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  constexpr std::size_t kSlack = std::size_t{4} << 20;
  EXPECT_GT(current_rss_bytes(), 0u);
  EXPECT_GT(peak_rss_bytes(), 0u);
  if (!reset_peak_rss()) GTEST_SKIP() << "/proc/self/clear_refs is not writable here";
  std::size_t const rss_before = current_rss_bytes();
  std::size_t const peak_before = peak_rss_bytes();
  EXPECT_LT(peak_before, rss_before + kSlack);  // the reset brought the peak down to the RSS
  StageTimer timer("allocate");
  {
    std::vector<char> block(kBytes, 1);  // the constructor writes every page
    EXPECT_GE(current_rss_bytes(), rss_before + kBytes - kSlack);
    EXPECT_EQ(block[kBytes - 1], 1);
  }
  StageTiming const timing = timer.finish(0);
  EXPECT_TRUE(timing.peak_is_per_stage);
  EXPECT_GE(timing.peak_rss_bytes, peak_before + kBytes - kSlack);
  EXPECT_GE(peak_rss_bytes(), peak_before + kBytes - kSlack);
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
