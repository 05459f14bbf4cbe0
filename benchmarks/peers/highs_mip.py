#!/usr/bin/env python
"""Independent peer: one city-year as a time-indexed MIP solved by HiGHS (``highspy``).

    python benchmarks/peers/highs_mip.py --year 2025 [--time-limit 120]

Binary ``x[s,d]`` = session slot *s* (stream, 期次) holds its exam on day *d*. Everything is read from
the planner's rule set through the rule objects' public methods (allowed days, rotation order,
coverage classes, the spread targets), then the plan is extracted into ``planner.plan.Plan`` and
priced by ``planner.check_plan``: the reported cost is check's, not the MIP's.

How each Yuncheng rule is formulated:

* working_day, plan_window, institution_open: the days ``d`` a slot may take (no variable elsewhere).
* session_count: fixed counts -> one slot per session, ``sum_d x[s,d] = 1``. On-demand sites with a
  positive maximum are **not modelled** (they need a site choice per slot): such rule sets are refused,
  and so are dated licences and pinned sessions.
* scope, rotation: with no closures the rotation fixes the site of 期次 k (k-th site in order), so the
  site is data, not a variable. Closures make the rotation skip closed sites, which needs site
  variables per slot: rule sets with closures are **refused** (say so, rather than solve a different
  problem).
* registration_gap, plan_window's first deadline, holiday_deadline, preferred_gap: given the exam
  day, the best registration gap is the admissible one (min..max, deadline on or after the first
  deadline and outside the long holidays) nearest the preferred gap; a day with none is removed,
  and the gap's preference cost goes into ``x``'s cost. Exact, since the gap depends on the day only.
* daily_cap: ``sum_s x[s,d] <= cap`` per day. site_spacing, stream_spacing: per site (and stream)
  and day, at most one exam in any ``min_days`` consecutive days.
* numbering: ``sum_d d x[k+1,d] - sum_d d x[k,d] >= 1``, one row per consecutive pair (``numbering=
  "precedence"``, the default). The disaggregated form (``"cumulative"``: ``y[s,d] = sum_{d'<=d} x[s,d']``,
  ``y[k+1,d] <= y[k,d]``) has the stronger LP but doubles the columns and adds ~30 000 rows; on 2025
  it solved in 4.1 s against 1.9 s for the precedence rows (one run each, load average 10).

Options, as a HiGHS user tunes a time-indexed model: presolve off (on, 2025 took 59.7 s, probing the
~15 000 binaries), one thread, ``mip_rel_gap`` 0 and ``mip_abs_gap`` just under 1 (the costs are whole
numbers, so a gap below 1 proves the optimum).
* coverage: the sites of each slot are fixed, so each class's sessions are known; consecutive ones
  (and the window edges) at most N days apart on the day expression ``sum_d d x[s,d]``.
* kind, refresher_first_cycle: the wanted 考试类别 is always allowed, so it is chosen: cost 0.
* monthly_cycle, even_spread: per-(slot, day) cost from the problem's month targets (``ctx.targets``).
"""
from __future__ import annotations

import argparse
import json
import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.rules import modelled_by  # noqa: E402

#: rules this formulation knows (each rule says so: ``peers``); anything else in the rule set is refused
KNOWN_RULES = modelled_by("highs_mip")


class NotModelled(Exception):
    """The rule set uses something this MIP does not formulate."""


@dataclass
class SlotData:
    stream: str
    k: int
    site: str
    kind: str
    days: list[int]  # admissible day indices (from the window's first day)
    cost: list[int]  # preference cost per admissible day
    gap: list[int]  # registration gap chosen per admissible day


