#!/usr/bin/env python
"""Peer: the "clerk" — a greedy fill the way a person fills the spreadsheet, priced by ``planner check``.

    python benchmarks/peers/clerk.py --year 2025

The clerk knows the simple rules (working days, the plan window and the first registration
deadline, no deadline in 国庆/春节, one exam a day, the spacings at a site, the rotation order,
closures) and last year's
habits (one rotation cycle a month spread over the year, registration closing 5 days before, the
first cycle refresher-only). Month by month, stream by stream, the clerk aims each session of the
month at a weekly rhythm (the j-th session of a cycle in the month's week j) and writes it on the
first free working day from there that fits. The clerk does not track the 60-day coverage per
operation type or the monthly targets: whatever breaks is what ``check_plan`` reports.
"""
from __future__ import annotations

import argparse
import json
import datetime as dt
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HABIT_GAP = 5  # days from registration deadline to exam, as in most of last year's notice


def clerk_plan(ctx):
    """A plan filled greedily, month by month; may break rules (no search, no look-ahead)."""
    from planner.plan import Plan, Session

    rs = ctx.ruleset
    cal = ctx.calendar
    start, stop = ctx.window
    pw, rg = rs.rule("plan_window"), rs.rule("registration_gap")
    cap, sp, rot = rs.rule("daily_cap"), rs.rule("site_spacing"), rs.rule("rotation")
    ssp, hd, refr = rs.rule("stream_spacing"), rs.rule("holiday_deadline"), rs.rule("refresher_first_cycle")
    blocked = set(hd.blocked(ctx)) if hd else set()
    first_deadline = pw.first_deadline(ctx) if pw else start
    gmin = rg.min_days if rg else 0
    per_day_cap = cap.max_exams_per_day if cap else 10 ** 6
    spacing = sp.min_days if sp else 1
    earliest = first_deadline + dt.timedelta(days=max(gmin, 0))

    # the months of the window with at least 10 working days from the earliest possible exam on
    months = []
    y, m = start.year, start.month
    while (y, m) <= (stop.year, stop.month):
        first = max(earliest, dt.date(y, m, 1))
        last = min(stop, dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))
        if first <= last and len(cal.working_days(first, last)) >= 10:
            months.append((first, last))
        y, m = y + (m == 12), m % 12 + 1

    taken: dict[dt.date, int] = {}
    at_site: dict[str, list[tuple[dt.date, str]]] = {}

    def next_site(order: list[str], prev: str | None, day: dt.date) -> str | None:
        """The rotation's next site that is open on *day* (the sites passed over are closed then)."""
        return next((i for i in sorted(order, key=lambda i: len(rot.between(order, prev, i)))
                     if ctx.is_open(i, day) and not any(ctx.is_open(b, day) for b in rot.between(order, prev, i))),
                    None)
    sessions = []
    plans = []  # (stream, n, sites, rotating, cycle length, month of each cycle)
    for stream, spec in ctx.streams.items():
        n, sites = spec.count, list(spec.sites)
        if not n or not sites:  # on-demand sites (count None) are arranged as needed: the clerk leaves them
            continue
        rotating = rot is not None and stream in rot.streams
        m_len = len(sites) if rotating else 1
        cycles = math.ceil(n / m_len)
        month_of = [c * len(months) // cycles for c in range(cycles)] if cycles <= len(months) else \
            [min(len(months) - 1, c * len(months) // cycles) for c in range(cycles)]
        plans.append((stream, n, sites, rotating, m_len, month_of))
    last_day: dict[str, dt.date] = {}
    last_site: dict[str, str | None] = {}
    for mi, (m0, m1) in enumerate(months):
        for stream, n, sites, rotating, m_len, month_of in plans:
            for c in [c for c, mo in enumerate(month_of) if mo == mi]:
                for j in range(m_len):
                    k = c * m_len + j + 1
                    if k > n:
                        break
                    aim = max(m0 + dt.timedelta(days=7 * j), last_day.get(stream, start))
                    day = aim
                    while True:
                        if day > stop:
                            day = None
                            break
                        site = next_site(sites, last_site.get(stream), day) if rotating else sites[0]
                        gap_days = ssp.min_days.get(stream, 0) if ssp else 0
                        ok = (cal.is_working_day(day) and taken.get(day, 0) < per_day_cap and site is not None
                              and ctx.is_open(site, day)
                              and all(abs((day - d).days) >= spacing for d, _ in at_site.get(site, []))
                              and all(abs((day - d).days) >= gap_days for d, st in at_site.get(site, [])
                                      if st == stream))
                        if ok:
                            break
                        day += dt.timedelta(days=1)
                    if day is None:
                        continue  # the clerk runs out of year: the session is missing (check reports it)
                    deadline = max(day - dt.timedelta(days=HABIT_GAP), first_deadline)
                    while deadline in blocked and deadline > first_deadline:  # not inside 国庆 / 春节
                        deadline -= dt.timedelta(days=1)
                    kinds = ctx.streams[stream].kinds
                    kind = refr.wanted(stream, k, ctx) if refr and stream in refr.streams else kinds[0]
                    sessions.append(Session(stream, k, deadline, day, site, kind if kind in kinds else kinds[0]))
                    taken[day] = taken.get(day, 0) + 1
                    at_site.setdefault(site, []).append((day, stream))
                    last_day[stream], last_site[stream] = day, site
    return Plan(ctx.year, tuple(sessions), "clerk")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--json", action="store_true", help="one JSON line instead of the sentence")
    a = ap.parse_args(argv)
    from planner import check_plan, make_context

    ctx = make_context(a.year)
    t0 = time.perf_counter()
    plan = clerk_plan(ctx)
    fill = time.perf_counter() - t0
    rep = check_plan(plan, ctx)
    hard = [v for v in rep.violations if v.hard]
    by_rule = {k: v for k, v in rep.per_rule.items() if v}
    if a.json:
        print(json.dumps({"year": a.year, "fill_s": fill, "sessions": len(plan.sessions), "hard": len(hard),
                          "by_rule": by_rule, "cost": rep.objective}))
        return 0
    print(f"{a.year}: clerk filled {len(plan.sessions)} sessions in {fill:.3f} s; check: {len(hard)} hard violations "
          f"{by_rule or ''}, cost {rep.objective}")
    return 0 if not hard else 1


if __name__ == "__main__":
    sys.exit(main())
