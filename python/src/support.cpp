#include "python/src/support.hpp"

#include <exception>
#include <memory>
#include <utility>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "kernels/device.hpp"

namespace cie::python {
namespace {

/// The Python exception a signal handler raised during the current engine call on this thread
/// (KeyboardInterrupt for Ctrl-C), kept from the interrupt check until the engine's
/// Error(kInterrupted) reaches the exception translator, which raises it.
thread_local std::exception_ptr t_pending_signal;

/// The interrupt check of every engine call (python_interrupts): runs Python's signal handlers with
/// the GIL taken back for the moment (the engine calls it between steps, with the GIL released).
/// PyErr_CheckSignals does nothing off the main thread, so a fit in another thread is not
/// interrupted (as Python's own signal handling).
bool python_signal_raised() {
  nb::gil_scoped_acquire acquire;
  if (PyErr_CheckSignals() == 0) return false;
  t_pending_signal = std::make_exception_ptr(nb::python_error());
  return true;
}

}  // namespace

Context make_context(std::string const& device, int threads, std::uint64_t seed) {
  ContextOptions options;
  options.device = DeviceRequest::parse(device);
  options.threads = threads;
  options.seed = seed;
  return kernels::open_context(options, std::make_shared<Logger>(LogLevel::kWarn));
}

InterruptScope python_interrupts() { return InterruptScope(python_signal_raised); }

void register_errors(nb::module_& m) {
  static nb::object device_error =
      nb::borrow(PyErr_NewException("cie._core.DeviceError", PyExc_RuntimeError, nullptr));
  m.attr("DeviceError") = device_error;
  nb::register_exception_translator([](std::exception_ptr const& error, void*) {
    try {
      std::rethrow_exception(error);
    } catch (Interrupted const& e) {
      std::exception_ptr const pending = std::exchange(t_pending_signal, nullptr);
      if (pending) {
        try {
          std::rethrow_exception(pending);
        } catch (nb::python_error& raised) {
          raised.restore();  // what the signal handler raised: KeyboardInterrupt for Ctrl-C
          return;
        }
      }
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
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
      "cie's engine: RFM, k-means, logistic regression, boosted trees, lifetime value and uplift "
      "models (the package cie wraps it)";
  m.attr("__version__") = CIE_VERSION;
  m.def("built_with_cuda", &cie::kernels::built_with_cuda,
        "Whether this build has the CUDA backend.");
  cie::python::register_errors(m);
  cie::python::bind_rfm(m);
  cie::python::bind_kmeans(m);
  cie::python::bind_logistic(m);
  cie::python::bind_gbdt(m);
  cie::python::bind_clv(m);
  cie::python::bind_uplift(m);
}