def slot_data(ctx) -> list[SlotData]:
    """Slots, their fixed sites and kinds, and per admissible day the cost and the registration gap."""
    rs = ctx.ruleset
    # the rules that speak to this problem: the waiting rules only with a demand, which the peer does not take
    names = {r.name for r in ctx.rules}
    prefs = {p.name: p for p in ctx.preferences}
    if (names | set(prefs)) - KNOWN_RULES:
        raise NotModelled(f"rules not formulated: {sorted((names | set(prefs)) - KNOWN_RULES)}")
    if ctx.closures:
        raise NotModelled("closures (rotation skipping a closed site needs a site variable per slot)")
    if ctx.licenses or ctx.pins:
        raise NotModelled("dated licences and pinned sessions")
    start, stop = ctx.window
    allowed = set(ctx.calendar.days(start, stop))
    for r in ctx.rules:
        a = r.allowed_days(ctx)
        if a is not None:
            allowed &= a
    days = sorted(allowed)
    rot = rs.rule("rotation")
    pw, rg, hd = rs.rule("plan_window"), rs.rule("registration_gap"), rs.rule("holiday_deadline")
    first_deadline = pw.first_deadline(ctx) if pw else start
    gmin, gmax = (rg.min_days, rg.max_days) if rg else (0, 10 ** 6)
    blocked = set(hd.blocked(ctx)) if hd else set()
    pg = prefs.get("preferred_gap")
    spread, cyc = prefs.get("even_spread"), prefs.get("monthly_cycle")
    refr = prefs.get("refresher_first_cycle")
    out: list[SlotData] = []
    for stream, spec in ctx.streams.items():
        if spec.count is None:
            if spec.max_sessions:
                raise NotModelled(f"on-demand sessions of {stream} (site choice per slot)")
            continue
        sites = [i for i in spec.sites if ctx.permits(i, stream)]
        if not sites or spec.count == 0:
            continue
        rotating = rot is not None and stream in rot.streams
        if len(sites) > 1 and not rotating:
            raise NotModelled(f"{stream} has several sites and no rotation (site choice per slot)")
        targets = ctx.targets.get(stream, ())
        prev = None
        for k in range(1, spec.count + 1):
            # with no closures the site of 期次 k is the next in order: none is skipped
            site = next(i for i in spec.sites if not rot.between(list(spec.sites), prev, i)) if rotating else sites[0]
            prev = site
            kind = refr.wanted(stream, k, ctx) if refr and stream in refr.streams else spec.kinds[0]
            if kind not in spec.kinds:
                kind = spec.kinds[0]
            ds, cs, gs = [], [], []
            for d in days:
                # the registration gap: admissible (min..max, deadline on or after the first one and not in a
                # long holiday), the one nearest the preferred gap; none -> the day is not admissible
                hi = min(gmax, (d - first_deadline).days)
                ok = [g for g in range(gmin, hi + 1) if d - dt.timedelta(days=g) not in blocked]
                if not ok:
                    continue
                g = min(ok, key=lambda g: (abs(g - pg.days), g)) if pg else ok[0]
                c = pg.weight * abs(g - pg.days) if pg else 0
                if k <= len(targets):
                    target, m0, m1 = targets[k - 1]
                    if spread:
                        c += spread.weight * abs((d - target).days)
                    if cyc and not (m0 <= d <= m1):
                        c += cyc.weight
                ds.append((d - start).days)
                cs.append(c)
                gs.append(g)
            out.append(SlotData(stream, k, site, kind, ds, cs, gs))
    return out


@dataclass
class MipResult:
    status: str
    plan: object | None
    mip_objective: float | None
    bound: float | None
    build_s: float
    solve_s: float
    columns: int
    rows: int


