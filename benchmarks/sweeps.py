#!/usr/bin/env python
"""Sweeps (issue 11 item 2): the 11 shipped scenarios, and 100 generated ones of which 10 are infeasible.

    python benchmarks/sweeps.py [--generated 100]

Both are ``planner sweep … --out D`` as a subprocess (its default two worker processes), wall time
from start to exit. The generated set (seeded, the same every run) extends the shipped
``baseline_next_year.toml`` for 2027: one baseline, then variants that close 瑞阳 or 新世纪 for
2-6 weeks somewhere in April-November and change the special-operations count (44-52), and every
tenth (files 9, 19, …) that closes 聚腾 for 75-100 days — 聚腾 is the only site for some electrical types, so the
60-day coverage cannot hold: infeasible, like the shipped ``juteng_closed_quarter.toml``.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path

from common import ROOT, log, md_table, planner_cmd, run_timed

SHIPPED = ROOT / "scenarios"


def generate(folder: Path, n: int, seed: int = 11) -> list[Path]:
    """*n* scenario files in *folder*: a baseline (file 0), feasible variants, and every tenth infeasible."""
    rng = random.Random(seed)
    base = (SHIPPED / "baseline_next_year.toml").resolve()
    paths = []
    for i in range(n):
        lines = [f"# generated what-if {i:03d} (benchmarks/sweeps.py)", f'name = "gen_{i:03d}"',
                 f'extends = "{base.as_posix()}"', "year = 2027"]
        if i % 10 == 9:
            start = dt.date(2027, 3, 15) + dt.timedelta(days=rng.randint(0, 150))
            end = start + dt.timedelta(days=rng.randint(75, 100))
            lines += ["", "[[closures]]", 'institution = "juteng"', f"start = {start}", f"end = {end}",
                      'reason = "generated: long closure of the only site for some types (infeasible)"']
        elif i > 0:
            start = dt.date(2027, 4, 1) + dt.timedelta(days=rng.randint(0, 200))
            end = start + dt.timedelta(days=rng.randint(14, 42))
            lines += ["", "[sessions]", f"special_ops = {rng.randint(44, 52)}", "", "[[closures]]",
                      f'institution = "{rng.choice(["ruiyang", "xinshiji"])}"', f"start = {start}", f"end = {end}",
                      'reason = "generated closure"']
        p = folder / f"gen_{i:03d}.toml"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def _statuses(out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    f = out / "sweep.csv"
    if not f.is_file():
        return counts
    with f.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            st = row.get("status", "?")
            counts[st] = counts.get(st, 0) + 1
    return counts


def sweep(paths: list[Path], out: Path) -> tuple[float, int, dict[str, int]]:
    wall, rc, _ = run_timed(planner_cmd() + ["sweep", *map(str, paths), "--out", str(out)])
    return wall, rc, _statuses(out)


def table(generated: int) -> tuple[str, list[dict]]:
    tmp = Path(tempfile.mkdtemp(prefix="planner-bench-sweep-"))
    try:
        shipped = sorted(SHIPPED.glob("*.toml"))
        cases = [(f"{len(shipped)} shipped scenarios (`scenarios/*.toml`)", shipped, 10.0)]
        if generated:
            (tmp / "gen").mkdir()
            cases.append((f"{generated} generated scenarios ({generated // 10} meant infeasible)",
                          generate(tmp / "gen", generated), 60.0))
        rows, raw = [], []
        for label, paths, target in cases:
            wall, rc, st = sweep(paths, tmp / f"out{len(raw)}")
            raw.append({"label": label, "wall": wall, "rc": rc, "statuses": st, "n": len(paths)})
            rows.append([label, f"{wall:.1f}", f"{wall / len(paths):.2f}", f"<= {target:g}",
                         ", ".join(f"{k} {v}" for k, v in sorted(st.items())) or f"exit {rc}", rc])
            log(f"  sweep {label}: {wall:.1f} s {st}")
        return md_table(["sweep", "wall s", "s per scenario", "target s (issue 11)", "statuses (sweep.csv)",
                         "exit"], rows), raw
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--generated", type=int, default=100, help="generated scenarios (0: shipped only) [100]")
    a = ap.parse_args(argv)
    print(table(a.generated)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
