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
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .errors import InternalError, PlannerError
from .model import ModelVars, build_model, pin, pin_plan
from .plan import Plan, Session
from .problem import Problem


class Status(enum.Enum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    MODEL_INVALID = "MODEL_INVALID"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
}


@dataclass
class Result:
    status: Status
    plan: Plan | None
    objective: int | None = None  # the preferences' cost recomputed on the plan (check face)
    solver_objective: int | None = None  # the value CP-SAT minimised (model face); equal, or InternalError
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)  # preference -> (weight, unweighted cost)
    tiers: dict[str, int] = field(default_factory=dict)  # stability tiers (sessions_changed, days_moved)
    solve_seconds: float = 0.0
    deterministic_time: float = 0.0
    conflict: list[str] = field(default_factory=list)
    conflict_minimal: bool = True  # False when a trial of the explanation ran out of time
    calendar_status: str = ""
    seed: int = 0
    stopped_by: str = ""  # "" | "deterministic limit" | "wall-clock limit"

    def summary(self) -> str:
        lines = [f"status: {self.status.value}"]
        if self.plan is not None:
            lines.append(f"sessions: {len(self.plan.sessions)} "
                         + ", ".join(f"{s}={len(self.plan.stream(s))}" for s in self.plan.streams()))
        if self.objective is not None:
            lines.append(f"objective: {self.objective} (solver: {self.solver_objective})")
            for name, (w, c) in self.parts.items():
                lines.append(f"  {name}: {w} x {c} = {w * c}")
        for name, v in self.tiers.items():
            lines.append(f"{name}: {v}")
        if self.conflict:
            lines.append("conflict: " + "; ".join(self.conflict)
                         + ("" if self.conflict_minimal else " (not proven minimal: a trial ran out of time)"))
        if self.stopped_by:
            lines.append(f"stopped by the {self.stopped_by}")
        lines.append(f"calendar: {self.calendar_status}")
        lines.append(f"solve time: {self.solve_seconds:.3f} s (deterministic {self.deterministic_time:.3f})")
        return "\n".join(lines)


class _Clock:
    """The run's budget: deterministic units for reproducibility, wall seconds as a backstop."""

    def __init__(self, limit: float) -> None:
        self.limit = float(limit)
        self.start = time.perf_counter()
        self.det_used = 0.0
        self.wall_stop = False

    def solver(self, seed: int, share: float = 1.0) -> cp_model.CpSolver:
        s = cp_model.CpSolver()
        s.parameters.num_workers = 1
        s.parameters.random_seed = seed
        s.parameters.max_deterministic_time = max(0.01, (self.limit - self.det_used) * share)
        s.parameters.max_time_in_seconds = max(0.01, (self.limit - (time.perf_counter() - self.start)) * share)
        return s

    def account(self, solver: cp_model.CpSolver, status) -> None:
        self.det_used += solver.deterministic_time
        if status == cp_model.UNKNOWN and solver.wall_time >= solver.parameters.max_time_in_seconds * 0.99:
            self.wall_stop = True

    @property
    def left(self) -> float:
        return min(self.limit - self.det_used, self.limit - (time.perf_counter() - self.start))


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
            r = ref.get((stream, s.k))
            notes = r.notes if r is not None and (r.exam_date, r.institution) == (exam, inst) else ""
            sessions.append(Session(stream, s.k, deadline, exam, inst, kind, notes))
    return Plan(ctx.year, tuple(sessions), "planner")


def _stability(mv: ModelVars, ctx: Problem, reference: Plan) -> tuple[list, list, int]:
    """(changed literals, day deviations, constant count of reference sessions that have no slot)."""
    m = mv.model
    changed, days = [], []
    slot_keys = set()
    for stream, slots in mv.slots.items():
        kinds = ctx.streams[stream].kinds
        ref = {s.no: s for s in reference.stream(stream)}
        for s in slots:
            slot_keys.add((stream, s.k))
            r = ref.get(s.k)
            if r is None:
                continue
            same = m.new_bool_var(f"same[{stream}#{s.k}]")
            conds = [s.present]
            rx = mv.day(r.exam_date)
            m.add(s.x == rx).only_enforce_if(same)
            m.add(s.gap == (r.exam_date - r.registration_deadline).days).only_enforce_if(same)
            if r.institution in s.at:
                conds.append(s.at[r.institution])
            else:
                m.add(same == 0)
            if s.kind is not None and r.kind in kinds:
                m.add(s.kind == kinds.index(r.kind)).only_enforce_if(same)
            elif r.kind not in kinds[:1]:
                m.add(same == 0)
            m.add_bool_and(conds).only_enforce_if(same)
            changed.append(1 - same)
            d = mv.abs_dev(s.x, rx, 2 * mv.horizon, f"moved[{stream}#{s.k}]")
            days.append(mv.if_present(s, d, 2 * mv.horizon))
    missing = sum(1 for s in reference.sessions if s.key not in slot_keys)
    return changed, days, missing


