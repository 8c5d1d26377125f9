// Shared test helpers: contexts for each backend (CUDA ones skip with the reason when no GPU is
// usable; in the CUDA emulation build they always run, kernels/cuda/emulation/README.md) and
// temporary directories.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "core/context.hpp"
#include "core/error.hpp"
#include "core/privacy.hpp"
#include "kernels/device.hpp"

namespace cie::testing {

/// True in the CUDA emulation build (kernels/cuda/emulation/README.md), where a CUDA context
/// runs every kernel with one CPU thread per CUDA thread, slowly: the CUDA instances of the
/// heaviest tests use smaller data there (emulated_size), never fewer code paths.
inline constexpr bool kCudaEmulated = CIE_CUDA_EMULATED != 0;

/// `size`, or `emulated` in the CUDA emulation build.
template <typename T>
constexpr T emulated_size(T size, T emulated) {
  return kCudaEmulated ? emulated : size;
}

/// A context for `backend`, or nullptr with `skip_reason` set when that backend is unusable here.
inline std::unique_ptr<Context> make_backend_context(Backend backend, std::string& skip_reason,
                                                     int threads = 2) {
  ContextOptions options;
  options.threads = threads;
  if (backend == Backend::kCpu) {
    options.device.kind = DeviceRequest::Kind::kCpu;
  } else {
    kernels::DeviceProbe probe = kernels::probe_cuda_devices();
    if (probe.count == 0) {
      skip_reason = "no usable CUDA device: " + probe.reason;
      // The CUDA emulation always has its device: nothing may skip there for want of a GPU.
      if (CIE_CUDA_EMULATED) ADD_FAILURE() << "the CUDA emulation has no device: " << probe.reason;
      return nullptr;
    }
    options.device.kind = DeviceRequest::Kind::kCuda;
  }
  return std::make_unique<Context>(
      kernels::open_context(options, std::make_shared<Logger>(LogLevel::kWarn)));
}

inline std::string backend_name(::testing::TestParamInfo<Backend> const& info) {
  return info.param == Backend::kCpu ? "cpu" : "cuda";
}

/// A fresh directory under the system temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    path_ = std::filesystem::temp_directory_path() /
            ("cie-test-" + std::to_string(entropy()) + std::to_string(entropy()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;
  [[nodiscard]] std::string file(std::string const& name) const { return (path_ / name).string(); }
  [[nodiscard]] std::filesystem::path const& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A test fixture parameterized by backend; a CUDA instance skips with the reason when no GPU
/// is usable. Tests use `context()`.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    context_ = make_backend_context(GetParam(), skip_reason_);
    if (!context_) GTEST_SKIP() << skip_reason_;
  }
  [[nodiscard]] Context const& context() const { return *context_; }

 private:
  std::unique_ptr<Context> context_;
  std::string skip_reason_;
};

/// Expects `call` to throw a cie::Error of `code` whose message contains `fragment`.
template <typename Call>
void expect_error(Call&& call, ExitCode code, std::string const& fragment) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one containing: " << fragment;
  } catch (Error const& error) {
    EXPECT_EQ(error.code(), code) << error.what();
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

inline std::string slurp(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The lines of `text`, without their line ends.
inline std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void spit(std::string const& path, std::string const& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// Messages show field values while it lives (as `cie --show-values`), for tests of the exact
/// messages; they are hidden otherwise.
class ShowValues {
 public:
  ShowValues() { set_show_values(true); }
  ShowValues(ShowValues const&) = delete;
  ShowValues& operator=(ShowValues const&) = delete;
  ~ShowValues() { set_show_values(false); }
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

/// Runs the built `cie` binary with `arguments` (a shell fragment), capturing stdout and stderr
/// in files of `dir`.
inline RunResult run_cie(TempDir const& dir, std::string const& arguments) {
  std::string const command = std::string(CIE_BINARY) + " " + arguments + " >" +
                              dir.file("stdout") + " 2>" + dir.file("stderr") + " </dev/null";
  int const status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir.file("stdout")),
          slurp(dir.file("stderr"))};
}

/// `run_cie` on the CPU with two threads, as the command tests run whatever the machine has.
inline RunResult run_on_cpu(TempDir const& dir, std::string const& arguments) {
  return run_cie(dir, "--device cpu --threads 2 " + arguments);
}

/// `run_cie` with two threads and only warnings logged, as the nightly tests run `cie run`.
inline RunResult run_quietly(TempDir const& dir, std::string const& arguments) {
  return run_cie(dir, "--threads 2 --log-level warn " + arguments);
}

}  // namespace cie::testing
