"""Synthetic input of `cie offers assign` for bench/offers_scale.sh: N customers with five
propensity columns, a CLV, a segment and opt-out flags; a catalogue of M offers over three
channels with binding volumes, offer budgets, a channel capacity and an overall budget; a
contact history of N/2 contacts over the last 60 days. Written in chunks (numpy), seeded.

    python bench/offers_data.py --customers 10000000 --offers 20 --out DIR
"""

import argparse
import pathlib

import numpy as np

CHUNK = 1_000_000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = args.customers
    rng = np.random.default_rng(args.seed)
    segments = np.array(["Champions", "Loyal", "At Risk", "New"])
    with open(out / "customers.csv", "w") as f:
        f.write("customer_id,segment,clv,do_not_contact,sms_opt_out,p0,p1,p2,p3,p4\n")
        for first in range(0, n, CHUNK):
            m = min(CHUNK, n - first)
            ids = np.char.add("C", np.char.zfill(np.arange(first + 1, first + m + 1).astype(str), 9))
            cols = [ids, segments[rng.integers(0, 4, m)],
                    np.char.mod("%.2f", rng.gamma(2.0, 40.0, m)),
                    (rng.random(m) < 0.03).astype(int).astype(str),
                    (rng.random(m) < 0.2).astype(int).astype(str)]
            cols += [np.char.mod("%.5f", rng.beta(1.2, 12.0, m)) for _ in range(5)]
            rows = cols[0]
            for c in cols[1:]:
                rows = np.char.add(np.char.add(rows, ","), c)
            f.write("\n".join(rows.tolist()))
            f.write("\n")
    channels = ["email", "sms", "mail"]
    lines = ["seed = 2026", "max_contacts_per_run = 2", "min_days_between = 2",
             "opt_out_column = \"do_not_contact\"", f"budget = {n * 0.12:.1f}",
             "[[window]]", "days = 7", "max_contacts = 2", "[[window]]", "days = 30",
             "max_contacts = 4", "[[channel]]", "name = \"email\"", "[[channel]]",
             "name = \"sms\"", f"capacity = {n // 12}", "opt_out_column = \"sms_opt_out\"",
             "window_days = 30", "max_contacts = 1", "[[channel]]", "name = \"mail\"",
             "[[segment_limit]]", "column = \"segment\"", "levels = [\"At Risk\"]",
             "max_contacts_per_run = 1", "[[pair]]", "offers = [\"o0\", \"o1\"]", "days = 14"]
    for k in range(args.offers):
        channel = channels[k % 3]
        cost = {"email": 0.02, "sms": 0.15, "mail": 0.9}[channel]
        lines += ["[[offer]]", f"name = \"o{k}\"", f"channel = \"{channel}\"", f"cost = {cost}",
                  f"response_column = \"p{k % 5}\""]
        lines += ["value_column = \"clv\""] if k % 2 == 0 else [f"value = {10.0 + 4 * k}"]
        lines += [f"max_volume = {n // (8 + k % 5)}", f"control_share = {0.05 * (k % 3)}"]
        if channel == "mail":
            lines += [f"budget = {n * 0.9 * 0.02:.1f}"]
        if k % 4 == 1:
            lines += ["eligible = [{ column = \"segment\", levels = [\"Champions\", \"Loyal\"] }]"]
    (out / "offers.toml").write_text("\n".join(lines) + "\n")
    with open(out / "contacts.csv", "w") as f:
        f.write("customer_id,date,channel,offer\n")
        h = n // 2
        for first in range(0, h, CHUNK):
            m = min(CHUNK, h - first)
            ids = np.char.add("C", np.char.zfill(rng.integers(1, n + 1, m).astype(str), 9))
            days = (np.datetime64("2026-03-31") - rng.integers(0, 60, m)).astype(str)
            k = rng.integers(0, args.offers, m)
            ch = np.array(channels)[k % 3]
            rows = np.char.add(np.char.add(np.char.add(np.char.add(ids, ","), days), ","), ch)
            rows = np.char.add(np.char.add(rows, ",o"), k.astype(str))
            f.write("\n".join(rows.tolist()))
            f.write("\n")


if __name__ == "__main__":
    main()
