"""Solving: a solver-neutral :class:`Result` from the CP-SAT model, and conflicts named when there is none.

Determinism: CP-SAT runs with one worker, a fixed seed and a limit in *deterministic* time
(``max_deterministic_time``, a work count, not the wall clock), so the same inputs and seed
give the same plan whatever the machine's load. A wall-clock limit of the same size stands
behind it, so a run always returns within its time limit plus the time to build the model;
when that wall limit is what stops the search (a heavily loaded machine), the run says so.
Objectives with tiers (re-planning: fewest sessions moved, then fewest days moved, then
preferences) are solved one tier after another, each from the previous tier's solution.
"""
from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .errors import InternalError, PlannerError, TimeLimitError
from .lns import hint_all
from .model import ModelVars, build_model, cp_solver, implied_spans, pin
from .plan import Plan, Session
from .problem import Problem
from .rules.session_count import SessionCount


class Status(enum.Enum):
    OPTIMAL = "OPTIMAL"  # a plan, proven optimal (every tier)
    TIME_LIMIT = "TIME_LIMIT"  # a plan, but the time limit stopped the search before it was proven optimal
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"  # no plan and no proof that none exists: the limit came first
    MODEL_INVALID = "MODEL_INVALID"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.TIME_LIMIT)


#: CP-SAT with one worker and no other stop condition returns FEASIBLE only when a limit stopped it
_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.TIME_LIMIT,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
}


@dataclass
class Result:
    status: Status
    plan: Plan | None
    objective: int | None = None  # the preferences' cost recomputed on the plan (check face)
    solver_objective: int | None = None  # the value CP-SAT minimised (model face); equal, or InternalError
    bound: float | None = None  # CP-SAT's proven lower bound on the preferences' cost (= objective when OPTIMAL)
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)  # preference -> (weight, unweighted cost)
    report: Any = None  # planner.check.CheckReport of the plan: every generated plan is checked once, here
    tiers: dict[str, int] = field(default_factory=dict)  # stability tiers (sessions_changed, days_moved)
    solve_seconds: float = 0.0
    deterministic_time: float = 0.0
    conflict: list[str] = field(default_factory=list)
    conflict_keys: list[str] = field(default_factory=list)  # the same items as rule-instance keys
    conflict_minimal: bool = True  # False when a trial of the explanation ran out of time
    calendar_status: str = ""
    seed: int = 0
    stopped_by: str = ""  # "" | "deterministic limit" | "wall-clock limit" | QUICK_STOP (solve's quick answer)
    #: tiers the limit left unsearched but for the deadlines (:func:`_deadlines_only`): "sessions_changed", …
    unsearched: list[str] = field(default_factory=list)
    # with candidates and no plan found: what the year's best plan without them breaks (rule-instance keys, as a
    # conflict names them), which is what the search had to mend
    binding: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Relative distance between the plan's cost and the proven bound: 0.0 when proven optimal."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective <= self.bound:
            return 0.0
        return (self.objective - self.bound) / self.objective

    def summary(self) -> str:
        lines = [f"status: {self.status.value}"]
        if self.plan is not None:
            lines.append(f"sessions: {len(self.plan.sessions)} "
                         + ", ".join(f"{s}={len(self.plan.stream(s))}" for s in self.plan.streams()))
        if self.objective is not None:
            lines.append(f"objective: {self.objective} (solver: {self.solver_objective})")
            if self.bound is not None:
                lines.append(f"bound: {self.bound:g}, gap: {100 * self.gap:.2f} %")
            for name, (w, c) in self.parts.items():
                lines.append(f"  {name}: {w} x {c} = {w * c}")
        for name, v in self.tiers.items():
            lines.append(f"{name}: {v}" + (" (only the deadlines searched: the time limit came first)"
                                           if name in self.unsearched else ""))
        if "preferences" in self.unsearched:
            lines.append("preferences: only the deadlines searched (the time limit came first); raise --time-limit")
        if self.conflict:
            lines.append("conflict: " + "; ".join(self.conflict)
                         + ("" if self.conflict_minimal else NOT_MINIMAL))
        if self.stopped_by == QUICK_STOP:
            lines.append("stopped by the quick search (the plan without candidates, its sessions moved until no move "
                         "the local search tries helps): --thorough, or --start with this plan, searches on")
        elif self.stopped_by:
            lines.append(f"stopped by the {self.stopped_by}")
        lines.append(f"calendar: {self.calendar_status}")
        lines.append(f"solve time: {self.solve_seconds:.3f} s (deterministic {self.deterministic_time:.3f})")
        return "\n".join(lines)


def wall_factor() -> float:
    """Wall seconds behind one deterministic unit: 1, or ``PLANNER_WALL_FACTOR`` (the test suite sets 20, so
    that the deterministic limit, not the machine's load, decides every test's run)."""
    import os

    raw = os.environ.get("PLANNER_WALL_FACTOR", "").strip()
    try:
        f = float(raw or 1)
    except ValueError:
        f = math.nan
    if not 1 <= f <= 1000:  # a planner sets it to make runs repeat: a typo must not quietly undo that
        raise PlannerError(f"PLANNER_WALL_FACTOR={raw!r} is not a number from 1 to 1000 (wall seconds per "
                           "deterministic unit)", field="PLANNER_WALL_FACTOR")
    return f


#: said after a conflict the time limit kept from being proven minimal (command line and summary alike)
NOT_MINIMAL = " (not proven minimal: the time limit ended the explanation; a longer --time-limit may name fewer items)"

#: Deterministic units per second of time limit for a model with candidates. CP-SAT's unit is meant to be about a
#: second, but much of the work on the candidates' model is LP, presolve and the rounds' loading, which the unit
#: counts lightly: on the 2-core reference machine whole runs got 0.17–0.25 units a second on the 2025–2027
#: estimates (the 2025 repair about 0.17). At one unit per second the wall clock stopped every such run, so two
#: runs could give different plans; at 0.15 the deterministic limit stops it first and the plan repeats (README,
#: "Determinism and time limits"). A calibration of the machine, not of any plan.
DEMAND_UNITS_PER_SECOND = 0.15


class _Clock:
    """The run's budget: deterministic units for reproducibility (*rate* per second of the limit), wall seconds
    as a backstop."""

    def __init__(self, limit: float, rate: float = 1.0, start: float | None = None) -> None:
        self.limit = float(limit) * rate
        self.wall = float(limit) * wall_factor()
        self.start = time.perf_counter() if start is None else start  # the wall clock counts from *start*
        self.det_used = 0.0
        self.wall_stop = False

    def solver(self, seed: int, share: float = 1.0) -> cp_model.CpSolver:
        """A solver for *share* of the work left. The wall clock behind it is the whole run's: a step whose
        work runs slower than the rate (the candidates' LP) then borrows from later steps' wall time instead of
        being cut short, which would make the plan depend on the machine's load."""
        s = cp_solver()
        s.parameters.random_seed = seed
        s.parameters.max_deterministic_time = max(0.01, (self.limit - self.det_used) * share)
        s.parameters.max_time_in_seconds = max(0.01, self.wall - (time.perf_counter() - self.start))
        return s

    def account(self, solver: cp_model.CpSolver, status) -> None:
        self.det_used += solver.deterministic_time
        # Stopped short by the wall clock, with a plan (FEASIBLE) or without (UNKNOWN): such a run may differ from
        # one on another machine or load, which summary.json's stopped_by then says.
        proven = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
        if not proven and solver.wall_time >= solver.parameters.max_time_in_seconds * 0.99:
            self.wall_stop = True

    @property
    def left(self) -> float:
        """The budget left; asked by every step before it starts (the neighbourhood rounds, the final search), so
        a wall clock that ran out between two CP-SAT calls, work left, is a wall-clock stop too."""
        wall_left = self.wall - (time.perf_counter() - self.start)
        if wall_left <= 0 and self.limit - self.det_used >= 0.05:
            self.wall_stop = True
        return min(self.limit - self.det_used, wall_left)


