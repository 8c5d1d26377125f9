// The offer assignment pass (kernels/offers.hpp) on a synthetic instance generated in process,
// for bench/gpu_check.sh: time per pass on one device, and the pass's results so that the CPU
// and CUDA twins can be compared bit for bit.
//
//   offers_driver --synthetic N [--offers 20] [--passes 10] [--threads P]
//                 [--device cpu|cuda|cuda:N|auto] [--pairs]
//
// The instance (fixed seed): 20 offers (at most 64) over three channels, about 30% of the
// values missing (not a candidate), the others uniform in [0, 10); allowances 0 to 2 (about a
// sixth of the customers 0), channel allowances 0 to 2, a seeded tie offset; --pairs puts
// offers 0 and 1 in a pair rule. The workspace is made once (on CUDA: the instance copied to
// the device); one untimed pass, then --passes passes at prices rising from 0 to 8 in equal
// steps, each keeping its slots (copied back to the host, as the solver's dual passes do).
// Output, one JSON line: {"device", "threads", "customers", "offers", "upload_seconds",
// "seconds_per_pass" (median), "bytes_per_pass" (kernels::offer_pass_bytes), "usage", "value",
// "relaxed_reduced" (each pass's, as %.17g strings: the twins must give the same bits) and
// "slots_hash" (FNV-1a over the last pass's slots)}.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "bench/driver_support.hpp"
#include "bench/synthetic.hpp"
#include "core/context.hpp"
#include "core/error.hpp"
#include "kernels/offers.hpp"

using cie::bench::seconds_since;
namespace kernels = cie::kernels;

namespace {

struct Instance {
  std::vector<float> expected_value;
  std::vector<std::uint8_t> allowance;
  std::vector<std::uint8_t> channel_allowance;
  std::vector<std::uint8_t> tie_offset;
  std::vector<std::int8_t> offer_channel;
  std::vector<std::uint64_t> conflicts;
};

Instance synthetic(std::int64_t customers, int offers, bool pairs) {
  Instance in;
  std::mt19937_64 random(20261207);
  std::uniform_real_distribution<float> value(0.0F, 10.0F);
  std::uniform_int_distribution<int> small(0, 5);
  in.expected_value.resize(static_cast<std::size_t>(customers) * offers);
  in.allowance.resize(static_cast<std::size_t>(customers));
  in.channel_allowance.assign(static_cast<std::size_t>(customers) * kernels::kOfferChannels, 0);
  in.tie_offset.resize(static_cast<std::size_t>(customers));
  for (std::int64_t i = 0; i < customers; ++i) {
    for (int o = 0; o < offers; ++o) {
      float const v = value(random);
      in.expected_value[i * offers + o] = v < 3.0F ? std::numeric_limits<float>::quiet_NaN() : v;
    }
    int const a = small(random);
    in.allowance[i] = static_cast<std::uint8_t>(a == 0 ? 0 : 1 + a % 2);
    for (int c = 0; c < 3; ++c) {
      in.channel_allowance[i * kernels::kOfferChannels + c] =
          static_cast<std::uint8_t>(small(random) % 3);
    }
    in.tie_offset[i] = static_cast<std::uint8_t>(random() % static_cast<unsigned>(offers));
  }
  for (int o = 0; o < offers; ++o) in.offer_channel.push_back(static_cast<std::int8_t>(o % 3));
  if (pairs && offers >= 2) {
    in.conflicts.assign(static_cast<std::size_t>(offers), 0);
    in.conflicts[0] = 2;
    in.conflicts[1] = 1;
  }
  return in;
}

std::string bits(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string device = "cpu";
    std::int64_t customers = 0;
    int offers = 20, passes = 10, threads = 0;
    bool pairs = false;
    for (int i = 1; i < argc; ++i) {
      std::string const arg = argv[i];
      auto value = [&]() -> std::string {
        CIE_EXPECTS(i + 1 < argc, "{} needs a value", arg);
        return argv[++i];
      };
      if (arg == "--synthetic")
        customers = std::stoll(value());
      else if (arg == "--offers")
        offers = std::stoi(value());
      else if (arg == "--passes")
        passes = std::stoi(value());
      else if (arg == "--threads")
        threads = std::stoi(value());
      else if (arg == "--device")
        device = value();
      else if (arg == "--pairs")
        pairs = true;
      else
        cie::fail(cie::ExitCode::kUsage, "unknown argument '{}'", arg);
    }
    CIE_EXPECTS(customers > 0, "--synthetic N: the number of customers, > 0");
    CIE_EXPECTS(offers >= 1 && offers <= 64, "--offers must be in 1..64, got {}", offers);
    CIE_EXPECTS(passes >= 1, "--passes must be >= 1, got {}", passes);
    Instance const in = synthetic(customers, offers, pairs);
    kernels::OfferInstance const view{customers,
                                      offers,
                                      in.expected_value.data(),
                                      in.allowance.data(),
                                      in.channel_allowance.data(),
                                      in.tie_offset.data(),
                                      in.offer_channel.data(),
                                      in.conflicts.empty() ? nullptr : in.conflicts.data()};
    cie::Context ctx = cie::bench::make_context(device, threads);
    auto start = std::chrono::steady_clock::now();
    auto workspace = kernels::make_offer_workspace(ctx, view);
    double const upload_seconds = seconds_since(start);
    std::vector<std::uint8_t> slots(static_cast<std::size_t>(customers) * kernels::kOfferSlots);
    std::vector<double> price(static_cast<std::size_t>(offers), 0.0);
    workspace->pass(price, {}, slots);  // warm-up
    std::vector<double> times;
    nlohmann::json usage = nlohmann::json::array(), values = nlohmann::json::array(),
                   reduced = nlohmann::json::array();
    for (int p = 0; p < passes; ++p) {
      for (int o = 0; o < offers; ++o) {
        price[o] = passes == 1 ? 0.0 : 8.0 * p / (passes - 1) * (1.0 + 0.01 * o);
      }
      start = std::chrono::steady_clock::now();
      kernels::OfferPassResult const result = workspace->pass(price, {}, slots);
      times.push_back(seconds_since(start));
      usage.push_back(result.usage);
      values.push_back(bits(result.value));
      reduced.push_back(bits(result.relaxed_reduced));
    }
    std::uint64_t hash = 1469598103934665603ULL;
    for (std::uint8_t s : slots) hash = (hash ^ s) * 1099511628211ULL;
    std::sort(times.begin(), times.end());
    nlohmann::json out;
    out["device"] = ctx.device_name();
    out["threads"] = ctx.threads();
    out["customers"] = customers;
    out["offers"] = offers;
    out["pairs"] = pairs;
    out["upload_seconds"] = upload_seconds;
    out["seconds_per_pass"] = times[times.size() / 2];
    out["bytes_per_pass"] = kernels::offer_pass_bytes(view, true);
    out["usage"] = usage;
    out["value"] = values;
    out["relaxed_reduced"] = reduced;
    out["slots_hash"] = std::to_string(hash);
    std::cout << out.dump() << "\n";
    return 0;
  } catch (cie::Error const& e) {
    std::cerr << "offers_driver: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
}
