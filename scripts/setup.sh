#!/usr/bin/env bash
# Installs what cie needs on a Debian 12 machine, idempotently: the compiler tool chain and
# libraries from Debian's packages, and a Python virtual environment (.venv) with the peers the
# tests and benchmarks compare against, from PyPI. Safe to run again: it installs only what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  build-essential cmake ninja-build ccache pkg-config time python3-venv
  libeigen3-dev libcli11-dev libfmt-dev libtomlplusplus-dev libfast-float-dev
  libxxhash-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libssl-dev
  clang-format-14 python3-dev libboost-context-dev
)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python_packages=(numpy==2.1.3 pandas==2.2.3 scikit-learn==1.9.1 faiss-cpu==1.15.1 scipy==1.17.1
                 statsmodels==0.14.6 scikit-uplift==0.5.1 xgboost==3.2.0 lightgbm==4.7.0
                 highspy==1.16.0 xxhash==3.6.0 nanobind==3.1.0 scikit-build-core==1.1.2
                 polars==2.1.0 pyarrow==26.0.1 pytest==9.2.0)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Installs when any pinned version is missing (pip check of the exact pins is cheap and offline).
if ! .venv/bin/pip show -q "${python_packages[@]%%==*}" >/dev/null 2>&1 ||
   ! .venv/bin/python - "${python_packages[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(any(version(p.split("==")[0]) != p.split("==")[1] for p in sys.argv[1:]))
PY
  echo "setup: installing ${python_packages[*]} into .venv"
  .venv/bin/pip install -q --disable-pip-version-check "${python_packages[@]}"
fi
# The Python package cie (python/, pyproject.toml): the same CMake project builds its extension
# module in build-python/ (kept, so a reinstall rebuilds only what changed) with the pinned
# nanobind and scikit-build-core above, and installs it into .venv.
echo "setup: installing the Python package cie into .venv (build-python/)"
.venv/bin/pip install -q --disable-pip-version-check --no-build-isolation ./
