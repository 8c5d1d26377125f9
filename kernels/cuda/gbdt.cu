// CUDA twin of kernels/gbdt.hpp: the histogram pass and the tree walks (training margins by bins,
// scoring by raw values). The results are the CPU twin's bits, not merely close to them:
//
// Histogram. Block (x, k) takes rows [x·kRowsPerBlock, (x + 1)·kRowsPerBlock) of the node's row
// list and feature features[k]; its threads add each row's quantized pair (int64, from the
// host's gbdt_gradients) and a count of 1 into a private 256-bin histogram in shared memory with
// 64-bit integer atomicAdd, then add its non-zero bins into the node's histogram in global memory
// the same way. Integer addition is associative and the int64 sums cannot overflow (the gradient
// scale bounds every sum by 2^62, kernels/gbdt_rules.hpp), so the order in which atomics land
// does not matter: the histogram is the exact integer sum, the same as the CPU twin's sequential
// one, on every run. (Two's complement: the signed values are added as unsigned 64-bit words, and
// the wrap-around is undone by converting the words back to int64.)
//
// Tree walks. One thread per row, the shared routing rules (node_goes_left[_binned]); a row's
// margin starts at base (or its current value) and adds the leaf values tree by tree in forest
// order, exactly the double additions the CPU twin makes (additions only: nothing to contract
// into an FMA). σ for probabilities is applied on the host, as on the CPU.
#include <thrust/device_vector.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/gbdt.hpp"
#include "kernels/linear_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::copy_to_device;
using cuda_detail::copy_to_host;
using cuda_detail::grid_for;
using cuda_detail::raw;
using cuda_detail::run_on_device;
using cuda_detail::stream_of;

constexpr int kThreads = 256;
/// Rows of a node's list per histogram block: enough work per block to amortize clearing and
/// flushing its 6 KiB shared histogram.
constexpr std::int64_t kRowsPerBlock = 8192;
/// Words of one feature's histogram: (g, h, count) for each of its 256 bins.
constexpr int kHistogramWords = kBinsPerFeature * 3;

using Word = unsigned long long;  // CUDA's 64-bit atomicAdd type
static_assert(sizeof(Word) == sizeof(std::int64_t));
static_assert(sizeof(GradientPair) == 2 * sizeof(std::int64_t) &&
              std::is_trivially_copyable_v<GradientPair> && std::is_trivially_copyable_v<GbdtNode>);

/// out[k · kHistogramWords + 3b + {0, 1, 2}] += Σ over the block's rows in bin b of feature
/// features[k] of (g, h, 1).
__global__ void histogram_kernel(std::uint8_t const* bins, std::int64_t matrix_rows,
                                 std::uint32_t const* rows, std::int64_t count,
                                 std::int32_t const* features, GradientPair const* pairs,
                                 Word* out) {
  __shared__ Word local[kHistogramWords];
  for (int s = static_cast<int>(threadIdx.x); s < kHistogramWords; s += kThreads) local[s] = 0;
  __syncthreads();
  std::uint8_t const* column = bins + static_cast<std::int64_t>(features[blockIdx.y]) * matrix_rows;
  std::int64_t const first = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock;
  std::int64_t const last = first + kRowsPerBlock < count ? first + kRowsPerBlock : count;
  for (std::int64_t i = first + threadIdx.x; i < last; i += kThreads) {
    std::uint32_t const row = rows[i];
    int const b = column[row];
    atomicAdd(&local[3 * b], static_cast<Word>(pairs[row].g));
    atomicAdd(&local[3 * b + 1], static_cast<Word>(pairs[row].h));
    atomicAdd(&local[3 * b + 2], Word{1});
  }
  __syncthreads();
  Word* target = out + static_cast<std::int64_t>(blockIdx.y) * kHistogramWords;
  for (int s = static_cast<int>(threadIdx.x); s < kHistogramWords; s += kThreads) {
    if (local[s] != 0) atomicAdd(&target[s], local[s]);
  }
}

/// margin[i] += the leaf value row i reaches in the tree rooted at nodes[root], by bins.
__global__ void add_tree_kernel(std::uint8_t const* bins, std::int64_t rows, GbdtNode const* nodes,
                                std::uint64_t const* category_bits, std::int32_t root,
                                double* margin) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int32_t node = root;
    while (nodes[node].feature >= 0) {
      GbdtNode const& split = nodes[node];
      std::uint8_t const bin = bins[static_cast<std::int64_t>(split.feature) * rows + i];
      node = node_goes_left_binned(split, bin, category_bits) ? split.left : split.right;
    }
    margin[i] += nodes[node].value;
  }
}

