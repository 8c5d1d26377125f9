"""RFM from `cie rfm` against an independent pandas computation on real public data.

Checks, exactly (integers and dates equal, monetary values equal as doubles, scores and segment
names equal):
  * CDNOW master (69,659 rows, whitespace-separated, YYYYMMDD dates), with the default tie-aware
    scores and with `--ties first`;
  * UCI Online Retail, partial (quantity x unit price, date-times, rows with no CustomerID
    rejected and counted, returns netted into money but not counted as purchases);
and the lifetimes-style summary of the CDNOW sample over the 39-week calibration period ending
1997-09-30 against cdnow_customers_summary.csv and ..._with_transactions.csv (published to two
decimals) for all 2,357 customers.

The pandas side: groupby aggregates over purchases (rows whose amount has no sign bit) with
money summed over all rows; `--ties first` scores are the common recipe
pd.qcut(x.rank(method="first"), 5) with recency reversed; tie-aware scores put each cut at the
tie boundary nearest to b*n/bins, found by brute force over all boundaries (see tie_aware_scores);
segments are the first matching rule of datasets/rfm_segments_5.toml. It shares no code with cie.
"""

import argparse
import math
import pathlib
import subprocess
import sys
import tempfile
import tomllib

import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_cie(cie, args):
    result = subprocess.run([cie, "--log-level", "warn", "rfm", *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cie rfm failed ({result.returncode}): {result.stderr}")
    return result.stdout


def read_cie_output(path):
    return pd.read_csv(path, dtype={"customer_id": str}, float_precision="round_trip",
                       keep_default_na=False)


def tie_aware_scores(values, bins, low_is_best):
    """The documented tie-aware rule, by brute force: order worst to best; the boundaries are the
    sorted positions 0 < p < n where the value changes; cut b (1..bins-1) is the boundary nearest
    to b*n/bins, the later one when two are equally near; a value scores 1 + the number of cuts at
    or before the sorted position of its first equal. No boundary: every value scores 1."""
    v = (-np.asarray(values, dtype=float) if low_is_best else np.asarray(values, dtype=float)) + 0.0
    ordered = np.sort(v, kind="stable")
    n = len(v)
    boundaries = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    cuts = []
    for b in range(1, bins):
        if len(boundaries) == 0:
            cuts.append(n)
            continue
        distance = np.abs(boundaries * bins - b * n)
        cuts.append(boundaries[np.flatnonzero(distance == distance.min()).max()])
    first_equal = np.searchsorted(ordered, v, side="left")
    return 1 + (first_equal[:, None] >= np.array(cuts)[None, :]).sum(axis=1)


def first_scores(values, bins, low_is_best):
    labels = list(range(bins, 0, -1)) if low_is_best else list(range(1, bins + 1))
    return pd.qcut(values.rank(method="first"), bins, labels=labels).astype(int).to_numpy()


def segment_names(out, table_path=ROOT / "datasets" / "rfm_segments_5.toml"):
    table = tomllib.loads(pathlib.Path(table_path).read_text())

    def segment(row):
        for rule in table["segment"]:
            if (rule["recency"][0] <= row.r_score <= rule["recency"][1]
                    and rule["frequency"][0] <= row.f_score <= rule["frequency"][1]
                    and rule["monetary"][0] <= row.m_score <= rule["monetary"][1]):
                return rule["name"]
        return table["fallback"]

    return [segment(row) for row in out.itertuples()]


def fsum(s):
    return math.fsum(s.to_list())


def pandas_rfm(tx, as_of, ties="equal", orders=False, bins=5):
    """tx: customer_id (str), ts (datetime64), amount (float), optionally order (str), in file
    order. Returns the RFM table and the number of customers with only returns."""
    tx = tx.copy()
    tx["day"] = tx["ts"].dt.normalize()
    appearance = tx["customer_id"].drop_duplicates()  # customer order: first appearance
    tx = tx[tx["day"] < as_of]
    purchase = ~np.signbit(tx["amount"].to_numpy())
    purchases = tx[purchase]
    g = purchases.groupby("customer_id", sort=False)
    out = pd.DataFrame({
        "last": g["day"].max(),
        "first": g["day"].min(),
        "days": g["day"].nunique(),
        "transactions": g["order"].nunique() if orders else g.size(),
    })
    out = out.reindex([c for c in appearance if c in out.index])
    return_only = tx["customer_id"].nunique() - len(out)
    # Amounts summed exactly, then rounded once (cie sums with compensation in time order).
    out["monetary_total"] = tx.groupby("customer_id")["amount"].agg(fsum).reindex(out.index)
    out["returns"] = tx[~purchase].groupby("customer_id").size().reindex(out.index).fillna(0).astype(int)
    out["frequency"] = out["transactions"] if orders else out["days"]
    out["recency_days"] = (as_of - out["last"]).dt.days
    out["tenure_days"] = (as_of - out["first"]).dt.days
    out["monetary_mean"] = out["monetary_total"] / out["transactions"]
    day_totals = purchases.groupby(["customer_id", "day"], sort=False)["amount"].agg(fsum).reset_index()
    day_totals = day_totals.sort_values(["customer_id", "day"], kind="stable")
    day_totals["is_first"] = ~day_totals.duplicated("customer_id")
    repeat = day_totals[~day_totals["is_first"]].groupby("customer_id")["amount"].agg(fsum)
    out["repeat_frequency"] = out["days"] - 1
    out["mean_repeat_value"] = (repeat.reindex(out.index).fillna(0.0)
                                / out["repeat_frequency"].where(out["repeat_frequency"] > 0, 1))
    out["repeat_recency"] = (out["last"] - out["first"]).dt.days.astype(float)
    out["T"] = ((as_of - pd.Timedelta(days=1)) - out["first"]).dt.days.astype(float)

    for score, column, low in [("r_score", "recency_days", True), ("f_score", "frequency", False),
                               ("m_score", "monetary_total", False)]:
        out[score] = (tie_aware_scores(out[column].to_numpy(), bins, low) if ties == "equal"
                      else first_scores(out[column], bins, low))
    out["segment"] = segment_names(out)
    out["first_purchase"] = out["first"].dt.strftime("%Y-%m-%d")
    out["last_purchase"] = out["last"].dt.strftime("%Y-%m-%d")
    out.index.name = "customer_id"
    return out.reset_index(), return_only


COLUMNS_EXACT = ["customer_id", "recency_days", "frequency", "transactions", "returns",
                 "monetary_total",
                 "monetary_mean", "first_purchase", "last_purchase", "tenure_days",
                 "repeat_frequency", "repeat_recency", "T", "mean_repeat_value", "r_score",
                 "f_score", "m_score", "segment"]


def compare(name, ours, expected):
    failures = 0
    if len(ours) != len(expected):
        print(f"{name}: {len(ours)} customers from cie, {len(expected)} from pandas")
        return 1
    for column in COLUMNS_EXACT:
        a = ours[column].to_numpy()
        b = expected[column].to_numpy()
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            equal = a.astype(float) == b.astype(float)
        else:
            equal = a.astype(str) == b.astype(str)
        bad = np.flatnonzero(~equal)
        if len(bad):
            failures += 1
            i = bad[0]
            print(f"{name}: column {column}: {len(bad)} of {len(a)} differ; first at row {i}: "
                  f"cie {a[i]!r} vs pandas {b[i]!r}")
    cell = ours["r_score"] * 100 + ours["f_score"] * 10 + ours["m_score"]
    if not (cell == ours["rfm_cell"]).all():
        failures += 1
        print(f"{name}: rfm_cell is not R*100 + F*10 + M")
    print(f"{name}: {len(ours)} customers, {len(COLUMNS_EXACT)} columns compared, "
          f"{'all equal' if failures == 0 else f'{failures} columns differ'}")
    return failures


def cdnow_transactions(data):
    raw = pd.read_csv(data / "cdnow" / "CDNOW_master.txt", sep=r"\s+",
                      dtype={"customer_id": str, "date": str})
    return pd.DataFrame({"customer_id": raw["customer_id"],
                         "ts": pd.to_datetime(raw["date"], format="%Y%m%d"),
                         "amount": raw["dollar_value"].astype(float)})


def check_cdnow_master(cie, data, work):
    path = data / "cdnow" / "CDNOW_master.txt"
    tx = cdnow_transactions(data)
    as_of = tx["ts"].max().normalize() + pd.Timedelta(days=1)
    failures = 0
    for ties in ["equal", "first"]:
        out = work / f"cdnow_{ties}.csv"
        run_cie(cie, ["--transactions", str(path), "--delimiter", "whitespace",
                      "--amount-col", "dollar_value", "--ties", ties, "--out", str(out)])
        expected, _ = pandas_rfm(tx, as_of, ties=ties)
        failures += compare(f"CDNOW master, --ties {ties}", read_cie_output(out), expected)
    return failures


def check_online_retail(cie, data, work):
    path = data / "online-retail" / "online_retail_2010-12-01_to_2011-01-27_recovered.csv"
    out = work / "retail.csv"
    summary = run_cie(cie, ["--transactions", str(path), "--id-col", "CustomerID",
                            "--date-col", "InvoiceDate", "--quantity-col", "Quantity",
                            "--price-col", "UnitPrice", "--bad-rows", "skip", "--out", str(out)])
    raw = pd.read_csv(path, dtype={"CustomerID": str, "InvoiceNo": str, "StockCode": str},
                      keep_default_na=False, float_precision="round_trip")
    missing_id = (raw["CustomerID"] == "").sum()
    failures = 0
    if f"rejected rows {missing_id:>12}" not in summary:
        print(f"Online Retail: expected {missing_id} rejected rows in the summary:\n{summary}")
        failures += 1
    raw = raw[raw["CustomerID"] != ""]
    tx = pd.DataFrame({"customer_id": raw["CustomerID"],
                       "ts": pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S"),
                       "amount": raw["Quantity"].astype(float) * raw["UnitPrice"].astype(float)})
    as_of = tx["ts"].max().normalize() + pd.Timedelta(days=1)
    expected, return_only = pandas_rfm(tx, as_of)
    if f"return-only customers {return_only:>4}" not in summary:
        print(f"Online Retail: expected {return_only} return-only customers in the summary:\n{summary}")
        failures += 1
    return failures + compare("Online Retail", read_cie_output(out), expected)


def check_cdnow_calibration_summary(cie, data, work):
    out = work / "cdnow_sample.csv"
    # Sample file: master id, sample id, date, CDs, dollars; no header.
    run_cie(cie, ["--transactions", str(data / "cdnow" / "CDNOW_sample.txt"), "--no-header",
                  "--delimiter", "whitespace", "--id-col", "2", "--date-col", "3",
                  "--amount-col", "5", "--as-of", "1997-10-01", "--time-unit", "weeks",
                  "--out", str(out)])
    ours = read_cie_output(out)
    ours["customer_id"] = ours["customer_id"].str.lstrip("0")  # the file pads sample ids: 0001
    ours = ours.set_index("customer_id")
    reference = pd.read_csv(data / "cdnow" / "cdnow_customers_summary.csv", dtype={"ID": str})
    with_value = pd.read_csv(data / "cdnow" / "cdnow_customers_summary_with_transactions.csv",
                             dtype={"ID": str})
    reference = reference.merge(with_value[["ID", "zbar"]], on="ID").set_index("ID")
    failures = 0
    if len(reference) != 2357 or set(reference.index) != set(ours.index):
        print(f"CDNOW summary: {len(ours)} customers from cie, {len(reference)} in the reference")
        return 1
    ours = ours.loc[reference.index]
    checks = [("frequency", ours["repeat_frequency"], reference["frequency"], 0.0),
              ("recency", ours["repeat_recency"], reference["recency"], 0.005 + 1e-9),
              ("T", ours["T"], reference["T"], 0.005 + 1e-9),
              ("zbar", ours["mean_repeat_value"], reference["zbar"], 0.005 + 1e-9)]
    for name, a, b, tolerance in checks:
        bad = (a - b).abs() > tolerance
        if bad.any():
            failures += 1
            first = bad.idxmax()
            print(f"CDNOW summary: {name}: {bad.sum()} of {len(a)} customers differ; first ID "
                  f"{first}: cie {a[first]} vs published {b[first]}")
    print(f"CDNOW calibration summary: {len(reference)} customers, frequency exact, recency, T and "
          f"zbar to the published two decimals: {'all match' if failures == 0 else 'MISMATCH'}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        checks = [check_cdnow_master, check_online_retail, check_cdnow_calibration_summary]
        failed = sum(1 for check in checks if check(args.cie, args.data, work) > 0)
    print(f"{len(checks) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
