#!/usr/bin/env bash
# ctest `python_package`: reinstalls the Python package cie from this tree into .venv (a no-op
# build when scripts/setup.sh has just installed it) and runs its pytest suite (python/tests)
# with the `cie` command given as $1 and the real data sets as $2.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pip install -q --disable-pip-version-check --no-build-isolation ./
CIE_BINARY="$1" CIE_DATA="$2" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}" \
  .venv/bin/python -m pytest -q -p no:cacheprovider python/tests
