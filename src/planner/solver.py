"""Solving: a solver-neutral :class:`Result` from the CP-SAT model, and conflicts named when there is none.

Determinism: CP-SAT runs with one worker, a fixed seed and a limit in *deterministic* time
(``max_deterministic_time``, a work count, not the wall clock), so the same inputs and seed
give the same plan whatever the machine's load. Objectives with tiers (re-planning: fewest
sessions moved, then fewest days moved, then preferences) are solved one tier after another.
"""
from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .context import Context
from .model import ModelVars, Slot, build_model
from .plan import Plan, Session


class Status(enum.Enum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
}


@dataclass
class Result:
    status: Status
    plan: Plan | None
    objective: int | None = None
    solver_objective: int | None = None  # the last tier's value as CP-SAT saw it (equals ``objective``)
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)  # preference -> (weight, unweighted cost)
    tiers: dict[str, int] = field(default_factory=dict)  # stability tiers (sessions_changed, days_moved)
    solve_seconds: float = 0.0
    deterministic_time: float = 0.0
    conflict: list[str] = field(default_factory=list)
    calendar_status: str = ""
    seed: int = 0

    def summary(self) -> str:
        lines = [f"status: {self.status.value}"]
        if self.plan is not None:
            lines.append(f"sessions: {len(self.plan.sessions)} "
                         + ", ".join(f"{s}={len(self.plan.stream(s))}" for s in self.plan.streams()))
        if self.objective is not None:
            lines.append(f"objective: {self.objective}")
            for name, (w, c) in self.parts.items():
                lines.append(f"  {name}: {w} x {c} = {w * c}")
        for name, v in self.tiers.items():
            lines.append(f"{name}: {v}")
        if self.conflict:
            lines.append("conflict: " + "; ".join(self.conflict))
        lines.append(f"calendar: {self.calendar_status}")
        lines.append(f"solve time: {self.solve_seconds:.3f} s (deterministic {self.deterministic_time:.3f})")
        return "\n".join(lines)


def _solver(seed: int, time_limit: float) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.random_seed = seed
    s.parameters.max_deterministic_time = float(time_limit)
    return s


def _extract(mv: ModelVars, solver: cp_model.CpSolver, ctx: Context, reference: Plan | None) -> Plan:
    ref = reference.by_key() if reference is not None else {}
    sessions = []
    for stream, slots in mv.slots.items():
        kinds = ctx.catalogue.streams[stream].kinds
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


def pin(mv: ModelVars, slot: Slot, session: Session, ctx: Context) -> None:
    """Fix *slot* to *session* (already published): date, deadline, institution and kind."""
    from .errors import PlannerError

    m = mv.model
    kinds = ctx.catalogue.streams[slot.stream].kinds
    if session.institution not in slot.at:
        raise PlannerError(f"pinned session {session.label()} is at {session.institution}, which the rules do not "
                           f"allow for {slot.stream}", field="institution")
    if session.kind not in kinds:
        raise PlannerError(f"pinned session {session.label()} has kind {session.kind!r}", field="kind")
    m.add(slot.present == 1)
    m.add(slot.x == mv.day(session.exam_date))
    m.add(slot.gap == (session.exam_date - session.registration_deadline).days)
    m.add(slot.at[session.institution] == 1)
    if slot.kind is not None:
        m.add(slot.kind == kinds.index(session.kind))


def _stability(mv: ModelVars, ctx: Context, reference: Plan) -> tuple[list, list, int]:
    """(changed literals, day deviations, constant count of reference sessions that have no slot)."""
    m = mv.model
    changed, days = [], []
    slot_keys = set()
    for stream, slots in mv.slots.items():
        kinds = ctx.catalogue.streams[stream].kinds
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
            m.add_bool_and(conds).only_enforce_if(same)
            changed.append(1 - same)
            d = mv.abs_dev(s.x, rx, mv.horizon, f"moved[{stream}#{s.k}]")
            dp = m.new_int_var(0, mv.horizon, "")
            m.add(dp == d).only_enforce_if(s.present)
            m.add(dp == 0).only_enforce_if(s.present.negated())
            days.append(dp)
    missing = sum(1 for s in reference.sessions if s.key not in slot_keys)
    return changed, days, missing


