"""`cie offers assign` against the LP optimum from HiGHS (highspy 1.16.0) and an independent
constraint checker (offers_check.py).

On generated instances of up to 10,000 customers x 10 offers (three channels, propensity and
value columns, eligibility by segment and score, opt-outs, control groups, a contact history
with sliding windows, a minimum gap, a channel window and a pair rule, and binding offer
capacities, offer budgets, a channel capacity and an overall budget):
  * offers_check.py finds no violated rule in any output of cie (and does find the ones planted
    in a corrupted copy, so the checker can fail);
  * cie's total expected value is within 0.5% of the LP optimum of the same instance, built
    from the checker's own reading of the rules (not from cie), and cie's dual bound is not
    below that optimum;
  * the same run twice gives the same file; control groups are the same on a second night with
    another as-of date and a longer history, and never contacted.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import highspy
import numpy as np
import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import offers_check  # noqa: E402

FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def cie_run(cie, *args, expect=0):
    result = subprocess.run([cie, "--log-level", "warn", *map(str, args)], capture_output=True,
                            text=True)
    if result.returncode != expect:
        sys.exit(f"cie {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr}")
    return result


def make_instance(directory, customers, offers, seed, as_of="2026-03-31"):
    rng = np.random.default_rng(seed)
    ids = [f"k{seed}-{i:05d}" for i in rng.permutation(customers)]
    table = {"customer_id": ids,
             "segment": rng.choice(["Champions", "Loyal", "At Risk", "New"], customers),
             "clv": np.round(rng.gamma(2.0, 40.0, customers), 2),
             "do_not_contact": (rng.random(customers) < 0.03).astype(int),
             "sms_opt_out": (rng.random(customers) < 0.2).astype(int)}
    for k in range(offers):
        table[f"p{k}"] = np.round(rng.beta(1.2, 12.0, customers), 5)
    pd.DataFrame(table).to_csv(directory / "customers.csv", index=False)
    channels = ["email", "sms", "mail"]
    lines = [f"seed = {seed}", "max_contacts_per_run = 2", "min_days_between = 2",
             "opt_out_column = \"do_not_contact\"", f"budget = {customers * 0.12:.1f}",
             "[[window]]", "days = 7", "max_contacts = 2",
             "[[window]]", "days = 30", "max_contacts = 4",
             "[[channel]]", "name = \"email\"",
             "[[channel]]", "name = \"sms\"", f"capacity = {customers // 12}",
             "opt_out_column = \"sms_opt_out\"", "window_days = 30", "max_contacts = 1",
             "[[channel]]", "name = \"mail\"",
             "[[segment_limit]]", "column = \"segment\"", "levels = [\"At Risk\"]",
             "max_contacts_per_run = 1",
             "[[pair]]", "offers = [\"o0\", \"o1\"]", "days = 14"]
    for k in range(offers):
        channel = channels[k % 3]
        cost = {"email": 0.02, "sms": 0.15, "mail": 0.9}[channel]
        lines += ["[[offer]]", f"name = \"o{k}\"", f"channel = \"{channel}\"", f"cost = {cost}",
                  f"response_column = \"p{k}\""]
        lines += ["value_column = \"clv\""] if k % 2 == 0 else [f"value = {10.0 + 4 * k}"]
        lines += [f"max_volume = {customers // (4 + k % 3)}",
                  f"control_share = {0.05 * (k % 3)}"]
        if channel == "mail":
            lines += [f"budget = {customers * 0.9 * 0.05:.1f}"]
        if k % 4 == 1:
            lines += ["eligible = [{ column = \"segment\", levels = [\"Champions\", \"Loyal\"] }]"]
        if k % 4 == 3:
            lines += [f"eligible = [{{ column = \"p{k}\", min = 0.05 }}]"]
    (directory / "offers.toml").write_text("\n".join(lines) + "\n")
    end = offers_check.day_number(as_of)
    rows = []
    for cid in rng.choice(ids, customers // 2):
        d = end - int(rng.integers(0, 60))
        k = int(rng.integers(0, offers))
        date = str(np.datetime64("1970-01-01") + np.timedelta64(d, "D"))
        rows.append((cid, date, channels[k % 3], f"o{k}"))
    pd.DataFrame(rows, columns=["customer_id", "date", "channel", "offer"]).to_csv(
        directory / "contacts.csv", index=False)


def lp_optimum(directory, as_of, inputs=None):
    """The LP optimum of an instance (directory's files, or inputs = (customers, catalog,
    history) as offers_check.read_inputs returns them)."""
    customers, catalog, history = inputs or offers_check.read_inputs(
        directory / "customers.csv", directory / "offers.toml", directory / "contacts.csv")
    rules, pairs, channels = offers_check.policy(customers, catalog, history,
                                                 offers_check.day_number(as_of))
    offers = catalog["offer"]
    cols, cost = [], []
    rows = []  # (upper, [(col, coefficient)])
    per_offer = [[] for _ in offers]
    for candidates, allowance, channel_allowance in rules.values():
        mine = {}
        for k, ev in candidates.items():
            mine[k] = len(cols)
            per_offer[k].append(len(cols))
            cols.append(ev)
        if not mine:
            continue
        rows.append((allowance, [(j, 1.0) for j in mine.values()]))
        for ch, left in channel_allowance.items():
            js = [j for k, j in mine.items() if offers[k]["channel"] == ch]
            if js and left < len(js):
                rows.append((left, [(j, 1.0) for j in js]))
        for a, b in pairs:
            if a in mine and b in mine:
                rows.append((1, [(mine[a], 1.0), (mine[b], 1.0)]))
    for k, offer in enumerate(offers):
        cap = offers_check.capacity(offer)
        if np.isfinite(cap):
            rows.append((cap, [(j, 1.0) for j in per_offer[k]]))
    for c in catalog["channel"]:
        if "capacity" in c:
            js = [j for k, o in enumerate(offers) if o["channel"] == c["name"]
                  for j in per_offer[k]]
            rows.append((c["capacity"], [(j, 1.0) for j in js]))
    if "budget" in catalog:
        rows.append((catalog["budget"], [(j, offers[k].get("cost", 0.0))
                                         for k in range(len(offers)) for j in per_offer[k]]))
    for k, offer in enumerate(offers):  # a minimum volume: -sum x <= -min_volume
        if offer.get("min_volume", 0) > 0:
            rows.append((-np.ceil(offer["min_volume"]), [(j, -1.0) for j in per_offer[k]]))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(cols)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(cols))
    starts, index, value = [], [], []
    for _, entries in rows:
        starts.append(len(index))
        index += [j for j, _ in entries]
        value += [a for _, a in entries]
    h.addRows(len(rows), np.full(len(rows), -highspy.kHighsInf),
              np.array([float(u) for u, _ in rows]), len(index),
              np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32),
              np.array(value, dtype=np.float64))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value, n, len(rows)


def run_and_check(cie, directory, as_of, out_name):
    out = directory / out_name
    summary_path = directory / (out_name + ".json")
    cie_run(cie, "offers", "assign", "--customers", directory / "customers.csv", "--catalog",
            directory / "offers.toml", "--history", directory / "contacts.csv", "--as-of", as_of,
            "--out", out, "--summary", summary_path)
    customers, catalog, history = offers_check.read_inputs(
        directory / "customers.csv", directory / "offers.toml", directory / "contacts.csv")
    assignments = pd.read_csv(out, dtype={"customer_id": str})
    found = offers_check.violations(customers, catalog, history, offers_check.day_number(as_of),
                                    assignments)
    check(not found, f"{directory.name} {as_of}: checker finds no violation in "
                     f"{len(assignments)} contacts" + (f" (first: {found[0]})" if found else ""))
    return assignments, json.loads(summary_path.read_text()), (customers, catalog, history)


def with_min_volume(directory, offer, minimum, max_volume=None):
    """directory's catalogue with min_volume = minimum (and max_volume when given) in [[offer]]
    `offer`, from the catalogue make_instance wrote (offers.toml.plain)."""
    plain = directory / "offers.toml.plain"
    if not plain.exists():
        plain.write_text((directory / "offers.toml").read_text())
    blocks = plain.read_text().split("[[offer]]\n")
    for i, block in enumerate(blocks):
        if block.startswith(f'name = "{offer}"\n'):
            lines = [line for line in block.splitlines()
                     if max_volume is None or not line.startswith("max_volume")]
            lines.append(f"min_volume = {minimum}")
            if max_volume is not None:
                lines.append(f"max_volume = {max_volume}")
            blocks[i] = "\n".join(lines) + "\n"
    (directory / "offers.toml").write_text("[[offer]]\n".join(blocks))


def check_min_volume(cie, tmp):
    """A binding feasible minimum is met at the LP optimum's value; an unreachable one is
    reported with the shortfall the checker counts."""
    directory = tmp / "instance_min_volume"
    directory.mkdir()
    make_instance(directory, 10000, 10, 4)
    as_of = "2026-03-31"
    assignments, _, inputs = run_and_check(cie, directory, as_of, "plain.csv")
    customers, catalog, history = inputs
    rules, _, _ = offers_check.policy(customers, catalog, history, offers_check.day_number(as_of))
    # An email offer (no budget, no channel capacity), its max_volume raised to its candidates
    # (the offers are at their capacities here) and a minimum halfway between its contacts and
    # its candidates.
    name = "o3"
    candidates = sum(3 in c for c, _, _ in rules.values())
    with_min_volume(directory, name, 0, max_volume=candidates)
    assignments, _, _ = run_and_check(cie, directory, as_of, "raised.csv")
    before = int((assignments.offer == name).sum())
    minimum = before + (candidates - before) // 2
    check(minimum > before, f"min_volume {minimum} of {name} binds (it gets {before} without; "
                            f"{candidates} candidates)")
    with_min_volume(directory, name, minimum, max_volume=candidates)
    assignments, summary, _ = run_and_check(cie, directory, as_of, "min.csv")
    optimum, n_vars, n_rows = lp_optimum(directory, as_of)
    value = float(assignments.expected_value.sum())
    contacts = int((assignments.offer == name).sum())
    check(contacts >= minimum and not summary["min_volume_not_met"],
          f"min_volume {minimum} of {name} met: {contacts} contacts "
          f"({summary['added_for_min_volume']} added, {summary['swapped_for_min_volume']} "
          f"exchanged by the repair)")
    check(value >= 0.995 * optimum,
          f"with min_volume: cie {value:.3f} vs LP optimum {optimum:.3f} ({n_vars} variables, "
          f"{n_rows} rows): {100 * (1 - value / optimum):.3f}% below")
    # More than the candidates: reported, exactly as the checker counts it, nothing else broken.
    with_min_volume(directory, name, candidates + 50, max_volume=candidates + 50)
    assignments, summary, inputs = run_and_check(cie, directory, as_of, "short.csv")
    short = offers_check.shortfalls(inputs[1], assignments)
    reported = {o["offer"]: o["short"] for o in summary["min_volume_not_met"]}
    check(reported == short and short.get(name, 0) >= 50,
          f"unreachable min_volume: reported {reported}, the checker counts {short}; "
          f"{summary['min_volume_not_met']}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for customers, offers, seed in [(2000, 5, 1), (10000, 10, 2), (10000, 10, 3)]:
            directory = pathlib.Path(tmp) / f"instance_{customers}_{offers}_{seed}"
            directory.mkdir()
            make_instance(directory, customers, offers, seed)
            as_of = "2026-03-31"
            assignments, summary, inputs = run_and_check(args.cie, directory, as_of, "a.csv")
            optimum, n_vars, n_rows = lp_optimum(directory, as_of)
            value = float(assignments.expected_value.sum())
            binding = sum(o["capacity"] is not None and o["contacts"] == o["capacity"]
                          for o in summary["offers"])
            check(value >= 0.995 * optimum,
                  f"{directory.name}: cie {value:.3f} vs LP optimum {optimum:.3f} "
                  f"({n_vars} variables, {n_rows} rows): {100 * (1 - value / optimum):.3f}% below "
                  f"(cie's own gap to its bound {100 * summary['gap']:.3f}%, {binding} offers at "
                  f"capacity, budget {summary['budget_used']:.2f} of {summary['budget']})")
            check(summary["dual_bound"] >= optimum * (1 - 1e-9),
                  f"{directory.name}: dual bound {summary['dual_bound']:.3f} >= LP optimum")
            check(binding >= 1 or summary["budget_used"] >= 0.99 * summary["budget"],
                  f"{directory.name}: capacities or the budget bind")
            again = directory / "again.csv"
            cie_run(args.cie, "--threads", "1", "offers", "assign", "--customers",
                    directory / "customers.csv", "--catalog", directory / "offers.toml",
                    "--history", directory / "contacts.csv", "--as-of", as_of, "--out", again)
            check(again.read_bytes() == (directory / "a.csv").read_bytes(),
                  f"{directory.name}: the same file from a second run on one thread")
            # The checker can fail: contact a control customer and overfill an offer.
            customers_df, catalog, history = inputs
            control = next(cid for cid in customers_df.customer_id
                           if offers_check.in_control(catalog, catalog["offer"][2], cid))
            bad = pd.concat([assignments, pd.DataFrame(
                [{"customer_id": control, "offer": "o2", "channel": "mail",
                  "expected_value": 1.0, "rank": 1}])], ignore_index=True)
            found = offers_check.violations(customers_df, catalog, history,
                                            offers_check.day_number(as_of), bad)
            check(any("not a candidate" in f for f in found),
                  f"{directory.name}: the checker flags a planted control-group contact")
        # A second night: another as-of date, the first night's contacts added to the history.
        directory = pathlib.Path(tmp) / "instance_10000_10_2"
        first = pd.read_csv(directory / "a.csv", dtype=str)
        history = pd.read_csv(directory / "contacts.csv", dtype=str)
        first_night = first.assign(date="2026-03-31")[["customer_id", "date", "channel", "offer"]]
        pd.concat([history, first_night]).to_csv(directory / "contacts.csv", index=False)
        second, summary2, _ = run_and_check(args.cie, directory, "2026-04-03", "b.csv")
        _, summary1, _ = run_and_check(args.cie, directory, "2026-03-31", "a2.csv")
        check([o["control_group"] for o in summary1["offers"]] ==
              [o["control_group"] for o in summary2["offers"]],
              "control-group sizes are the same on both nights: "
              f"{[o['control_group'] for o in summary2['offers']]}")
        repeat = set(zip(first.customer_id, first.offer)) & set(zip(second.customer_id,
                                                                    second.offer))
        check(len(second) > 0, f"second night: {len(second)} contacts, {len(repeat)} repeat an "
                               f"offer of the first night")
        check_min_volume(args.cie, pathlib.Path(tmp))
    if FAILURES:
        sys.exit(f"{len(FAILURES)} checks failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
