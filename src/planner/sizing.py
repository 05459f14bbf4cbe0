"""Sizing the year from its candidates: the fewest sessions, then the fewest exam days, that seat everyone in time.

``planner size`` turns each sized stream's session count into a decision within bounds (``{min, max}`` in
``session_count``) and each site's exam days per session into a decision within ``1 … max_days`` of the
demand file, keeps every hard rule of the rule set (rotation, spacing, coverage, the waiting limit …), and
solves in two tiers: fewest sessions, then fewest exam days. A tier that stops at its time limit keeps the
best plan found and reports the proven bound, so the answer says how far from optimal it may be.

The counts and days found then plan the year as ``planner plan`` would (every preference, short waits
included), with the demand file's days replaced by the chosen ones — so ``planner check --demand`` on the
written ``demand.toml`` recomputes the same waits.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .errors import PlannerError
from .problem import compile_problem
from .ruleset import ruleset_from_dict

#: default bounds on a sized stream's count: from one session to twice the rule set's count
DEFAULT_FACTOR = 2


@dataclass
class Sizing:
    status: str  # OPTIMAL | FEASIBLE | INFEASIBLE | UNKNOWN (the sizing tiers'; the plan has its own)
    sessions: dict[str, int] = field(default_factory=dict)  # sized stream -> sessions
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    days: dict[tuple[str, str], int] = field(default_factory=dict)  # (stream, site) -> exam days per session
    sessions_bound: int | None = None  # CP-SAT's proven lower bound on the total sessions
    capacity_bound: int | None = None  # a bound from the seats alone (see capacity_bound())
    probe_bound: int | None = None  # the sum of each stream's least count not proven impossible (see _least_counts())
    exam_days: int | None = None
    exam_days_bound: int | None = None
    demand: object = None  # the demand with the chosen days (planner.demand.Demand)
    result: object = None  # planner.solver.Result of the final plan
    ctx: object = None  # the problem the final plan was solved under
    conflict: list[str] = field(default_factory=list)
    seconds: float = 0.0
    answer_seconds: float = 0.0  # wall and process CPU seconds until the counts and days were settled (before the
    answer_cpu_seconds: float = 0.0  # final plan with every preference, which has the rest of the time limit)

    @property
    def total(self) -> int:
        return sum(self.sessions.values())

    @property
    def lower_bound(self) -> int | None:
        """The best proven lower bound on the total sessions: CP-SAT's, or the seats' (whichever is higher)."""
        bounds = [b for b in (self.sessions_bound, self.capacity_bound, self.probe_bound) if b is not None]
        return max(bounds) if bounds else None

    def summary(self) -> dict:
        return {
            "status": self.status, "sessions": self.sessions, "sessions_lower_bound": self.lower_bound,
            "gap": None if self.gap is None else round(self.gap, 4),
            "bounds": {s: list(b) for s, b in self.bounds.items()},
            "exam_days_per_session": {site: d for (_, site), d in sorted(self.days.items())},
            "exam_days": self.exam_days, "exam_days_lower_bound": self.exam_days_bound,
            "demand_status": self.demand.status if self.demand is not None else None,
            "answer_seconds": round(self.answer_seconds, 3), "answer_cpu_seconds": round(self.answer_cpu_seconds, 3),
        }

    def describe(self) -> str:
        gap = "proven optimal" if self.gap == 0 and self.status == "OPTIMAL" else (
            f"best found; at least {self.lower_bound} sessions are needed (gap {100 * (self.gap or 0):.1f} %)")
        days = ", ".join(f"{site} {d}" for site, d in sorted({(s, d) for (_, s), d in self.days.items()}))
        return (f"sizing: {self.total} sessions ({', '.join(f'{k}={v}' for k, v in self.sessions.items())}), {gap}; "
                f"exam days per session: {days}")

    def demand_toml(self) -> str:
        from .demand import demand_to_toml

        return demand_to_toml(self.demand, "The demand planner size used, with the exam days per session it chose.")

    @property
    def gap(self) -> float | None:
        """Relative distance of the session count from its proven lower bound (0 when proven optimal)."""
        if self.lower_bound is None or not self.total:
            return None
        return max(0.0, (self.total - self.lower_bound) / self.total)


def sized_streams(ctx, demand) -> dict[str, tuple[int, int]]:
    """Streams with candidates and a fixed count in the rule set -> default bounds (1 … twice the count)."""
    out = {}
    for sid, spec in ctx.streams.items():
        sd = demand.streams.get(sid)
        if sd is None or not any(c.registrations for c in sd.categories.values()):
            continue
        if spec.count is not None:
            out[sid] = (1, min(DEFAULT_FACTOR * spec.count, 600))
        elif spec.count_range is not None:
            out[sid] = spec.count_range
    return out


def _with_counts(ctx, counts: dict[str, object], max_wait: int | None):
    doc = copy.deepcopy(ctx.ruleset.doc)
    sessions = doc.setdefault("rules", {}).setdefault("session_count", {}).setdefault("sessions", {})
    sessions.update(counts)
    if max_wait is not None:
        doc["rules"].setdefault("waiting", {})["max_wait_days"] = max_wait
    rs = ruleset_from_dict(doc, ctx.ruleset.source, ctx.catalogue)
    return compile_problem(ctx.catalogue, ctx.calendar, rs, licenses=ctx.licenses, pins=ctx.pins)


def capacity_bound(facts, limit: int, window_end) -> int:
    """Sessions a stream needs for its seats alone: everyone of a category ready more than *limit* days before the
    window's end must be seated within the year, and no session offers the category more than its best site's
    seats per day × that site's longest session. Valid for any plan, so it bounds the count from below."""
    import datetime as dt
    import math

    from .queueing import ready_before

    need = 0
    for c in facts.categories:
        must = facts.cumulative(c)[ready_before(facts, window_end - dt.timedelta(days=limit + 1))]
        best = max((q * facts.max_days.get(site, 1) for (site, cat), q in facts.quota.items() if cat == c), default=0)
        if must and best:
            need = max(need, math.ceil(must / best))
    return need


