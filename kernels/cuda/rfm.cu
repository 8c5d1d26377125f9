// CUDA twin of kernels/rfm.hpp: rows are ordered by (customer, timestamp, row) with two stable
// radix sorts, then one thread per customer applies the shared aggregate_customer; scores rank
// values with a stable device sort and apply the shared quantile_bin, or (tie-aware) cuts found by
// the shared tie_aware_cuts on a host copy of the sorted values.
#include <thrust/binary_search.h>
#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/gather.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/transform.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/rfm.hpp"
#include "kernels/rfm_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::grid_for;
using cuda_detail::policy;
using cuda_detail::run_on_device;
using cuda_detail::stream_of;

struct AggregateColumns {
  std::int32_t* first_day;
  std::int32_t* last_day;
  std::int32_t* purchase_days;
  std::int32_t* transactions;
  std::int32_t* return_rows;
  double* monetary_total;
  double* repeat_value_total;
};

__global__ void aggregate_customers_kernel(std::int64_t const* offsets,
                                           std::int64_t const* timestamp, double const* amount,
                                           std::int32_t customer_count, std::int32_t as_of_day,
                                           AggregateColumns out) {
  for (std::int64_t c = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       c < customer_count; c += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t begin = offsets[c];
    CustomerAggregate aggregate =
        aggregate_customer(timestamp + begin, amount + begin, offsets[c + 1] - begin, as_of_day);
    out.first_day[c] = aggregate.first_day;
    out.last_day[c] = aggregate.last_day;
    out.purchase_days[c] = aggregate.purchase_days;
    out.transactions[c] = aggregate.transactions;
    out.return_rows[c] = aggregate.return_rows;
    out.monetary_total[c] = aggregate.monetary_total;
    out.repeat_value_total[c] = aggregate.repeat_value_total;
  }
}

__global__ void scores_from_order_kernel(std::int64_t const* order, std::int64_t n,
                                         std::int32_t bins, bool high_is_best,
                                         std::int8_t* scores) {
  for (std::int64_t position = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       position < n; position += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int32_t bin = quantile_bin(position + 1, n, bins);
    scores[order[position]] = static_cast<std::int8_t>(high_is_best ? bin : bins + 1 - bin);
  }
}

__global__ void scores_from_cuts_kernel(std::int64_t const* order, std::int64_t n, ScoreCuts cuts,
                                        std::int8_t* scores) {
  for (std::int64_t position = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       position < n; position += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    scores[order[position]] = static_cast<std::int8_t>(bin_of_position(cuts, position));
  }
}

struct CanonicalZero {
  bool negate = false;
  __host__ __device__ double operator()(double value) const {
    return (negate ? -value : value) + 0.0;
  }
};

template <typename T>
void copy_to_host(thrust::device_vector<T> const& source, std::vector<T>& target) {
  target.resize(source.size());
  thrust::copy(source.begin(), source.end(), target.begin());
}

}  // namespace

