"""A polars peer for `cie rfm` (bench/compare): the same definitions as bench/rfm_pandas_peer.py.

recency = days from the last purchase to the day after the last transaction of the file,
frequency = distinct purchase days, monetary = sum of amounts; each is ranked ascending with ties
in order of first appearance (rank "ordinal" over customers kept in first-appearance order) and
cut into 5 equal-count bins exactly as pandas' qcut(rank(method="first"), 5) does (bin b holds
ranks r with (b-1)/5 < (r-1)/(n-1) <= b/5, in integer arithmetic); recency is reversed. The
segment is the first rule of the TOML table that matches.

  python bench/rfm_polars_peer.py TRANSACTIONS.csv OUT.csv SEGMENTS.toml
"""

import sys
import tomllib

import polars as pl


def score_bin(rank, n):
    """pandas' qcut bin (1..5) of a 1-based rank among n values, in integer arithmetic."""
    return pl.max_horizontal(pl.lit(1, pl.Int64), ((rank - 1) * 5 + (n - 2)) // (n - 1))


def main(transactions, out, segments_path):
    tx = pl.read_csv(transactions, schema={"customer_id": pl.String, "date": pl.Date,
                                           "amount": pl.Float64})
    as_of = tx["date"].max()
    rfm = tx.group_by("customer_id", maintain_order=True).agg(
        last=pl.col("date").max(),
        frequency=pl.col("date").n_unique(),
        monetary_total=pl.col("amount").sum(),
    )
    n = rfm.height
    rfm = rfm.with_columns(
        recency_days=(pl.lit(as_of) - pl.col("last")).dt.total_days() + 1,
    ).with_columns(
        r_score=6 - score_bin(pl.col("recency_days").rank("ordinal").cast(pl.Int64), n),
        f_score=score_bin(pl.col("frequency").rank("ordinal").cast(pl.Int64), n),
        m_score=score_bin(pl.col("monetary_total").rank("ordinal").cast(pl.Int64), n),
    )
    table = tomllib.load(open(segments_path, "rb"))
    segment = pl.lit(table["fallback"])
    for rule in reversed(table["segment"]):
        match = pl.lit(True)
        for key, column in (("recency", "r_score"), ("frequency", "f_score"), ("monetary", "m_score")):
            low, high = rule[key]
            match = match & pl.col(column).is_between(low, high)
        segment = pl.when(match).then(pl.lit(rule["name"])).otherwise(segment)
    rfm = rfm.with_columns(segment=segment)
    rfm.select("customer_id", "recency_days", "frequency", "monetary_total", "r_score",
               "f_score", "m_score", "segment").write_csv(out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