def _hint(mv: ModelVars, plan: Plan) -> None:
    """Start the search from *plan* (e.g. each city's own optimum in a province)."""
    by_key = plan.by_key()
    for slot in mv.all_slots():
        s = by_key.get((slot.stream, slot.k))
        mv.model.add_hint(slot.present, s is not None)
        if s is None:
            continue
        mv.model.add_hint(slot.x, mv.day(s.exam_date))
        mv.model.add_hint(slot.gap, (s.exam_date - s.registration_deadline).days)
        for i, lit in slot.at.items():
            mv.model.add_hint(lit, i == s.institution)


def solve(
    ctx: Problem,
    *,
    seed: int = 0,
    time_limit: float = 30.0,
    reference: Plan | None = None,
    pins: list[Session] | None = None,
    explain: bool = True,
    hint: Plan | None = None,
) -> Result:
    """Plan the year under ``ctx``'s rule set.

    With *reference*, stay as close to it as possible (fewest sessions changed, then fewest days
    moved), then optimise the preferences; *pins* (and the problem's own pins) are fixed;
    *hint* is a plan to start the search from. *time_limit* bounds the whole run, explanation
    included, in deterministic units and in wall seconds.
    """
    clock = _Clock(time_limit)
    mv = build_model(ctx)
    m = mv.model
    all_pins = list({p.key: p for p in list(ctx.pins) + list(pins or [])}.values())
    slot_of = {(s.stream, s.k): s for s in mv.all_slots()}
    for p in all_pins:
        slot = slot_of.get(p.key)
        if slot is None:
            raise PlannerError(f"pinned session {p.label()} has no place in the new plan (too few sessions)",
                               field="no")
        pin(mv, slot, p)
    if hint is not None:
        _hint(mv, hint)

    pref_expr = mv.objective_expr()
    tiers: list[tuple[str, object]] = []
    missing = 0
    if reference is not None:
        changed, days, missing = _stability(mv, ctx, reference)
        tiers += [("sessions_changed", sum(changed)), ("days_moved", sum(days))]
    tiers.append(("preferences", pref_expr))

    status = cp_model.UNKNOWN
    tier_values: dict[str, int] = {}
    solver = None
    for i, (name, expr) in enumerate(tiers):
        m.minimize(expr)
        solver = clock.solver(seed)
        status = solver.solve(m)
        clock.account(solver, status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        val = int(round(solver.objective_value))
        tier_values[name] = val + (missing if name == "sessions_changed" else 0)
        if i < len(tiers) - 1:
            m.add(expr <= val)
            m.clear_hints()
            for v in _all_decisions(mv):
                m.add_hint(v, solver.value(v))
    st = _STATUS.get(status, Status.UNKNOWN)
    result = Result(st, None, calendar_status=ctx.calendar.status(), seed=seed)
    if st == Status.MODEL_INVALID:
        raise InternalError("CP-SAT rejected the model as invalid: " + m.validate())
    if st.has_plan:
        result.plan = _extract(mv, solver, ctx, reference)
        _assert_checks(result.plan, ctx)
        result.parts = {p.name: (p.weight, p.cost(result.plan, ctx)) for p in ctx.ruleset.preferences}
        result.objective = sum(w * c for w, c in result.parts.values())
        result.tiers = {k: v for k, v in tier_values.items() if k != "preferences"}
        result.solver_objective = tier_values.get("preferences")
        if result.solver_objective != result.objective:
            raise InternalError(f"the solver minimised {result.solver_objective} but the plan's preferences cost "
                                f"{result.objective}: a preference's two faces disagree; please report it with "
                                "the inputs")
    elif st == Status.INFEASIBLE and explain:
        result.conflict, result.conflict_minimal = explain_infeasibility(ctx, pins=all_pins, seed=seed, clock=clock)
    if status == cp_model.UNKNOWN or (st == Status.FEASIBLE):
        result.stopped_by = "wall-clock limit" if clock.wall_stop else "deterministic limit"
    result.solve_seconds = time.perf_counter() - clock.start
    result.deterministic_time = clock.det_used
    return result


def _assert_checks(plan: Plan, ctx: Problem) -> None:
    """Every generated plan passes the rule catalogue's check face, whoever asked for it (plan, replan,
    sweep, notebooks). A failure here means a rule's two faces disagree: refuse the plan."""
    from .check import check_plan

    bad = [v for v in check_plan(plan, ctx).violations if v.hard]
    if bad:
        raise InternalError(f"the generated plan fails check ({bad[0].rule}: {bad[0].where()} {bad[0].message}); "
                            "please report it with the inputs")


def _all_decisions(mv: ModelVars) -> list:
    out = []
    for s in mv.all_slots():
        out += [s.x, s.gap, s.present, *s.at.values()]
        if s.kind is not None:
            out.append(s.kind)
    return out


def structural_keys(ctx: Problem) -> set[str]:
    return {r.name for r in ctx.ruleset.rules if r.structural}


def explain_infeasibility(ctx: Problem, pins: list[Session] | None = None, seed: int = 0,
                          clock: _Clock | None = None, time_limit: float = 30.0) -> tuple[list[str], bool]:
    """Name an irreducible set of rule instances (and pins) that cannot hold together.

    Every rule instance (and every pin) is guarded by an enforcement literal in the free model;
    the literals are CP-SAT assumptions. CP-SAT's infeasible core is then shrunk by a deletion
    filter: a literal whose removal leaves the rest infeasible goes (and the rest shrinks to the
    new core), one whose removal makes the rest feasible stays. A trial that runs out of its
    budget is tried again with a larger one; one still undecided then stays in the set, and the
    answer says it is not proven minimal. Returns (descriptions, proven_minimal).
    """
    clock = clock or _Clock(time_limit)
    mv = build_model(ctx, explain=True)
    slot_of = {(s.stream, s.k): s for s in mv.all_slots()}
    for p in pins or []:
        if p.key in slot_of:
            pin(mv, slot_of[p.key], p, mv.lits("pin", f"{p.stream}#{p.no}"))
    fixed = structural_keys(ctx)
    lits = dict(sorted(mv.enforcement.items()))
    for key, lit in lits.items():
        if key.partition("[")[0] in fixed:
            mv.model.add(lit == 1)  # the model's own structure, never named
    keys = [k for k in lits if k.partition("[")[0] not in fixed]
    by_index = {lit.index: key for key, lit in lits.items()}

    def run(subset: list[str], share: float):
        mv.model.clear_assumptions()
        mv.model.add_assumptions([lits[k] for k in subset])
        solver = clock.solver(seed, share)
        # Presolve probing is what proves most trials, but its full depth costs seconds of wall time per
        # trial on the free model (measured: 3 s of probing vs 0.25 s for the whole trial at level 0).
        solver.parameters.cp_model_probing_level = 0
        st = solver.solve(mv.model)
        clock.account(solver, st)
        core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index] \
            if st == cp_model.INFEASIBLE else []
        return st, core

    first, core = run(keys, 0.5)
    if first == cp_model.UNKNOWN:
        return (["(the conflict could not be isolated within the time limit; raise --time-limit) rules in play: "
                 + ", ".join(sorted({k.partition("[")[0] for k in keys}))], False)
    if first != cp_model.INFEASIBLE:
        return (["the calendar itself (no working day is left for the sessions)"], True)
    core = sorted(set(core) or set(keys))
    needed: list[str] = []
    pending = list(core)
    for share in (0.1, 0.5):  # a short budget per trial first; undecided trials once more with a longer one
        undecided = []
        for k in pending:
            if k not in core:
                continue
            trial = [c for c in core if c != k]
            if not trial:
                needed.append(k)
                continue
            st, sub = run(trial, share)
            if st == cp_model.INFEASIBLE:
                core = sorted(sub) if sub else trial  # a core of the trial: smaller, and holds every needed one
            elif st in (cp_model.FEASIBLE, cp_model.OPTIMAL):
                needed.append(k)
            else:
                undecided.append(k)
        pending = undecided
        if not pending:
            break
    minimal = not pending
    return [describe_conflict(k, ctx) for k in core], minimal


def describe_conflict(key: str, ctx: Problem) -> str:
    name, _, detail = key.partition("[")
    detail = detail.rstrip("]")
    if name == "pin":
        return f"pin[{detail}] (the session pinned by the scenario or kept as published)"
    rule = ctx.ruleset.rule(name)
    title = rule.title if rule is not None else name
    params = ", ".join(f"{k}={v}" for k, v in (rule.params() if rule else {}).items()
                       if not isinstance(v, (list, dict)) and v != "")
    text = f"{name}" + (f"[{detail}]" if detail else "") + f" ({title}" + (f"; {params}" if params else "") + ")"
    if name == "session_count" and detail:
        stream, _, site = detail.partition("@")
        spec = ctx.streams.get(stream)
        if spec is not None:
            text += f": {spec.count if not site else '{}…{}'.format(*spec.bounds(site))} sessions"
    return text
