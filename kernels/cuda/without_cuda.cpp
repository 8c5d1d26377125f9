// The CUDA twin of every kernel family in a build without CUDA (-DCIE_CUDA=OFF or no nvcc):
// device discovery reports no GPU, and any CUDA kernel fails with a clear message.
#include "core/error.hpp"
#include "kernels/bootstrap.hpp"
#include "kernels/clv.hpp"
#include "kernels/device.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/gbdt.hpp"
#include "kernels/kmeans.hpp"
#include "kernels/linear.hpp"
#include "kernels/offers.hpp"
#include "kernels/rfm.hpp"
#include "kernels/score_pipeline.hpp"

namespace cie::kernels {
namespace {
[[noreturn]] void no_cuda() {
  fail(ExitCode::kDevice, "this cie was built without CUDA support; rebuild with -DCIE_CUDA=ON");
}
}  // namespace

bool built_with_cuda() noexcept { return false; }
DeviceProbe probe_cuda_devices() noexcept { return {0, "built without CUDA support"}; }
DeviceInfo cuda_device_info(int) { no_cuda(); }
void* create_cuda_stream(int) { no_cuda(); }
void destroy_cuda_stream(void*) noexcept {}
DeviceMemory cuda_memory_info(int) { no_cuda(); }

namespace cuda_impl {
ClvPassStats clv_log_likelihood_pass(Context const&, ClvLikelihood, std::span<double const>,
                                     ClvRows const&, bool) {
  no_cuda();
}
std::vector<double> bootstrap_differences(Context const&, BootstrapInput const&) { no_cuda(); }
RfmAggregates aggregate_rfm(Context const&, TransactionColumns, std::int32_t) { no_cuda(); }
std::vector<std::int8_t> quantile_scores(Context const&, std::span<double const>, std::int32_t,
                                         ScoreDirection, ScoreTies) {
  no_cuda();
}
std::unique_ptr<KMeansWorkspace> make_kmeans_workspace(Context const&, float const*, std::int64_t,
                                                       std::int64_t, int, std::span<float const>) {
  no_cuda();
}
std::unique_ptr<LogisticWorkspace> make_logistic_workspace(Context const&, float const*,
                                                           std::int64_t, int,
                                                           std::span<float const>,
                                                           std::span<double const>) {
  no_cuda();
}
void logistic_probabilities(Context const&, float const*, std::int64_t, int,
                            std::span<double const>, double, std::span<double>) {
  no_cuda();
}
std::unique_ptr<OfferPassWorkspace> make_offer_workspace(Context const&, OfferInstance const&) {
  no_cuda();
}
void score_logistic_batches(Context const&, std::size_t, std::size_t, std::size_t,
                            EncodeBatch const&, std::span<double const>, double, std::span<double>,
                            BatchDone const&) {
  no_cuda();
}
std::unique_ptr<GbdtWorkspace> make_gbdt_workspace(Context const&, BinnedMatrix) { no_cuda(); }
void gbdt_predict_margin(Context const&, FeatureMatrix, ForestView, double, std::span<double>) {
  no_cuda();
}
void score_gbdt_batches(Context const&, std::size_t, std::size_t, std::size_t, EncodeBatch const&,
                        ForestView, double, bool, std::span<double>, BatchDone const&) {
  no_cuda();
}
}  // namespace cuda_impl

}  // namespace cie::kernels