def _seatless(ctx, sized, limit: int) -> None:
    """No count seats a category that no site of its stream may examine: say which, and who could, at once."""
    import datetime as dt

    from .errors import InfeasibleError
    from .queueing import ready_before

    for sid in sized:
        facts = ctx.demand.streams.get(sid)
        if facts is None:
            continue
        for c in facts.categories:
            must = facts.cumulative(c)[ready_before(facts, ctx.window[1] - dt.timedelta(days=limit + 1))]
            if must and not any(q for (site, cat), q in facts.quota.items() if cat == c):
                who = sorted(i for i, inst in ctx.catalogue.institutions.items()
                             if any(ctx.catalogue.operations[op].category_code == c for op in inst.scope))
                where = ", ".join(who) if who else "no institution of 附件4"
                raise InfeasibleError(
                    f"waiting[{sid}:{c}]: {must} candidates of {ctx.catalogue.category_name(c)} must be seated within "
                    f"the year, but no site of {sid} with seats may examine them (licensed: {where}); add such a "
                    "site to the stream (with seats in the demand file) or its sessions", [f"waiting[{sid}:{c}]"])


def _probe(ctx, demand, ranges: dict[str, tuple[int, int]], max_wait, clock, seed: int, share: float,
           presolve_only: bool = False):
    """Is there a plan with each sized stream's count within its range, under every hard rule and the waiting limit,
    sessions at their longest (more exam days only seat more, sooner)? CP-SAT without objective; with
    *presolve_only* one light presolve pass and no search, which near the seats' bound proves most counts
    impossible in a fraction of a second (undecided otherwise). Returns (CP-SAT status, a plan or None)."""
    from .model import build_model
    from .solver import _extract, _light_presolve

    trial = _with_counts(ctx, {sid: {"min": lo, "max": hi} for sid, (lo, hi) in ranges.items()}, max_wait)
    trial = trial.with_demand(demand)
    mv = build_model(trial, max_slots={sid: hi for sid, (_, hi) in ranges.items()})
    solver = clock.solver(seed, share)
    # Presolve, which decides most probes, costs no deterministic time but wall time, which a loaded machine
    # stretches: a probe may use a quarter of the wall time left, its search is bounded by its deterministic share.
    wall_left = clock.wall - (time.perf_counter() - clock.start)
    solver.parameters.max_time_in_seconds = max(solver.parameters.max_time_in_seconds, 0.25 * wall_left)
    if presolve_only:  # one light pass decides the impossible counts as well as the full presolve does, faster
        solver.parameters.stop_after_presolve = True
        _light_presolve(solver)
    status = solver.solve(mv.model)
    clock.account(solver, status)
    plan = _extract(mv, solver, trial, None) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return status, plan


