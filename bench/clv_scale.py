"""cie.clv alone at scale: BG/NBD + Gamma-Gamma fit and predictions (52-week expected purchases,
P(alive), expected spend, 12-month CLV) in process on a lifetimes summary CSV (`cie rfm
--time-unit weeks --returns exclude` of `cie gen` customers), repeated --copies times: copy k's T
is k days longer (t_x unchanged), so the copies are distinct customers with distinct
(x, t_x, T) rows, not duplicates the fit would collapse. Prints CPU and wall seconds of each step
and the peak RSS. Needs `import cie` to find the package; one thread by default (--threads).

  .venv/bin/python bench/clv_scale.py SUMMARY.csv --copies 1 10
"""
import argparse
import resource
import time

import numpy as np
import pandas as pd

from cie.clv import BetaGeo, GammaGamma


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("summary")
    parser.add_argument("--copies", type=int, nargs="+", default=[1])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    s = pd.read_csv(args.summary, usecols=["repeat_frequency", "repeat_recency", "T",
                                            "mean_repeat_value"])
    base = [s[c].to_numpy(float) for c in ["repeat_frequency", "repeat_recency", "T",
                                            "mean_repeat_value"]]
    print("| customers | BG/NBD fit | Gamma-Gamma fit | predictions | total CPU s (wall) | "
          "distinct (x, t_x, T) | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for copies in args.copies:
        x, tx, m = (np.tile(c, copies) for c in (base[0], base[1], base[3]))
        T = np.concatenate([base[2] + k / 7.0 for k in range(copies)])
        rep = (x > 0) & (m > 0)
        m0 = np.where(rep, m, 0.0)
        marks = [(time.process_time(), time.perf_counter())]
        bgf = BetaGeo(threads=args.threads).fit(x, tx, T)
        marks.append((time.process_time(), time.perf_counter()))
        ggf = GammaGamma(threads=args.threads).fit(x[rep], m[rep])
        marks.append((time.process_time(), time.perf_counter()))
        bgf.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T)
        bgf.conditional_probability_alive(x, tx, T)
        ggf.conditional_expected_average_profit(x, m0)
        ggf.customer_lifetime_value(bgf, x, tx, T, m0, time=12, discount_rate=0.01)
        marks.append((time.process_time(), time.perf_counter()))
        cpu = [marks[i + 1][0] - marks[i][0] for i in range(3)]
        wall = marks[-1][1] - marks[0][1]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {len(x):,} | {cpu[0]:.2f} s ({bgf.n_iter_} it.) | {cpu[1]:.2f} s "
              f"({ggf.n_iter_} it.) | {cpu[2]:.2f} s | {sum(cpu):.2f} s ({wall:.2f} s) | "
              f"{bgf.n_rows_:,} | {rss:.0f} MiB |", flush=True)


if __name__ == "__main__":
    main()
