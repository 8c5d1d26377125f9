"""Ctrl-C during a long fit: the engine polls the Context's interrupt check between its steps
(k-means iterations and refinement passes, optimizer evaluations, boosting rounds); the
bindings' check runs Python's signal handlers, so the fit stops with KeyboardInterrupt within a
step, and the estimator is left unfitted."""
import _thread
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time
import traceback

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import cie

# Fits that take minutes if nothing stops them (one thread, so on any machine).
ROWS = 200_000


def long_kmeans():
    return cie.KMeans(64, n_init=1000, tol=0.0, threads=1)


def long_gbdt():
    return cie.GradientBoostingClassifier(n_estimators=100_000, num_leaves=63,
                                          min_samples_leaf=1, threads=1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.normal(size=(ROWS, 4)))
    y = (X[:, 0] + rng.normal(size=ROWS) > 0).astype(int)
    return X, y


def interrupted_fit(model, X, y, delay: float):
    """Fits with a simulated Ctrl-C (_thread.interrupt_main: SIGINT's Python handler) after
    `delay` seconds; returns the KeyboardInterrupt and the seconds from the signal to it. Should
    the fit go on, the signal is sent again every 20 s, so a missed one fails the latency bound
    instead of hanging the suite."""
    # Python's own SIGINT handler (KeyboardInterrupt): _thread.interrupt_main runs it.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.getsignal(
        signal.SIGINT)
    sent = []
    done = threading.Event()

    def ctrl_c():
        if done.wait(delay):
            return
        while not done.is_set() and len(sent) < 240:
            sent.append(time.monotonic())
            _thread.interrupt_main()
            done.wait(20.0)

    thread = threading.Thread(target=ctrl_c)
    thread.start()
    try:
        model.fit(X, y)
    except KeyboardInterrupt as error:
        caught = time.monotonic()
        return error, caught - sent[0]
    finally:
        done.set()
        thread.join()
    pytest.fail("the fit ended before the interrupt")


@pytest.mark.parametrize("make", [long_kmeans, long_gbdt], ids=["KMeans", "GBDT"])
def test_ctrl_c_stops_the_engine_and_leaves_the_estimator_unfitted(make, data):
    X, y = data
    model = make()
    error, latency = interrupted_fit(model, X, y, delay=1.0)
    # Raised from inside the engine call (the last Python frame is the call into cie._core),
    # not from Python code before or after it.
    assert "_core." in (traceback.extract_tb(error.__traceback__)[-1].line or "")
    assert latency < 10.0, f"{latency:.1f} s from Ctrl-C to KeyboardInterrupt"
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    assert not [name for name in vars(model) if name.endswith("_")]


def test_interrupted_refit_forgets_the_earlier_model(data):
    X, y = data
    model = cie.KMeans(3, threads=1).fit(X[:1000])
    assert hasattr(model, "model_file_")
    model.set_params(n_clusters=64, n_init=1000, tol=0.0)
    interrupted_fit(model, X, y, delay=1.0)
    with pytest.raises(NotFittedError):
        model.predict(X[:10])
    # Usable again afterwards, and the check never fires in a normal fit.
    model.set_params(n_clusters=3, n_init=1, tol=1e-4)
    assert model.fit(X[:1000]).labels_.shape == (1000,)


def test_sigint_to_a_process_in_a_fit(tmp_path):
    """A real SIGINT, as Ctrl-C in a terminal sends it, to a Python process inside KMeans.fit."""
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent(f"""
        import time
        import numpy as np
        import cie
        X = np.random.default_rng(0).normal(size=({ROWS}, 4))
        model = cie.KMeans(64, n_init=1000, tol=0.0, threads=1)
        print("fitting", flush=True)
        try:
            model.fit(X)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), hasattr(model, "model_file_"), flush=True)
    """))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                             cwd=pathlib.Path(__file__).parent)
    try:
        assert child.stdout.readline().strip() == "fitting"
        time.sleep(1.0)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    words = out.split()
    assert words[0] == "interrupted", out
    assert float(words[1]) - sent < 10.0
    assert words[2] == "False"
    assert child.returncode == 0