def _least_counts(ctx, demand, sized, least, max_wait, clock, seed: int, known=None):
    """Each sized stream's least count, proven count by count: from the seats' bound up, a count is impossible
    when no plan has the stream at exactly that count and every other stream anywhere from its own proven least
    to its upper bound (so each step covers every plan). Stops at the first count that is possible (a plan with
    it is returned) or undecided. Returns (least counts proven, a plan at the least counts of every stream or None:
    *known*, a plan found before, when it has them)."""
    lb = {sid: max(lo, least.get(sid, lo)) for sid, (lo, hi) in sized.items()}
    stop = 0.6 * clock.left  # the probes take at most 40 % of what the first fit left, the counts together half
    # the rest; what remains is the tiers', should the least counts not fit together
    for sid in sorted(sized, key=lambda s: (-lb[s], s)):
        while lb[sid] <= sized[sid][1] and clock.left > stop:
            ranges = {o: (lb[o], sized[o][1]) for o in sized}
            ranges[sid] = (lb[sid], lb[sid])
            status, _ = _probe(ctx, demand, ranges, max_wait, clock, seed, 0.03, presolve_only=True)
            if status != cp_model.INFEASIBLE:
                break
            lb[sid] += 1
    if known is not None and all(len(known.stream(sid)) == lb[sid] for sid in sized):
        return lb, known  # the first fit already has the least counts
    if any(lb[sid] > hi for sid, (_, hi) in sized.items()) or clock.left <= 1.0:
        return lb, None
    _, found = _probe(ctx, demand, {sid: (lb[sid], lb[sid]) for sid in sized}, max_wait, clock, seed, 0.5)
    return lb, found


def _first_fit(ctx, demand, sized: dict[str, tuple[int, int]], max_wait, seed: int, clock, start: dict[str, int]):
    """A first plan that seats everyone in time, found fast: the year as `planner plan` makes it without
    candidates, at every site's longest sessions, starting from *start* sessions a stream (its seats' lower
    bound) with one more rotation cycle of a stream whose candidates wait too long, until the queue check
    passes (None when the bounds or the time run out first)."""
    from .check import check_plan
    from .solver import Status, solve

    counts = {sid: min(hi, max(lo, start.get(sid, lo))) for sid, (lo, hi) in sized.items()}
    while clock.left > 1.0:
        trial = _with_counts(ctx, counts, max_wait)
        result = solve(trial, seed=seed, time_limit=clock.left / 2, explain=False)
        clock.det_used += result.deterministic_time
        if result.status == Status.INFEASIBLE:  # too few sessions for another rule (coverage, …): grow them all
            late = set(counts)
        elif result.plan is None:
            return None
        else:
            late = {v.stream for v in check_plan(result.plan, trial.with_demand(demand)).violations
                    if v.rule == "waiting"}
            if not late:
                return result.plan
        grown = False
        for sid in late & set(counts):
            step = ctx.streams[sid].cycle
            if counts[sid] + step <= sized[sid][1]:
                counts[sid] += step
                grown = True
        if not grown:
            return None
    return None