def _extract(mv: ModelVars, solver: cp_model.CpSolver, ctx: Problem, reference: Plan | None) -> Plan:
    ref = reference.by_key() if reference is not None else {}
    sessions = []
    for stream, slots in mv.slots.items():
        kinds = ctx.streams[stream].kinds
        for s in slots:
            if not solver.boolean_value(s.present):
                continue
            x = solver.value(s.x)
            inst = next(i for i, lit in s.at.items() if solver.boolean_value(lit))
            kind = kinds[solver.value(s.kind)] if s.kind is not None else kinds[0]
            exam = mv.date(x)
            deadline = mv.date(x - solver.value(s.gap))
            r = ref.get(s.key)
            notes = r.notes if r is not None and (r.exam_date, r.institution) == (exam, inst) else ""
            sessions.append(Session(stream, s.k, deadline, exam, inst, kind, notes))
    return Plan(ctx.year, tuple(sessions), "planner")


def _stability(mv: ModelVars, reference: Plan) -> tuple[list, list, int]:
    """(changed literals, day deviations, constant count of reference sessions that have no slot)."""
    changed, days = [], []
    ref = reference.by_key()
    for s in mv.all_slots():
        r = ref.get(s.key)
        if r is None:
            continue
        same = mv.model.new_bool_var(f"same[{s.stream}#{s.k}]")
        pin(mv, s, r, [same])  # same: the slot holds the reference session unchanged
        changed.append(1 - same)
        d = mv.abs_dev(s.x, mv.day(r.exam_date), 2 * mv.horizon, f"moved[{s.stream}#{s.k}]")
        days.append(mv.if_present(s, d, 2 * mv.horizon))
    missing = sum(mv.slot_for(r.key) is None for r in reference.sessions)
    return changed, days, missing


def _hint(mv: ModelVars, plan: Plan, known: dict | None = None) -> None:
    """Start the search from *plan* (e.g. each city's own optimum in a province); *known* adds the values of other
    decisions (var index -> value), from which the candidates' queue is hinted too."""
    from .queueing import hint_queue

    by_key = plan.by_key()
    values = dict(known or {})
    for slot in mv.all_slots():
        s = by_key.get(slot.key)
        mv.model.add_hint(slot.present, s is not None)
        values[slot.present.index] = int(s is not None)
        if s is None:
            continue
        values[slot.x.index] = mv.day(s.exam_date)
        values[slot.gap.index] = s.gap_days
        mv.model.add_hint(slot.x, values[slot.x.index])
        mv.model.add_hint(slot.gap, values[slot.gap.index])
        for i, lit in slot.at.items():
            mv.model.add_hint(lit, i == s.institution)
            values[lit.index] = int(i == s.institution)
        kinds = mv.ctx.streams[slot.stream].kinds
        if slot.kind is not None and s.kind in kinds:
            mv.model.add_hint(slot.kind, kinds.index(s.kind))
    hint_queue(mv, values)


def _target_hint(mv: ModelVars, ctx: Problem) -> None:
    """Start the search from the month targets: each session on its target day, the rotation in order, the
    preferred gap. Not always feasible; CP-SAT repairs it, and starting near the optimum shortens the proof
    most where a closure leaves the search far from it (figures in CHANGELOG.md)."""
    gap = next((g for r in ctx.ruleset.all() if (g := r.hint_gap()) is not None), 0)
    for stream, slots in mv.slots.items():
        spec, targets = ctx.streams[stream], ctx.targets.get(stream, ())
        sites = [i for i in spec.sites if slots and i in slots[0].at]
        for s in slots:
            if s.k > min(len(targets), spec.max_sessions) or not sites:
                continue
            site = sites[(s.k - 1) % len(sites)] if spec.rotates else sites[0]
            mv.model.add_hint(s.present, True)
            mv.model.add_hint(s.x, mv.day(targets[s.k - 1][0]))
            mv.model.add_hint(s.gap, gap)
            for i, lit in s.at.items():
                mv.model.add_hint(lit, i == site)


