// What every binding of cie._core shares: the Context a call runs in, engine errors as Python
// exceptions, and numpy arrays that own the engine's result vectors.
//
// Every computation runs with the GIL released (nb::gil_scoped_release around the engine call)
// and can be interrupted by Ctrl-C (python_interrupts);
// arguments are checked and converted before, results wrapped after, with the GIL held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/interrupt.hpp"

namespace cie::python {

namespace nb = nanobind;

/// The Context of one call: device "auto" | "cpu" | "cuda" | "cuda:N" (as the CLI's --device),
/// threads (0 = all cores), seed. Warnings go to stderr as the CLI's do.
Context make_context(std::string const& device, int threads, std::uint64_t seed = 42);

/// Ctrl-C for the engine call in its scope (core/interrupt.hpp): the engine's loops run Python's
/// signal handlers between their steps, taking the GIL back for the moment; a handler's
/// exception (KeyboardInterrupt) stops the computation and is raised when the call returns.
/// Made right after the GIL is released, around the engine call.
InterruptScope python_interrupts();

/// Registers the translation of cie::Error into Python exceptions: usage and input-data errors
/// become ValueError, device errors RuntimeError, with the engine's message.
void register_errors(nb::module_& m);

/// A 1-D numpy array that owns `values` (moved, not copied).
template <typename T>
nb::ndarray<nb::numpy, T, nb::ndim<1>> to_numpy(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T, nb::ndim<1>>(owned->data(), {owned->size()}, owner);
}

/// A 2-D numpy array of rows × cols that owns `values`, which hold the matrix column-major
/// (Fortran order, as cie's matrices), without a copy.
template <typename T>
nb::ndarray<nb::numpy, T, nb::ndim<2>, nb::f_contig> to_numpy_f(std::vector<T>&& values,
                                                                std::size_t rows,
                                                                std::size_t cols) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T, nb::ndim<2>, nb::f_contig>(owned->data(), {rows, cols}, owner);
}

void bind_rfm(nb::module_& m);
void bind_kmeans(nb::module_& m);
void bind_logistic(nb::module_& m);
void bind_gbdt(nb::module_& m);
void bind_clv(nb::module_& m);
void bind_uplift(nb::module_& m);

}  // namespace cie::python
