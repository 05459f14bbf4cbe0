#!/usr/bin/env python
"""Memory and growth (issue 11 item 5): time and peak memory vs sessions and years planned at once.

    python benchmarks/growth.py [--sessions 59,120,240] [--years 1,3]

Each case runs in its own process, so its peak resident memory (``VmHWM`` of /proc; ``ru_maxrss``
would carry the parent's peak over the fork) is its own. The
rule set is Yuncheng's with the session counts scaled (managers : special operations kept at about
1 : 4, special operations a whole number of rotation cycles), the daily cap raised in step
(1, 2, 4 exams a day) and each stream's spacing at one site shrunk in step (x 59 / sessions, at
least 2 days), so that every case stays plannable. *Years at once* plans consecutive years
in one process, each its own model, as ``planner plan`` runs them. ``build_model`` is timed alone, and
its Python allocations are traced (``tracemalloc``) in a separate pass that is not timed.
Last row: a 10 000-session rule set, which the reliability work should refuse before building.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from common import HERE, ROOT, log, md_table

CHILD = HERE / "growth.py"


def scaled_context(sessions: int, year: int):
    """Yuncheng with about *sessions* sessions (managers ~1/5, special ops whole cycles of 4)."""
    from planner import make_context
    from planner.ruleset import default_ruleset_path, read_toml, ruleset_from_dict

    doc = read_toml(default_ruleset_path())
    managers = max(1, round(sessions * 11 / 59))
    special = max(4, 4 * round((sessions - managers) / 4))
    managers = sessions - special if sessions - special >= 1 else managers
    doc["rules"]["session_count"]["sessions"]["managers"] = managers
    doc["rules"]["session_count"]["sessions"]["special_ops"] = special
    # 50 is the rule's own maximum: a larger rule set is then refused for its session count, not its cap
    cap = 1 if sessions <= 70 else (2 if sessions <= 150 else 4 if sessions <= 300 else min(50, -(-sessions // 59)))
    doc["rules"]["daily_cap"]["max_exams_per_day"] = cap
    # a stream's own spacing at one site shrinks in step, or 4x the sessions cannot fit a year at 4 sites
    spacing = doc["rules"].get("stream_spacing", {}).get("min_days", {})
    for stream, days in spacing.items():
        spacing[stream] = max(2, days * 59 // max(59, sessions))
    return make_context(year, ruleset_from_dict(doc, f"<yuncheng scaled to {sessions} sessions>"))


def child(sessions: int, years: int, first_year: int, time_limit: float) -> dict:
    import tracemalloc

    from planner import solve
    from planner.model import build_model

    out = {"sessions": sessions, "years": years, "per_year": []}
    t_all = time.perf_counter()
    for y in range(first_year, first_year + years):
        t0 = time.perf_counter()
        try:
            ctx = scaled_context(sessions, y)
        except Exception as exc:  # a refused rule set is a result here
            out["refused"] = f"{type(exc).__name__}: {exc}"
            break
        t_ctx = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            mv = build_model(ctx)
        except Exception as exc:
            out["refused"] = f"build_model: {type(exc).__name__}: {exc}"
            break
        build = time.perf_counter() - t0
        size = (len(mv.model.proto.variables), len(mv.model.proto.constraints))
        del mv
        # progress line: if the solve outlives the parent's timeout, the build figures are still known
        print(json.dumps({"built": {"year": y, "build": build, "vars": size[0], "cons": size[1]}}), flush=True)
        r = solve(ctx, explain=False, time_limit=time_limit)
        out["per_year"].append({"year": y, "ctx": t_ctx, "build": build, "vars": size[0], "cons": size[1],
                                "solve": r.solve_seconds, "status": r.status.value, "objective": r.objective,
                                "planned": len(r.plan.sessions) if r.plan else 0,
                                "cap": ctx.ruleset.rule("daily_cap").max_exams_per_day})
    out["total"] = time.perf_counter() - t_all
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec, so a child of a
    # large parent would report the parent's peak (measured: every case showed the parent's 151 MiB)
    out["peak_rss_mib"] = _vm_hwm_mib(os.getpid())
    if out["per_year"] and "refused" not in out:
        ctx = scaled_context(sessions, first_year)
        tracemalloc.start()
        build_model(ctx)
        out["build_traced_mib"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    return out


def _vm_hwm_mib(pid: int) -> float | None:
    """Peak resident memory of a running process so far (Linux /proc), MiB."""
    try:
        for line in open(f"/proc/{pid}/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_case(sessions: int, years: int, first_year: int, time_limit: float, timeout: float) -> dict:
    """One case in its own process; past *timeout* its peak memory is read from /proc before it is stopped."""
    argv = [sys.executable, str(CHILD), "--child", str(sessions), str(years), "--year", str(first_year),
            "--time-limit", str(time_limit)]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.DEVNULL, text=True)
        try:
            p.wait(timeout=timeout)
            d: dict = {}
        except subprocess.TimeoutExpired:
            d = {"timeout": timeout, "peak_rss_mib": _vm_hwm_mib(p.pid)}
            p.kill()
            p.wait()
        wall = time.perf_counter() - t0
        out.seek(0)
        lines = [json.loads(line) for line in out.read().splitlines() if line.startswith("{")]
    built = [x["built"] for x in lines if "built" in x]
    final = next((x for x in lines if "built" not in x), None)
    if final is not None:
        d.update(final)
    elif "timeout" not in d:
        d["error"] = f"exit {p.returncode}"
    d.setdefault("sessions", sessions)
    d.setdefault("years", years)
    d.setdefault("per_year", [])
    d["built"] = built
    d["wall"] = wall
    return d


def table(sessions_list: list[int], years_list: list[int], first_year: int, time_limit: float,
          huge: int | None = 10_000, timeout: float = 120.0) -> tuple[str, list[dict]]:
    rows, raw = [], []
    cases = [(s, 1) for s in sessions_list] + [(sessions_list[0], y) for y in years_list if y != 1]
    if huge:
        cases.append((huge, 1))
    for s, y in cases:
        d = run_case(s, y, first_year, time_limit, timeout)
        raw.append(d)
        py = d.get("per_year", [])
        if "timeout" in d:
            b = d["built"]
            note = (f"stopped after {d['timeout']:.0f} s: " + (f"model built ({b[0]['vars']} variables) in "
                    f"{b[0]['build']:.1f} s, still solving" if b else "not refused, model not built yet")
                    + "; peak RSS read before stopping")
        elif "error" in d:
            note = f"error: {d['error']}"
        elif "refused" in d:
            note = f"refused: {d['refused'][:120]}"
        else:
            note = ", ".join(f"{p['year']} {p['status']} ({p['planned']} sessions, cap {p['cap']})" for p in py)
        bl = py or d["built"]
        rows.append([s, y, f"{bl[0]['vars']} / {bl[0]['cons']}" if bl else "-",
                     f"{sum(p['build'] for p in bl):.3f}" if bl else "-",
                     f"{sum(p['solve'] for p in py):.2f}" if py else "-",
                     f"{d['wall']:.2f}", f"{d['peak_rss_mib']:.1f}" if d.get("peak_rss_mib") else "-",
                     f"{d['build_traced_mib']:.2f}" if "build_traced_mib" in d else "-", note])
        log(f"  growth {s} sessions x {y} years: {rows[-1][4]} s solve, {rows[-1][6]} MiB")
    return md_table(["sessions", "years at once", "variables / constraints (one year)", "build_model s (sum)",
                     "solve() s (sum)", "process wall s", "peak RSS MiB", "build_model Python peak MiB (tracemalloc)",
                     "outcome"], rows), raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", default="59,120,240")
    ap.add_argument("--years", default="1,3")
    ap.add_argument("--year", type=int, default=2025, help="first plan year [2025]")
    ap.add_argument("--time-limit", type=float, default=30.0, help="CP-SAT deterministic limit per year [30]")
    ap.add_argument("--child", nargs=2, type=int, metavar=("SESSIONS", "YEARS"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1], a.year, a.time_limit)))
        return 0
    print(table([int(s) for s in a.sessions.split(",")], [int(y) for y in a.years.split(",")], a.year,
                a.time_limit)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