def solve(
    ctx: Problem,
    *,
    seed: int = 0,
    time_limit: float = 30.0,
    reference: Plan | None = None,
    pins: list[Session] | None = None,
    explain: bool = True,
    hint: Plan | None = None,
    first_tiers=None,
    units_per_second: float | None = None,
    start: Plan | None = None,
    quick: bool = False,
) -> Result:
    """Plan the year under ``ctx``'s rule set.

    With *reference*, stay as close to it as possible (fewest sessions changed, then fewest days
    moved), then optimise the preferences; *pins* (and the problem's own pins) are fixed;
    *hint* is a plan to start the search from (default: the reference, else the month targets). *time_limit* bounds the whole run, explanation
    included, in deterministic units (``DEMAND_UNITS_PER_SECOND`` per second with candidates, or *units_per_second*) and in wall seconds. *first_tiers* (a re-plan's cost in people,
    :func:`planner.replan.people_tiers`): ``mv -> [(name, expr)]``, minimised before every other tier.

    With candidates (``ctx.demand``) the year is first planned without them, which takes a fraction of the
    time: when that plan keeps every wait within the limit and seats nobody late, it is also the best plan
    with them (it is optimal for fewer terms and pays nothing for the others) and is returned as it is;
    otherwise it is where the search with the candidates starts. When it breaks the waiting limit, the search
    starts instead from the best plan by the other preferences that keeps every rule (:func:`_repair_hint`), whose
    proven cost is then the bound the result states. The search with the candidates ends in rounds of a
    neighbourhood search (:mod:`planner.lns`), which improves the plan far faster than the whole-model search.

    *start* continues an earlier run (继续优化): the search starts from that plan instead, and the result is never
    dearer than it (when the plan keeps every rule of ``ctx`` and every pin); with candidates, the bound is a fresh
    run's.

    *quick* (``planner plan`` and 生成 with candidates, unless ``--thorough``): the plan without candidates, moved one
    session at a time by the local search, is the answer (:func:`_quick`), without CP-SAT's search with the queue;
    when the local search cannot bring that plan within the waiting limit, the thorough search runs as without
    *quick*. Only for a year planned from scratch: a re-plan, first tiers, a *hint* or a *start* search as without it.
    """
    if start is not None and (hint is not None or reference is not None or first_tiers is not None):
        raise ValueError("start continues a plan's own search: not with a hint, a reference or first tiers")
    started = time.perf_counter()
    first = _first_without_candidates(ctx, seed, time_limit, reference, pins, first_tiers, explain, hint, start)
    if isinstance(first, Result):
        return first
    hint, known, floor, binding, plain = first
    quick = quick and start is None and plain
    # the wall-clock backstop is the whole run's: the plan without candidates counts against it (at 240 sessions
    # that and the spans took 6-10 s, and a 30 s run took 38 s)
    if units_per_second is None:
        units_per_second = DEMAND_UNITS_PER_SECOND if getattr(ctx, "demand", None) is not None else 1.0
    clock = _Clock(time_limit, units_per_second, start=started)
    all_pins = list({p.key: p for p in list(ctx.pins) + list(pins or [])}.values())
    # with candidates, the plan's own search (not a re-plan's, whose tiers come first) ends in rounds of a
    # neighbourhood search (planner.lns), and starts from the plan a plain-Python local search makes of its start
    neighbourhoods = getattr(ctx, "demand", None) is not None and reference is None and first_tiers is None
    descended = None  # the local search's plan, which keeps every rule: never lost to a search cut short
    if neighbourhoods and hint is not None and not getattr(ctx.demand, "free_days", False):  # sizing picks days itself
        if quick:
            fast = _quick(ctx, hint, clock, all_pins, floor, seed, mend=bool(binding))
            if fast is not None:
                return fast
        descended = _descend(ctx, hint, clock, all_pins)
        hint, descended = descended, (descended if descended is not hint else None)
    # With candidates, the queue builds literals per ready day a slot's days can reach: narrow those days first.
    mv = build_model(ctx, spans=implied_spans(ctx, time_limit=0.1 * time_limit) if ctx.demand is not None else None)
    m = mv.model
    kept, repaired = _start(mv, ctx, clock, seed, all_pins, hint if hint is not None else reference, neighbourhoods)
    if repaired is not None:
        floor = max(floor or 0, repaired)

    pref_expr = mv.objective_expr()
    tiers: list[tuple[str, object]] = []
    missing = 0
    if first_tiers is not None:
        tiers += first_tiers(mv)
    if reference is not None:
        changed, days, missing = _stability(mv, reference)
        tiers += [("sessions_changed", sum(changed)), ("days_moved", sum(days))]
    tiers.append(("preferences", pref_expr))

    status, solver, bound, proven, tier_values, unsearched = _solve_tiers(mv, tiers, clock, seed, neighbourhoods,
                                                                          kept, floor, missing, known)
    st = _STATUS.get(status, Status.UNKNOWN)
    if st == Status.OPTIMAL and not proven:
        st = Status.TIME_LIMIT  # the last tier is optimal only given an earlier tier the limit cut short
    result = Result(st, None, calendar_status=ctx.calendar.status(), seed=seed)
    if st == Status.MODEL_INVALID:
        raise InternalError("CP-SAT rejected the model as invalid: " + m.validate())
    if st.has_plan:
        result.plan = _extract(mv, solver, ctx, reference)
        result.report = _assert_checks(result.plan, ctx)
        result.parts, result.objective = result.report.costs, result.report.objective
        result.tiers = {k: v for k, v in tier_values.items() if k != "preferences"}
        result.unsearched = unsearched
        result.solver_objective = tier_values.get("preferences")
        # The bound of the last tier (the preferences), given the earlier tiers' values: a bound on the plan's cost.
        # The cost is a whole number, so the bound rounds up (the tolerance absorbs CP-SAT's float arithmetic).
        bound = result.solver_objective if st == Status.OPTIMAL else math.ceil(bound - 1e-6)
        if floor is not None:
            bound = max(bound, floor)
        result.bound = float(max(0, min(bound, result.objective)))  # every preference costs 0 or more
        if result.solver_objective != result.objective:  # at every plan found, not only at the optimum
            raise InternalError(f"the solver minimised {result.solver_objective} but the plan's preferences cost "
                                f"{result.objective}: a preference's two faces disagree; please report it with "
                                "the inputs")
    elif st == Status.INFEASIBLE and explain:
        result.conflict_keys, result.conflict_minimal = explain_infeasibility(ctx, pins=all_pins, seed=seed,
                                                                              clock=clock)
        result.conflict = describe_conflicts(result.conflict_keys, ctx)
    result.binding = binding if not st.has_plan and st != Status.INFEASIBLE else []
    if status == cp_model.UNKNOWN or st == Status.TIME_LIMIT:
        result.stopped_by = "wall-clock limit" if clock.wall_stop else "deterministic limit"
    if st != Status.INFEASIBLE:
        _keep_given(result, (start, descended), ctx, all_pins, floor)
    result.solve_seconds = time.perf_counter() - clock.start
    result.deterministic_time = clock.det_used
    return result


def _first_without_candidates(ctx: Problem, seed: int, time_limit: float, reference, pins, first_tiers, explain: bool,
                              hint: Plan | None, start: Plan | None):
    """With candidates, the run planned first without them (:func:`_near_reference` for a re-plan,
    :func:`_without_candidates` for a year): a Result that is the answer, or (the search's start, the tiers already
    proven, the proven lower bound on the cost, what the plan without candidates breaks with them, whether the start
    is the year planned without candidates)."""
    if getattr(ctx, "demand", None) is not None and hint is None and reference is not None:
        hint, known = _near_reference(ctx, seed, time_limit, reference, pins, first_tiers, explain)
        if isinstance(hint, Result):
            return hint  # infeasible without the candidates already: so with them, for the reason it names
        return hint, known, None, [], False
    if getattr(ctx, "demand", None) is not None and hint is None and reference is None and first_tiers is None:
        plain, floor, binding = _without_candidates(ctx, seed, time_limit, pins, explain)
        if isinstance(plain, Result):
            return plain  # proven optimal with the candidates: no plan, *start* included, costs less
        return (plain if start is None else start), {}, floor, binding, plain is not None
    return (start if start is not None else hint), {}, None, [], False


def _keep_given(result: Result, plans, ctx: Problem, pins: list[Session], floor: int | None) -> None:
    """The result is never dearer than a plan the run was given or made itself before its search (*plans*: the
    plan continued, the local search's), even when the search was cut short before it found one."""
    for plan in plans:
        if plan is not None:
            _no_dearer_than(plan, result, ctx, pins)
    if result.plan is not None:
        result.binding = []
        if result.bound is None and floor is not None:  # the local search's plan, no search returned one in time
            result.bound = float(max(0, min(floor, result.objective)))


#: the most moves the quick search prices (deterministic, as every limit of a run): from the plans without
#: candidates, the 2026-2028 estimates' reach their local optimum in 7 000-11 000 moves, and the 2025 estimate's,
#: which breaks the waiting limit, is mended and at its local optimum after 66 811 (2026-12-05); the limit bounds
#: larger years (240 sessions)
QUICK_MOVES = 100_000


