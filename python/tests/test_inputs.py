"""Inputs: numpy float32/float64 in C or F order read without a copy where the engine's layout
allows (float64, F order: the engine reads the columns in place, proven by buffer address),
the GIL released while the engine computes, and type stubs shipped."""
import pathlib
import threading
import time

import numpy as np

import cie
from cie import _core


def test_f_ordered_float64_is_read_in_place():
    X = np.asfortranarray(np.random.default_rng(1).normal(size=(1000, 3)))
    assert _core.matrix_address(X) == X.ctypes.data
    C = np.ascontiguousarray(X)
    assert _core.matrix_address(C) != C.ctypes.data  # C order: copied into columns
    F32 = np.asfortranarray(X.astype(np.float32))
    assert _core.matrix_address(F32) != F32.ctypes.data  # widened to float64: a copy
    # A column slice of an F-ordered array is still F-contiguous: read in place too.
    sub = X[:, 1:]
    assert _core.matrix_address(sub) == sub.ctypes.data


def test_gil_is_released_while_fitting():
    rng = np.random.default_rng(2)
    X = np.asfortranarray(rng.normal(size=(200_000, 4)))
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    start = time.perf_counter()
    cie.KMeans(8, n_init=2, silhouette_limit=1000, threads=1).fit(X)
    elapsed = time.perf_counter() - start
    done.set()
    thread.join()
    during = [t for t in ticks if start <= t <= start + elapsed]
    # With the GIL held for the whole fit the ticker could not run at all.
    assert elapsed > 0.05 and len(during) >= 5, (elapsed, len(during))


def test_type_stubs_are_shipped():
    package = pathlib.Path(cie.__file__).parent
    stub = (package / "_core.pyi").read_text()
    assert "def rfm(" in stub and "def kmeans_fit(" in stub
    assert (package / "py.typed").exists()