def size(ctx, demand, *, bounds: dict[str, tuple[int, int]] | None = None, max_wait: int | None = None,
         time_limit: float = 30.0, seed: int = 0) -> Sizing:
    """Fewest sessions, then fewest exam days, under every hard rule of *ctx* and the waiting limit."""
    from dataclasses import replace

    from .model import build_model
    from .queueing import model_flows
    from .solver import (_Clock, _extract, _hint, _light_presolve, describe_conflicts, explain_infeasibility,
                         solve)

    start, cpu = time.perf_counter(), time.process_time()
    if ctx.ruleset.rule("waiting") is None and max_wait is None:
        raise PlannerError("sizing needs a waiting limit: add [rules.waiting] to the rule set or give --max-wait",
                           field="max-wait")
    sized = dict(sized_streams(ctx, demand))
    for sid, b in (bounds or {}).items():
        if sid not in ctx.streams:
            raise PlannerError(f"unknown stream {sid!r} (this rule set plans {', '.join(ctx.streams)})",
                               field="sessions")
        sized[sid] = b
    if not sized:
        raise PlannerError("the demand file expects no candidates in any stream this rule set plans", field="demand")
    ranged = _with_counts(ctx, {sid: {"min": lo, "max": hi} for sid, (lo, hi) in sized.items()}, max_wait)
    free = ranged.with_demand(demand)
    free = replace(free, demand=replace(free.demand, free_days=True))
    out = Sizing("UNKNOWN", bounds=dict(sized))
    limit = free.ruleset.rule("waiting").max_wait_days
    _seatless(free, sized, limit)

    clock = _Clock(0.6 * time_limit)  # the rest is the final plan's (every preference)
    longest = demand.with_days({site: s.max_days for site, s in demand.sites.items()})
    least = {sid: capacity_bound(free.demand.streams[sid], limit, free.window[1])
             for sid in sized if sid in free.demand.streams}
    out.capacity_bound = sum(least.values())
    # the first fit first, so that a loaded machine, whose wall clock cuts the probes short, still gets a plan
    start_plan = _first_fit(ctx, longest, sized, max_wait, seed, clock, least)
    lb, probed = _least_counts(ctx, longest, sized, least, max_wait, clock, seed, start_plan)
    if probed is not None:
        start_plan = probed
    if all(lb[sid] <= hi for sid, (_, hi) in sized.items()):  # else no count within the bounds: the model says why
        out.probe_bound = sum(lb.values())
        sized = {sid: (lb[sid], hi) for sid, (_, hi) in sized.items()}
        ranged = _with_counts(ctx, {sid: {"min": lo, "max": hi} for sid, (lo, hi) in sized.items()}, max_wait)
        free = ranged.with_demand(demand)
        free = replace(free, demand=replace(free.demand, free_days=True))
    if start_plan is not None:  # fewer sessions are sought: the first fit's counts bound the model's slots
        sized = {sid: (lo, max(lo, len(start_plan.stream(sid)))) for sid, (lo, hi) in sized.items()}
    mv = build_model(free, max_slots={sid: hi for sid, (_, hi) in sized.items()})
    flows = model_flows(mv, free)
    if start_plan is not None:
        longest_days = {d.index: demand.sites[site].max_days
                        for site, d in mv.shared["queue"].get("site_days", {}).items()}
        for site, d in mv.shared["queue"].get("site_days", {}).items():
            mv.model.add_hint(d, demand.sites[site].max_days)
        _hint(mv, start_plan, longest_days)
    count = sum(s.present for sid in sized for s in mv.stream_slots(sid))
    days = sum(d for sid in sized if sid in flows for d in flows[sid].exam_days)
    m = mv.model
    status = cp_model.UNKNOWN
    best = None
    for tier, expr in (("sessions", count), ("exam_days", days)):
        m.minimize(expr)
        solver = clock.solver(seed, 0.5 if tier == "sessions" else 1.0)
        _light_presolve(solver)
        status = solver.solve(m)
        clock.account(solver, status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        value, bound = int(round(solver.objective_value)), int(round(solver.best_objective_bound))
        if tier == "sessions":
            out.sessions = {sid: sum(int(solver.value(s.present)) for s in mv.stream_slots(sid)) for sid in sized}
            out.sessions_bound = bound
            m.add(count == value)  # keep the count found, then the fewest exam days with it
        else:
            out.exam_days, out.exam_days_bound = value, bound
        out.days = {(sid, site): (d if isinstance(d, int) else int(solver.value(d)))
                    for sid in sized if sid in flows for site, d in flows[sid].days.items()}
        best = _extract(mv, solver, free, None)
        optimal = status == cp_model.OPTIMAL or (tier == "sessions" and out.lower_bound == value)
        out.status = "OPTIMAL" if optimal and out.status in ("UNKNOWN", "OPTIMAL") else "FEASIBLE"
        m.clear_hints()
        for v in [s.x for s in mv.all_slots()] + [s.present for s in mv.all_slots()]:
            m.add_hint(v, solver.value(v))
    if not out.sessions and start_plan is not None:  # the model found nothing better in time: the first fit stands
        out.status = "FEASIBLE"
        out.sessions = {sid: len(start_plan.stream(sid)) for sid in sized}
        out.days = {(sid, site): s.max_days for sid in sized for site, s in demand.sites.items()
                    if site in free.streams[sid].sites}
        best = start_plan
    if not out.sessions:
        if status == cp_model.INFEASIBLE and start_plan is None:
            out.status = "INFEASIBLE"
            keys, _ = explain_infeasibility(free, seed=seed, clock=clock)
            out.conflict = describe_conflicts(keys, free)
        out.seconds = time.perf_counter() - start
        return out
    out.answer_seconds, out.answer_cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    # the plan with the counts and days found, as `planner plan` would make it
    chosen = demand.with_days({site: d for (_, site), d in out.days.items() if site in demand.sites})
    final = _with_counts(ctx, dict(out.sessions), max_wait).with_demand(chosen)
    out.demand, out.ctx = chosen, final
    left = max(0.3 * time_limit, time_limit - (time.perf_counter() - start))
    out.result = solve(final, seed=seed, time_limit=left, explain=False, hint=best)
    if not out.result.status.has_plan:
        raise PlannerError("the sized counts were found, but no plan with every preference came within the time "
                           "limit; raise --time-limit", field="time-limit")
    out.seconds = time.perf_counter() - start
    return out
