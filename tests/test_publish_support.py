"""Shared helpers for the publish tests: a published 2024 set, built once per session."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from planner.plan import Session


@pytest.fixture(scope="session")
def published(tmp_path_factory, plan2024, ctx2024):
    """The 2024 plan published (charts included) into a folder; (folder, written paths)."""
    from planner.publish.run import publish_all

    out = tmp_path_factory.mktemp("pub")
    return out, publish_all(plan2024, ctx2024, out)


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


@pytest.fixture(scope="session")
def solved():
    """year -> (plan, ctx) for generated plans of 2025 (all dates official), 2026 (reaches into January
    2027, provisional today) and 2027 (provisional); solved once per session."""
    from planner.api import make_context
    from planner.solver import solve

    cache = {}

    def get(year: int):
        if year not in cache:
            ctx = make_context(year)
            cache[year] = (solve(ctx, time_limit=30).plan, ctx)
        return cache[year]

    return get
