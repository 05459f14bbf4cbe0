"""Shared helpers for the publish tests (their shared fixtures, ``published`` and ``solved``, are in conftest.py:
imported into a test file, a fixture is built again for each file that imports it)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from planner.plan import Session


def with_on_demand(plan, catalogue):
    """The plan plus two on-demand sessions (丰喜, 运城职大), as a planner might add them."""
    kind = catalogue.streams["on_demand"].default_kind
    extra = [Session("on_demand", 1, dt.date(2024, 5, 6), dt.date(2024, 5, 9), "fengxi", kind, "按需"),
             Session("on_demand", 2, dt.date(2024, 10, 8), dt.date(2024, 10, 14), "yvu", kind, "")]
    return plan.with_sessions(list(plan.sessions) + extra)


def moved(plan, key, days: int):
    """A copy of *plan* with one session (and its deadline) moved by *days*."""
    delta = dt.timedelta(days=days)
    return plan.with_sessions([replace(s, exam_date=s.exam_date + delta,
                                       registration_deadline=s.registration_deadline + delta) if s.key == key else s
                               for s in plan.sessions])
