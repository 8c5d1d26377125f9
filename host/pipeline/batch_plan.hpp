// Batch sizes from memory, not constants.
//
// A pass over the customers (ARCHITECTURE.md, "The one mechanism") cuts the rows into batches
// that fit both the host memory budget (memory_limit in the run configuration) and the GPU's
// free memory (cudaMemGetInfo), keeping several batches in flight so that copies overlap
// compute. plan_batches() does the arithmetic; the caller states what one row costs.
#pragma once

#include <cstddef>
#include <string>

#include "core/context.hpp"
#include "kernels/device_memory.hpp"

namespace cie {

struct BatchPlanOptions {
  /// Share of the device's free memory the batches may use, in (0, 1]; the rest is left for
  /// the CUDA context, libraries' workspaces and other processes.
  double device_fraction = 0.8;
  /// Batches held in host memory at once, >= 1 (2: one is filled while the other is processed).
  int host_buffers = 2;
  /// Batches held on the device at once, >= 1 (2: double buffering over two streams).
  int device_buffers = 2;
  /// The smallest batch worth running, >= 1; a budget that cannot hold it is an error.
  std::size_t min_batch_rows = 1024;
  /// The largest batch, >= min_batch_rows, even when memory would allow more.
  std::size_t max_batch_rows = std::size_t{1} << 26;
};

struct BatchPlan {
  /// Rows per batch; every batch has this many rows except the last, which may have fewer.
  /// Batches are balanced: with the minimum number of batches, rows are spread evenly.
  std::size_t batch_rows = 0;
  std::size_t batches = 0;  ///< ceil(total_rows / batch_rows); 0 when there are no rows
  std::string reason;       ///< for the log: what limited the batch size, with the numbers
};

/// Plans batches for `total_rows` rows.
///  - bytes_per_row_host: host memory one row of one batch buffer needs (> 0);
///  - bytes_per_row_device: device memory one row of one batch buffer needs (ignored on the CPU);
///  - host_budget_bytes: the host memory the batch buffers may use (> 0): memory_limit, less what
///    the stage keeps resident outside the batches;
///  - device_free_bytes: the device's free memory (device_free_bytes() below), 0 for the CPU.
/// The batch is the largest that satisfies all of
///   host_buffers   x batch_rows x bytes_per_row_host   <= host_budget_bytes
///   device_buffers x batch_rows x bytes_per_row_device <= device_fraction x device_free_bytes
///   batch_rows <= max_batch_rows
/// then balanced. Errors, when even min(min_batch_rows, total_rows) rows do not fit: the host
/// budget is a usage error (exit 2) naming memory_limit and the size it would need; the device
/// is a device error (exit 4) naming the free memory.
BatchPlan plan_batches(std::size_t total_rows, std::size_t bytes_per_row_host,
                       std::size_t bytes_per_row_device, std::size_t host_budget_bytes,
                       std::size_t device_free_bytes, BatchPlanOptions const& options = {});

/// The free device memory of the context's GPU (kernels::cuda_memory_info), 0 for a CPU context.
std::size_t device_free_bytes(Context const& context);

}  // namespace cie
