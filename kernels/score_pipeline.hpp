// Batch scoring pipeline: probability[i] = σ(x_iᵀβ + b) over rows that are encoded batch by batch
// into buffers the pipeline owns, so a table of any size is scored without its whole feature
// matrix in memory (ARCHITECTURE.md, "The one mechanism": scoring is a pure map over batches).
//
// The caller supplies `encode(begin, end, x)`, which writes rows [begin, end) as a column-major
// float32 batch (feature j of row begin + i at x[j * (end − begin) + i]; every slot, all finite)
// into the buffer x of at least (end − begin) × cols floats. Batches are [k·B, min(rows, (k+1)·B))
// for B = min(batch_rows, rows); encode is called exactly once per batch, in batch order.
// `on_batch_done(begin, end)` is called once per batch, in batch order, when out[begin, end) holds
// the batch's final probabilities. Both callbacks run on the calling thread; an exception from
// either stops the pipeline (after the device has drained) and propagates unchanged. A batch
// whose on_batch_done has run is complete: a caller can resume after a failure from the end of
// the last completed batch.
//
// CPU (ctx.is_cuda() false): batch by batch, encode then the probabilities of
// kernels::cpu_impl::logistic_probabilities, each phase spread over ctx.threads() threads
// (encode as the callback chooses). Encoding batch k+1 while computing batch k would split the
// cores between two memory-bound phases without shortening either, so they run one after the
// other. Buffer: one batch, B × cols floats. Results equal logistic_predict_proba on the whole
// matrix bit for bit (every row's margin is summed in feature order, whatever the batching).
//
// CUDA (kernels/cuda/score_pipeline.cu): two slots, each a pinned host batch (cudaHostAlloc,
// B × cols floats), a device batch (B × cols floats), a device and a pinned host output
// (B doubles) and a stream; batch k uses slot k % 2. For batch k the host waits until the H2D
// copy of batch k − 2 has left the pinned input (event), encodes batch k into it, then queues on
// the slot's stream: H2D copy, probability kernel (margin in double in feature order, then
// kernels/linear_rules.hpp's stable_sigmoid), D2H copy into the pinned output, event. So the
// host encodes batch k while the device runs batch k − 1 (copy in, kernel, copy out), and on the
// device the kernel of batch k runs on one stream while the other carries the D2H copy of batch
// k − 1 and then the H2D copy of batch k + 1 (as soon as the host has encoded it). Before batch
// k + 2 reuses the slot, batch k's output is copied into `out` (and on_batch_done called) once
// its event has completed; the last two batches are collected at the end, so always in order.
// Device memory: 2 × B × (4·cols + 8) bytes plus cols doubles; pinned host memory the same.
// Agrees with the CPU within rounding (~1e-12 relative: the device may fuse multiply-adds).
//
// Errors: every CUDA call is checked; a failure (an allocation, pinned memory, a launch, a copy)
// is a cie::Error with ExitCode::kDevice naming the call, so callers can fall back to smaller
// batches or the CPU. Built without CUDA, the CUDA path is that device error ("built without
// CUDA support").
#pragma once

#include <cstddef>
#include <functional>
#include <span>

#include "core/context.hpp"

namespace cie {

/// Writes rows [begin, end) into x, column-major with leading dimension end − begin.
using EncodeBatch = std::function<void(std::size_t begin, std::size_t end, float* x)>;
/// Rows [begin, end) of the output are final.
using BatchDone = std::function<void(std::size_t begin, std::size_t end)>;

/// Scores `rows` rows of `cols` (>= 1) features in batches of `batch_rows` (>= 1) rows on ctx's
/// device into `out` (rows slots) with coefficients `coef` (cols values) and `intercept`.
/// `on_batch_done` may be empty. Nothing is called when rows is 0.
void score_logistic_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                            std::size_t cols, EncodeBatch const& encode,
                            std::span<double const> coef, double intercept, std::span<double> out,
                            BatchDone const& on_batch_done = {});

namespace kernels::cpu_impl {
/// The CPU twin (kernels/cpu/score_pipeline.cpp); arguments already checked (rows >= 1,
/// batch_rows <= rows).
void score_logistic_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                            std::size_t cols, EncodeBatch const& encode,
                            std::span<double const> coef, double intercept, std::span<double> out,
                            BatchDone const& on_batch_done);
}  // namespace kernels::cpu_impl

namespace kernels::cuda_impl {
/// The CUDA twin (kernels/cuda/score_pipeline.cu); arguments already checked (rows >= 1,
/// batch_rows <= rows).
void score_logistic_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                            std::size_t cols, EncodeBatch const& encode,
                            std::span<double const> coef, double intercept, std::span<double> out,
                            BatchDone const& on_batch_done);
}  // namespace kernels::cuda_impl

}  // namespace cie
