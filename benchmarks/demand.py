"""Candidates in the plan (issue 17): sizing, the cost of --demand, the model's size and memory, sensitivity.

    python benchmarks/demand.py [--time-limit S] [--year Y] [--parts size,plan,nowait,model,memory] > benchmarks/RESULTS-demand.md

Parts, each a subprocess or a fresh model so one does not warm the next:

* ``planner size`` on the shipped estimate (constraints/demand.toml): wall time, sessions, proven bound, gap;
* ``planner plan --demand --no-publish`` (the quick answer) against plain ``planner plan --no-publish``, 2025-2027
  (median of interleaved runs), with ``--demand --thorough`` beside;
* the same with the rule set without the wait preference (``short_wait``): waits limited, not priced;
* what the search for shorter waits buys (``curve``): ``plan --demand --thorough`` at growing time limits, deterministic limit
  only, against the plan without candidates seen with them (where a run held to 1.3× plain time would stop);
* the CP-SAT model's size (variables, constraints) at 1 000 and 100 000 expected candidates: the queue is one
  integer per session and category, so the size must not change;
* peak memory of a year of 240 sessions with candidates (own process, VmHWM);
* sensitivity: the estimate's candidates and seats ±20 % -> sessions, waits and carried-over candidates.
Figures depend on the machine's load (shared with other work): each part states the one-minute load average at
its start, and every time is given as wall seconds and as the process's own CPU seconds (user + system, children
included), which the load stretches far less.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, md_table, med, planner_cmd  # noqa: E402

LIVE = str(ROOT / "constraints" / "yuncheng.toml")
#: the years the two `plan` parts measure: one whose plan without candidates breaks the waiting limit (2025) and
#: two that keep it
YEARS = (2025, 2026, 2027)
DEMAND = str(ROOT / "constraints" / "demand.toml")


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _scaled_demand(folder: Path, candidates: float = 1.0, seats: float = 1.0) -> str:
    from planner.data import load_catalogue
    from planner.demand import demand_to_toml, load_demand

    d = load_demand(DEMAND, load_catalogue()).scaled(candidates=candidates, seats=seats)
    p = folder / f"demand_c{candidates:g}_s{seats:g}.toml"
    p.write_text(demand_to_toml(d), encoding="utf-8")
    return str(p)


def size_run(folder: Path, demand: str, year: int, limit: float, wall_factor: str = "") -> dict:
    out = folder / ("size-" + Path(demand).stem + wall_factor)
    env = dict(os.environ, PLANNER_WALL_FACTOR=wall_factor) if wall_factor else None
    t, cpu = time.perf_counter(), _cpu_children()
    r = subprocess.run(planner_cmd() + ["size", "--year", str(year), "--rules", LIVE, "--demand", demand, "--out",
                                        str(out), "--no-publish", "--time-limit", str(limit)],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    wall, cpu = time.perf_counter() - t, _cpu_children() - cpu
    if r.returncode != 0:
        return {"wall": wall, "cpu": cpu, "error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"}
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # the answer's seconds are printed, not written (summary.json holds no wall-clock figure)
    m = re.search(r"answered in ([0-9.]+) s \(([0-9.]+) s CPU\)", r.stdout)
    s["sizing"]["answer_seconds"], s["sizing"]["answer_cpu_seconds"] = (float(m[1]), float(m[2])) if m else (0, 0)
    return {"wall": wall, "cpu": cpu, "sizing": s["sizing"], "demand": s["demand"]}


def without_wait_preference(folder: Path) -> str:
    """A copy of the shipped rule set (and the files beside it) without ``[preferences.short_wait]``: what
    ``plan --demand`` costs when the bureau prices no waits, only limits them (rule ``waiting``)."""
    import shutil
    import tomllib

    target = folder / "constraints-nowait"
    shutil.copytree(Path(LIVE).parent, target, dirs_exist_ok=True)
    text = Path(LIVE).read_text(encoding="utf-8")
    start = text.index("[preferences.short_wait]")
    end = text.find("\n[", start + 1)
    text = text[:start] + (text[end + 1:] if end >= 0 else "")
    assert "short_wait" not in tomllib.loads(text).get("preferences", {})
    (target / Path(LIVE).name).write_text(text, encoding="utf-8")
    return str(target / Path(LIVE).name)


#: the commands plan_ratio compares: plain, ``--demand`` (the quick answer) and ``--demand --thorough``
RATIO_CASES = (("plain", []), ("demand", ["--demand", DEMAND]), ("thorough", ["--demand", DEMAND, "--thorough"]))


def plan_ratio(folder: Path, year: int, runs: int, limit: float, rules: str = LIVE, cases=RATIO_CASES[:2]) -> dict:
    """Median wall and CPU seconds of each command over interleaved runs, and each --demand case's last summary."""
    times = {case: ([], []) for case, _ in cases}
    summary = {}
    for i in range(runs):
        for case, extra in cases:
            t, cpu = time.perf_counter(), _cpu_children()
            subprocess.run(planner_cmd() + ["plan", "--year", str(year), "--rules", rules, "--no-publish", "--out",
                                            str(folder / f"p-{case}-{i}"), "--time-limit", str(limit)] + extra,
                           capture_output=True, text=True, cwd=ROOT)
            times[case][0].append(time.perf_counter() - t)
            times[case][1].append(_cpu_children() - cpu)
            if case != "plain":
                summary[case] = json.loads((folder / f"p-{case}-{i}" / "summary.json").read_text(encoding="utf-8"))
    return {case: (med(w), med(c)) for case, (w, c) in times.items()} | {"summary": summary}


