"""Re-planning a published plan from a date: what was announced before it stays, the rest changes least.

Sessions whose exam is before the date are pinned (candidates have registered, some have sat).
The rest is solved again with the published plan as the reference: the solver minimises first
the number of sessions changed, then the total days moved, then the usual preferences. Each
change gets a reason: the new rules the old session breaks, or else that it made room for one
that had to move.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .compare import Change, diff_plans
from .problem import Problem
from .plan import Plan, Session


def fixed_sessions(plan: Plan, from_date: dt.date) -> list[Session]:
    """The sessions already published and running: exam before *from_date*."""
    return [s for s in plan.sessions if s.exam_date < from_date]


def replan_pins(plan: Plan, from_date: dt.date, scenario=None) -> tuple[list[Session], dict]:
    """Pins for a re-plan: the plan's sessions before the date, plus a scenario's own pins.

    Returns the pins and, per session key, ``(file, key)`` naming where each was pinned. A scenario
    pin that contradicts a session already held is an input error.
    """
    from .errors import PlannerError

    pins = {s.key: s for s in fixed_sessions(plan, from_date)}
    where = {k: (plan.source, f"{s.stream} #{s.no} (before {from_date}, kept)") for k, s in pins.items()}
    for s in (scenario.pins if scenario is not None else ()):
        file, key = scenario.pin_keys[s.key]
        if s.key in pins and pins[s.key] != s:
            raise PlannerError(f"pins {s.label()}, but that session is before {from_date} and already published "
                               f"as {pins[s.key].label()} at {pins[s.key].institution}", file=file, field=key)
        pins[s.key], where[s.key] = s, (file, key)
    return sorted(pins.values()), where


def check_kept(pins: list[Session], ctx: Problem, where: dict) -> None:
    """Kept sessions judged by the new rules: one that breaks them means the scenario rewrites the past."""
    from .errors import PlannerError
    from .scenario import check_pins

    try:
        check_pins(pins, ctx, where)
    except PlannerError as err:
        raise PlannerError(err.message + " (a kept session cannot move: start the re-plan earlier, or make "
                           "the scenario's change start after it)", file=err.file, field=err.field) from None


def reasons(old: Plan, new: Plan, ctx: Problem, changes: list[Change] | None = None) -> dict:
    """Why each change: the old session's violations of the new rules, else a knock-on of the nearest such."""
    from .check import check_plan

    changes = diff_plans(old, new) if changes is None else changes
    report = check_plan(old, ctx)
    own: dict[tuple[str, int], list[str]] = {}
    stream_wide: dict[str, list[str]] = {}
    for v in report.violations:
        if not v.hard:
            continue
        if v.no is None:
            stream_wide.setdefault(v.stream or "", []).append(f"{v.rule}: {v.message}")
        else:
            own.setdefault((v.stream, v.no), []).append(f"{v.rule}: {v.message}")
    broken = sorted((old.by_key()[k] for k in own if k in old.by_key()), key=lambda s: s.exam_date)
    out = {}
    for c in changes:
        key = (c.stream, c.no)
        if key in own:
            out[key] = "; ".join(dict.fromkeys(own[key]))
        elif c.what in ("added", "removed") and c.stream in stream_wide:
            out[key] = "; ".join(dict.fromkeys(stream_wide[c.stream]))
        elif broken and c.old is not None:
            near = min(broken, key=lambda s: (s.stream != c.stream, abs((s.exam_date - c.old.exam_date).days),
                                              s.exam_date))
            out[key] = f"knock-on: made room for {near.stream} #{near.no}, which breaks the new rules"
        elif stream_wide.get(c.stream):
            out[key] = "knock-on: " + "; ".join(dict.fromkeys(stream_wide[c.stream]))
        else:
            out[key] = "knock-on: the new rules move the sessions around it"
    return out


@dataclass
class Replan:
    """A re-plan's outcome: the solver result, the pins it kept, and each change with its reason."""

    result: object  # planner.solver.Result
    pins: list[Session]
    changes: list[Change] = field(default_factory=list)
    reasons: dict = field(default_factory=dict)


def replan(plan: Plan, ctx: Problem, from_date: dt.date, *, scenario=None, seed: int = 0,
           time_limit: float = 30.0) -> Replan:
    """Re-plan *plan* under *ctx* from *from_date* (the library face of ``planner replan``)."""
    from .solver import solve

    pins, where = replan_pins(plan, from_date, scenario)
    check_kept(pins, ctx, where)
    result = solve(ctx, seed=seed, time_limit=time_limit, reference=plan, pins=pins)
    out = Replan(result, pins)
    if result.plan is not None:
        out.changes = diff_plans(plan, result.plan)
        out.reasons = reasons(plan, result.plan, ctx, out.changes)
    return out