def solve(
    ctx: Context,
    *,
    seed: int = 0,
    time_limit: float = 30.0,
    reference: Plan | None = None,
    pins: list[Session] | None = None,
    explain: bool = True,
) -> Result:
    """Plan the year under ``ctx``'s rule set.

    With *reference*, stay as close to it as possible (fewest sessions changed, then fewest days
    moved), then optimise the preferences; with *pins*, those sessions are fixed.
    """
    t0 = time.perf_counter()
    mv = build_model(ctx)
    m = mv.model
    slot_of = {(s.stream, s.k): s for s in mv.all_slots()}
    for p in pins or []:
        slot = slot_of.get(p.key)
        if slot is None:
            from .errors import PlannerError

            raise PlannerError(f"pinned session {p.label()} has no place in the new plan (too few sessions)",
                               field="no")
        pin(mv, slot, p, ctx)

    pref_expr = sum(w * sum(terms) for w, terms in mv.penalties.values()) if mv.penalties else 0
    tiers: list[tuple[str, object]] = []
    missing = 0
    if reference is not None:
        changed, days, missing = _stability(mv, ctx, reference)
        tiers += [("sessions_changed", sum(changed)), ("days_moved", sum(days))]
    tiers.append(("preferences", pref_expr))

    solver = _solver(seed, time_limit)
    status = cp_model.UNKNOWN
    tier_values: dict[str, int] = {}
    det = 0.0
    for i, (name, expr) in enumerate(tiers):
        m.minimize(expr)
        status = solver.solve(m)
        det += solver.deterministic_time
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
    if st.has_plan:
        result.plan = _extract(mv, solver, ctx, reference)
        _assert_checks(result.plan, ctx)
        result.parts = {p.name: (p.weight, p.cost(result.plan, ctx)) for p in ctx.ruleset.preferences}
        result.objective = sum(w * c for w, c in result.parts.values())
        result.tiers = {k: v for k, v in tier_values.items() if k != "preferences"}
        result.solver_objective = tier_values.get("preferences")
    elif st == Status.INFEASIBLE and explain:
        result.conflict = explain_infeasibility(ctx, pins=pins, seed=seed, time_limit=time_limit)
    result.solve_seconds = time.perf_counter() - t0
    result.deterministic_time = det
    return result


def _assert_checks(plan: Plan, ctx: Context) -> None:
    """Every generated plan passes the rule catalogue's check face, whoever asked for it (plan, replan,
    sweep, notebooks). A failure here means a rule's two faces disagree: refuse the plan."""
    from .check import check_plan
    from .errors import PlannerError

    bad = [v for v in check_plan(plan, ctx).violations if v.hard]
    if bad:
        raise PlannerError(f"internal error: the generated plan fails check ({bad[0].rule}: {bad[0].message}); "
                           "please report it with the inputs")


def _all_decisions(mv: ModelVars) -> list:
    out = []
    for s in mv.all_slots():
        out += [s.x, s.gap, s.present, *s.at.values()]
        if s.kind is not None:
            out.append(s.kind)
    return out


def explain_infeasibility(ctx: Context, pins: list[Session] | None = None, seed: int = 0,
                          time_limit: float = 30.0) -> list[str]:
    """Name a small set of rules (with their stream or site) that cannot hold together.

    Every rule is guarded by an enforcement literal, the literals are CP-SAT assumptions, and the
    infeasible core CP-SAT returns is shrunk one literal at a time.
    """
    mv = build_model(ctx, explain=True)
    slot_of = {(s.stream, s.k): s for s in mv.all_slots()}
    for p in pins or []:
        if p.key in slot_of and p.institution in slot_of[p.key].at:
            pin(mv, slot_of[p.key], p, ctx)
    lits = dict(sorted(mv.enforcement.items()))
    by_index = {lit.index: key for key, lit in lits.items()}
    solver = _solver(seed, max(1.0, time_limit / 4))
    trial_limit = min(2.0, solver.parameters.max_deterministic_time)

    def status(keys: list[str]) -> int:
        mv.model.clear_assumptions()
        mv.model.add_assumptions([lits[k] for k in keys])
        return solver.solve(mv.model)

    def infeasible(keys: list[str]) -> bool:
        return status(keys) == cp_model.INFEASIBLE

    keys = list(lits)
    first = status(keys)
    if first == cp_model.UNKNOWN:
        return ["(the conflict could not be isolated within the time limit; raise --time-limit) rules in play: "
                + ", ".join(sorted({k.partition("[")[0] for k in keys}))]
    if first != cp_model.INFEASIBLE:
        return ["the calendar itself (no working day is left for the sessions)"]
    core = sorted({by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index})
    if not core:
        return ["pinned sessions" if pins else "the calendar"]
    solver.parameters.max_deterministic_time = trial_limit  # shrinking is best-effort: unknown keeps the rule
    for k in list(core):
        trial = [c for c in core if c != k]
        if trial and infeasible(trial):
            core = trial
    return [describe_conflict(k, ctx) for k in core]


def describe_conflict(key: str, ctx: Context) -> str:
    name, _, detail = key.partition("[")
    detail = detail.rstrip("]")
    rule = ctx.ruleset.rule(name)
    title = rule.title if rule is not None else name
    params = ", ".join(f"{k}={v}" for k, v in (rule.params() if rule else {}).items()
                       if not isinstance(v, (list, dict)) and v != "")
    text = f"{name}" + (f"[{detail}]" if detail else "") + f" ({title}" + (f"; {params}" if params else "") + ")"
    if name == "session_count" and detail and rule is not None:
        stream, _, site = detail.partition("@")
        b = rule.bounds(stream)
        text += f": {b if isinstance(b, int) else b.get(site)} sessions"
    return text