def late(summary: dict):
    """Candidates seated later than short_wait's target (the preference's cost), from a summary.json."""
    return (summary.get("objective_parts") or {}).get("short_wait", {}).get("cost", "—")


#: the time limits of the ``curve`` part (seconds; at DEMAND_UNITS_PER_SECOND deterministic units per second)
CURVE_LIMITS = (1, 2, 5, 10, 30, 60)


def plain_seen_with_candidates(folder: Path, year: int) -> dict:
    """The plan without candidates (``plan --no-publish``), checked with them: the start every ``--demand`` run
    improves on, and what a run that only reported the load would publish."""
    from planner.api import make_context
    from planner.check import check_plan
    from planner.planio import read_plan

    out = folder / f"curve-plain-{year}"
    subprocess.run(planner_cmd() + ["plan", "--year", str(year), "--rules", LIVE, "--no-publish", "--out", str(out)],
                   capture_output=True, text=True, cwd=ROOT, check=True)
    ctx = make_context(year, LIVE, demand=DEMAND)
    report = check_plan(read_plan(out / "plan.csv", ctx.catalogue, year), ctx)
    return {"objective": report.objective, "late": dict(report.costs).get("short_wait", (0, 0))[1], "ok": report.ok}


def curve_run(folder: Path, year: int, limit: float) -> dict:
    """``plan --demand --thorough --no-publish`` at *limit*, stopped by the deterministic limit only (``PLANNER_WALL_FACTOR``
    20, as the tests run): the result does not depend on the machine's load, only the seconds do."""
    out = folder / f"curve-{year}-{limit:g}"
    t, cpu = time.perf_counter(), _cpu_children()
    r = subprocess.run(planner_cmd() + ["plan", "--year", str(year), "--rules", LIVE, "--no-publish", "--out",
                                        str(out), "--demand", DEMAND, "--thorough", "--time-limit", str(limit)],
                       capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PLANNER_WALL_FACTOR="20"))
    wall, cpu = time.perf_counter() - t, _cpu_children() - cpu
    if r.returncode != 0:  # no plan within the limit: the run says so in one line
        return {"wall": wall, "cpu": cpu, "status": f"exit {r.returncode}", "objective": "—", "bound": "—",
                "late": "—", "p95": "—", "max": "—"}
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    late = (s.get("objective_parts") or {}).get("short_wait", {}).get("cost")
    return {"wall": wall, "cpu": cpu, "status": s.get("status"), "objective": s.get("objective"),
            "bound": s.get("bound"), "late": late, "p95": (s.get("demand") or {}).get("p95_wait_days"),
            "max": (s.get("demand") or {}).get("max_wait_days")}


def model_size(candidates: int, year: int) -> tuple[int, int, int, int]:
    """Variables and constraints of the model as built, and as ``plan --demand`` solves it (inside the implied
    spans of ``planner.model.implied_spans``)."""
    from planner.api import make_context
    from planner.data import load_catalogue
    from planner.demand import load_demand
    from planner.model import build_model, implied_spans

    cat = load_catalogue()
    d = load_demand(DEMAND, cat)
    total = sum(c.registrations for sd in d.streams.values() for c in sd.categories.values())
    ctx = make_context(year, LIVE, demand=d.scaled(candidates=candidates / total))
    out = ()
    for spans in (None, implied_spans(ctx)):
        proto = build_model(ctx, spans=spans).model.proto
        out += (len(proto.variables), len(proto.constraints))
    return out


