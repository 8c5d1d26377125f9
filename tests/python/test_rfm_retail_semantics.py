"""RFM semantics that a marketer relies on, checked on real data against pandas.

  * Tie-aware scores (the default) on CDNOW and UCI Online Retail: customers with equal values get
    equal scores; customers with equal (recency, frequency, monetary) get one segment; each cut
    between scores sits at the tie boundary nearest to its ideal position b*n/bins (the later one
    when two are equally near), computed from cie's own output; one-time buyers all score F = 1 and
    none is in a segment for repeat buyers.
  * Returns on Online Retail (--order-col InvoiceNo --cancel-prefix C): a return nets money but is
    never a purchase: no customer's last purchase, recency or frequency comes from a return, no
    repeat value is negative, customers with only returns are not scored and are counted.
  * Orders: frequency and transactions count distinct purchase invoices, monetary_mean is the net
    total per invoice; every column equals an independent pandas computation (test_rfm_pandas's
    pandas_rfm with orders).
"""

import argparse
import pathlib
import sys
import tempfile

import numpy as np
import pandas as pd

from test_rfm_pandas import (cdnow_transactions, compare, pandas_rfm, read_cie_output, run_cie)

RETAIL = pathlib.Path("online-retail") / "online_retail_2010-12-01_to_2011-01-27_recovered.csv"
REPEAT_SEGMENTS = {"Loyal Customers", "Potential Loyalist", "At Risk", "Need Attention",
                   "Champions", "Can't Lose Them"}


def check_tie_aware(name, ours, bins=5):
    """Checks cie's scores against the documented rule using only cie's output."""
    failures = 0
    n = len(ours)
    for score, column, low in [("r_score", "recency_days", True), ("f_score", "frequency", False),
                               ("m_score", "monetary_total", False)]:
        per_value = ours.groupby(column)[score].nunique()
        if (per_value > 1).any():
            failures += 1
            print(f"{name}: {(per_value > 1).sum()} values of {column} have several {score}s")
        goodness = -ours[column] if low else ours[column]
        ordered = np.sort(goodness.to_numpy() + 0.0)
        boundaries = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        sizes = [int((ours[score] == s).sum()) for s in range(1, bins + 1)]
        for b in range(1, bins):
            cut = int((ours[score] <= b).sum())
            distance = np.abs(boundaries * bins - b * n)
            nearest = boundaries[np.flatnonzero(distance == distance.min()).max()]
            if cut != nearest:
                failures += 1
                print(f"{name}: {score} cut {b} after {cut} customers; the nearest tie boundary "
                      f"to {b * n / bins:.1f} is {nearest}")
        print(f"{name}: {score} bin sizes {sizes} (ideal {n / bins:.1f} each)")
    same_cell = ours.groupby(["recency_days", "frequency", "monetary_total"])["segment"].nunique()
    if (same_cell > 1).any():
        failures += 1
        print(f"{name}: {(same_cell > 1).sum()} identical (R, F, M) groups split across segments")
    one_time = ours[ours["frequency"] == 1]
    if (one_time["f_score"] != 1).any() or one_time["segment"].isin(REPEAT_SEGMENTS).any():
        failures += 1
        print(f"{name}: one-time buyers with F > 1 or in a repeat-buyer segment")
    print(f"{name}: tie-aware scores: {'as documented' if failures == 0 else 'VIOLATED'} "
          f"({n} customers, {len(one_time)} one-time buyers)")
    return failures


def check_cdnow_ties(cie, data, work):
    out = work / "cdnow.csv"
    run_cie(cie, ["--transactions", str(data / "cdnow" / "CDNOW_master.txt"),
                  "--delimiter", "whitespace", "--amount-col", "dollar_value", "--out", str(out)])
    return check_tie_aware("CDNOW", read_cie_output(out))


def retail_transactions(data):
    raw = pd.read_csv(data / RETAIL, dtype={"CustomerID": str, "InvoiceNo": str, "StockCode": str},
                      keep_default_na=False, float_precision="round_trip")
    raw = raw[raw["CustomerID"] != ""]
    amount = raw["Quantity"].astype(float) * raw["UnitPrice"].astype(float)
    cancelled = raw["InvoiceNo"].str.startswith("C")
    amount = amount.where(~cancelled, -amount.abs())
    return pd.DataFrame({"customer_id": raw["CustomerID"],
                         "ts": pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S"),
                         "amount": amount, "order": raw["InvoiceNo"]})


def check_retail_orders_and_returns(cie, data, work):
    out = work / "retail_orders.csv"
    summary = run_cie(cie, ["--transactions", str(data / RETAIL), "--id-col", "CustomerID",
                            "--date-col", "InvoiceDate", "--quantity-col", "Quantity",
                            "--price-col", "UnitPrice", "--order-col", "InvoiceNo",
                            "--cancel-prefix", "C", "--bad-rows", "skip", "--out", str(out)])
    ours = read_cie_output(out)
    tx = retail_transactions(data)
    as_of = tx["ts"].max().normalize() + pd.Timedelta(days=1)
    expected, return_only = pandas_rfm(tx, as_of, orders=True)
    failures = compare("Online Retail by invoice", ours, expected)
    failures += check_tie_aware("Online Retail by invoice", ours)

    is_return = np.signbit(tx["amount"].to_numpy())
    last_row = tx.sort_values("ts", kind="stable").groupby("customer_id").tail(1)
    last_is_return = set(last_row.loc[np.signbit(last_row["amount"].to_numpy()), "customer_id"])
    purchasers = set(tx.loc[~is_return, "customer_id"])
    only_returns = set(tx["customer_id"]) - purchasers
    last_purchase = tx[~is_return].groupby("customer_id")["ts"].max().dt.strftime("%Y-%m-%d")
    ours_by_id = ours.set_index("customer_id")
    scored_by_return = [c for c in last_is_return & purchasers
                        if ours_by_id.at[c, "last_purchase"] != last_purchase[c]]
    cancelled = int(tx["order"].str.startswith("C").sum())
    checks = [
        ("customers whose last activity is a return are scored by their last purchase",
         not scored_by_return),
        ("no negative mean repeat value", (ours["mean_repeat_value"] >= 0).all()),
        ("customers with only returns are not scored", not (only_returns & set(ours["customer_id"]))),
        ("the summary counts them", f"return-only customers {len(only_returns):>4}" in summary
         and len(only_returns) == return_only),
        ("the summary counts cancelled lines", f"cancelled rows {cancelled:>11}" in summary),
        ("frequency = transactions = distinct purchase invoices",
         (ours["frequency"] == ours["transactions"]).all()),
    ]
    for text, ok in checks:
        if not ok:
            failures += 1
            print(f"Online Retail: FAILED: {text}")
    lines = tx[(tx["customer_id"] == "17850") & ~is_return]
    row = ours_by_id.loc["17850"]
    print(f"Online Retail: {len(last_is_return)} customers end on a return "
          f"({len(last_is_return & purchasers)} scored by their last purchase), "
          f"{len(only_returns)} only returned goods (not scored), {cancelled} cancelled lines; "
          f"customer 17850: {len(lines)} purchase lines, {row['transactions']} invoices, "
          f"mean {row['monetary_mean']:.2f} per invoice")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        checks = [check_cdnow_ties, check_retail_orders_and_returns]
        failed = sum(1 for check in checks if check(args.cie, args.data, work) > 0)
    print(f"{len(checks) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
