"""A DuckDB peer for `cie rfm` (bench/compare): the same definitions as bench/rfm_pandas_peer.py,
in SQL.

The transactions are loaded into a table so that rowid is the file order: a customer's first
rowid orders customers by first appearance, which breaks ties in the ranks as pandas'
rank(method="first") does over its groupby(sort=False) result. Scores cut the ranks into 5
equal-count bins as pandas' qcut does (bin b holds ranks r with (b-1)/5 < (r-1)/(n-1) <= b/5,
in integer arithmetic); recency is reversed; the segment is the first matching TOML rule.

  python bench/rfm_duckdb_peer.py TRANSACTIONS.csv OUT.csv SEGMENTS.toml
"""

import sys
import tomllib

import duckdb


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def main(transactions, out, segments_path):
    table = tomllib.load(open(segments_path, "rb"))
    cases = []
    for rule in table["segment"]:
        terms = [f"{column} BETWEEN {rule[key][0]} AND {rule[key][1]}" for key, column in
                 (("recency", "r_score"), ("frequency", "f_score"), ("monetary", "m_score"))]
        cases.append(f"WHEN {' AND '.join(terms)} THEN {quote(rule['name'])}")
    segment = f"CASE {' '.join(cases)} ELSE {quote(table['fallback'])} END"

    def score(column):
        rank = f"row_number() OVER (ORDER BY {column}, first_row)"
        return f"greatest(1, (({rank} - 1) * 5 + (n - 2)) // (n - 1))"

    con = duckdb.connect()
    con.execute(f"""CREATE TABLE tx AS SELECT * FROM read_csv({quote(transactions)}, header = true,
                    columns = {{'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DOUBLE'}})""")
    con.execute(f"""
        COPY (
          WITH g AS (
            SELECT customer_id, min(rowid) AS first_row,
                   (SELECT max(date) FROM tx) + 1 - max(date) AS recency_days,
                   count(DISTINCT date) AS frequency, sum(amount) AS monetary_total
            FROM tx GROUP BY customer_id),
          s AS (
            SELECT *, 6 - {score('recency_days')} AS r_score, {score('frequency')} AS f_score,
                   {score('monetary_total')} AS m_score
            FROM g, (SELECT count(*) AS n FROM g))
          SELECT customer_id, recency_days, frequency, monetary_total, r_score, f_score, m_score,
                 {segment} AS segment
          FROM s ORDER BY first_row
        ) TO {quote(out)} (HEADER, DELIMITER ',')""")


if __name__ == "__main__":
    main(*sys.argv[1:4])