def memory_240(year: int, limit: float) -> tuple[float | None, float, float, str]:
    """Peak resident memory (VmHWM), wall and CPU seconds, and the status (with the plan's cost and bound) of a
    240-session year with candidates."""
    code = ("import sys; sys.path.insert(0, %r); from growth import scaled_context; "
            "from planner.demand import load_demand; from planner.solver import solve; "
            "ctx = scaled_context(240, %d); ctx = ctx.with_demand(load_demand(%r, ctx.catalogue)); "
            "r = solve(ctx, time_limit=%s, explain=False); "
            "print(r.status.value + (f', cost {r.objective}, bound {r.bound:g}' if r.plan is not None else ''))") % (
        str(Path(__file__).resolve().parent), year, DEMAND, limit)
    t, cpu = time.perf_counter(), _cpu_children()
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    peak = 0.0
    while p.poll() is None:
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.05)
    status = p.stdout.read().decode().strip() if p.stdout else ""
    return peak or None, time.perf_counter() - t, _cpu_children() - cpu, status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parts", default="size,plan,nowait,model,memory",
                    help="which parts to run, comma-separated (default: all; e.g. size alone after a sizing change)")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    lines = [f"# Candidates in the plan: measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"year {args.year}, time limit {args.time_limit:g} s, load average {_load()} at the start", ""]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        for label, c, s, wf in (("estimate", 1, 1, ""), ("estimate, deterministic limit only", 1, 1, "20"),
                                ("candidates +20 %", 1.2, 1, ""), ("candidates −20 %", 0.8, 1, ""),
                                ("seats +20 %", 1, 1.2, ""), ("seats −20 %", 1, 0.8, "")):
            if "size" not in parts:
                break
            log(f"size: {label}")
            load = _load()
            demand = DEMAND if (c, s) == (1, 1) else _scaled_demand(folder, c, s)
            r = size_run(folder, demand, args.year, args.time_limit, wf)
            if "error" in r:
                rows.append([label, "—", "—", "—", "—", "—", "—", "—", f"{r['wall']:.1f} / {r['cpu']:.1f}", load,
                             r["error"][:80]])
                continue
            z, dm = r["sizing"], r["demand"]
            rows.append([label, " + ".join(f"{k} {v}" for k, v in z["sessions"].items()), z["sessions_lower_bound"],
                         f"{100 * z['gap']:.1f} %", dm["max_wait_days"], dm["p95_wait_days"], dm["unserved"],
                         f"{z['answer_seconds']:.1f} / {z['answer_cpu_seconds']:.1f}",
                         f"{r['wall']:.1f} / {r['cpu']:.1f}", load, z["status"]])
        lines += [] if "size" not in parts else ["## planner size on the shipped estimate, and its sensitivity", "",
                  "*answer*: until the counts and exam days are settled (proven or not); *command*: the whole "
                  "`planner size --no-publish`, whose final plan with every preference has the rest of the time "
                  "limit. Seconds as wall / CPU. *Deterministic limit only*: `PLANNER_WALL_FACTOR=20` (as the tests "
                  "run), so that the machine's load does not cut the search short by the wall clock.", "",
                  md_table(["demand", "sessions", "lower bound", "gap", "longest wait", "p95 wait", "carried over",
                            "answer s", "command s", "load", "status"], rows), ""]
        rows = []
        for year in YEARS if "plan" in parts else ():
            log(f"plan --demand against plain plan, {year}")
            load = _load()
            r = plan_ratio(folder, year, args.runs, args.time_limit, cases=RATIO_CASES)
            (pw, pc), (dw, dc), (tw, _), sm = r["plain"], r["demand"], r["thorough"], r["summary"]
            q, t = sm["demand"], sm["thorough"]
            rows.append([year, f"{pw:.2f}", f"{pc:.2f}", f"{dw:.2f}", f"{dc:.2f}", f"{dw / pw:.2f}×", f"{dc / pc:.2f}×",
                         f"{q.get('stopped_by') or q.get('status')}", q.get("objective"), late(q), q.get("bound"),
                         f"{tw:.1f}", t.get("objective"), late(t), load])
        lines += [] if not rows else ["## planner plan --no-publish, with and without --demand (median of "
                  f"{args.runs} interleaved runs)", "",
                  "`--demand` gives the quick answer (the plan without candidates improved by the local search: its "
                  "sessions moved one at a time while that lowers the cost, blocks and pairs of them too where it "
                  "breaks the waiting limit); `--demand --thorough` searches on with CP-SAT until the time limit. "
                  "*late*: candidates seated more than `short_wait`'s `target_days` after they became ready.", "",
                  md_table(["year", "plain wall s", "plain CPU s", "--demand wall s", "--demand CPU s", "ratio wall",
                            "ratio CPU", "--demand stopped by", "objective", "late", "proven bound",
                            "--thorough wall s", "--thorough objective", "--thorough late", "load"], rows), ""]
    if "nowait" in parts:
        log("plan --demand against plain plan, the rule set without the wait preference")
        rules, rows = without_wait_preference(folder), []
        for year in YEARS:
            load = _load()
            r = plan_ratio(folder, year, args.runs, args.time_limit, rules)
            (pw, pc), (dw, dc), sm = r["plain"], r["demand"], r["summary"]["demand"]
            rows.append([year, f"{pw:.2f}", f"{dw:.2f}", f"{dw / pw:.2f}×", f"{dc / pc:.2f}×", sm.get("status"),
                         sm.get("objective"), (sm.get("demand") or {}).get("max_wait_days"), load])
        lines += ["## planner plan --no-publish with and without --demand, the rule set without `short_wait` (median "
                  f"of {args.runs} interleaved runs)", "",
                  "The waits are limited (rule `waiting`) and reported but not priced: where the plan without "
                  "candidates keeps the limit it is the answer, proven optimal.", "",
                  md_table(["year", "plain wall s", "--demand wall s", "ratio wall", "ratio CPU", "--demand status",
                            "objective", "longest wait", "load"], rows), ""]
    if "curve" in parts:
        rows = []
        for year in YEARS:
            log(f"curve {year}")
            base = plain_seen_with_candidates(folder, year)
            rows.append([year, "plan without candidates, checked with them", "—", "—",
                         "keeps every rule" if base["ok"] else "breaks `waiting`", base["objective"], "—",
                         base["late"], "—", "—", _load()])
            for limit in CURVE_LIMITS:
                load = _load()
                r = curve_run(folder, year, limit)
                rows.append([year, f"`--time-limit {limit}`", f"{r['wall']:.1f}", f"{r['cpu']:.1f}", r["status"],
                             r["objective"], r["bound"], r["late"], r["max"], r["p95"], load])
        lines += ["## What the search for shorter waits buys: `plan --demand --no-publish` by time limit", "",
                  "Deterministic limit only (`PLANNER_WALL_FACTOR=20`): each row's plan is the same on any machine, "
                  "only its seconds change. *late*: candidates seated more than `short_wait`'s `target_days` after "
                  "they became ready (the preference's cost, weight 1). A run held to 1.3× plain time (about 1 s) "
                  "would stop between the first two rows.", "",
                  md_table(["year", "run", "wall s", "CPU s", "status", "objective", "proven bound", "late",
                            "longest wait", "p95 wait", "load"], rows), ""]
    log("model size")
    sizes = [[n, *model_size(n, args.year)] for n in (1_000, 100_000)] if "model" in parts else []
    for row in sizes:
        row.append("yes" if row[1:] == sizes[-1][1:] else "NO")
    lines += [] if not sizes else ["## The model's size does not grow with the candidates", "",
              md_table(["expected candidates", "variables", "constraints", "in implied spans: variables",
                        "constraints", "same as at 100 000"], sizes), ""]
    log("memory at 240 sessions")
    load = _load()
    peak, wall, cpu, status = memory_240(args.year, args.time_limit) if "memory" in parts else (None, 0, 0, "")
    lines += [] if not status else ["## Peak memory, 240 sessions with candidates (own process)", "",
              (f"{peak:.0f} MiB" if peak else "not measured (no /proc)")
              + f" ({status}, {wall:.1f} s wall / {cpu:.1f} s CPU, load {load} at the start)", ""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
