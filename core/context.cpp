#include "core/context.hpp"

#include <omp.h>

#include <charconv>
#include <unistd.h>
#include <utility>

#include "core/error.hpp"

namespace cie {
namespace {

std::size_t default_memory_budget() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return std::size_t{4} << 30;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size) / 4 * 3;
}

}  // namespace

DeviceRequest DeviceRequest::parse(std::string_view text) {
  DeviceRequest request;
  if (text == "auto") return request;
  if (text == "cpu") {
    request.kind = Kind::kCpu;
    return request;
  }
  if (text == "cuda") {
    request.kind = Kind::kCuda;
    return request;
  }
  if (text.starts_with("cuda:")) {
    std::string_view digits = text.substr(5);
    int ordinal = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ordinal);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
        ordinal >= 0) {
      request.kind = Kind::kCuda;
      request.ordinal = ordinal;
      return request;
    }
  }
  fail(ExitCode::kUsage, "--device: expected auto, cpu, cuda or cuda:N, got '{}'", text);
}

Context::Context(ContextOptions const& options, std::shared_ptr<Logger> logger,
                 ContextDevice device)
    : backend_(device.backend),
      ordinal_(device.ordinal),
      gpu_name_(std::move(device.name)),
      stream_(device.stream),
      release_stream_(device.release_stream),
      logger_(std::move(logger)) {
  CIE_EXPECTS(options.threads >= 0, "--threads must be >= 0 (0 = all cores), got {}",
              options.threads);
  threads_ = options.threads > 0 ? options.threads : omp_get_num_procs();
  memory_budget_bytes_ =
      options.memory_budget_bytes > 0 ? options.memory_budget_bytes : default_memory_budget();
  seed_ = options.seed;
  if (!logger_) logger_ = std::make_shared<Logger>();
}

Context Context::cpu(int threads, std::uint64_t seed) {
  ContextOptions options;
  options.device.kind = DeviceRequest::Kind::kCpu;
  options.threads = threads;
  options.seed = seed;
  return Context(options, std::make_shared<Logger>(LogLevel::kWarn));
}

Context::Context(Context&& other) noexcept { *this = std::move(other); }

Context& Context::operator=(Context&& other) noexcept {
  if (this != &other) {
    release();
    backend_ = other.backend_;
    ordinal_ = other.ordinal_;
    gpu_name_ = std::move(other.gpu_name_);
    threads_ = other.threads_;
    stream_ = std::exchange(other.stream_, nullptr);
    release_stream_ = std::exchange(other.release_stream_, nullptr);
    memory_budget_bytes_ = other.memory_budget_bytes_;
    seed_ = other.seed_;
    logger_ = std::move(other.logger_);
  }
  return *this;
}

Context::~Context() { release(); }

void Context::release() noexcept {
  if (stream_ != nullptr && release_stream_ != nullptr) release_stream_(stream_);
  stream_ = nullptr;
}

std::string Context::device_name() const {
  if (!is_cuda()) return "cpu";
  return fmt::format("cuda:{} ({})", ordinal_, gpu_name_);
}

}  // namespace cie
