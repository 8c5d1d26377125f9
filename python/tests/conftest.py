"""Fixtures of the cie package's tests: the `cie` command to compare with (CIE_BINARY, default
build/cie) and the real data sets (CIE_DATA, default ../shared/datasets/real). ctest's
`python_package` test sets both."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cie_binary() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("CIE_BINARY", ROOT / "build" / "cie"))
    if not path.is_file():
        pytest.fail(f"no cie command at {path}: build it (scripts/build.sh) or set CIE_BINARY")
    return path


@pytest.fixture(scope="session")
def data_dir() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("CIE_DATA", ROOT.parent / "shared" / "datasets" / "real"))
    if not path.is_dir():
        pytest.fail(f"no data sets at {path}: set CIE_DATA")
    return path


@pytest.fixture(scope="session")
def run_cie(cie_binary):
    def run(*args):
        result = subprocess.run([str(cie_binary), "--log-level", "error", *map(str, args)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"cie {' '.join(map(str, args))} failed "
                                 f"({result.returncode}): {result.stderr}")
        return result.stdout
    return run
