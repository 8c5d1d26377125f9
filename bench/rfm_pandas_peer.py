"""The peer for `cie rfm`: the same task written the way a pandas user would.

Reads a transactions CSV (customer_id,date,amount), computes recency/frequency/monetary as of the
day after the last transaction, scores them with pd.qcut(rank(method="first"), 5) (recency
reversed), assigns the first matching segment of a TOML table and writes one row per customer.

  python bench/rfm_pandas_peer.py TRANSACTIONS.csv OUT.csv SEGMENTS.toml
"""

import sys
import tomllib

import numpy as np
import pandas as pd


def main(transactions, out, segments_path):
    tx = pd.read_csv(transactions, dtype={"customer_id": str}, engine="c")
    tx["date"] = pd.to_datetime(tx["date"], format="%Y-%m-%d")
    as_of = tx["date"].max() + pd.Timedelta(days=1)
    g = tx.groupby("customer_id", sort=False)
    rfm = pd.DataFrame({
        "recency_days": (as_of - g["date"].max()).dt.days,
        "frequency": g["date"].nunique(),
        "monetary_total": g["amount"].sum(),
    })
    rfm["r_score"] = pd.qcut(rfm["recency_days"].rank(method="first"), 5, labels=False) * -1 + 5
    rfm["f_score"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=False) + 1
    rfm["m_score"] = pd.qcut(rfm["monetary_total"].rank(method="first"), 5, labels=False) + 1
    table = tomllib.load(open(segments_path, "rb"))
    segment = np.full(len(rfm), table["fallback"], dtype=object)
    unassigned = np.ones(len(rfm), dtype=bool)
    for rule in table["segment"]:
        match = unassigned.copy()
        for key, column in (("recency", "r_score"), ("frequency", "f_score"), ("monetary", "m_score")):
            low, high = rule[key]
            match &= rfm[column].between(low, high).to_numpy()
        segment[match] = rule["name"]
        unassigned &= ~match
    rfm["segment"] = segment
    rfm.to_csv(out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