/// out[i] = base + the leaf values row i of x reaches, tree by tree in forest order.
__global__ void predict_kernel(float const* x, std::int64_t rows, GbdtNode const* nodes,
                               std::int32_t const* roots, std::int32_t trees,
                               std::uint64_t const* category_bits, double base, double* out) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    double margin = base;
    for (std::int32_t t = 0; t < trees; ++t) {
      std::int32_t node = roots[t];
      while (nodes[node].feature >= 0) {
        GbdtNode const& split = nodes[node];
        float const value = x[static_cast<std::int64_t>(split.feature) * rows + i];
        node = node_goes_left(split, value, category_bits) ? split.left : split.right;
      }
      margin += nodes[node].value;
    }
    out[i] = margin;
  }
}

/// A forest's arrays on the device.
struct DeviceForest {
  thrust::device_vector<GbdtNode> nodes;
  thrust::device_vector<std::int32_t> roots;
  thrust::device_vector<std::uint64_t> category_bits;

  void upload(cudaStream_t stream, ForestView forest) {
    nodes.resize(forest.nodes.size());
    roots.resize(forest.roots.size());
    category_bits.resize(forest.category_bits.size());
    if (!forest.nodes.empty())
      copy_to_device(stream, forest.nodes.data(), forest.nodes.size(), raw(nodes));
    if (!forest.roots.empty())
      copy_to_device(stream, forest.roots.data(), forest.roots.size(), raw(roots));
    if (!forest.category_bits.empty()) {
      copy_to_device(stream, forest.category_bits.data(), forest.category_bits.size(),
                     raw(category_bits));
    }
  }
};

class CudaGbdtWorkspace final : public GbdtWorkspace {
 public:
  CudaGbdtWorkspace(Context const& ctx, BinnedMatrix bins) : stream_(stream_of(ctx)), host_(bins) {
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    bins_.resize(bins.rows * bins.cols);
    if (!bins_.empty()) copy_to_device(stream_, bins.bins, bins_.size(), raw(bins_));
    pairs_.resize(bins.rows);
  }

  [[nodiscard]] BinnedMatrix bins() const noexcept override { return host_; }

  void set_pairs(std::span<GradientPair const> pairs) override {
    CIE_CUDA_ASSERT(pairs.size() == host_.rows);
    run_on_device("gbdt gradient upload", [&] {
      if (!pairs.empty()) copy_to_device(stream_, pairs.data(), pairs.size(), raw(pairs_));
    });
  }

  void build_histogram(std::span<std::uint32_t const> rows, std::span<std::int32_t const> features,
                       HistogramBin* hist) override {
    if (features.empty()) return;
    CIE_CUDA_ASSERT(features.size() <= 65535);  // the grid's y dimension
    run_on_device("gbdt histogram", [&] {
      auto const count = static_cast<std::int64_t>(rows.size());
      auto const listed = features.size();
      rows_.resize(std::max<std::size_t>(rows.size(), 1));
      features_.resize(listed);
      words_.resize(listed * kHistogramWords);
      if (count > 0) copy_to_device(stream_, rows.data(), rows.size(), raw(rows_));
      copy_to_device(stream_, features.data(), listed, raw(features_));
      CIE_CUDA_TRY(cudaMemsetAsync(raw(words_), 0, words_.size() * sizeof(Word), stream_));
      if (count > 0) {
        dim3 const grid(static_cast<unsigned>((count + kRowsPerBlock - 1) / kRowsPerBlock),
                        static_cast<unsigned>(listed));
        CIE_LAUNCH(histogram_kernel, grid, kThreads, 0, stream_)
        (raw(bins_), static_cast<std::int64_t>(host_.rows), raw(rows_), count, raw(features_),
         raw(pairs_), raw(words_));
        CIE_CUDA_CHECK_LAUNCH();
      }
      std::vector<Word> words(words_.size());
      copy_to_host(stream_, raw(words_), words.size(), words.data());
      for (std::size_t k = 0; k < listed; ++k) {
        HistogramBin* slots = hist + static_cast<std::size_t>(features[k]) * kBinsPerFeature;
        Word const* sums = words.data() + k * kHistogramWords;
        for (int b = 0; b < kBinsPerFeature; ++b) {
          // The words are the int64 sums modulo 2^64; C++20 converts them back exactly.
          slots[b] = {static_cast<std::int64_t>(sums[3 * b]),
                      static_cast<std::int64_t>(sums[3 * b + 1]),
                      static_cast<std::int64_t>(sums[3 * b + 2])};
        }
      }
    });
  }

