#include "python/src/support.hpp"

#include <memory>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "kernels/device.hpp"

namespace cie::python {

Context make_context(std::string const& device, int threads, std::uint64_t seed) {
  ContextOptions options;
  options.device = DeviceRequest::parse(device);
  options.threads = threads;
  options.seed = seed;
  return kernels::open_context(options, std::make_shared<Logger>(LogLevel::kWarn));
}

void register_errors(nb::module_& m) {
  static nb::object device_error =
      nb::borrow(PyErr_NewException("cie._core.DeviceError", PyExc_RuntimeError, nullptr));
  m.attr("DeviceError") = device_error;
  nb::register_exception_translator([](std::exception_ptr const& error, void*) {
    try {
      std::rethrow_exception(error);
    } catch (Error const& e) {
      PyObject* type = PyExc_ValueError;
      if (e.code() == ExitCode::kDevice) type = device_error.ptr();
      if (e.code() == ExitCode::kInternal) type = PyExc_RuntimeError;
      PyErr_SetString(type, e.what());
    }
  });
}

}  // namespace cie::python

NB_MODULE(_core, m) {
  m.doc() =
      "cie's engine: RFM, k-means, logistic regression and boosted trees (the package cie wraps "
      "it)";
  m.attr("__version__") = CIE_VERSION;
  m.def("built_with_cuda", &cie::kernels::built_with_cuda,
        "Whether this build has the CUDA backend.");
  cie::python::register_errors(m);
  cie::python::bind_rfm(m);
  cie::python::bind_kmeans(m);
  cie::python::bind_logistic(m);
  cie::python::bind_gbdt(m);
}