def solve_mip(ctx, time_limit: float = 120.0, threads: int = 1, numbering: str = "precedence",
              abs_gap: float = 0.999) -> MipResult:
    """Build the MIP for *ctx*, solve it with HiGHS, return the extracted plan (or none)."""
    import highspy
    import numpy as np

    from planner.plan import Plan, Session

    t0 = time.perf_counter()
    slots = slot_data(ctx)
    start, stop = ctx.window
    horizon = (stop - start).days
    rs = ctx.ruleset
    # columns: x[s,d] for admissible d, then y[s,d] (cumulative, continuous) for the same d
    xcol: list[dict[int, int]] = []
    cost: list[float] = []
    for s in slots:
        xcol.append({})
        for d, c in zip(s.days, s.cost):
            xcol[-1][d] = len(cost)
            cost.append(c)
    nx = len(cost)
    ncols = nx
    rows: list[tuple[list[int], list[float], float, float]] = []
    inf = highspy.kHighsInf

    def row(idx, val, lo, hi):
        rows.append((list(idx), list(val), lo, hi))

    for i, s in enumerate(slots):
        row(xcol[i].values(), [1.0] * len(xcol[i]), 1, 1)  # one day per session
    by_stream: dict[str, list[int]] = {}
    for i, s in enumerate(slots):
        by_stream.setdefault(s.stream, []).append(i)
    if numbering == "cumulative":
        # y[s,d] = sum_{d'<=d} x[s,d'] (continuous) and y[k+1,d] <= y[k,d'] with d' the last admissible day
        # of slot k up to d: the strong (disaggregated) ordering
        ycol: list[dict[int, int]] = []
        for s in slots:
            ycol.append({d: ncols + j for j, d in enumerate(s.days)})
            ncols += len(s.days)
        for i, s in enumerate(slots):
            prev = None
            for d in s.days:  # y[s,d] - y[s,prev] - x[s,d] = 0
                idx, val = [ycol[i][d], xcol[i][d]], [1.0, -1.0]
                if prev is not None:
                    idx.append(ycol[i][prev])
                    val.append(-1.0)
                row(idx, val, 0, 0)
                prev = d
        for ids in by_stream.values():
            for a, b in zip(ids, ids[1:]):
                da = slots[a].days
                j = -1
                for d in slots[b].days:
                    while j + 1 < len(da) and da[j + 1] <= d:
                        j += 1
                    if j < 0:
                        row([ycol[b][d]], [1.0], -inf, 0)
                    else:
                        row([ycol[b][d], ycol[a][da[j]]], [1.0, -1.0], -inf, 0)
    else:
        # the exam days of consecutive 期次 in order: day(k+1) - day(k) >= 1 on the day expressions, one row a pair
        for ids in by_stream.values():
            for a, b in zip(ids, ids[1:]):
                row([xcol[b][d] for d in slots[b].days] + [xcol[a][d] for d in slots[a].days],
                    [float(d) for d in slots[b].days] + [-float(d) for d in slots[a].days], 1, inf)
    # daily cap
    cap = rs.rule("daily_cap")
    per_day: dict[int, list[int]] = {}
    for i in range(len(slots)):
        for d, c in xcol[i].items():
            per_day.setdefault(d, []).append(c)
    if cap is not None:
        for d, cs in per_day.items():
            if len(cs) > cap.max_exams_per_day:
                row(cs, [1.0] * len(cs), -inf, cap.max_exams_per_day)
    # site spacing (any streams) and stream spacing (one stream): at one site, at most one exam in any
    # window of min_days consecutive days
    def spacing(ids: list[int], min_days: int) -> None:
        if len(ids) < 2 or min_days <= 1:
            return
        for d0 in range(0, horizon + 1):
            cs = [xcol[i][d] for i in ids for d in range(d0, d0 + min_days) if d in xcol[i]]
            if len(cs) > 1:
                row(cs, [1.0] * len(cs), -inf, 1)

    by_site: dict[str, list[int]] = {}
    for i, s in enumerate(slots):
        by_site.setdefault(s.site, []).append(i)
    sp, ssp = rs.rule("site_spacing"), rs.rule("stream_spacing")
    if sp is not None:
        for ids in by_site.values():
            spacing(ids, sp.min_days)
    if ssp is not None:
        for stream, n in ssp.min_days.items():
            for ids in by_site.values():
                spacing([i for i in ids if slots[i].stream == stream], n)
    # coverage: consecutive opportunities of each class at most N days apart (and from/to the window edges)
    cov = rs.rule("coverage")
    if cov is not None:
        N = cov.max_days_between_opportunities
        for stream in cov.streams:
            for who, _ops in cov.classes(stream, ctx).items():
                if any(days is not None for _, days in who):
                    raise NotModelled("coverage by a dated licence")
                sites = {i for i, _ in who}
                ids = [i for i in by_stream.get(stream, []) if slots[i].site in sites]
                if not ids:
                    continue

                def day_expr(i, sign):
                    return [xcol[i][d] for d in slots[i].days], [sign * float(d) for d in slots[i].days]

                if cov.include_window_edges:
                    idx, val = day_expr(ids[0], 1.0)
                    row(idx, val, -inf, N)
                    idx, val = day_expr(ids[-1], -1.0)
                    row(idx, val, -inf, N - horizon)
                for a, b in zip(ids, ids[1:]):
                    ia, va = day_expr(a, -1.0)
                    ib, vb = day_expr(b, 1.0)
                    row(ia + ib, va + vb, -inf, N)

    def _ok(status, what: str) -> None:
        if status != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS {what}: {status}")

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    # every cost is a whole number, so a gap below 1 is a proof of optimality (the option HiGHS's users set)
    h.setOptionValue("mip_abs_gap", abs_gap)
    h.setOptionValue("random_seed", 0)
    # HiGHS's presolve spends about 60 s probing the ~15 000 binaries (measured, 2025); without it the
    # same optima are proven in seconds, so the peer runs at its best setting.
    h.setOptionValue("presolve", "off")
    lower = np.zeros(ncols)
    upper = np.ones(ncols)
    _ok(h.addVars(ncols, lower, upper), "addVars")
    _ok(h.changeColsCost(nx, np.arange(nx, dtype=np.int32), np.array(cost, dtype=np.float64)), "cost")
    _ok(h.changeColsIntegrality(nx, np.arange(nx, dtype=np.int32),
                            np.array([highspy.HighsVarType.kInteger] * nx)), "integrality")
    starts, index, value, lo, hi = [], [], [], [], []
    for idx, val, a, b in rows:
        starts.append(len(index))
        index += idx
        value += val
        lo.append(a)
        hi.append(b)
    _ok(h.addRows(len(rows), np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64), len(index),
              np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32),
            np.array(value, dtype=np.float64)), "addRows")
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    h.run()
    solve = time.perf_counter() - t1
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    plan = obj = bound = None
    if info.primal_solution_status == highspy.kSolutionStatusFeasible:
        vals = h.getSolution().col_value
        sessions = []
        for i, s in enumerate(slots):
            j = max(range(len(s.days)), key=lambda j: vals[xcol[i][s.days[j]]])
            exam = start + dt.timedelta(days=s.days[j])
            sessions.append(Session(s.stream, s.k, exam - dt.timedelta(days=s.gap[j]), exam, s.site, s.kind))
        plan = Plan(ctx.year, tuple(sessions), "highs")
        obj, bound = info.objective_function_value, info.mip_dual_bound
    return MipResult(status, plan, obj, bound, build, solve, ncols, len(rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--time-limit", type=float, default=120.0, help="HiGHS wall-clock limit, seconds [120]")
    ap.add_argument("--json", action="store_true", help="one JSON line instead of the sentence")
    a = ap.parse_args(argv)
    from planner import check_plan, make_context

    ctx = make_context(a.year)
    try:
        r = solve_mip(ctx, a.time_limit)
    except NotModelled as e:
        print(f"not modelled by the MIP peer: {e}", file=sys.stderr)
        return 2
    rep = check_plan(r.plan, ctx) if r.plan is not None else None
    hard = sum(v.hard for v in rep.violations) if rep else None
    if a.json:
        print(json.dumps({"year": a.year, "status": r.status, "mip_objective": r.mip_objective, "bound": r.bound,
                          "build_s": r.build_s, "solve_s": r.solve_s, "columns": r.columns, "rows": r.rows,
                          "hard": hard, "cost": rep.objective if rep else None}))
        return 0
    if r.plan is None:
        print(f"{a.year}: {r.status}, no plan")
        return 3
    print(f"{a.year}: HiGHS {r.status}, MIP objective {r.mip_objective:.0f} (bound {r.bound:.0f}), "
          f"check: {hard} hard violations, cost {rep.objective}; build {r.build_s:.2f} s, solve {r.solve_s:.2f} s, "
          f"{r.columns} columns, {r.rows} rows")
    return 0 if hard == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
