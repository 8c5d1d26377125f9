"""Shared pieces of bench/compare: machine facts, timing, rounds, and the result rows.

A result row is a dict: task, case, tool, metric (what `value` measures), value (a median, or
None), unit, ratio (peer value / cie value, or cie value / peer value for rates, so > 1 always
means cie is faster; None for cie itself), quality (the check's verdict or a quality figure) and
status: "ok", "error: <reason>" (the peer failed to install or to run) or "MISMATCH: <what>"
(its output disagrees with cie's). Only rows with status "ok" carry a time.
"""

import datetime
import importlib.metadata
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_ERRORS = ROOT / "bench" / ".venv-compare" / "install-errors"
PEERS = ["numpy", "pandas", "polars", "duckdb", "scikit-learn", "faiss-cpu"]


def install_error(package):
    """The reason `package` did not install (written by bench/compare), or None."""
    path = VENV_ERRORS / package
    return f"failed to install: {path.read_text().strip()[-200:]}" if path.exists() else None


def peer_versions():
    versions = {}
    for package in PEERS:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = install_error(package) or "not installed"
    return versions


def _run_text(command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=30)
        return result.stdout.strip() if result.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_facts():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(int(line.split()[1]) for line in open("/proc/meminfo")
                   if line.startswith("MemTotal"))
    gpu = None
    if shutil.which("nvidia-smi"):
        gpu = _run_text(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                         "--format=csv,noheader"])
    dirty = _run_text(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "cpu": cpu,
        "gpu": gpu or "none",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _run_text(["git", "rev-parse", "--short", "HEAD"]) or "unknown",
        "tree_dirty": bool(dirty),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "load_average_start": os.getloadavg(),
    }


def timed_process(command):
    """(wall seconds, peak RSS MiB) of a command under /usr/bin/time -v; raises on failure."""
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()
        reason = next((line for line in reversed(tail) if "Error" in line or "error" in line),
                      tail[-1] if tail else "no output")
        raise RuntimeError(f"{pathlib.Path(command[0]).name} exit {result.returncode}: "
                           f"{reason[:200]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return seconds, rss_kib / 1024.0


def stopwatch(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def rounds(tools, repeats):
    """Runs every tool once per round, `repeats` rounds, rotating which tool goes first, so
    that a burst of load from other processes falls on all of them. `tools` maps a name to a
    callable returning a measurement; a tool that raises is dropped with its error. Returns
    ({name: [measurements]}, {name: "error: ..."})."""
    results = {name: [] for name in tools}
    errors = {}
    names = list(tools)
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            if name in errors:
                continue
            try:
                results[name].append(tools[name]())
            except Exception as error:  # a peer failing is a result to report, not a crash
                errors[name] = f"error: {type(error).__name__}: {str(error)[:200]}"
    return results, errors


def median(values):
    return statistics.median(values) if values else None


def row(task, case, tool, metric, value, unit, quality="", status="ok", ratio=None, **extra):
    return {"task": task, "case": case, "tool": tool, "metric": metric, "value": value,
            "unit": unit, "ratio": ratio, "quality": quality, "status": status, **extra}


def add_ratios(rows, higher_is_better=False):
    """Sets each row's ratio against the cie row of the same case and metric (> 1: cie faster)."""
    reference = {}
    for r in rows:
        key = (r["case"], r["metric"])
        if r["tool"].startswith("cie") and key not in reference:
            reference[key] = r["value"] if r["status"] == "ok" else None
    for r in rows:
        base = reference.get((r["case"], r["metric"]))
        if r["status"] != "ok" or not r["value"] or base is None or r["tool"].startswith("cie"):
            continue
        r["ratio"] = base / r["value"] if higher_is_better else r["value"] / base
    return rows
