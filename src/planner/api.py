"""Building the compiled :class:`~planner.problem.Problem` from files: where commands and notebooks start."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .calendar import CalendarOverride, build_calendar, load_overrides
from .data import load_catalogue
from .problem import Problem, compile_problem
from .regulation import year_kinds
from .ruleset import RuleSet, load_ruleset


def next_year(today: dt.date | None = None) -> int:
    """The default plan year: the calendar year after today."""
    return (today or dt.date.today()).year + 1


def make_context(
    year: int | None = None,
    rules: str | Path | RuleSet | None = None,
    *,
    catalogue=None,
    calendar_dir: str | Path | None = None,
    overrides: dict[int, CalendarOverride] | None = None,
    licenses=(),
    pins=(),
    demand=None,
) -> Problem:
    """The planning problem of *year* (default next year) under a rule set (default the embedded one)."""
    cat = catalogue if catalogue is not None else load_catalogue()
    y = year if year is not None else next_year()
    ovs = dict(load_overrides(calendar_dir))
    ovs.update(overrides or {})
    cal = build_calendar(y, ovs)
    # that year's 附件1 list, and its exam kinds: the regulation's in force when the plan year opens
    cat = year_kinds(cat.for_year(y), y, cal.window()[0])
    rs = rules if isinstance(rules, RuleSet) else load_ruleset(rules, cat)
    problem = compile_problem(cat, cal, rs, licenses=licenses, pins=pins)
    if demand is not None:
        from .demand import Demand, load_demand

        problem = problem.with_demand(demand if isinstance(demand, Demand) else load_demand(demand, cat))
    return problem