def _quick(ctx: Problem, plan: Plan, clock: _Clock, pins: list[Session], floor: int | None, seed: int,
           mend: bool) -> Result | None:
    """The quick answer with candidates: *plan* (the year planned without them) with its sessions moved one at a
    time by :func:`planner.descent.improve` until no single move lowers the cost or ``QUICK_MOVES`` are priced;
    when *plan* breaks the waiting limit (*mend*), blocks and pairs of sessions are moved too, first to seat every
    candidate in time (moved one at a time, the 2025 estimate's plan still left candidates overdue; with blocks and
    pairs it was mended in 0.96 s). Without *mend*, blocks and pairs found nothing more on the 2026-2028 estimates, at
    twice the time. None when the plan still breaks a rule: the thorough search then runs.

    Why: item 7 of issue 17 asks ``plan --demand`` within 1.3x of the plan without candidates; CP-SAT's search with
    the queue proves nothing on the estimates and runs to its limit (10-15 s at 30 s). The quick answer's bound is the
    plan without candidates' proven cost, as the thorough search's is; 继续优化 (``plan --start``) or ``--thorough``
    search on. The plan is checked here: its cost must be the one the search computed.

    Its moves come out of the run's deterministic budget (a short ``--time-limit`` stops it there: ``stopped_by``
    "deterministic limit", and the plan repeats); "wall-clock limit" only when the wall clock stopped it. A search
    that cannot mend *plan* is not charged: the thorough search after it is then ``--thorough``'s, with the same
    work and the same plan (audit Q: it had less, and gave ``reproduce_2024`` another plan, past the limit)."""
    from .check import check_plan
    from .descent import MOVES_PER_UNIT, improve

    budget = min(QUICK_MOVES, max(0, int((clock.limit - clock.det_used) * MOVES_PER_UNIT)))
    walled = []  # the wall clock's stop, when it is what ends the search

    def out_of_time() -> bool:
        if not walled and time.perf_counter() - clock.start >= clock.wall:
            walled.append(True)
            clock.wall_stop = True
        return bool(walled)

    out = improve(plan, ctx, budget, held={p.key for p in pins}, out_of_time=out_of_time, together=mend)
    report = check_plan(out.plan, ctx)
    if out.overdue or not report.ok:
        return None
    clock.det_used += out.moves / MOVES_PER_UNIT
    if report.objective != out.cost:
        raise InternalError(f"the quick search priced its plan at {out.cost} but check finds {report.objective}: "
                            "please report it with the inputs")
    proven = floor is not None and report.objective <= floor
    result = Result(Status.OPTIMAL if proven else Status.TIME_LIMIT, out.plan, calendar_status=ctx.calendar.status(),
                    seed=seed)
    result.report, result.parts, result.objective = report, report.costs, report.objective
    result.solver_objective = out.cost
    result.bound = None if floor is None else float(max(0, min(floor, report.objective)))
    cut = "wall-clock limit" if walled else ("deterministic limit" if out.moves >= budget < QUICK_MOVES else "")
    result.stopped_by = "" if proven else (cut or QUICK_STOP)
    result.solve_seconds = time.perf_counter() - clock.start
    result.deterministic_time = clock.det_used
    return result


#: ``Result.stopped_by`` of the quick answer (summary.json's ``stopped_by``; the workbench says it in Chinese)
QUICK_STOP = "quick search"


def _descend(ctx: Problem, plan: Plan, clock: _Clock, pins: list[Session]) -> Plan:
    """*plan* improved by :func:`planner.descent.improve` within ``descent.SHARE`` of the work left, or all of it
    when *plan* breaks a rule (its moves charged to *clock* at ``descent.MOVES_PER_UNIT``); *plan* itself when the
    search does not bring it to a plan
    that keeps every rule (it may start from one that breaks the waiting limit). The plan it returns is checked
    here: its cost must be the one the search computed."""
    from .check import check_plan
    from .descent import MOVES_PER_UNIT, SHARE, improve

    # a plan that breaks the waiting limit may take all the work left to mend (CP-SAT's repair too runs to its first
    # plan as long as that takes); otherwise a share
    share = SHARE if check_plan(plan, ctx).ok else 1.0
    budget = int(share * (clock.limit - clock.det_used) * MOVES_PER_UNIT)
    out = improve(plan, ctx, budget, held={p.key for p in pins}, out_of_time=lambda: clock.left <= 0)
    clock.det_used += out.moves / MOVES_PER_UNIT
    if out.overdue or not out.kept:
        return plan
    report = check_plan(out.plan, ctx)
    if not report.ok or report.objective != out.cost:
        raise InternalError(f"the local search priced its plan at {out.cost} but check finds "
                            + (f"{report.objective}" if report.ok else "broken rules")
                            + ": please report it with the inputs")
    return out.plan


def _no_dearer_than(start: Plan, result: Result, ctx: Problem, pins: list[Session]) -> None:
    """A continued search returns its starting plan when it found nothing cheaper (or nothing at all in time):
    the search starts from it, but the whole-model search, which the time limit may cut short, need not return
    it. Only a plan that keeps every rule of *ctx* and every pin counts (the inputs may have changed since it was
    made, and the rules' check does not see pins)."""
    from .check import check_plan

    held = start.by_key()
    if any(_pinned_as(held.get(p.key)) != _pinned_as(p) for p in pins):
        return
    report = check_plan(start, ctx)
    if not report.ok or (result.plan is not None and result.objective <= report.objective):
        return
    result.plan, result.report = start, report
    result.parts, result.objective, result.solver_objective = report.costs, report.objective, report.objective
    if result.status != Status.OPTIMAL:
        result.status = Status.TIME_LIMIT
    result.bound = None if result.bound is None else float(min(result.bound, result.objective))


def _pinned_as(session: Session | None) -> tuple | None:
    """What a pin fixes of a session (:func:`planner.model.pin`): exam day, deadline, site and kind."""
    if session is None:
        return None
    return session.exam_date, session.registration_deadline, session.institution, session.kind


class _Share:
    """*share* of what is left of *clock*, for a step that runs until its clock says stop (:func:`planner.lns.improve`):
    the work it does is the run's."""

    def __init__(self, clock: _Clock, share: float) -> None:
        self._clock = clock
        self.limit = clock.det_used + share * (clock.limit - clock.det_used)

    @property
    def det_used(self) -> float:
        return self._clock.det_used

    @det_used.setter
    def det_used(self, value: float) -> None:
        self._clock.det_used = value

    @property
    def left(self) -> float:
        return min(self.limit - self._clock.det_used, self._clock.left)

    def solver(self, seed: int, share: float = 1.0) -> cp_model.CpSolver:
        s = self._clock.solver(seed)
        s.parameters.max_deterministic_time = max(0.01, (self.limit - self._clock.det_used) * share)
        return s

    def account(self, solver: cp_model.CpSolver, status) -> None:
        self._clock.account(solver, status)