RfmAggregates aggregate_rfm(Context const& ctx, TransactionColumns transactions,
                            std::int32_t as_of_day) {
  return run_on_device("RFM aggregation", [&] {
    auto const exec = policy(ctx);
    std::int64_t const n = static_cast<std::int64_t>(transactions.customer.size());
    std::int32_t const customers = transactions.customer_count;

    thrust::device_vector<std::int64_t> order(n);
    thrust::sequence(exec, order.begin(), order.end());
    {
      // Two stable sorts give (customer, timestamp, row) order, as the CPU twin's stable
      // counting sort followed by a stable sort by time does.
      thrust::device_vector<std::int64_t> time_keys(transactions.timestamp.begin(),
                                                    transactions.timestamp.end());
      thrust::stable_sort_by_key(exec, time_keys.begin(), time_keys.end(), order.begin());
    }
    thrust::device_vector<std::int32_t> customer_keys(n);
    {
      thrust::device_vector<std::int32_t> customer(transactions.customer.begin(),
                                                   transactions.customer.end());
      thrust::gather(exec, order.begin(), order.end(), customer.begin(), customer_keys.begin());
    }
    thrust::stable_sort_by_key(exec, customer_keys.begin(), customer_keys.end(), order.begin());

    thrust::device_vector<std::int64_t> offsets(static_cast<std::size_t>(customers) + 1);
    thrust::lower_bound(exec, customer_keys.begin(), customer_keys.end(),
                        thrust::counting_iterator<std::int32_t>(0),
                        thrust::counting_iterator<std::int32_t>(customers + 1), offsets.begin());
    customer_keys = thrust::device_vector<std::int32_t>();

    thrust::device_vector<std::int64_t> timestamp(n);
    thrust::device_vector<double> amount(n);
    {
      thrust::device_vector<std::int64_t> raw_timestamp(transactions.timestamp.begin(),
                                                        transactions.timestamp.end());
      thrust::gather(exec, order.begin(), order.end(), raw_timestamp.begin(), timestamp.begin());
    }
    {
      thrust::device_vector<double> raw_amount(transactions.amount.begin(),
                                               transactions.amount.end());
      thrust::gather(exec, order.begin(), order.end(), raw_amount.begin(), amount.begin());
    }
    order = thrust::device_vector<std::int64_t>();

    thrust::device_vector<std::int32_t> first_day(customers), last_day(customers),
        purchase_days(customers), transaction_count(customers), return_rows(customers);
    thrust::device_vector<double> monetary_total(customers), repeat_value_total(customers);
    AggregateColumns out{first_day.data().get(),         last_day.data().get(),
                         purchase_days.data().get(),     transaction_count.data().get(),
                         return_rows.data().get(),       monetary_total.data().get(),
                         repeat_value_total.data().get()};
    constexpr unsigned kBlock = 256;
    CIE_LAUNCH(aggregate_customers_kernel, grid_for(customers, kBlock), kBlock, 0, stream_of(ctx))
    (offsets.data().get(), timestamp.data().get(), amount.data().get(), customers, as_of_day, out);
    CIE_CUDA_CHECK_LAUNCH();
    CIE_CUDA_TRY(cudaStreamSynchronize(stream_of(ctx)));

    RfmAggregates result;
    copy_to_host(first_day, result.first_day);
    copy_to_host(last_day, result.last_day);
    copy_to_host(purchase_days, result.purchase_days);
    copy_to_host(transaction_count, result.transactions);
    copy_to_host(return_rows, result.return_rows);
    copy_to_host(monetary_total, result.monetary_total);
    copy_to_host(repeat_value_total, result.repeat_value_total);
    return result;
  });
}

std::vector<std::int8_t> quantile_scores(Context const& ctx, std::span<double const> values,
                                         std::int32_t bins, ScoreDirection direction,
                                         ScoreTies ties) {
  return run_on_device("RFM scores", [&] {
    auto const exec = policy(ctx);
    std::int64_t const n = static_cast<std::int64_t>(values.size());
    thrust::device_vector<double> keys(values.begin(), values.end());
    bool const negate = ties == ScoreTies::kEqual && direction == ScoreDirection::kLowIsBest;
    thrust::transform(exec, keys.begin(), keys.end(), keys.begin(), CanonicalZero{negate});
    thrust::device_vector<std::int64_t> order(n);
    thrust::sequence(exec, order.begin(), order.end());
    thrust::stable_sort_by_key(exec, keys.begin(), keys.end(), order.begin());

    thrust::device_vector<std::int8_t> scores(n);
    constexpr unsigned kBlock = 256;
    if (ties == ScoreTies::kEqual) {
      CIE_CUDA_TRY(cudaStreamSynchronize(stream_of(ctx)));
      std::vector<double> sorted;
      copy_to_host(keys, sorted);
      ScoreCuts const cuts = tie_aware_cuts(n, bins, [&](std::int64_t m) {
        auto const [lo, hi] = std::equal_range(sorted.begin(), sorted.end(), sorted[m]);
        return std::pair<std::int64_t, std::int64_t>{lo - sorted.begin(), hi - sorted.begin()};
      });
      CIE_LAUNCH(scores_from_cuts_kernel, grid_for(n, kBlock), kBlock, 0, stream_of(ctx))
      (order.data().get(), n, cuts, scores.data().get());
    } else {
      CIE_LAUNCH(scores_from_order_kernel, grid_for(n, kBlock), kBlock, 0, stream_of(ctx))
      (order.data().get(), n, bins, direction == ScoreDirection::kHighIsBest, scores.data().get());
    }
    CIE_CUDA_CHECK_LAUNCH();
    CIE_CUDA_TRY(cudaStreamSynchronize(stream_of(ctx)));
    std::vector<std::int8_t> result;
    copy_to_host(scores, result);
    return result;
  });
}

}  // namespace cie::kernels::cuda_impl
