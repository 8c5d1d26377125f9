#!/usr/bin/env bash
# The main job on an embedded default: sets up, builds, generates customers with `cie gen` and
# runs RFM on them, printing the segment summary. CUSTOMERS (default 100000) and SEED (default 42)
# change the generated data; outputs go to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
customers="${CUSTOMERS:-100000}"
seed="${SEED:-42}"
build/cie gen --customers "$customers" --seed "$seed" --out out/demo
build/cie rfm --transactions out/demo/transactions.csv --out out/demo/customers_rfm.csv