def _solve_tiers(mv: ModelVars, tiers: list, clock: _Clock, seed: int, neighbourhoods: bool, kept: bool,
                 floor: int | None, missing: int, known: dict[str, int] | None = None):
    """Minimise each tier in turn, holding the earlier ones at their values; the last with the neighbourhood
    search when *neighbourhoods*; a tier in *known* (its proven optimum) is held at that value without a search.
    Returns (the last status, its solver, the last tier's bound, every tier so far proven optimal, the tiers'
    values, the tiers not searched; *missing* sessions of the reference count as changed).

    A plan in hand is never dropped: when the limit ends the run before a later tier has a plan of its own, the
    result is the earlier tier's plan (FEASIBLE), the later tiers unsearched, and no bound on the last. A re-plan
    with the estimate +20 % (site_closed_quarter, 30 s) found a plan in its first tier and then reported none,
    because the second tier got 0.01 units (CHANGELOG.md). When the limit stopped a run of several tiers, its
    deadlines are then searched for every tier from the first one it did not prove (:func:`_deadlines_only`)."""
    m = mv.model
    status = cp_model.UNKNOWN
    tier_values: dict[str, int] = {}
    proven = True  # every tier so far proven optimal
    solver = None
    bound = None  # the last tier's proven bound, from the whole-model search
    held = None  # the solver of the last tier that returned a plan
    unproven = None  # the first tier the search did not prove (stopped by the limit), or searched no more
    for i, (name, expr) in enumerate(tiers):
        last = i == len(tiers) - 1
        if held is not None and name not in (known or {}) and (clock.limit - clock.det_used < 0.05
                                                                or clock.left <= 0):
            status = cp_model.UNKNOWN  # no time left for this tier's search: the plan in hand stands
            unproven = i if unproven is None else unproven
            break
        if name in (known or {}) and not last:
            m.add(expr <= known[name] - (missing if name == "sessions_changed" else 0))
            tier_values[name] = known[name]
            continue
        m.minimize(expr)
        if last and neighbourhoods:
            status, solver, bound = _search_with_neighbourhoods(mv, expr, clock, seed, started=kept, floor=floor)
        else:
            moved = dict(tiers).get("days_moved")
            if i == 0 and name == "sessions_changed" and moved is not None \
                    and getattr(mv.ctx, "demand", None) is None and not _first_plan(mv, clock, seed):
                # No plan found at once from the reference: start from the plan nearest by days moved, a search
                # CP-SAT's LP guides well, where this tier (fewest sessions changed, a count of all-or-nothing
                # matches) found no plan at all (华安 closed, 瑞阳 licensed, re-planning the 2027 estimate's plan
                # without its candidates, 30 s: none; from this start, proven in 1.4 units; CHANGELOG.md).
                _warm_start(mv, moved, clock, seed)
                m.minimize(expr)
            if i == 0 and not kept and getattr(mv.ctx, "demand", None) is not None:
                # A re-plan with candidates whose start breaks a wait: a first plan without the LP, as the repair
                # finds one (its LP is the queue's, slow), then the tier's search from it. With the estimate +20 %
                # against the 2027 plan, 3 of 7 what-ifs got a plan at 30 s instead of 1 (CHANGELOG.md).
                first = clock.solver(seed, 0.5)
                _light_presolve(first)
                first.parameters.stop_after_first_solution = True
                first.parameters.linearization_level = 0
                st0 = first.solve(m)
                clock.account(first, st0)
                _hint_all(m, first, st0)
                if st0 == cp_model.FEASIBLE:
                    # Rounds of the neighbourhood search on this tier for a share of the time left, then the whole
                    # model from their plan: with the estimate +20 %, 华安 closed took 35 133 points where the
                    # whole model alone reached 44 801, and site_closed_quarter its optimum, 45 206, against
                    # 83 352; the three what-ifs the whole model proved stayed proven (CHANGELOG.md).
                    from .lns import improve

                    out = improve(mv, expr, list(first.response_proto.solution), objective_at(first, expr),
                                  _Share(clock, FIRST_TIER_ROUNDS), seed, configure=_light_presolve)
                    hint_all(m, out.values)
            solver = clock.solver(seed)
            _light_presolve(solver)
            status = solver.solve(m)
            clock.account(solver, status)
            solver, status = confirm_infeasible(m, clock, solver, status)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                bound = solver.best_objective_bound
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            unproven = i if unproven is None else unproven
            break
        proven = proven and status == cp_model.OPTIMAL
        if not proven and unproven is None:
            unproven = i
        held = solver
        val = objective_at(solver, expr)
        tier_values[name] = val + (missing if name == "sessions_changed" else 0)
        if i < len(tiers) - 1:
            m.add(expr <= val)
            m.clear_hints()
            for v in _all_decisions(mv):
                m.add_hint(v, solver.value(v))
    unsearched: list[str] = []
    if status == cp_model.UNKNOWN and held is not None:
        unsearched = [name for name, _ in tiers if name not in tier_values]
        status, solver, bound, proven = cp_model.FEASIBLE, held, 0.0, False
    if status == cp_model.FEASIBLE and len(tiers) > 1 and unproven is not None:
        # a re-plan the limit stopped: from the first tier it did not prove on, its deadlines are searched
        later = tiers[unproven:]
        solver = _deadlines_only(mv, later, solver, clock, seed)
        for name, expr in later:
            tier_values[name] = objective_at(solver, expr) + (missing if name == "sessions_changed" else 0)
    return status, solver, bound, proven, tier_values, unsearched


#: the most of the time left that a re-plan without candidates spends on its start, the plan nearest by days moved
WARM_START_SHARE = 0.25


#: the work a re-plan without candidates gives the search for its first plan before it starts elsewhere
FIRST_PLAN_UNITS = 1.0


def _first_plan(mv: ModelVars, clock: _Clock, seed: int) -> bool:
    """The first tier's search, to its first plan, within ``FIRST_PLAN_UNITS``: True (and every variable hinted with
    that plan) when it found one or proved there is none (the tier's own search then says so)."""
    m = mv.model
    solver = clock.solver(seed)
    solver.parameters.max_deterministic_time = min(solver.parameters.max_deterministic_time, FIRST_PLAN_UNITS)
    _light_presolve(solver)
    solver.parameters.stop_after_first_solution = True
    status = solver.solve(m)
    clock.account(solver, status)
    _hint_all(m, solver, status)
    return status != cp_model.UNKNOWN


def _warm_start(mv: ModelVars, moved, clock: _Clock, seed: int) -> None:
    """Hint every variable with the plan that moves the fewest days (proven, or the best found within
    ``WARM_START_SHARE`` of the time left); the hint stays as it was when none is found."""
    m = mv.model
    m.minimize(moved)
    solver = clock.solver(seed, WARM_START_SHARE)
    _light_presolve(solver)
    status = solver.solve(m)
    clock.account(solver, status)
    solver, status = confirm_infeasible(m, clock, solver, status)
    _hint_all(m, solver, status)


#: the share of the time left that a re-plan whose start breaks a wait gives its first tier's neighbourhood rounds
#: (the whole-model search has the rest): tried at 0.5 only, on the seven what-ifs of 2027 with the estimate +20 %
FIRST_TIER_ROUNDS = 0.5

#: the work each unsearched tier's search over the deadlines may take, the run's limit notwithstanding
#: (:func:`_deadlines_only`): on the re-plans it serves each such search was proven in 0.01 units
DEADLINE_UNITS = 0.1


def _deadlines_only(mv: ModelVars, tiers: list, solver: cp_model.CpSolver, clock: _Clock, seed: int):
    """The plan in hand with its registration deadlines searched for *tiers* in turn, every other decision held;
    returns the solver with the best plan (*solver* itself when no search returned one).

    Why: when the limit ends a re-plan in an early tier, the deadlines are wherever the first plan put them (the
    search for it ignores the published plan), and every session whose deadline moved counts as changed. With the
    days, sites and kinds held, the deadlines alone are a small problem: on ``site_closed_quarter`` with the
    estimate +20 % it took 0.01 units and brought 59 sessions changed to 24 (CHANGELOG.md). Its work is bounded by
    ``DEADLINE_UNITS`` a tier, after the limit, as :func:`confirm_infeasible`'s check is: deterministic, and small
    against the limit."""
    from .lns import _held, decisions

    m = mv.model
    gaps = {s.gap.index for s in mv.all_slots()}
    fixed = [(v.index, solver.value(v)) for s in mv.all_slots() for v in decisions(s) if v.index not in gaps]
    best = solver
    with _held(m, fixed):
        for name, expr in tiers:
            m.minimize(expr)
            _hint_all(m, best, cp_model.FEASIBLE)
            step = cp_solver()
            step.parameters.random_seed = seed
            step.parameters.max_deterministic_time = DEADLINE_UNITS
            status = step.solve(m)
            clock.account(step, status)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            best = step
            m.add(expr <= objective_at(step, expr))
    return best


