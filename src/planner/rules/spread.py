"""Soft: sessions spread evenly over the year, one rotation cycle a month, in order.

What the 2024 plan shows, said without its dates: each stream runs in *cycles* (one session
per rotation site; a single-site stream has cycles of one). Cycles go one per month, full months
(at least ``full_month_min_working_days`` working days inside the window, whose last ``end_margin_days``
are left free before the next Spring Festival) first; a cycle that does not fit goes into a partial
month at the window's edge. Inside its month the j-th session of a
cycle aims at the working day at fraction (j + position) / m of the month's working days.

Two preferences share these targets: ``monthly_cycle`` (a session outside its cycle's month costs 1)
and ``even_spread`` (each day away from the target costs 1).
"""
from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from .base import Param, Preference

SPREAD_PARAMS = {
    "streams": Param(list, ["managers", "special_ops"], "streams spread month by month"),
    "position": Param(dict, {}, "stream -> fraction of the month the cycle starts at (default 0.5)"),
    "full_month_min_working_days": Param(int, 15, "working days inside the window that make a month full",
                                         minimum=1),
    "end_margin_days": Param(int, 0, "leave the last days before the next Spring Festival break free", minimum=0),
}


def cycle_length(stream: str, ctx) -> int:
    rot = ctx.ruleset.rule("rotation")
    if rot is not None and stream in rot.streams:
        return max(1, len(ctx.sites(stream)))
    return 1


def month_targets(pref, stream: str, n: int, ctx) -> list[tuple[dt.date, dt.date, dt.date]]:
    """For sessions 1..n of *stream*: (target day, first and last day of its month in the window)."""
    start, stop = ctx.window
    stop = max(start, stop - dt.timedelta(days=pref.end_margin_days))
    return list(_targets(ctx.calendar, (start, stop), n, cycle_length(stream, ctx),
                         float(pref.position.get(stream, 0.5)), pref.full_month_min_working_days))


@lru_cache(maxsize=256)
def _targets(cal, window, n, m, pos, min_wd):
    start, stop = window
    months = []
    y, mo = start.year, start.month
    while (y, mo) <= (stop.year, stop.month):
        first = max(start, dt.date(y, mo, 1))
        nxt = dt.date(y + (mo == 12), mo % 12 + 1, 1)
        last = min(stop, nxt - dt.timedelta(days=1))
        months.append((first, last, cal.working_days(first, last)))
        y, mo = nxt.year, nxt.month
    months = [mm for mm in months if mm[2]]
    if not months or n == 0:
        return ()
    cycles = math.ceil(n / m)
    full = [i for i, mm in enumerate(months) if len(mm[2]) >= min_wd]
    if cycles <= len(full):
        chosen = [full[c * len(full) // cycles] for c in range(cycles)]
    else:
        partial = [i for i in range(len(months)) if i not in full]
        partial.sort(key=lambda i: (-len(months[i][2]), i))  # the partial month with most working days first
        pool = sorted(full + partial[: cycles - len(full)])
        if cycles <= len(pool):
            chosen = pool
        else:
            chosen = [c * len(months) // cycles for c in range(cycles)]
    out = []
    for k in range(n):
        c, j = divmod(k, m)
        in_cycle = min(m, n - c * m)
        first, last, wd = months[chosen[c]]
        idx = min(len(wd) - 1, int((j + pos) / in_cycle * len(wd)))
        out.append((wd[idx], first, last))
    return tuple(out)


class _Spread(Preference):
    def targets_from(self, ctx) -> "EvenSpread":
        """The preference holding the targets' parameters: ``even_spread`` (one place for them)."""
        return self if isinstance(self, EvenSpread) else (ctx.ruleset.rule("even_spread") or EvenSpread(weight=0))

    def _pairs(self, plan, ctx):
        src = self.targets_from(ctx)
        for stream in src.streams:
            ss = sorted(plan.stream(stream), key=lambda s: s.no)
            for s, t in zip(ss, month_targets(src, stream, len(ss), ctx)):
                yield s, t

    def _slot_pairs(self, mv, ctx):
        src = self.targets_from(ctx)
        count = ctx.ruleset.rule("session_count")
        for stream in src.streams:
            slots = mv.stream_slots(stream)
            n = count.max_sessions(stream) if count is not None else len(slots)
            for s, t in zip(slots, month_targets(src, stream, n, ctx)):
                yield s, t


class EvenSpread(_Spread):
    name = "even_spread"
    title = "sessions evenly spread inside their month"
    PARAMS = SPREAD_PARAMS

    def cost(self, plan, ctx):
        return sum(abs((s.exam_date - t[0]).days) for s, t in self._pairs(plan, ctx))

    def terms(self, mv, ctx):
        return [mv.abs_dev(s.x, mv.day(t[0]), mv.horizon, f"spread[{s.stream}#{s.k}]") for s, t in self._slot_pairs(mv, ctx)]


class MonthlyCycle(_Spread):
    """Uses the month targets of ``[preferences.even_spread]`` (streams, position, margins)."""

    name = "monthly_cycle"
    title = "one rotation cycle a month, in order"

    def cost(self, plan, ctx):
        return sum(not (t[1] <= s.exam_date <= t[2]) for s, t in self._pairs(plan, ctx))

    def terms(self, mv, ctx):
        out = []
        for s, t in self._slot_pairs(mv, ctx):
            inside = mv.in_days(s.x, set(ctx.calendar.days(t[1], t[2])), f"inmonth[{s.stream}#{s.k}]")
            out.append(1 - inside)
        return out
