"""Ctrl-C stops a running `cie` command cleanly: a SIGINT during `cie segment fit` (a fit that
would take many minutes) ends it within a k-means iteration with exit code 130 (128 + SIGINT, as
a shell reports it) and "cie: error: interrupted", writing no model file."""
import argparse
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    failures = []

    def check(condition, message):
        print(("ok   " if condition else "FAIL ") + message)
        if not condition:
            failures.append(message)

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as directory:
        tmp = pathlib.Path(directory)
        table = tmp / "features.csv"
        frame = pd.DataFrame(rng.normal(size=(100_000, 4)), columns=["a", "b", "c", "d"])
        frame.insert(0, "customer_id", range(1, len(frame) + 1))
        frame.to_csv(table, index=False)
        model = tmp / "model.json"
        command = [args.cie, "--threads", "1", "segment", "fit", "--input", str(table),
                   "--id-col", "customer_id", "--features", "a,b,c,d", "--k", "64",
                   "--n-init", "1000", "--tol", "0", "--model", str(model)]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        time.sleep(3.0)  # reading the table takes well under a second; then the fit runs
        check(child.poll() is None, "the fit is still running after 3 s")
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        try:
            _, stderr = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
        latency = time.monotonic() - sent
        check(child.returncode == 130, f"exit code 130 (got {child.returncode})")
        check("cie: error: interrupted" in stderr, f"the message says so: {stderr.strip()!r}")
        check(latency < 15.0, f"stopped {latency:.2f} s after SIGINT")
        check(not model.exists(), "no model file written")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
