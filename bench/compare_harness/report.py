"""The markdown report of bench/compare: header facts, then one table per task."""

TITLES = {
    "rfm": "1. Ingest + RFM (whole process: read CSV, aggregate, quintile scores, segments, "
           "write CSV; wall time from /usr/bin/time)",
    "kmeans": "2. K-means, Lloyd iterations from the same initial centroids (time per iteration)",
    "logistic": "3. Logistic regression, L2 (fit time to the same log-loss)",
    "scoring": "4. Scoring customers with a trained logistic and k-means model (data in memory)",
}
RATIO_MEANING = {
    "rfm": "peer s / cie s", "kmeans": "peer s / cie s", "logistic": "scikit-learn s / cie s",
    "scoring": "cie rate / peer rate",
}


def figure(value, unit, metric):
    if value is None:
        return ""
    if unit == "customers/s":
        return f"{value / 1e6:.1f}M"
    if metric == "s/iter":
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1e3:.1f} ms"


def table(rows, task):
    lines = [f"## {TITLES.get(task, task)}", "",
             f"| case | tool | measure | median | {RATIO_MEANING.get(task, 'ratio')} | check |",
             "|---|---|---|---|---|---|"]
    previous = None
    for r in rows:
        case = r["case"] if r["case"] != previous else ""
        previous = r["case"]
        if r["status"] != "ok":
            median, ratio, check = r["status"], "", r.get("quality", "")
        else:
            median = figure(r["value"], r["unit"], r["metric"])
            reference = r["tool"] == "cie" or (task == "logistic" and r["tool"].startswith("scikit"))
            ratio = "1 (reference)" if r["ratio"] is None and reference else (
                f"{r['ratio']:.2f}x" if r["ratio"] is not None else "")
            check = r["quality"]
            if task == "rfm":
                check = f"{r['peak_rss_mib']:.0f} MiB peak; {check}"
        lines.append(f"| {case} | {r['tool']} | {r['metric']} | {median} | {ratio} | {check} |")
    return lines


def markdown(document, args):
    facts, versions = document["machine"], document["peers"]
    rows = document["rows"]
    failed = [r for r in rows if r["status"] != "ok"]
    load_start = ", ".join(f"{x:.1f}" for x in facts["load_average_start"])
    load_end = ", ".join(f"{x:.1f}" for x in facts["load_average_end"])
    lines = [
        f"# cie vs peers: machine {args.machine}, {facts['date'][:10]}", "",
        f"- command: `{document['command']}` ({document['wall_seconds'] / 60:.1f} min: "
        + ", ".join(f"{task} {s / 60:.1f}" for task, s in document["task_seconds"].items()) + ")",
        f"- machine: {facts['cores']} cores, {facts['memory_gib']} GiB, {facts['cpu']}; "
        f"GPU: {facts['gpu']}; Linux {facts['kernel']}, Python {facts['python']}",
        f"- date: {facts['date']}; commit {facts['commit']}"
        + (" (working tree dirty)" if facts["tree_dirty"] else "")
        + "; cie Release, CPU build",
        "- peers: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        f"- OMP_WAIT_POLICY={facts['omp_wait_policy']} for every tool; cie threads "
        f"{args.threads or facts['cores']}; median of {args.repeats} rounds, each round one run "
        "of every tool, the first tool rotating",
        f"- load average (1, 5, 15 min) at start {load_start}, at end {load_end}"
        + (f"; {args.note}" if args.note else ""),
        "- checks: " + ("every quality check passed" if not failed else
                        f"{len(failed)} rows failed or mismatched (shown in place of a time)"),
    ]
    if "scoring_models" in facts:
        lines.append(f"- scoring models: {facts['scoring_models']}")
    lines += ["", "A ratio above 1 means cie is faster. A peer that failed to install or run "
              "shows `error: ...`, and a failed quality check `MISMATCH: ...`, in place of its "
              "time.", ""]
    for task in ("rfm", "kmeans", "logistic", "scoring"):
        task_rows = [r for r in rows if r["task"] == task]
        if task_rows:
            lines += table(task_rows, task) + [""]
    return "\n".join(lines)


def summary(document):
    """One compact table, a line per case: cie's median and each peer's with its ratio."""
    tools = ["pandas", "polars", "duckdb", "scikit-learn", "faiss-cpu"]
    lines = ["| task | case | measure | cie | " + " | ".join(tools) + " |",
             "|---|---|---|---|" + "---|" * len(tools)]
    seen = []
    for r in document["rows"]:
        key = (r["task"], r["case"], r["metric"])
        if key not in seen:
            seen.append(key)
    for task, case, metric in seen:
        rows = [r for r in document["rows"] if (r["task"], r["case"], r["metric"]) == (task, case, metric)]
        cells = {}
        for r in rows:
            name = "cie" if r["tool"].startswith("cie") else r["tool"].split()[0]
            if r["status"] != "ok":
                text = r["status"]
            else:
                text = figure(r["value"], r["unit"], r["metric"])
                if r["ratio"] is not None:
                    text += f" ({r['ratio']:.2f}x)"
            if name == "cie" and len([x for x in rows if x["tool"].startswith("cie")]) > 1:
                text = f"{r['tool'].removeprefix('cie').strip()} {text}"
            cells[name] = cells[name] + "; " + text if name in cells else text
        lines.append(f"| {task} | {case} | {metric} | {cells.get('cie', '')} | "
                     + " | ".join(cells.get(t, "") for t in tools) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys
    print(summary(json.load(open(sys.argv[1]))))