  void add_tree(ForestView forest, std::int32_t root, std::span<double> margin) override {
    CIE_CUDA_ASSERT(margin.size() == host_.rows && root >= 0 &&
                    static_cast<std::size_t>(root) < forest.nodes.size());
    if (margin.empty()) return;
    run_on_device("gbdt tree update", [&] {
      forest_.upload(stream_, forest);
      margin_.resize(margin.size());
      copy_to_device(stream_, margin.data(), margin.size(), raw(margin_));
      auto const rows = static_cast<std::int64_t>(margin.size());
      CIE_LAUNCH(add_tree_kernel, grid_for(rows, kThreads), kThreads, 0, stream_)
      (raw(bins_), rows, raw(forest_.nodes), raw(forest_.category_bits), root, raw(margin_));
      CIE_CUDA_CHECK_LAUNCH();
      copy_to_host(stream_, raw(margin_), margin.size(), margin.data());
    });
  }

 private:
  cudaStream_t stream_;
  BinnedMatrix host_;
  thrust::device_vector<std::uint8_t> bins_;  // column-major, as on the host
  thrust::device_vector<GradientPair> pairs_;
  thrust::device_vector<std::uint32_t> rows_;
  thrust::device_vector<std::int32_t> features_;
  thrust::device_vector<Word> words_;
  thrust::device_vector<double> margin_;
  DeviceForest forest_;
};

/// Scores x (host, column-major) with a forest already on the device into out (host).
void predict_on_device(cudaStream_t stream, FeatureMatrix x, DeviceForest& forest, double base,
                       thrust::device_vector<float>& x_device,
                       thrust::device_vector<double>& out_device, std::span<double> out) {
  auto const rows = static_cast<std::int64_t>(x.rows);
  x_device.resize(x.rows * x.cols);
  out_device.resize(x.rows);
  copy_to_device(stream, x.data, x_device.size(), raw(x_device));
  CIE_LAUNCH(predict_kernel, grid_for(rows, kThreads), kThreads, 0, stream)
  (raw(x_device), rows, raw(forest.nodes), raw(forest.roots),
   static_cast<std::int32_t>(forest.roots.size()), raw(forest.category_bits), base,
   raw(out_device));
  CIE_CUDA_CHECK_LAUNCH();
  copy_to_host(stream, raw(out_device), out.size(), out.data());
}

}  // namespace

std::unique_ptr<GbdtWorkspace> make_gbdt_workspace(Context const& ctx, BinnedMatrix bins) {
  return run_on_device("gbdt workspace", [&] {
    return std::unique_ptr<GbdtWorkspace>(std::make_unique<CudaGbdtWorkspace>(ctx, bins));
  });
}

void gbdt_predict_margin(Context const& ctx, FeatureMatrix x, ForestView forest, double base,
                         std::span<double> out) {
  CIE_CUDA_ASSERT(out.size() == x.rows);
  if (x.rows == 0) return;
  if (forest.roots.empty()) {
    std::fill(out.begin(), out.end(), base);
    return;
  }
  CIE_CUDA_ASSERT(x.cols >= 1);
  run_on_device("gbdt scoring", [&] {
    cudaStream_t const stream = stream_of(ctx);
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    DeviceForest device_forest;
    device_forest.upload(stream, forest);
    thrust::device_vector<float> x_device;
    thrust::device_vector<double> out_device;
    predict_on_device(stream, x, device_forest, base, x_device, out_device, out);
  });
}

void score_gbdt_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                        std::size_t cols, EncodeBatch const& encode, ForestView forest, double base,
                        bool probability, std::span<double> out, BatchDone const& on_batch_done) {
  CIE_CUDA_ASSERT(batch_rows >= 1 && cols >= 1 && encode && out.size() == rows);
  if (rows == 0) return;
  run_on_device("gbdt batch scoring", [&] {
    cudaStream_t const stream = stream_of(ctx);
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    DeviceForest device_forest;
    device_forest.upload(stream, forest);
    std::size_t const batch = std::min(batch_rows, rows);
    std::vector<float> x(batch * cols);
    thrust::device_vector<float> x_device;
    thrust::device_vector<double> out_device;
    for (std::size_t begin = 0; begin < rows; begin += batch) {
      std::size_t const end = std::min(rows, begin + batch);
      encode(begin, end, x.data());
      std::span<double> const margin = out.subspan(begin, end - begin);
      if (forest.roots.empty()) {
        std::fill(margin.begin(), margin.end(), base);
      } else {
        predict_on_device(stream, {x.data(), end - begin, cols}, device_forest, base, x_device,
                          out_device, margin);
      }
      if (probability) {
        for (double& value : margin) value = stable_sigmoid(value);
      }
      if (on_batch_done) on_batch_done(begin, end);
    }
  });
}

}  // namespace cie::kernels::cuda_impl
