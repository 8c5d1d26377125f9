"""Independent checker of `cie offers assign` outputs (no code shared with cie).

Reads the customer table, the catalogue (tomllib), the contact history and the assignments, and
returns every violated rule: a contact that is not a candidate (not eligible, opted out, in the
offer's control group, a wrong channel or expected value), a customer over a per-run, segment,
sliding-window, channel-window or minimum-gap limit, a pair rule broken in the run or against
the history, and an offer, channel or overall capacity or budget exceeded. `policy()` is the
same rules as data (candidates and limits per customer) for building the LP in
test_offers_highs.py.

    python offers_check.py --customers C --catalog T --history H --as-of D --assignments A
"""

import argparse
import datetime
import sys
import tomllib

import numpy as np
import pandas as pd
import xxhash


def load_catalog(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def in_control(catalog, offer, customer_id):
    share = offer.get("control_share", 0.0)
    if share <= 0:
        return False
    key = catalog["seed"] ^ xxhash.xxh3_64_intdigest(offer["name"].encode())
    h = xxhash.xxh3_64_intdigest(customer_id.encode(), seed=key)
    return (h >> 11) * 2.0 ** -53 < share


def day_number(text):
    return (datetime.date.fromisoformat(text) - datetime.date(1970, 1, 1)).days


def flag(value):
    return not pd.isna(value) and float(value) != 0.0


def holds(rule, value):
    if pd.isna(value):
        return False
    if "levels" in rule:
        try:
            return any(float(value) == float(level) for level in rule["levels"])
        except (TypeError, ValueError):
            return str(value) in rule["levels"]
    return rule.get("min", -np.inf) <= float(value) <= rule.get("max", np.inf)


def expected_value(offer, row):
    for rule in offer.get("eligible", []):
        if not holds(rule, row[rule["column"]]):
            return None
    if "expected_value_column" in offer:
        ev = row[offer["expected_value_column"]]
        return None if pd.isna(ev) else float(ev)
    p = row[offer["response_column"]]
    value = row[offer["value_column"]] if "value_column" in offer else offer["value"]
    if pd.isna(p) or pd.isna(value):
        return None
    return float(p) * float(value) - offer.get("cost", 0.0)


def policy(customers, catalog, history, as_of):
    """Per customer: (candidates {offer index: ev}, allowance, {channel: allowance}, blocked)."""
    offers = catalog["offer"]
    channels = [c["name"] for c in catalog["channel"]]
    offer_names = [o["name"] for o in offers]
    past = {}
    if history is not None:
        for cid, d, ch, of in zip(history.customer_id, history.date, history.channel,
                                  history.offer):
            d = day_number(d)
            if d <= as_of:
                past.setdefault(cid, []).append((d, ch, of))
    result = {}
    for _, row in customers.iterrows():
        cid = row["customer_id"]
        contacts = past.get(cid, [])
        allowance = catalog.get("max_contacts_per_run", 1)
        for limit in catalog.get("segment_limit", []):
            if holds({"levels": limit["levels"]}, row[limit["column"]]):
                allowance = min(allowance, limit["max_contacts_per_run"])
        if "opt_out_column" in catalog and flag(row[catalog["opt_out_column"]]):
            allowance = 0
        gap = catalog.get("min_days_between", 0)
        if gap > 0 and any(d > as_of - gap for d, _, _ in contacts):
            allowance = 0
        for w in catalog.get("window", []):
            used = sum(d > as_of - w["days"] for d, _, _ in contacts)
            allowance = max(0, min(allowance, w["max_contacts"] - used))
        channel_allowance = {}
        for c in catalog["channel"]:
            left = allowance
            if "opt_out_column" in c and flag(row[c["opt_out_column"]]):
                left = 0
            if "window_days" in c:
                used = sum(d > as_of - c["window_days"] and ch == c["name"]
                           for d, ch, _ in contacts)
                left = max(0, min(left, c["max_contacts"] - used))
            channel_allowance[c["name"]] = left
        candidates = {}
        for k, offer in enumerate(offers):
            ev = expected_value(offer, row)
            if ev is None or ev <= 0 or in_control(catalog, offer, cid):
                continue
            blocked = False
            for pair in catalog.get("pair", []):
                if offer["name"] in pair["offers"] and pair.get("days", 0) > 0:
                    other = [p for p in pair["offers"] if p != offer["name"]][0]
                    blocked |= any(of == other and d > as_of - pair["days"]
                                   for d, _, of in contacts)
            if not blocked and channel_allowance[offer["channel"]] > 0:
                candidates[k] = ev
        result[cid] = (candidates, allowance, channel_allowance)
    pairs = [tuple(offer_names.index(n) for n in p["offers"]) for p in catalog.get("pair", [])]
    return result, pairs, channels


def capacity(offer):
    cap = offer.get("max_volume", np.inf)
    if offer.get("cost", 0) > 0 and "budget" in offer:
        cap = min(cap, np.floor(offer["budget"] / offer["cost"]))
    return cap


def violations(customers, catalog, history, as_of, assignments):
    """Every rule the assignments break, as messages."""
    found = []
    rules, pairs, _ = policy(customers, catalog, history, as_of)
    offers = catalog["offer"]
    names = [o["name"] for o in offers]
    by_customer = {}
    for cid, name, channel, ev, rank in zip(assignments.customer_id, assignments.offer,
                                            assignments.channel, assignments.expected_value,
                                            assignments["rank"]):
        if cid not in rules or name not in names:
            found.append(f"unknown customer or offer in row {cid},{name}")
            continue
        k = names.index(name)
        if channel != offers[k]["channel"]:
            found.append(f"{cid},{name}: channel {channel} is not the offer's")
        candidates = rules[cid][0]
        if k not in candidates:
            found.append(f"{cid},{name}: not a candidate (eligibility, opt-out, control group, "
                         f"channel or pair history)")
        elif abs(candidates[k] - ev) > 1e-6 * max(1.0, abs(candidates[k])):
            found.append(f"{cid},{name}: expected value {ev} != {candidates[k]}")
        by_customer.setdefault(cid, []).append((k, ev, rank))
    for cid, contacts in by_customer.items():
        _, allowance, channel_allowance = rules[cid]
        ks = [k for k, _, _ in contacts]
        if len(set(ks)) != len(ks):
            found.append(f"{cid}: an offer twice")
        if len(ks) > allowance:
            found.append(f"{cid}: {len(ks)} contacts, allowed {allowance}")
        for ch, left in channel_allowance.items():
            used = sum(offers[k]["channel"] == ch for k in ks)
            if used > left:
                found.append(f"{cid}: {used} contacts on {ch}, allowed {left}")
        for a, b in pairs:
            if a in ks and b in ks:
                found.append(f"{cid}: pair {names[a]} and {names[b]} in one run")
        ranks = sorted(r for _, _, r in contacts)
        if ranks != list(range(1, len(ks) + 1)):
            found.append(f"{cid}: ranks {ranks}")
        by_rank = [ev for _, ev, _ in sorted(contacts, key=lambda c: c[2])]
        if by_rank != sorted(by_rank, reverse=True):
            found.append(f"{cid}: rank is not by expected value")
    counts = assignments.offer.value_counts()
    total_cost = 0.0
    for offer in offers:
        n = int(counts.get(offer["name"], 0))
        cost = n * offer.get("cost", 0.0)
        total_cost += cost
        if n > capacity(offer):
            found.append(f"offer {offer['name']}: {n} contacts over capacity {capacity(offer)}")
        if cost > offer.get("budget", np.inf) * (1 + 1e-12):
            found.append(f"offer {offer['name']}: cost {cost} over budget {offer['budget']}")
    for c in catalog["channel"]:
        n = int((assignments.channel == c["name"]).sum())
        if n > c.get("capacity", np.inf):
            found.append(f"channel {c['name']}: {n} contacts over capacity {c['capacity']}")
    if total_cost > catalog.get("budget", np.inf) * (1 + 1e-12):
        found.append(f"overall cost {total_cost} over budget {catalog['budget']}")
    return found


def shortfalls(catalog, assignments):
    """{offer name: contacts missing to its min_volume} for the offers short of it."""
    counts = assignments.offer.value_counts()
    return {o["name"]: int(np.ceil(o["min_volume"])) - int(counts.get(o["name"], 0))
            for o in catalog["offer"]
            if int(counts.get(o["name"], 0)) < o.get("min_volume", 0)}


def read_inputs(customers_paths, catalog_path, history_path):
    """customers_paths: one path or a list of tables joined on customer_id (inner join)."""
    catalog = load_catalog(catalog_path)
    if not isinstance(customers_paths, (list, tuple)):
        customers_paths = [customers_paths]
    customers = None
    for path in customers_paths:
        table = pd.read_csv(path, dtype={"customer_id": str}, keep_default_na=False,
                            na_values=["", "NA", "N/A", "NaN", "null"])
        customers = table if customers is None else customers.merge(table, on="customer_id")
    history = (pd.read_csv(history_path, dtype=str, keep_default_na=False)
               if history_path else None)
    return customers, catalog, history


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", required=True, action="append")
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--history")
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--assignments", required=True)
    args = parser.parse_args()
    customers, catalog, history = read_inputs(args.customers, args.catalog, args.history)
    assignments = pd.read_csv(args.assignments, dtype={"customer_id": str})
    found = violations(customers, catalog, history, day_number(args.as_of), assignments)
    for message in found[:50]:
        print(message)
    print(f"{len(found)} violations in {len(assignments)} contacts")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
