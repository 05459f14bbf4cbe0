#!/usr/bin/env python
"""Run every benchmark once and rewrite ``benchmarks/RESULTS.md`` — the one command.

    python benchmarks/run_all.py            # full run, about 7 min on this 2-core machine
    python benchmarks/run_all.py --quick    # smoke test, a few minutes: fewer runs, smaller cases
    python benchmarks/run_all.py --only peers,province --out ''   # some parts, print only

Parts (each is also its own command, see benchmarks/README.md): startup (the year end to end, as
ratios), imports, sweeps, province (decomposition, proven gap), peers (CP-SAT vs HiGHS vs the clerk,
with the city-year detail), growth (memory, sessions, years at once), profile (model size by rule),
explain (infeasible inputs explained, minimality), web (the workbench's page load and generate-and-show). Every figure in RESULTS.md comes from
this one run; the header says when, on what, and how loaded the machine was.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, log, md_table  # noqa: E402

PARTS = ("startup", "imports", "sweeps", "province", "peers", "growth", "profile", "explain", "web")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke test: fewer runs and smaller cases")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma list of parts [{','.join(PARTS)}]")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"), help="Markdown file to write ('' to print only)")
    ap.add_argument("--sweep-generated", type=int, default=None, help="generated scenarios [100; quick 0]")
    a = ap.parse_args(argv)
    q = a.quick
    parts = [p for p in a.only.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part {sorted(unknown)[0]!r} (parts: {', '.join(PARTS)})")

    from machine import machine

    mach = machine()
    t_all = time.perf_counter()
    summary: list[list[str]] = []
    sections: list[str] = []

    def emit(title: str, body: str, note: str = "") -> None:
        block = f"## {title}\n\n" + (note + "\n\n" if note else "") + body + "\n"
        print(block, flush=True)
        sections.append(block)

    def part_startup() -> None:
        import startup

        runs = 2 if q else 9  # medians of 9 interleaved rounds: the parallel publish is the most load-sensitive figure
        tbl, ratios, raw = startup.table(2025, runs)
        summary.extend([["`planner plan` with the publish set / import OR-Tools+pandas+matplotlib",
                         f"{raw['full_ratio']:.2f}x ({raw['full']:.2f} s)", "<= 2x"],
                        ["`planner plan --no-publish` / import OR-Tools+holidays",
                         f"{raw['nopub_ratio']:.2f}x ({raw['nopub']:.2f} s)", "<= 1.5x"]])
        emit("1. The year end to end (ratios measured in one run)", ratios + "\n\n" + tbl,
             f"Subprocess wall times from the repository's top folder, {runs} interleaved rounds (every command "
             "once per round), medians. Plan year 2025.")

    def part_imports() -> None:
        import imports

        tbl, findings = imports.table(2025)
        emit("1b. What each command imports (`python -X importtime`)", tbl + "\n\n" + (
            "\n".join(f"- {f}" for f in findings) or "- `check`, `calendar` and `plan --no-publish` import no heavy "
                                                   "library they do not use"))

    def part_sweeps() -> None:
        import sweeps

        gen = a.sweep_generated if a.sweep_generated is not None else (0 if q else 100)
        tbl, raw = sweeps.table(gen)
        for r in raw:
            summary.append([f"sweep: {r['label']}", f"{r['wall']:.1f} s",
                            "<= 10 s" if "shipped" in r["label"] else "<= 60 s"])
        emit("2. Sweeps", tbl, "`planner sweep <files> --out D` (two worker processes, its default), one run each.")

    def part_province() -> None:
        import province
        import province_gen

        counts = [4] if q else [4, 8, 11]
        seeds = (1,) if q else province.SEEDS
        tbl, raw = province.table(counts, 2024, [10.0], seeds=seeds)
        for C in counts:
            rs = [r for r in raw if r.cities == C]
            summary.append([f"province of {C} cities, seeds {seeds[0]}-{seeds[-1]}: proven gap <= 1 % after 10 s",
                            f"{sum(r.gap <= 0.01 for r in rs)} of {len(rs)} (a checked plan: "
                            f"{sum(r.best_ub < float('inf') for r in rs)} of {len(rs)})",
                            "11 cities: a checked plan in 10 s" if C == 11 else ""])
        tbl = province.shares(raw) + "\n\nEvery run:\n\n" + tbl
        _, _, cap11, confs = province_gen.province(max(counts), 2024, seeds[0])
        emit("3. Province scale by decomposition", tbl + "\n\n" + f"The {max(counts)}-city province "
             f"(seed {seeds[0]}, shared cap {cap11} exams a day):\n\n" + province_gen.describe(confs),
             "Generated provinces (`benchmarks/province_gen.py`), plan year 2024; city solves in this process and "
             "one forked helper, one CP-SAT worker each. Budget = wall clock from the start, city solves and "
             "model builds included. Objective: the province plan checked by `planner.check_plan` (each city "
             "against its rules, the daily counts against the shared cap). Bound: the best of the cities' proven "
             "bounds and the priced rounds' Lagrangian bounds. Phases: those that moved the objective or the "
             "bound, when each ended, with (objective / bound) then.")

    def part_peers() -> None:
        import peers_table

        years = [2024, 2025] if q else list(range(2024, 2029))
        runs = 1 if q else 3
        tbl, raw = peers_table.table(years, runs, 30.0 if q else 60.0)
        for r in raw:
            cp, hi, cl = r["cpsat"], r["highs"], r["clerk"]
            ahead = ("error" in hi or hi.get("status") != "Optimal" or cp["wall"] < hi["solve_s"],
                     "error" in hi or cp["process"] < hi["process"])
            summary.append([f"{r['year']}: CP-SAT / HiGHS / clerk — solve s (process s), cost, hard",
                            f"{cp['wall']:.2f} ({cp['process']:.2f}), {cp['cost']}, {cp['hard']} / "
                            + (f"{hi['solve_s']:.2f}{'' if hi['status'] == 'Optimal' else ' ' + hi['status']} "
                               f"({hi['process']:.2f}), {hi['cost']}, {hi['hard']}" if "error" not in hi
                               else hi["error"])
                            + f" / {cl['fill_s']:.3f} ({cl['process']:.2f}), {cl['cost']}, {cl['hard']}",
                            "CP-SAT ahead on solve and process time: "
                            + ("yes" if all(ahead) else f"solve {'yes' if ahead[0] else 'NO'}, "
                                                        f"process {'yes' if ahead[1] else 'NO'}")])
        emit("4. Peers: one city-year, CP-SAT beside a HiGHS MIP and the clerk", tbl,
             peers_table.__doc__.split("\n\n", 2)[2].strip())
        detail = [[c["year"], c["calendar"], c["status"], c["objective"], c["sessions"],
                   f"{c['wall']:.3f} ({c['wall_min']:.3f}-{c['wall_max']:.3f})", f"{c['build']:.3f}",
                   f"{c['det']:.3f}", f"{c['vars']} / {c['cons']}"] for c in (r["cpsat"] for r in raw)]
        emit("4b. The city-year under CP-SAT (same run)", md_table(
            ["year", "calendar", "status", "objective", "sessions", f"solve() wall s, median of {runs} (min-max)",
             "build_model s", "det. time", "variables / constraints"], detail))

    def part_growth() -> None:
        import growth

        sess = [59, 120] if q else [59, 120, 240]
        tbl, raw = growth.table(sess, [1, 3], 2025, 5.0 if q else 20.0, timeout=60 if q else 180)
        for d in raw:
            st = ", ".join(p["status"] for p in d["per_year"]) or ("refused" if "refused" in d else
                                                                  "stopped at the timeout" if "timeout" in d else "error")
            rss = f"peak RSS {d['peak_rss_mib']:.1f} MiB" if d.get("peak_rss_mib") else "peak RSS unknown"
            summary.append([f"{d['sessions']} sessions x {d['years']} year(s) in one process",
                            f"{d['wall']:.1f} s, {rss}, {st}",
                            "refused before it builds" if d["sessions"] >= 10_000 else ""])
        emit("5. Memory and growth", tbl, growth.__doc__.split("\n\n", 2)[2].strip()
             + f" CP-SAT limit {5 if q else 20} deterministic units a year.")

    def part_profile() -> None:
        import proto_profile

        emit("5b. Model size by rule, by sessions", proto_profile.table([59, 240] if q else [59, 120, 240]),
             proto_profile.__doc__.split("\n\n", 2)[2].strip())

    def part_explain() -> None:
        import explain

        runs = 1 if q else 3
        rows = explain.measure(runs)
        for r in rows:
            summary.append([f"explain infeasible: {r['case']}", f"{r['median_s']:.2f} s, "
                            f"{'proven minimal' if r['minimal'] else 'NOT proven minimal'}",
                            "< 5 s" if "240" in r["case"] else "< 2 s"])
        emit("6. Explaining infeasible input (issue 8)", explain.markdown(rows, runs), explain.__doc__.split("\n\n")[1])

    def part_web() -> None:
        import web

        m = web.measure(5 if q else 20)
        summary.extend([["web: 年度计划 page of a stored version, server time", f"{m['page_ms_median']:.0f} ms", "< 100 ms"],
                        ["web: generate-and-show a year (worker warm)", f"{m['generate_warm_s']:.2f} s", "< 2 s"]])
        emit("7. The web workbench (issue 10)", web.markdown(m), web.__doc__.split("\n\n")[1])

    run = {"explain": part_explain, "web": part_web, "startup": part_startup, "imports": part_imports, "sweeps": part_sweeps, "province": part_province,
           "peers": part_peers, "growth": part_growth, "profile": part_profile}
    for name in PARTS:
        if name not in parts:
            continue
        try:
            run[name]()
        except Exception as exc:  # one broken part must not lose the others' figures
            import traceback

            traceback.print_exc()
            emit(f"{name}: FAILED", f"`{type(exc).__name__}: {exc}`", "This part raised; its figures are missing.")
            summary.append([f"part {name}", "FAILED (see its section)", ""])

    total = time.perf_counter() - t_all
    head = ["# planner benchmark results", "",
            f"`python benchmarks/run_all.py{' ' + ' '.join(argv if argv is not None else sys.argv[1:]) if (argv if argv is not None else sys.argv[1:]) else ''}`"
            f" — one run, {total:.0f} s in all. The machine was **shared** with other work during the run "
            "(load average below): absolute times are inflated and noisy; ratios measured in one round are the "
            "figures to compare.", "", "## Machine", "", md_table(["", ""], [[k, v] for k, v in mach.items()]) + "\n",
            f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", "",
            "## Summary (every figure from this run)", "", md_table(["figure", "measured", "target"], summary), ""]
    text = "\n".join(head + sections)
    if a.out:
        Path(a.out).write_text(text, encoding="utf-8")
        log(f"wrote {a.out}")
    else:
        print("\n".join(head))
    return 0


if __name__ == "__main__":
    sys.exit(main())
