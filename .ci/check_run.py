#!/usr/bin/env python3
"""Checks a run directory the way a user reads it: every planned cell
measured (or skipped with a reason), histograms that match their counts,
summary.csv with a row per cell, and reports that name every group and
hold no NaN. Usage: check_run.py RUN_DIR [--allow-short-windows]"""

import csv
import json
import sys
from collections import Counter
from pathlib import Path


def fail(msg: str) -> None:
    print(f"check_run: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    d = Path(sys.argv[1])
    run = json.loads((d / "run.json").read_text())
    plan = run["plan"]
    cells = run["cells"]
    if len(cells) != len(plan):
        fail(f"{len(plan)} cells planned, {len(cells)} in run.json")
    status = Counter(c["status"] for c in cells)
    # With --allow-short-windows (a run at a reduced time scale), a cell whose
    # requests all outlasted its shortened window fails with that reason:
    # expected there, said, and not a failure of the run.
    # Two wordings: none of the measured requests completed at all, or
    # some did but only after the window (both: the window was too short).
    short = ("no request completed inside the measured window",
             "no request completed in the measured window")
    allow_short = "--allow-short-windows" in sys.argv
    shortened = [c for c in cells if c["status"] == "failed" and allow_short
                 and (c.get("reason") or "").startswith(short)]
    for c in shortened:
        print(f"  (short window) {c['cell']}: {c['reason'][:90]}")
    bad = [c for c in cells if c["status"] not in ("ok", "skipped") and c not in shortened]
    if bad:
        for c in bad[:10]:
            print(f"  {c['cell']}: {c['status']}: {c.get('reason')}", file=sys.stderr)
        fail(f"{len(bad)} cells neither ok nor skipped")
    for c in cells:
        if c["status"] == "skipped" and not c.get("reason"):
            fail(f"{c['cell']} skipped without a reason")
        if c["status"] != "ok":
            continue
        s = c["summary"]
        if not (s["requests"] > 0 and c["histogram"]["total_count"] == s["requests"]):
            fail(f"{c['cell']}: histogram count != requests")
    rows = list(csv.DictReader((d / "summary.csv").open()))
    if len(rows) != len(cells):
        fail(f"summary.csv has {len(rows)} rows for {len(cells)} cells")
    md = (d / "report.md").read_text()
    html = (d / "report.html").read_text()
    for text, name in ((md, "report.md"), (html, "report.html")):
        for bad_word in ("NaN", "inf req", "NaNx"):
            if bad_word in text:
                fail(f"{name} shows {bad_word!r}")
    if "<svg" not in html or not html.rstrip().endswith("</html>"):
        fail("report.html has no chart or is cut short")
    # Workloads that opened a file with O_DIRECT (the others ignore it).
    direct = {c["cell"]["workload"] for c in cells if c["cell"]["direct"]}
    # Every group of the suite, by its workloads and label, is in the report.
    for i, g in enumerate(run["groups"], 1):
        names = g.get("workloads") or []
        label = g.get("label")
        mine = [c for c in cells if c["cell"]["workload"] in names
                and c["cell"].get("tag") == label
                and c["cell"]["mode"] in g["modes"]
                and c["cell"]["concurrency"] in g["concurrency"]
                and (c["cell"]["direct"] == g["direct"]
                     or c["cell"]["workload"] not in direct)]
        if not mine:
            fail(f"group {i}: no cell in run.json")
        for w in names:
            if f"### {w}" not in md:
                fail(f"group {i}: {w} has no section in report.md")
        n = len(mine)
        print(f"group {i}: {', '.join(names)}{' [' + label + ']' if label else ''}: {n} cells")
    print(f"check_run: {len(cells)} cells ({dict(status)}), summary.csv, report.md, report.html: ok")


if __name__ == "__main__":
    main()
