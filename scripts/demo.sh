#!/usr/bin/env bash
# The main job on an embedded default: sets up, builds, generates customers with `cie gen`,
# trains a response model on their past campaign (`cie rfm` + `cie propensity train`), then runs
# the nightly pipeline `cie run datasets/nightly.toml` (RFM, k-means segments refitted nightly,
# propensity scores, customer lifetime value) and prints its summary. CUSTOMERS (default 100000) and SEED (default 42)
# change the generated data; inputs go to out/demo/, the published outputs to out/nightly/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
customers="${CUSTOMERS:-100000}"
seed="${SEED:-42}"
cie=build/cie
$cie gen --customers "$customers" --seed "$seed" --out out/demo
$cie --log-level warn rfm --transactions out/demo/transactions.csv --as-of 2026-01-01 \
  --out out/demo/rfm.csv >/dev/null
$cie --log-level warn propensity train --table out/demo/campaign.csv \
  --table out/demo/customers.csv --table out/demo/rfm.csv --target responded \
  --features recency_days,frequency,monetary_total,age,region,channel,email_opt_in \
  --transforms recency_days=log1p,frequency=log1p,monetary_total=floor:0+log1p \
  --model out/demo/response_model.json --report out/demo/response_report.json | grep -E "^propensity|ROC AUC"
$cie --log-level warn clv fit --transactions out/demo/transactions.csv \
  --calibration-end 2025-12-31 --spend gamma-gamma --model out/demo/clv_model.json >/dev/null
$cie run datasets/nightly.toml