def _start(mv: ModelVars, ctx: Problem, clock: _Clock, seed: int, pins: list[Session], hint: Plan | None,
           repair: bool) -> tuple[bool, int | None]:
    """Pin *pins* and hint the search: *hint* (a plan), else the month targets. With candidates, the hint is
    completed to every variable; when it breaks the waiting limit and *repair*, it is repaired. Returns (the
    search starts from a complete plan of the model, the repaired plan's proven cost or None)."""
    for p in pins:
        slot = mv.slot_for(p.key)
        if slot is None:
            raise PlannerError(f"pinned session {p.label()} has no place in the new plan (too few sessions)",
                               field="no")
        pin(mv, slot, p)
    if hint is None:
        _target_hint(mv, ctx)
        return False, None
    _hint(mv, hint)
    if getattr(ctx, "demand", None) is None:
        return False, None
    if _complete_hint(mv, clock, seed):
        return True, None
    return _repair_hint(mv, ctx, clock, seed) if repair else (False, None)


def _search_with_neighbourhoods(mv: ModelVars, expr, clock: _Clock, seed: int, started: bool,
                                floor: int | None = None):
    """Rounds of :func:`planner.lns.improve` from the plan in hand, then the whole model with what they leave.

    Without a plan to start from (*started* False: the hint breaks the waiting limit and the repair found none),
    the whole model is searched to its first plan first, as long as that takes (finding one is the hard part
    there). Otherwise the whole model is not searched before the rounds: they improve the plan faster, its bound
    did not beat the other bounds on the estimates, and at 240 sessions its LP is most of the peak memory
    (CHANGELOG.md). When the rounds end early (no window improves the plan), the rest goes to the whole model from
    the best plan, for a proof (a small year) or a better bound. Returns (status, a solver holding the best plan,
    the whole-model searches' bound, or 0); the status is FEASIBLE unless a whole-model search proves the plan
    optimal (the rounds prove nothing) or the plan costs no more than *floor*, a proven lower bound (the repaired
    plan's cost, which is the optimum when the waits are not priced)."""
    from .lns import improve, load

    m = mv.model
    bound = 0.0  # every preference costs 0 or more
    if started:
        solver = load(m, _hinted_values(m), clock, seed)
    else:
        solver = clock.solver(seed)
        _light_presolve(solver)
        solver.parameters.stop_after_first_solution = True
        status = solver.solve(m)
        clock.account(solver, status)
        solver, status = confirm_infeasible(m, clock, solver, status)
        bound = solver.best_objective_bound  # proven even when the search found no plan
        if status != cp_model.FEASIBLE:
            return status, solver, bound
    if floor is not None and objective_at(solver, expr) <= floor:
        return cp_model.OPTIMAL, solver, floor
    out = improve(mv, expr, list(solver.response_proto.solution), objective_at(solver, expr), clock, seed,
                  configure=_light_presolve, floor=floor)
    if floor is not None and out.cost <= floor:
        return cp_model.OPTIMAL, load(m, out.values, clock, seed), floor
    if out.improved:
        solver = load(m, out.values, clock, seed)
    if clock.limit - clock.det_used < 0.05 or clock.left <= 0:
        return cp_model.FEASIBLE, solver, bound
    _hint_all(m, solver, cp_model.FEASIBLE)
    final = clock.solver(seed)
    _light_presolve(final)
    status = final.solve(m)
    clock.account(final, status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or objective_at(final, expr) > objective_at(solver, expr):
        return cp_model.FEASIBLE, solver, bound  # nothing better returned in time: the rounds' plan stands
    return status, final, max(bound, final.best_objective_bound)


def _hinted_values(m: cp_model.CpModel) -> list[int]:
    """Every variable's hinted value, by index (the hint is complete: :func:`_hint_all` set it)."""
    hint = dict(zip(m.proto.solution_hint.vars, m.proto.solution_hint.values))
    return [hint[i] for i in range(len(m.proto.variables))]


def objective_at(solver: cp_model.CpSolver, expr) -> int:
    """The objective *expr* at the solution the solver returned. Not ``solver.objective_value``: CP-SAT 9.15
    once reported 2 138 for a returned solution worth 2 092 (2025 estimate, stopped by its deterministic
    limit), and the tiers' values, the next tier's bound and the check of the two faces must be those of the
    plan in hand."""
    return int(expr) if isinstance(expr, int) else int(solver.value(expr))


def _complete_hint(mv: ModelVars, clock: _Clock, seed: int) -> bool:
    """Turn a plan's hint into a value for every variable: the hinted decisions fixed, CP-SAT fills in the rest
    (the preferences' terms), which it does at once; left to its hint search, that took seconds. False when the
    plan breaks a rule of this model (the waiting limit, for the plan without candidates)."""
    m = mv.model
    solver = clock.solver(seed, 0.25)
    solver.parameters.fix_variables_to_their_hinted_value = True
    _light_presolve(solver)
    status = solver.solve(m)
    clock.account(solver, status)
    solver, status = confirm_infeasible(m, clock, solver, status)
    _hint_all(m, solver, status)
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _hint_all(m: cp_model.CpModel, solver: cp_model.CpSolver, status) -> None:
    """Hint every variable with the solver's plan, when it returned one."""
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        hint_all(m, list(solver.response_proto.solution))


def _repair_hint(mv: ModelVars, ctx: Problem, clock: _Clock, seed: int) -> tuple[bool, int | None]:
    """The hinted plan breaks the waiting limit: start instead from the plan that keeps every rule and is best by
    the preferences the year has without its candidates, searched from the hint (on the 2025 estimate CP-SAT finds
    a first plan after 0.18 deterministic units, searching without its LP, and then proves the best one). Returns
    its cost when proven: every plan with the candidates costs at least that, since the candidates' own preference
    costs 0 or more (on the estimate 859, where the plan without candidates could only claim its 70). The caller
    minimises the whole objective afterwards.
    Returns (a plan was found, its proven cost or None)."""
    plain = {p.name for p in ctx.with_demand(None).preferences}
    m = mv.model
    expr = sum(w * sum(t) for name, (w, t) in mv.penalties.items() if name in plain)
    m.minimize(expr)
    found = False
    # a first plan, as long as that takes (finding one is the hard part), then a share of what is left to improve
    # it and prove it
    for first, share in ((True, 1.0), (False, 0.3)):
        solver = clock.solver(seed, share)
        _light_presolve(solver)
        solver.parameters.stop_after_first_solution = first
        if first:
            # Without the LP: with it, the search spent its time raising the bound instead of finding a plan (the
            # 2025 estimate: a first plan after 1.3 units, 0.18 without; 华安 closed six weeks in 2027: none in 4.5
            # units, one after 1.05 without). The LP comes back to improve the plan and prove it. Over the 19
            # years and scenarios that need this repair (benchmarks/repair.py), a plan in every run that has one, at
            # 10 s and at 30 s, where the search with the LP found 26 of 30 (CHANGELOG.md).
            solver.parameters.linearization_level = 0
        status = solver.solve(m)
        clock.account(solver, status)
        solver, status = confirm_infeasible(m, clock, solver, status)
        _hint_all(m, solver, status)  # the hint is the best plan so far (kept when nothing better came back)
        found = found or status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        if status != cp_model.FEASIBLE or not first:
            break
    return found, (objective_at(solver, expr) if status == cp_model.OPTIMAL else None)


def _without_candidates(ctx: Problem, seed: int, time_limit: float, pins,
                        explain: bool = True) -> tuple["Result | Plan | None", int | None, list[str]]:
    """The year planned without its candidates: a Result that is optimal with them too (or, proven infeasible,
    infeasible with them too, explained when *explain*), else a plan to start from;
    its proven bound (its cost when proven optimal): a lower bound on the cost with the candidates too (that
    problem has every rule and preference of this one and more, and the candidates' preference costs nothing
    below 0);
    and the rule instances it breaks with them (``waiting[special_ops:hazchem]``)."""
    from .check import check_plan

    # a quarter of the run's work, and half its wall clock as the backstop: at 240 sessions the first plan takes
    # about 4 units, which the wall clock of a quarter (7.5 s of 30) cut short on a busy machine, and then the run
    # had no plan to start from and found none
    plain = solve(ctx.with_demand(None), seed=seed, time_limit=time_limit / 2, pins=pins, explain=explain,
                  units_per_second=0.5)
    if plain.status == Status.INFEASIBLE:
        # The rules already conflict without the candidates, and with them there are more: the year is infeasible,
        # for the reason named here. Explained on the model without the queue: a trial of the explanation builds
        # its own model, which the queue made four times dearer (`juteng_closed_quarter` with the estimate ran
        # 115 s at --time-limit 10, past its limit, where without candidates it is explained in 2.5 s).
        return plain, None, []
    if plain.plan is None:
        return None, None, []
    floor = int(plain.bound) if plain.bound is not None else None  # its objective when proven optimal
    report = check_plan(plain.plan, ctx)
    if not report.ok:
        broken = {v.rule + (f"[{v.detail}]" if v.detail else "") for v in report.violations if v.hard}
        return plain.plan, floor, sorted(broken)
    if plain.status != Status.OPTIMAL or report.objective != plain.objective:
        return plain.plan, floor, []  # a candidate arrives late: the candidates' preference has something to improve
    plain.report, plain.parts, plain.objective = report, report.costs, report.objective
    plain.solver_objective = report.objective
    return plain, floor, []


def _near_reference(ctx: Problem, seed: int, time_limit: float, reference: Plan, pins, first_tiers,
                    explain: bool = True) -> tuple["Plan | Result | None", dict[str, int]]:
    """A re-plan with candidates starts from the same re-plan without them (a start, or None), which takes a
    fraction of the time: from the reference itself, which the change breaks, the search with the queue found no
    plan at all in 30 s (the 2027 estimate's plan, 华安 closed a quarter: ``site_closed_quarter``), where without
    candidates the re-plan took a second and kept every wait. When that plan keeps every rule with the candidates
    and is proven optimal, its tiers before the preferences are also the optimum with them (the problem with
    candidates has every rule of the one without and more, and that plan is one of its plans): returned as known
    values, which the search then holds instead of proving them again. Proven infeasible without candidates, the
    re-plan is infeasible with them too: that Result is returned (explained when *explain*, on the model without
    the queue, as :func:`_without_candidates` does), where the search with the queue ran out of time instead
    (``juteng_closed_quarter``: exit 2 after 16 s)."""
    from .check import check_plan

    plain = solve(ctx.with_demand(None), seed=seed, time_limit=time_limit / 4, reference=reference, pins=pins,
                  explain=explain, first_tiers=first_tiers, units_per_second=0.5)
    if plain.status == Status.INFEASIBLE:
        return plain, {}
    if plain.plan is None:
        return None, {}
    if plain.status != Status.OPTIMAL or not check_plan(plain.plan, ctx).ok:
        return plain.plan, {}
    return plain.plan, dict(plain.tiers)


def confirm_infeasible(m: cp_model.CpModel, clock: "_Clock", solver: cp_model.CpSolver, status):
    """(solver, status) of a solve, its INFEASIBLE checked when it ran without probing (:func:`_light_presolve`).

    CP-SAT 9.15 called a feasible model infeasible after a presolve without probing: a re-plan's second tier
    (fewest sessions changed), which the first tier's own plan satisfies (``tests/data/probing0_infeasible.pb.txt.gz``;
    with probing, or without presolve, the same model solves at once). The run then said the year could not be
    planned. So such a verdict is checked by the same solve with CP-SAT's own presolve and probing, which decides.
    The check gets at least 1 unit and 5 s, the run's limit notwithstanding: a model truly infeasible is proven
    so in its presolve, quickly, and the explanation that follows needs the verdict."""
    if status != cp_model.INFEASIBLE or solver.parameters.cp_model_probing_level != 0:
        return solver, status
    again = cp_solver()
    again.parameters.copy_from(solver.parameters)
    again.parameters.clear_cp_model_probing_level()
    again.parameters.clear_max_presolve_iterations()
    again.parameters.max_deterministic_time = max(1.0, clock.limit - clock.det_used)
    again.parameters.max_time_in_seconds = max(5.0, clock.wall - (time.perf_counter() - clock.start))
    status = again.solve(m)
    clock.account(again, status)
    return again, status


def _light_presolve(solver: cp_model.CpSolver) -> None:
    """One presolve pass without probing for the plan itself: its model presolves to a few dozen variables,
    and further passes cost more than they save (every year and shipped scenario keeps its optimum; figures
    and the plans whose tie-break changed are in CHANGELOG.md). The explanation's trials keep full presolve:
    proving a trial infeasible is what presolve does best there."""
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.cp_model_probing_level = 0


def _assert_checks(plan: Plan, ctx: Problem):
    """Every generated plan passes the rule catalogue's check face, whoever asked for it (plan, replan,
    sweep, notebooks). A failure here means a rule's two faces disagree: refuse the plan. Returns the
    check report (its preference costs are the plan's objective)."""
    from .check import check_plan

    report = check_plan(plan, ctx)
    bad = [v for v in report.violations if v.hard]
    if bad:
        raise InternalError(f"the generated plan fails check ({bad[0].rule}: {bad[0].where()} {bad[0].message}); "
                            "please report it with the inputs")
    return report


def _all_decisions(mv: ModelVars) -> list:
    out = []
    for s in mv.all_slots():
        out += [s.x, s.gap, s.present, *s.at.values()]
        if s.kind is not None:
            out.append(s.kind)
    return out


def structural_keys(ctx: Problem) -> set[str]:
    return {r.name for r in ctx.rules if r.structural}


def trial_status(ctx: Problem, keys, pins: list[Session] | None, clock: _Clock, seed: int = 0,
                 share: float = 0.1) -> int:
    """Solve the plan-mode model in which only the rule instances (and pins) *keys* hold.

    Plan-mode domains make CP-SAT's presolve strong: most trials are proved either way in a few
    hundredths of a second, where the same trial under assumptions in the free model can take
    seconds. When a session count is off and a short first try is undecided, the trial tries the
    nominal counts: a plan found there is a plan of the trial (a restriction finds only real
    solutions), and CP-SAT finds it far faster than with the spare slots' presence left free
    (on 240 sessions it decides trials the free counts leave open); else the trial with free counts again.
    """
    keys = set(keys)
    counts_off = [sid for sid, spec in ctx.streams.items() if not set(SessionCount.count_keys(spec)) <= keys]
    if not counts_off:
        return _trial(ctx, keys, pins, clock, seed, share)
    st = _trial(ctx, keys, pins, clock, seed, share / 4)  # most trials are decided here, in hundredths of a second
    if st != cp_model.UNKNOWN:
        return st
    st = _trial(ctx, keys, pins, clock, seed, share, nominal=counts_off)
    if st in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return st
    return _trial(ctx, keys, pins, clock, seed, share)


def _trial(ctx: Problem, keys: set[str], pins, clock: _Clock, seed: int, share: float, nominal=()) -> int:
    mv = build_model(ctx, enabled={k for k in keys if not k.startswith("pin[")})
    for p in pins or []:
        if f"pin[{p.stream}#{p.no}]" in keys:
            if mv.slot_for(p.key) is not None:
                pin(mv, mv.slot_for(p.key), p)
            else:
                mv.model.add_bool_or([mv.model.new_constant(0)])
    for sid in nominal:  # the stream's own count: no spare slot, and a fixed count is met
        spec = ctx.streams[sid]
        for s in mv.stream_slots(sid):
            if s.k > spec.max_sessions:
                mv.model.add(s.present == 0)
            elif spec.count is not None:
                mv.model.add(s.present == 1)
    solver = clock.solver(seed, share)
    st = solver.solve(mv.model)
    clock.account(solver, st)
    if getattr(ctx, "demand", None) is not None:
        clock.det_used += TRIAL_OVERHEAD_UNITS
    return st


#: charged per trial of the explanation on a model with candidates, for the work CP-SAT's count misses there:
#: building the queue (0.15-0.24 s) and a presolve that proves the trial infeasible (0.66-1.2 s) counted as 0.00
#: units (`fifth_rotation_site` with the estimate +20 %). Uncharged, the trials ran until the wall clock stopped
#: them (51 s at `--time-limit 10` with PLANNER_WALL_FACTOR=5), so where the explanation ended depended on the
#: machine. About a second of wall clock at ``DEMAND_UNITS_PER_SECOND``: a calibration, like lns.ROUND_OVERHEAD_UNITS.
TRIAL_OVERHEAD_UNITS = 0.15


def explain_infeasibility(ctx: Problem, pins: list[Session] | None = None, seed: int = 0,
                          clock: _Clock | None = None, time_limit: float = 30.0) -> tuple[list[str], bool]:
    """Name an irreducible set of rule instances (and pins) that cannot hold together.

    Returns the items as keys (``rule[detail]``, ``pin[stream#no]``) and whether the set is proven minimal.
    Every rule instance (e.g. ``coverage[special_ops:elec_relay]``, ``institution_open[juteng]``) and
    every pin is one item. CP-SAT's infeasible core over the free model's enforcement literals gives a
    first, small set; a deletion filter then drops each item whose removal leaves the rest infeasible
    and keeps each whose removal makes it feasible, each trial a plan-mode model of only those items.
    A trial that runs out of its budget is tried again with a larger one; one still undecided stays in
    the set, and the answer says it is not proven minimal. Returns (descriptions, proven_minimal).
    """
    clock = clock or _Clock(time_limit)
    fixed = structural_keys(ctx)
    core = _first_core(ctx, pins, seed, clock, fixed)
    if core is None:
        return (["(unexplained: the conflict could not be isolated within the time limit; raise --time-limit)"], False)
    if not core:
        return (["calendar"], True)
    pending = list(core)
    for share in (0.05, 0.3):  # a short budget per trial first; undecided trials once more with a longer one
        undecided = []
        for k in pending:
            if clock.left <= 0:  # out of time: the rest stay in the set, undecided (each trial builds a model)
                undecided.append(k)
                continue
            trial = [c for c in core if c != k]
            st = trial_status(ctx, trial, pins, clock, seed, share)
            if st == cp_model.INFEASIBLE:
                core = trial
            elif st not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
                undecided.append(k)
        pending = undecided
        if not pending:
            break
    return core, not pending


def _first_core(ctx: Problem, pins, seed: int, clock: _Clock, fixed: set[str]) -> list[str] | None:
    """A first infeasible set of items: CP-SAT's core under assumptions; every item when that is slow."""
    mv = build_model(ctx, explain=True)
    for p in pins or []:
        if mv.slot_for(p.key) is not None:
            pin(mv, mv.slot_for(p.key), p, mv.lits("pin", f"{p.stream}#{p.no}"))
    lits = dict(sorted(mv.enforcement.items()))
    for key, lit in lits.items():
        if key.partition("[")[0] in fixed:
            mv.model.add(lit == 1)  # the model's own structure, never named
    keys = [k for k in lits if k.partition("[")[0] not in fixed]
    by_index = {lit.index: key for key, lit in lits.items()}
    mv.model.add_assumptions([lits[k] for k in keys])
    solver = clock.solver(seed, 0.1)
    # Presolve probing proves most of these, but at full depth it costs the free model (every institution,
    # every day) far more than the whole solve does without it.
    solver.parameters.cp_model_probing_level = 0
    st = solver.solve(mv.model)
    clock.account(solver, st)
    if st == cp_model.INFEASIBLE:
        core = sorted({by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index})
        return core or keys
    if st in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return []  # the free model holds: only the calendar domains of plan mode can be in the way
    if trial_status(ctx, keys, pins, clock, seed, 0.3) == cp_model.INFEASIBLE:
        return keys  # shrink from every item
    return None


def time_limit_error(result: Result, ctx: Problem, limit, advice: str = "") -> TimeLimitError:
    """No plan within *limit*: the error to raise, naming what the plan without the candidates breaks, if that is
    what the search was mending (then more seats or sessions there help as much as more time)."""
    message = f"no plan found within the time limit ({limit}){advice}"
    binding = describe_conflicts(result.binding, ctx) if result.binding else []
    if binding:
        message += "; the year's best plan without its candidates breaks " + "; ".join(binding)
    return TimeLimitError(message, binding)


def describe_conflicts(keys: list[str], ctx: Problem) -> list[str]:
    """One line per rule (and stream): ``scope[managers@fengxi, juteng, …]`` rather than six lines."""
    groups: dict[tuple[str, str], list[str]] = {}
    for k in keys:
        name, _, detail = k.partition("[")
        detail = detail.rstrip("]")
        head, sep, tail = detail.partition("@")
        groups.setdefault((name, head + sep if sep else detail), []).append(tail if sep else "")
    out = []
    for (name, head), tails in groups.items():
        if len(tails) > 1 and all(tails):
            out.append(describe_conflict(f"{name}[{head}{', '.join(tails)}]", ctx))
        else:
            out += [describe_conflict(f"{name}[{head}{t}]" if head or t else name, ctx) for t in tails]
    return out


def describe_conflict(key: str, ctx: Problem) -> str:
    if key == "calendar":
        return "the calendar itself (no working day is left for the sessions)"
    if key.startswith("(unexplained"):
        return key.strip("()")
    name, _, detail = key.partition("[")
    detail = detail.rstrip("]")
    if name == "pin":
        return f"pin[{detail}] (the session pinned by the scenario or kept as published)"
    rule = ctx.ruleset.rule(name)
    title = rule.title if rule is not None else name
    params = ", ".join(f"{k}={v}" for k, v in (rule.params() if rule else {}).items()
                       if not isinstance(v, (list, dict)) and v != "")
    text = f"{name}" + (f"[{detail}]" if detail else "") + f" ({title}" + (f"; {params}" if params else "") + ")"
    extra = rule.conflict_detail(detail, ctx) if rule is not None else ""
    if extra:
        text += f": {extra}"
    return text
