"""Where each session of a stream aims to sit: the month and the day inside it.

What the 2024 plan shows, said without its dates: a stream runs in *cycles* (one session per
rotation site; a single-site stream has cycles of one). Cycles go one per month: full months
(at least ``full_month_min_working_days`` working days inside the window, whose last
``end_margin_days`` are left free before the next Spring Festival) first; when there are more
cycles than full months, the partial months at the window's edges are used, chosen so that
consecutive cycles stay as far apart as possible (the most even spread; ties go to the month with
more working days). Inside its month the j-th session of a cycle aims at the working day at
fraction (j + position) / m of the month's working days.

A pure function of the calendar and the parameters: the compiled problem computes the targets
once and both spread preferences read them (cost on a plan and penalty terms in the model).
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
from functools import lru_cache

Target = tuple[dt.date, dt.date, dt.date]  # (target day, first and last day of its month in the window)


def months_in(cal, start: dt.date, stop: dt.date) -> list[tuple[dt.date, dt.date, list[dt.date]]]:
    """(first, last, working days) of every month the window touches that has a working day."""
    out = []
    y, mo = start.year, start.month
    while (y, mo) <= (stop.year, stop.month):
        first = max(start, dt.date(y, mo, 1))
        nxt = dt.date(y + (mo == 12), mo % 12 + 1, 1)
        last = min(stop, nxt - dt.timedelta(days=1))
        wd = cal.working_days(first, last)
        if wd:
            out.append((first, last, wd))
        y, mo = nxt.year, nxt.month
    return out


def _place(months, chosen: list[int], n: int, m: int, pos: float) -> list[Target]:
    out = []
    for k in range(n):
        c, j = divmod(k, m)
        in_cycle = min(m, n - c * m)
        first, last, wd = months[chosen[c]]
        idx = min(len(wd) - 1, int((j + pos) / in_cycle * len(wd)))
        out.append((wd[idx], first, last))
    return out


def _min_gap(targets: list[Target], m: int) -> int:
    """Smallest distance in days between the first sessions of consecutive cycles."""
    firsts = [t[0] for t in targets[::m]]
    return min(((b - a).days for a, b in zip(firsts, firsts[1:])), default=10 ** 6)


@lru_cache(maxsize=512)
def month_targets(cal, window: tuple[dt.date, dt.date], n: int, m: int, pos: float, min_wd: int,
                  end_margin: int) -> tuple[Target, ...]:
    """Targets for sessions 1..n of a stream with cycles of *m* sessions."""
    start, stop = window
    stop = max(start, stop - dt.timedelta(days=end_margin))
    months = months_in(cal, start, stop)
    if not months or n <= 0:
        return ()
    m = max(1, m)
    cycles = math.ceil(n / m)
    full = [i for i, mm in enumerate(months) if len(mm[2]) >= min_wd]
    if cycles <= len(full):
        return tuple(_place(months, [full[c * len(full) // cycles] for c in range(cycles)], n, m, pos))
    partial = [i for i in range(len(months)) if i not in full]
    need = cycles - len(full)
    if need > len(partial):  # more cycles than months: spread them over the months in order
        return tuple(_place(months, [c * len(months) // cycles for c in range(cycles)], n, m, pos))
    best = None
    for extra in itertools.combinations(partial, need):
        chosen = sorted(full + list(extra))
        placed = _place(months, chosen, n, m, pos)
        key = (_min_gap(placed, m), sum(len(months[i][2]) for i in extra), [-i for i in extra])
        if best is None or key > best[0]:
            best = (key, placed)
    return tuple(best[1])
