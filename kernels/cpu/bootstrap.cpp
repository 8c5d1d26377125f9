// CPU twin of kernels/bootstrap.hpp: draws in parallel on ctx's threads, one stream each.
#include "kernels/bootstrap.hpp"

#include "core/error.hpp"
#include "kernels/bootstrap_rules.hpp"

namespace cie::kernels::cpu_impl {

std::vector<double> bootstrap_differences(Context const& ctx, BootstrapInput const& input) {
  CIE_ASSERT(!input.treated.empty() && !input.control.empty() && input.draws >= 0);
  std::vector<double> differences(static_cast<std::size_t>(input.draws));
  auto const n1 = static_cast<std::int64_t>(input.treated.size());
  auto const n2 = static_cast<std::int64_t>(input.control.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::int64_t b = 0; b < input.draws; ++b) {
    differences[static_cast<std::size_t>(b)] =
        bootstrap_difference(input.seed, input.first_stream + static_cast<std::uint64_t>(b),
                             input.treated.data(), n1, input.control.data(), n2);
  }
  return differences;
}

}  // namespace cie::kernels::cpu_impl
