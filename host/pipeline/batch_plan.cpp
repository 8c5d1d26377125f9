#include "host/pipeline/batch_plan.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/units.hpp"

namespace cie {
namespace {

std::size_t ceil_div(std::size_t a, std::size_t b) { return a / b + (a % b != 0); }

}  // namespace

BatchPlan plan_batches(std::size_t total_rows, std::size_t bytes_per_row_host,
                       std::size_t bytes_per_row_device, std::size_t host_budget_bytes,
                       std::size_t device_free_bytes, BatchPlanOptions const& options) {
  CIE_ASSERT(bytes_per_row_host > 0 && host_budget_bytes > 0);
  CIE_ASSERT(options.device_fraction > 0 && options.device_fraction <= 1);
  CIE_ASSERT(options.host_buffers >= 1 && options.device_buffers >= 1);
  CIE_ASSERT(options.min_batch_rows >= 1 && options.max_batch_rows >= options.min_batch_rows);

  BatchPlan plan;
  if (total_rows == 0) {
    plan.reason = "no rows";
    return plan;
  }
  std::size_t const needed = std::min(options.min_batch_rows, total_rows);

  std::size_t const host_row_bytes =
      bytes_per_row_host * static_cast<std::size_t>(options.host_buffers);
  std::size_t const host_rows = host_budget_bytes / host_row_bytes;
  if (host_rows < needed) {
    fail(ExitCode::kUsage,
         "memory_limit {} is too small: a batch of {} rows needs {} of host memory ({} buffers x "
         "{} bytes per row); raise memory_limit to at least {}",
         format_bytes(host_budget_bytes), format_count(needed),
         format_bytes(needed * host_row_bytes), options.host_buffers, bytes_per_row_host,
         format_bytes(needed * host_row_bytes));
  }
  std::size_t limit = host_rows;
  std::string limited_by =
      fmt::format("host memory: memory_limit {} / ({} buffers x {} B/row)",
                  format_bytes(host_budget_bytes), options.host_buffers, bytes_per_row_host);

  if (device_free_bytes > 0 && bytes_per_row_device > 0) {
    auto const usable = static_cast<std::size_t>(
        std::floor(static_cast<double>(device_free_bytes) * options.device_fraction));
    std::size_t const device_row_bytes =
        bytes_per_row_device * static_cast<std::size_t>(options.device_buffers);
    std::size_t const device_rows = usable / device_row_bytes;
    if (device_rows < needed) {
      fail(ExitCode::kDevice,
           "the GPU has {} free, of which {:.0f}% may be used: too little for a batch of {} rows "
           "({} buffers x {} bytes per row = {})",
           format_bytes(device_free_bytes), options.device_fraction * 100, format_count(needed),
           options.device_buffers, bytes_per_row_device, format_bytes(needed * device_row_bytes));
    }
    if (device_rows < limit) {
      limit = device_rows;
      limited_by = fmt::format("device memory: {:.0f}% of {} free / ({} buffers x {} B/row)",
                               options.device_fraction * 100, format_bytes(device_free_bytes),
                               options.device_buffers, bytes_per_row_device);
    }
  }
  if (options.max_batch_rows < limit) {
    limit = options.max_batch_rows;
    limited_by = fmt::format("max_batch_rows {}", format_count(options.max_batch_rows));
  }

  if (total_rows <= limit) {
    plan.batch_rows = total_rows;
    plan.batches = 1;
    plan.reason = fmt::format("all {} rows in one batch (up to {} allowed by {})",
                              format_count(total_rows), format_count(limit), limited_by);
    return plan;
  }
  std::size_t const fewest = ceil_div(total_rows, limit);
  plan.batch_rows = std::max(ceil_div(total_rows, fewest), std::min(options.min_batch_rows, limit));
  plan.batches = ceil_div(total_rows, plan.batch_rows);
  plan.reason =
      fmt::format("{} batches of {} rows (at most {}, limited by {})", format_count(plan.batches),
                  format_count(plan.batch_rows), format_count(limit), limited_by);
  return plan;
}

std::size_t device_free_bytes(Context const& context) {
  if (!context.is_cuda()) return 0;
  return kernels::cuda_memory_info(context.device_ordinal()).free_bytes;
}

}  // namespace cie
