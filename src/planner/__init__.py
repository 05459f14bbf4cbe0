"""planner: plan, check and publish the yearly calendar of safety-certification exams.

The public API, small on purpose::

    from planner import make_context, read_plan, check_plan, solve
    ctx = make_context(2024)                       # calendar + notice data + rule set
    plan = read_plan("scenarios/plan_2024.csv", ctx.catalogue)
    check_plan(plan, ctx).ok                        # True: the published plan obeys every rule
    result = solve(ctx)                             # CP-SAT; result.status, result.plan, result.summary()

``solve``, ``Result`` and ``Status`` live in :mod:`planner.solver` and load OR-Tools on first use,
so ``planner check`` and ``planner calendar`` start without it.
"""
from __future__ import annotations

import importlib

from .api import make_context, next_year
from .calendar import WorkCalendar, build_calendar
from .check import CheckReport, check_plan
from .data import Catalogue, Institution, load_catalogue
from .errors import InfeasibleError, PlannerError
from .plan import Plan, Session, write_plan
from .planio import read_plan
from .ruleset import RuleSet, load_ruleset

__all__ = [
    "Catalogue", "CheckReport", "InfeasibleError", "Institution", "Plan", "PlannerError", "Result", "RuleSet",
    "Session", "Status", "WorkCalendar", "build_calendar", "check_plan", "load_catalogue", "load_ruleset",
    "make_context", "next_year", "read_plan", "solve", "write_plan",
]


def __getattr__(name: str):
    if name in ("solve", "Result", "Status"):
        return getattr(importlib.import_module("planner.solver"), name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
