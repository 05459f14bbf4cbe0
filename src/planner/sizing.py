"""Sizing the year from its candidates: the fewest sessions, then the fewest exam days, that seat everyone in time.

``planner size`` turns each sized stream's session count into a decision within bounds (``{min, max}`` in
``session_count``) and each site's exam days per session into a decision within ``1 … max_days`` of the
demand file, keeps every hard rule of the rule set (rotation, spacing, coverage, the waiting limit …), and
answers the fewest sessions, then the fewest exam days.

The fast way, tried first: a lower bound per stream in plain Python (the seats site by site, and the queue's
timing: :func:`seats_bound`, :func:`queue_bound`), which, with the days the candidates must be seated in
(:func:`crowding`), also proves some years impossible at once, naming the category, its sites and why
(:func:`_plain_proof`; no time limit changes that answer); then each stream's least count proven count by count by
CP-SAT on one model per stream, built once, the count moved by the domains of the slots' presence
(:class:`_Counts`; a count CP-SAT calls INFEASIBLE is a proof); then one model with every count fixed at its
least, which minimises the exam days. When that model has a plan, the count is proven optimal. Otherwise
(the least counts do not fit together, or time is short) the two tiers: a first fit found fast, then CP-SAT
with the counts as decisions from the proven least counts up — fewest sessions, then fewest exam days. A tier
that stops at its time limit keeps the best plan found and reports the proven bound, so the answer says how far
from optimal it may be.

The counts and days found then plan the year as ``planner plan`` would (every preference, short waits
included), with the demand file's days replaced by the chosen ones — so ``planner check --demand`` on the
written ``demand.toml`` recomputes the same waits.
"""
from __future__ import annotations

import copy
import math
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
    queue_bound: int | None = None  # the plain-Python bound: seats site by site and the queue's timing (see size())
    probe_bound: int | None = None  # the sum of each stream's least count not proven impossible (see _least_counts())
    exam_days: int | None = None
    exam_days_bound: int | None = None
    demand: object = None  # the demand with the chosen days (planner.demand.Demand)
    result: object = None  # planner.solver.Result of the final plan
    ctx: object = None  # the problem the final plan was solved under
    conflict: list[str] = field(default_factory=list)
    rules_alone: bool = False  # INFEASIBLE because the rules conflict without any candidate, whatever the counts
    conflict_minimal: bool = True  # False: the time limit ended the explanation before it proved no item superfluous
    reason: str = ""  # INFEASIBLE proven without a model (plain bounds): why, naming the category, sites and numbers
    seconds: float = 0.0
    answer_seconds: float = 0.0  # wall and process CPU seconds until the counts and days were settled (before the
    answer_cpu_seconds: float = 0.0  # final plan with every preference, which has the rest of the time limit)

    @property
    def total(self) -> int:
        return sum(self.sessions.values())

    def infeasible_message(self) -> str:
        """The one line an INFEASIBLE sizing stops with (command line and workbench alike)."""
        head = ("no plan satisfies the rules together, whatever the session counts" if self.rules_alone
                else "no count within the bounds seats every candidate in time")
        from .solver import NOT_MINIMAL

        return (head + ": " + "; ".join(self.conflict) + (f"; {self.reason}" if self.reason else "")
                + ("" if self.conflict_minimal else NOT_MINIMAL))

    @property
    def lower_bound(self) -> int | None:
        """The best proven lower bound on the total sessions: CP-SAT's, or the seats' (whichever is higher)."""
        bounds = [b for b in (self.sessions_bound, self.capacity_bound, self.queue_bound, self.probe_bound)
                  if b is not None]
        return max(bounds) if bounds else None

    def summary(self) -> dict:
        return {
            "status": self.status, "sessions": self.sessions, "sessions_lower_bound": self.lower_bound,
            "gap": None if self.gap is None else round(self.gap, 4),
            "bounds": {s: list(b) for s, b in self.bounds.items()},
            "exam_days_per_session": {site: d for (_, site), d in sorted(self.days.items())},
            "exam_days": self.exam_days, "exam_days_lower_bound": self.exam_days_bound,
            "demand_status": self.demand.status if self.demand is not None else None,
        }  # no seconds: the same inputs give the same summary.json (describe() prints them)

    def describe(self) -> str:
        gap = "proven optimal" if self.gap == 0 and self.status == "OPTIMAL" else (
            f"best found; at least {self.lower_bound} sessions are needed (gap {100 * (self.gap or 0):.1f} %)")
        days = ", ".join(f"{site} {d}" for site, d in sorted({(s, d) for (_, s), d in self.days.items()}))
        return (f"sizing: {self.total} sessions ({', '.join(f'{k}={v}' for k, v in self.sessions.items())}), {gap}; "
                f"exam days per session: {days}; answered in {self.answer_seconds:.1f} s "
                f"({self.answer_cpu_seconds:.1f} s CPU)")

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


def _with_counts(ctx, counts: dict[str, object], max_wait: int | None, preferences: bool = True):
    """*ctx*'s problem with other session counts (and waiting limit); without *preferences* for a model that only
    asks what is possible (a preference's terms never forbid a plan, and building them costs a third of the time)."""
    doc = copy.deepcopy(ctx.ruleset.doc)
    if not preferences:
        doc.pop("preferences", None)
    sessions = doc.setdefault("rules", {}).setdefault("session_count", {}).setdefault("sessions", {})
    # a count of 0 (``--sessions S=0:N``) as the range it is: the rule takes a whole count from 1 only
    sessions.update({sid: {"min": 0, "max": 0} if n == 0 else n for sid, n in counts.items()})
    # The sites stay the problem's: a dated licence adds its site to a fixed-count stream only (compile_problem),
    # so a count made a range here would drop 瑞阳 from the managers' sites of huaan_closed_ruiyang_licensed, and
    # the licence would then be refused as naming a site of no stream.
    for sid in counts:
        doc.setdefault("streams", {}).setdefault(sid, {})["sites"] = list(ctx.streams[sid].sites)
    if max_wait is not None:
        doc["rules"].setdefault("waiting", {})["max_wait_days"] = max_wait
    rs = ruleset_from_dict(doc, ctx.ruleset.source, ctx.catalogue)
    return compile_problem(ctx.catalogue, ctx.calendar, rs, licenses=ctx.licenses, pins=ctx.pins)


def _must(facts, category: str, limit: int, window_end) -> int:
    """Candidates of *category* who must be seated within the year: ready more than *limit* days before the
    window's end (the waiting rule's last condition)."""
    import datetime as dt

    from .queueing import ready_before

    return facts.cumulative(category)[ready_before(facts, window_end - dt.timedelta(days=limit + 1))]


def _session_seats(facts, site: str, category: str) -> int:
    """The most seats one session at *site* can offer *category*: its seats per day × its longest session (a dated
    licence only takes seats away)."""
    return facts.quota.get((site, category), 0) * facts.max_days.get(site, 1)


def capacity_bound(facts, limit: int, window_end) -> int:
    """Sessions a stream needs for its seats alone: everyone of a category ready more than *limit* days before the
    window's end must be seated within the year, and no session offers the category more than its best site's
    seats per day × that site's longest session. Valid for any plan, so it bounds the count from below."""
    need = 0
    for c in facts.categories:
        must = _must(facts, c, limit, window_end)
        best = max((_session_seats(facts, site, c) for (site, cat) in facts.quota if cat == c), default=0)
        if must and best:
            need = max(need, math.ceil(must / best))
    return need


def seats_bound(facts, limit: int, window_end, categories=None) -> int:
    """The seats site by site: a session sits at one site, so with n_s sessions at site s, every category c needs
    sum_s n_s × (s's seats for c per session) >= the candidates of c who must be seated within the year. The
    fewest sessions meeting that for every category at once (a small integer program, solved exactly; its proven
    bound, rounded up, should the tiny budget run out) bounds the count from below: every plan's n_s meet it.
    Never below :func:`capacity_bound`, and above it when the categories that need many seats are examined at
    different sites. *categories*: those only (default: every category of the stream)."""
    sites = sorted({site for (site, _), q in facts.quota.items() if q > 0})
    needs = {c: _must(facts, c, limit, window_end) for c in (facts.categories if categories is None else categories)}
    needs = {c: m for c, m in needs.items() if m > 0 and any(_session_seats(facts, s, c) for s in sites)}
    if not needs:
        return 0
    m = cp_model.CpModel()
    # more sessions at a site than its most needed category asks for never help: a valid cap on each n_s
    top = {s: max((math.ceil(need / q) for c, need in needs.items() if (q := _session_seats(facts, s, c))),
                  default=0) for s in sites}
    n = {s: m.new_int_var(0, top[s], f"n[{s}]") for s in sites}
    for c, need in needs.items():
        m.add(sum(n[s] * _session_seats(facts, s, c) for s in sites) >= need)
    m.minimize(sum(n.values()))
    from .model import cp_solver

    solver = cp_solver()
    solver.parameters.max_deterministic_time = 1.0
    status = solver.solve(m)
    if status == cp_model.INFEASIBLE:  # pragma: no cover - each n_s may reach its most needed category's count
        return capacity_bound(facts, limit, window_end)
    return max(0, math.ceil(solver.best_objective_bound - 1e-6))


def queue_bound(facts, limit: int, window_end, min_gap: int | None) -> int | None:
    """The queue's timing, category by category: the fewest sessions that could seat everyone of the category in
    time, each placed as late as the waiting limit allows and offering the category its best site's seats.

    The waiting rule asks, before each session at day x, that everyone ready by x − 1 − *limit* is seated, and
    at the window's end everyone ready more than *limit* days before it (:func:`_must`); a session seats at most
    its seats, and only candidates ready by its registration deadline, which is at least *min_gap* days before
    the exam (the rule ``registration_gap``; None: no such rule, any candidate). So with S seated before it, the
    next session is on day x <= r + *limit*, r the first unseated candidate's ready day, and seats at most
    min(S + seats, ready by x − *min_gap*). The greedy takes x = r + *limit* every time: both limits only grow
    with S and with x, so by induction it has seated at least as many as any plan after as many sessions, and
    the first n at which it has seated everyone who must be is a lower bound on every plan's count. None when no
    count can seat them in time (a limit shorter than the registration gap)."""
    need = 0
    for c in facts.categories:
        n = _queue_sessions(facts, c, limit, window_end, min_gap)
        if n is None:
            return None
        need = max(need, n)
    return need


def _queue_sessions(facts, c: str, limit: int, window_end, min_gap: int | None) -> int | None:
    """:func:`queue_bound` for one category *c* (0 when none of it must be seated or no site examines it)."""
    import datetime as dt

    from .queueing import ready_before

    days = facts.ready_days
    must = _must(facts, c, limit, window_end)
    seats = max((_session_seats(facts, site, c) for (site, cat) in facts.quota if cat == c), default=0)
    if not must or not seats:
        return 0
    cum = facts.cumulative(c)
    seated = sessions = 0
    first = 0  # the first unseated candidate's ready-day index: cum[first + 1] > seated
    while seated < must:
        while cum[first + 1] <= seated:
            first += 1
        exam = days[first] + dt.timedelta(days=limit)
        ready = cum[-1] if min_gap is None else cum[ready_before(facts, exam - dt.timedelta(days=min_gap))]
        now = min(seated + seats, ready)
        if now <= seated:
            return None
        seated, sessions = now, sessions + 1
    return sessions


def _capacity_sessions(facts, c: str, limit: int, window_end) -> tuple[int, int, int]:
    """:func:`capacity_bound` for one category *c*: (sessions needed, candidates who must be seated within the
    year, the most seats one session offers them)."""
    must = _must(facts, c, limit, window_end)
    best = max((_session_seats(facts, site, c) for (site, cat) in facts.quota if cat == c), default=0)
    return (math.ceil(must / best) if must and best else 0), must, best


@dataclass(frozen=True)
class _Crowding:
    """Candidates of one category who cannot all be seated in time whatever the count (:func:`crowding`)."""

    category: str
    first: object  # datetime.date: the first and last ready day of the candidates counted
    last: object
    candidates: int
    start: object  # datetime.date: the first and last day a session may seat them (first + the registration gap,
    end: object  # last + the waiting limit)
    sessions: int  # the most sessions of the stream from start to end
    seats: int  # the most seats those sessions offer the category
    keys: tuple[str, ...]  # the rules the bound uses (besides the waiting limit), as conflict keys


def _most_seats(seats: list[int], span: int, spacing: int | None, cap: int | None) -> tuple[int, int] | None:
    """(sessions, seats): the most a stream's sessions can hold for a category within *span* + 1 consecutive days,
    each site (*seats*: one session's seats there for the category) holding at most one session every *spacing*
    days, and at most *cap* sessions a day in all; None when nothing limits them."""
    if span < 0:
        return 0, 0
    total = None if cap is None else cap * (span + 1)
    per_site = None if not spacing else span // spacing + 1
    if per_site is None and total is None:
        return None
    sessions = got = 0
    for n in sorted(seats, reverse=True):
        k = per_site if total is None else (total - sessions if per_site is None else min(per_site, total - sessions))
        sessions, got = sessions + k, got + k * n
    return sessions, got


def crowding(facts, limit: int, window_end, min_gap: int | None, spacing: int | None, cap: int | None,
             categories=None) -> _Crowding | None:
    """Candidates too many for the days they must be seated in, whatever the count. A candidate ready on day r
    takes a session whose registration closes on or after r, at least *min_gap* days before the exam (rule
    ``registration_gap``), and one who must be seated within the year is seated before any session held more than
    *limit* days after r (rule ``waiting``): so by a session between r + *min_gap* and r + *limit*. The candidates
    ready from day a to day b therefore take seats of sessions between a + *min_gap* and b + *limit*, where a site
    holds at most one session of the stream every *spacing* days (rules ``stream_spacing``, ``site_spacing``) and
    the city at most *cap* a day (``daily_cap``), each offering the category at most its site's seats × its longest
    session. The first (a, b) of a category with more candidates than those seats, or None. Valid for every plan
    (the other streams' sessions, closures and holidays only take days away), so it proves the year impossible."""
    import datetime as dt

    from .queueing import ready_before

    gap = min_gap or 0
    days = facts.ready_days
    for c in (facts.categories if categories is None else categories):
        seats = [_session_seats(facts, site, c) for (site, cat) in sorted(facts.quota) if cat == c]
        seats = [n for n in seats if n > 0]
        due = ready_before(facts, window_end - dt.timedelta(days=limit + 1))  # ready days whose candidates must be
        arr = facts.arrivals[c]  # seated within the year (the waiting rule's last condition)
        idx = [i for i in range(due) if arr[i] > 0]
        if not seats or not idx:
            continue
        cum = facts.cumulative(c)
        most: dict[int, tuple[int, int] | None] = {}
        for a, i in enumerate(idx):
            for j in idx[a:]:
                span = (days[j] - days[i]).days + limit - gap
                if span not in most:
                    most[span] = _most_seats(seats, span, spacing, cap)
                held = most[span]
                if held is not None and cum[j + 1] - cum[i] > held[1]:
                    return _Crowding(c, days[i], days[j], cum[j + 1] - cum[i], days[i] + dt.timedelta(days=gap),
                                     days[j] + dt.timedelta(days=limit), held[0], held[1], ())
    return None


def _probe_ctx(ctx, demand, ranges: dict[str, tuple[int, int]], max_wait, *, only: str | None = None,
               free_days: bool = False):
    """The problem :class:`_Counts` models: every hard rule, each stream of *ranges* between its ends, the
    candidates of *only* alone (or all), each site's exam days a decision (*free_days*) or as *demand* says."""
    from dataclasses import replace

    trial = _with_counts(ctx, {sid: {"min": lo, "max": hi} for sid, (lo, hi) in ranges.items()}, max_wait,
                         preferences=False).with_demand(demand)
    facts = trial.demand
    if only is not None:
        facts = replace(facts, streams={sid: f for sid, f in facts.streams.items() if sid == only})
    return replace(trial, demand=replace(facts, free_days=free_days))


class _Counts:
    """One CP-SAT model of the year with every hard rule and the waiting limit (no preferences), each sized
    stream's slots between its range's ends, the count moved between solves by domains, never rebuilt: a count n
    fixes the presence of slots 1 … n on and the rest off (with the rule ``numbering`` present slots are a prefix,
    so that is every plan with n sessions; without it only their sum is fixed).

    *only*: the candidates of that stream alone (a relaxation: the other streams' waiting limits are dropped, so a
    count impossible here is impossible in the year; the model is half the size). *free_days*: each site's exam
    days per session are decisions (else every session at its longest, as *demand* says)."""

    def __init__(self, ctx, demand, ranges: dict[str, tuple[int, int]], max_wait, *, only: str | None = None,
                 free_days: bool = False):
        from .model import build_model

        self.ctx = _probe_ctx(ctx, demand, ranges, max_wait, only=only, free_days=free_days)
        self.ranges = dict(ranges)
        self.mv = build_model(self.ctx, max_slots={sid: hi for sid, (_, hi) in ranges.items()})
        self.prefix = any(r.name == "numbering" for r in self.ctx.rules)
        m = self.mv.model
        # a stream without slots has no count to move (and CP-SAT would fold the empty sum into a constant)
        self.count = {sid: m.add_linear_constraint(sum(s.present for s in self.mv.stream_slots(sid)), lo, hi)
                      for sid, (lo, hi) in ranges.items() if self.mv.stream_slots(sid)}

    def covers(self, sid: str, n: int) -> bool:
        lo, hi = self.ranges[sid]
        return lo <= n <= hi

    def fix(self, counts: dict[str, int]) -> None:
        """Each stream of *counts* at exactly its count, every other sized stream anywhere in its range."""
        proto = self.mv.model.proto
        for sid, (lo, hi) in self.ranges.items():
            n = counts.get(sid)
            if sid not in self.count:
                continue
            dom = self.count[sid].proto.linear.domain
            dom[0], dom[1] = (lo, hi) if n is None else (n, n)
            for s in self.mv.stream_slots(sid):
                d = proto.variables[s.present.index].domain
                d[0], d[1] = (0, 1) if n is None or not self.prefix else (int(s.k <= n), int(s.k <= n))

    def solve(self, counts: dict[str, int], clock, seed: int, share: float, *, cap: float | None = None,
              presolve_only: bool = False, reserve: float = 0.0):
        """CP-SAT on the model with *counts* fixed: a search without presolve (its root propagation rules out most
        impossible counts at once, and it finds a plan of a possible one in a fraction of a second), its work
        bounded by *share* of the deterministic time left and at most *cap* units; or, *presolve_only*, one light
        presolve pass and no search (it proves some counts the root does not, in about half a CPU second, wall
        time only). Never into the last *reserve* of the clock (deterministic units and wall seconds alike).
        Returns (CP-SAT status, the solver)."""
        from .solver import _light_presolve, confirm_infeasible

        self.fix(counts)
        solver = clock.solver(seed, share)
        p = solver.parameters
        wall_left = clock.wall - (time.perf_counter() - clock.start)
        if presolve_only:
            # Presolve costs no deterministic time but wall time, which a loaded machine stretches: a quarter of
            # the wall time left at most
            p.max_time_in_seconds = max(share, 0.25) * wall_left
            p.stop_after_presolve = True
            _light_presolve(solver)
        else:
            p.cp_model_presolve = False
            p.linearization_level = 0
        det = min(p.max_deterministic_time, cap if cap is not None else p.max_deterministic_time,
                  clock.limit - clock.det_used - reserve)
        p.max_deterministic_time = max(0.001, det)
        p.max_time_in_seconds = max(0.01, min(p.max_time_in_seconds, wall_left - reserve))
        status = solver.solve(self.mv.model)
        clock.account(solver, status)
        solver, status = confirm_infeasible(self.mv.model, clock, solver, status)
        return status, solver


def _seatless(ctx, sized, limit: int) -> None:
    """No count seats a category that no site of its stream may examine: say which, and who could, at once."""
    from .errors import InfeasibleError

    for sid in sized:
        facts = ctx.demand.streams.get(sid)
        if facts is None:
            continue
        for c in facts.categories:
            must = _must(facts, c, limit, ctx.window[1])
            if must and not any(q for (site, cat), q in facts.quota.items() if cat == c):
                who = sorted(i for i, inst in ctx.catalogue.institutions.items()
                             if any(ctx.catalogue.operations[op].category_code == c for op in inst.scope))
                where = ", ".join(who) if who else "no institution of 附件4"
                raise InfeasibleError(
                    f"waiting[{sid}:{c}]: {must} candidates of {ctx.catalogue.category_name(c)} must be seated within "
                    f"the year, but no site of {sid} with seats may examine them (licensed: {where}); add such a "
                    "site to the stream (with seats in the demand file) or its sessions", [f"waiting[{sid}:{c}]"])


#: counts past the least being proven that a stream's probe model holds before it is built again
_SPAN = 6
#: sizing clocks (deterministic units, 60 % of the time limit) from which the fast way goes before the first fit
FAST_FIRST = 8.0
#: the fast way's share of the sizing's clock (deterministic units; its wall time the same share): its own budget
FAST_SHARE = 0.4
#: deterministic units a quick probe may take: root propagation rules an impossible count out in next to none,
#: and a count it does not rule out is left to the model with every count fixed
_QUICK = 0.01


def _least_counts(ctx, longest, sized, lb: dict[str, int], max_wait, clock, seed: int, reserve: float) -> None:
    """Raise each sized stream's least count *lb* (in place) past every count proven impossible, count by count
    from *lb* up: the stream at exactly that count in a model of its own candidates (:class:`_Counts`), every other
    stream anywhere from its own least to its upper bound, so each step covers every plan and the sum of the least
    counts bounds the total from below. The first count not ruled out at once ends the stream's proof; the model
    with every count fixed then decides it. Stops when only *reserve* of the clock is left."""
    for sid in sorted(sized, key=lambda s: (lb[s], s)):
        if any(lb[o] > o_hi for o, (_, o_hi) in sized.items()):
            return  # no count of that stream within its bounds: proven, and no model has a range past its end
        hi = sized[sid][1]
        model = None
        while lb[sid] <= hi and clock.left > reserve:
            if model is None or not model.covers(sid, lb[sid]):
                ranges = {o: (lb[o], sized[o][1]) for o in sized}
                ranges[sid] = (lb[sid], min(hi, lb[sid] + _SPAN))
                model = _Counts(ctx, longest, ranges, max_wait, only=sid)
            # bounded by deterministic units: a loaded machine's wall clock, generous here, does not decide
            status, _ = model.solve({sid: lb[sid]}, clock, seed, 0.25, cap=_QUICK, reserve=reserve)
            if status != cp_model.INFEASIBLE:
                break
            lb[sid] += 1


def _impossible(ctx, longest, sized, lb: dict[str, int], max_wait, clock, seed: int, sid: str,
                reserve: float) -> bool:
    """Is *sid*'s least count impossible after all, tried harder: one presolve pass, then a longer search."""
    ranges = {o: (lb[o], sized[o][1]) for o in sized}
    ranges[sid] = (lb[sid], lb[sid])
    model = _Counts(ctx, longest, ranges, max_wait, only=sid)
    for presolve_only in (True, False):
        if clock.left <= reserve:
            break
        status, _ = model.solve({sid: lb[sid]}, clock, seed, 0.25, cap=None if presolve_only else 1.0,
                                presolve_only=presolve_only, reserve=reserve)
        if status == cp_model.INFEASIBLE:
            return True
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
    return False


def exam_days_total(flows, streams):
    """The exam days the sessions of *streams* use in all: what the exam-days tier minimises and reports."""
    return sum(d for sid in streams if sid in flows for d in flows[sid].exam_days)


def _fewest_days(ctx, demand, counts: dict[str, int], max_wait, clock, seed: int, reserve: float):
    """The model with every sized stream at exactly *counts* and each site's exam days per session a decision,
    minimising the exam days. Returns (the model, its queue flows, CP-SAT status, the solver)."""
    from .queueing import model_flows

    joint = _Counts(ctx, demand, {sid: (n, n) for sid, n in counts.items()}, max_wait, free_days=True)
    flows = model_flows(joint.mv, joint.ctx)
    joint.mv.model.minimize(exam_days_total(flows, counts))
    status, solver = joint.solve(counts, clock, seed, 1.0, reserve=reserve)
    return joint, flows, status, solver


def _settle(ctx, demand, longest, sized, lb: dict[str, int], max_wait, clock, seed: int, reserve: float):
    """The fast way: prove the least counts (:func:`_least_counts`), then plan the year with every count at its
    least and the fewest exam days (:func:`_fewest_days`). When that model is impossible, each stream's least
    count is tried harder; one proven impossible is raised and the whole repeats. Raises *lb* in place. Returns
    (the model, its flows, status, solver) of a plan at the least counts, or None; and 1 when the least counts are
    proven not to fit together (so the total needs one more), else 0."""
    while clock.left > reserve:
        _least_counts(ctx, longest, sized, lb, max_wait, clock, seed, reserve)
        if any(lb[sid] > hi for sid, (_, hi) in sized.items()) or clock.left <= reserve:
            return None, 0
        joint, flows, status, solver = _fewest_days(ctx, demand, lb, max_wait, clock, seed, reserve)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return (joint, flows, status, solver), 0
        if status != cp_model.INFEASIBLE:
            return None, 0
        raised = [sid for sid in sorted(sized)
                  if _impossible(ctx, longest, sized, lb, max_wait, clock, seed, sid, reserve)]
        if not raised:
            return None, 1  # each least count is possible alone (as far as proven), not all of them together
        for sid in raised:
            lb[sid] += 1
    return None, 0


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


def _plain_bounds(free, sized, limit: int, out: Sizing) -> dict[str, int]:
    """Each sized stream's least count from plain-Python bounds (the seats, the seats site by site, the queue's
    timing), recorded in *out* (capacity_bound, queue_bound); above the stream's upper bound (its MAX + 1) when no
    count can seat its candidates in time (:func:`_plain_proof` says why)."""
    window_end = free.window[1]
    gap = free.ruleset.rule("registration_gap")
    lb = {}
    for sid, (lo, hi) in sized.items():
        facts = free.demand.streams.get(sid)
        if facts is None:
            lb[sid] = lo
            continue
        seats, queue = capacity_bound(facts, limit, window_end), queue_bound(facts, limit, window_end,
                                                                             gap.min_days if gap else None)
        out.capacity_bound = (out.capacity_bound or 0) + seats
        least = max(seats, seats_bound(facts, limit, window_end), hi + 1 if queue is None else queue)
        out.queue_bound = (out.queue_bound or 0) + least
        lb[sid] = max(lo, least)
    return lb


def _spacing(free, sid: str) -> tuple[int | None, list[str]]:
    """The fewest days between two sessions of *sid* at one site by the rules (None: no such rule), with the keys
    of the rules that set it."""
    stream = free.ruleset.rule("stream_spacing")
    site = free.ruleset.rule("site_spacing")
    own = (stream.min_days.get(sid) or 0) if stream is not None else 0
    any_ = site.min_days if site is not None else 0
    if not own and not any_:
        return None, []
    if own >= any_:
        return own, [f"stream_spacing[{sid}]"]
    return any_, [f"site_spacing[{s}]" for s in free.streams[sid].sites]


def _crowded(free, sid: str, facts, limit: int) -> _Crowding | None:
    """:func:`crowding` under *free*'s rules, with the rules it needs (the waiting limit's aside) as conflict keys:
    a rule whose limit the proof holds without is left out."""
    from dataclasses import replace

    gap_rule, cap_rule = free.ruleset.rule("registration_gap"), free.ruleset.rule("daily_cap")
    spacing, spacing_keys = _spacing(free, sid)
    parts = {"gap": (gap_rule.min_days if gap_rule else None, ["registration_gap"]),
             "spacing": (spacing, spacing_keys),
             "cap": (cap_rule.max_exams_per_day if cap_rule else None, ["daily_cap"])}
    parts = {k: v for k, v in parts.items() if v[0]}
    args = {k: v[0] for k, v in parts.items()}
    found = crowding(facts, limit, free.window[1], args.get("gap"), args.get("spacing"), args.get("cap"))
    if found is None:
        return None
    for k in list(parts):  # a deletion filter: each rule the proof still holds without is not named
        trial = {x: v for x, v in args.items() if x != k}
        again = crowding(facts, limit, free.window[1], trial.get("gap"), trial.get("spacing"), trial.get("cap"),
                         categories=(found.category,))
        if again is not None:
            args, found = trial, again
    keys = tuple(key for k in ("gap", "spacing", "cap") if k in args for key in parts[k][1])
    return replace(found, keys=keys)


def _n_days(n: int) -> str:
    return f"{n} day" + ("" if n == 1 else "s")


def _where(free, facts, c: str) -> str:
    """The sites that examine *c*, by short name."""
    sites = sorted(site for (site, cat), q in facts.quota.items() if cat == c and q)
    return "、".join(free.catalogue.institutions[i].short_name for i in sites)


def _plain_proof(free, sized, limit: int, lb: dict[str, int]) -> tuple[list[str], str] | None:
    """Why no count within the bounds can seat every candidate in time, when the plain bounds prove it: the
    conflict, in the words of ``planner plan``'s explanations (the binding category, its sites and seats), and the
    reason in one sentence that names them again (the command line shortens a long line in the middle); or None.
    Each reason holds for every plan, so none depends on the time limit."""
    from .solver import describe_conflict

    window_end = free.window[1]
    gap = free.ruleset.rule("registration_gap")
    min_gap = gap.min_days if gap else None
    for sid, (_, hi) in sorted(sized.items()):
        facts = free.demand.streams.get(sid)
        if facts is None:
            continue
        name = free.catalogue.category_name
        count = describe_conflict(f"session_count[{sid}]", free)

        def waiting(c: str) -> str:
            return describe_conflict(f"waiting[{sid}:{c}]", free)

        for c in facts.categories:  # no session seats them in time, whatever the count
            if _queue_sessions(facts, c, limit, window_end, min_gap) is None:
                return [waiting(c), describe_conflict("registration_gap", free)], (
                    f"the waiting limit, {_n_days(limit)}, is shorter than the registration gap, at least "
                    f"{_n_days(min_gap)}: "
                    f"no session seats anyone of {name(c)} ({sid}) in time, whatever the count")
        found = _crowded(free, sid, facts, limit)
        if found is not None:
            c = found.category
            rules = ", ".join(k.partition("[")[0] for k in found.keys)
            return [waiting(c)] + [describe_conflict(k, free) for k in found.keys], (
                f"{found.candidates} candidates of {name(c)} ready {found.first}…{found.last} must be seated by "
                f"sessions held {found.start}…{found.end}, where at most {found.sessions} of {sid} fit ({rules}), "
                f"{found.seats} seats for them at {_where(free, facts, c)}: no count helps")
        if lb[sid] <= hi:
            continue
        need = {}
        for c in facts.categories:
            cap, must, best = _capacity_sessions(facts, c, limit, window_end)
            queue = _queue_sessions(facts, c, limit, window_end, min_gap)
            need[c] = (max(cap, queue), cap, must, best, queue)
        c = max(sorted(need), key=lambda x: need[x][0])
        n, cap, must, best, queue = need[c]
        allowed = f"the bounds allow at most {hi}"
        if cap > hi and cap >= n:
            return [count, waiting(c)], (
                f"{must} candidates of {name(c)} must be seated within the year and a session at "
                f"{_where(free, facts, c)} offers them at most {best} seats: at least {cap} sessions of {sid} are "
                f"needed, {allowed}")
        if n > hi:
            return [count, waiting(c)] + ([describe_conflict("registration_gap", free)] if min_gap else []), (
                f"{name(c)} at {_where(free, facts, c)}: sessions at most {limit} days after the first unseated "
                f"candidate is ready, seating only those ready by the registration deadline, need at least {queue} "
                f"sessions of {sid}; {allowed}")
        # the seats site by site: categories examined at different sites add up; name the fewest that do
        cats = [x for x in facts.categories if need[x][2]]
        for x in list(cats):
            if len(cats) > 1 and seats_bound(facts, limit, window_end, [y for y in cats if y != x]) > hi:
                cats.remove(x)
        n = seats_bound(facts, limit, window_end, cats)
        names = "; ".join(f"{name(x)} at {_where(free, facts, x)}" for x in cats)
        return [count] + [waiting(x) for x in cats], (
            f"a session sits at one site, so {names} need at least {n} sessions of {sid} together; {allowed}")
    return None


def size(ctx, demand, *, bounds: dict[str, tuple[int, int]] | None = None, max_wait: int | None = None,
         time_limit: float = 30.0, seed: int = 0) -> Sizing:
    """Fewest sessions, then fewest exam days, under every hard rule of *ctx* and the waiting limit."""
    from dataclasses import replace

    from .solver import _Clock, _extract, objective_at

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
    limit = max_wait if max_wait is not None else ctx.ruleset.rule("waiting").max_wait_days
    out = Sizing("UNKNOWN", bounds=dict(sized))
    if _unsized(ctx, demand, sized, limit, out):
        out.seconds = time.perf_counter() - start
        return out
    try:
        ranged = _with_counts(ctx, {sid: {"min": lo, "max": hi} for sid, (lo, hi) in sized.items()}, max_wait)
    except PlannerError as err:  # the counts given do not make a rule set: say so of the option, not of its file
        if not bounds or not (err.field or "").startswith("rules.session_count"):
            raise
        raise PlannerError(f"the counts given cannot be planned: {err.message}", field="sessions") from None
    free = ranged.with_demand(demand)
    free = replace(free, demand=replace(free.demand, free_days=True))
    _seatless(free, sized, limit)

    clock = _Clock(0.6 * time_limit)  # the rest is the final plan's (every preference)
    longest = demand.with_days({site: s.max_days for site, s in demand.sites.items()})
    lb = _plain_bounds(free, sized, limit, out)
    proof = _plain_proof(free, sized, limit, lb)
    if proof is not None:  # proven in plain Python, whatever the time limit
        out.status, (out.conflict, out.reason) = "INFEASIBLE", proof
        out.seconds = time.perf_counter() - start
        return out
    # The fast way first, with 40 % of the clock; the tiers' way, should it not settle the counts, has the rest.
    # With a short time limit the first fit goes first, as it always did, so that a loaded machine, whose wall
    # clock stretches every step, still gets a plan. The fast way's budget is its own either way, in deterministic
    # units (and the same share of wall time, counted from its start): whatever the first fit took, it runs as
    # far, and the answer does not depend on the wall clock (it used to be skipped when the first fit had used
    # half the clock, so a case the fast way proves in 0.5 s ended with a gap of 90 %, or none).
    settled, more, start_plan = (None, 0, None)
    short = clock.limit < FAST_FIRST
    if short:
        start_plan = _first_fit(ctx, longest, sized, max_wait, seed, clock, lb)
    fast = _Clock(FAST_SHARE * clock.limit)
    settled, more = _settle(ctx, demand, longest, sized, lb, max_wait, fast, seed, reserve=0.0)
    clock.det_used += fast.det_used
    clock.wall_stop = clock.wall_stop or fast.wall_stop
    over = sorted(sid for sid, (_, hi) in sized.items() if lb[sid] > hi)
    if over:  # every count of the stream within its bounds proven impossible: which rules bind
        out.status = "INFEASIBLE"
        out.conflict, out.conflict_minimal, out.reason = _explain_counts(ctx, longest, sized, lb, over[0], max_wait,
                                                                         0.4 * time_limit, seed)
        out.seconds = time.perf_counter() - start
        return out
    out.probe_bound = sum(lb.values()) + more
    if settled is not None:
        joint, flows, status, solver = settled
        out.sessions, out.sessions_bound = dict(lb), out.probe_bound
        out.exam_days = objective_at(solver, exam_days_total(flows, out.sessions))
        out.exam_days_bound = math.ceil(solver.best_objective_bound - 1e-6)
        out.days = {(sid, site): (d if isinstance(d, int) else int(solver.value(d)))
                    for sid in sized if sid in flows for site, d in flows[sid].days.items()}
        out.status = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
        return _final(out, ctx, demand, max_wait, _extract(joint.mv, solver, joint.ctx, None), time_limit, seed,
                      start, cpu, clock)
    # the tiers' way: a first fit found fast, then the counts as decisions from their proven least up
    if not short:
        start_plan = _first_fit(ctx, longest, sized, max_wait, seed, clock, lb)
    best = _tiers(out, ctx, demand, sized, lb, start_plan, free, max_wait, clock, seed)
    if best is None:
        if out.status != "INFEASIBLE":  # out of time: with the final plan's share, ask whether the rules alone forbid
            _rules_alone(out, ctx, max_wait, 0.4 * time_limit, seed)
        out.seconds = time.perf_counter() - start
        return out
    return _final(out, ctx, demand, max_wait, best, time_limit, seed, start, cpu, clock)


def _unsized(ctx, demand, sized, limit: int, out: Sizing) -> bool:
    """Candidates of a stream whose count the rule set sets per site (``on_demand``: 0 … 0 at each of its sites in
    the shipped rules), which the sizing does not size unless ``--sessions`` bounds it. When such a stream has no
    session at all while some of its candidates must be seated within the year, *out* becomes INFEASIBLE naming
    the category, its sites and why (True). When nothing is left to size, a PlannerError that says what to do."""
    from .solver import describe_conflict

    per_site = [sid for sid, spec in ctx.streams.items()
                if sid not in sized and spec.count is None and spec.count_range is None]
    waiting = [sid for sid in per_site if (sd := demand.streams.get(sid)) is not None
               and any(c.registrations for c in sd.categories.values())]
    if not waiting:
        if not sized:
            raise PlannerError("the demand file expects no candidates in any stream this rule set plans",
                               field="demand")
        return False
    probe = ctx.with_demand(demand)
    for sid in waiting:
        facts, spec = probe.demand.streams.get(sid), ctx.streams[sid]
        if facts is None or spec.max_sessions:
            continue
        for c in facts.categories:
            must = _must(facts, c, limit, probe.window[1])
            sites = sorted(site for (site, cat), q in facts.quota.items() if cat == c and q)
            if not must:
                continue
            out.status = "INFEASIBLE"
            out.conflict = [describe_conflict(f"session_count[{sid}" + (f"@{', '.join(sites)}]" if sites else "]"),
                                              probe),
                            describe_conflict(f"waiting[{sid}:{c}]", probe)]
            out.reason = (f"{must} candidates of {ctx.catalogue.category_name(c)} must be seated within the year, but "
                          f"the rule set gives {sid} no session (its count is set per site, 0 at each); give it "
                          f"sessions, or size it with --sessions {sid}=MIN:MAX")
            return True
    if not sized:
        raise PlannerError(f"no stream to size: the candidates are in {', '.join(waiting)}, whose count the rule set "
                           f"sets per site; give --sessions {waiting[0]}=MIN:MAX to size it", field="sessions")
    return False


def _explain_counts(ctx, longest, sized, lb: dict[str, int], sid: str, max_wait, time_limit: float,
                    seed: int) -> tuple[list[str], bool, str]:
    """Every count of *sid* within its bounds is proven impossible (the plain bounds below *lb*, the count probes
    from it up): the rules that bind, as ``planner plan`` explains a conflict, on the probes' own problem (*sid*'s
    candidates alone, every session at its longest, every other stream from its least count up), which is
    infeasible. Returns (the conflict's lines, whether it is proven minimal, a reason when they were not isolated)."""
    from .solver import _Clock, describe_conflict, describe_conflicts, explain_infeasibility

    ranges = {o: (min(lb[o], hi), hi) for o, (_, hi) in sized.items()}
    ranges[sid] = sized[sid]
    trial = _probe_ctx(ctx, longest, ranges, max_wait, only=sid)
    keys, minimal = explain_infeasibility(trial, seed=seed, clock=_Clock(time_limit))
    if keys and keys != ["calendar"] and not keys[0].startswith("("):
        return describe_conflicts(keys, trial), minimal, ""
    lo, hi = sized[sid]
    return [describe_conflict(f"session_count[{sid}]", trial)], False, (
        f"every count of {sid} from {lo} to {hi} is proven impossible with its candidates under the rule set's hard "
        "rules; which of them bind was not isolated within the time limit")


def _rules_alone(out: Sizing, ctx, max_wait, time_limit: float, seed: int) -> None:
    """No sizing was found in time: when the year cannot be planned even without candidates, with every count free
    within its bounds, no time limit helps, and *out* becomes INFEASIBLE with the conflict explained (a closure
    against the only site of an operation type: `juteng_closed_quarter`, which used to end in "raise
    --time-limit"). A feasibility question (no preferences): a year that has a plan answers at its first one."""
    from .solver import Status, solve

    counts = {sid: {"min": lo, "max": hi} for sid, (lo, hi) in out.bounds.items()}
    r = solve(_with_counts(ctx, counts, max_wait, preferences=False), time_limit=time_limit, seed=seed)
    if r.status == Status.INFEASIBLE:
        out.status, out.conflict, out.rules_alone = "INFEASIBLE", list(r.conflict), True
        out.conflict_minimal = r.conflict_minimal


def _tiers(out: Sizing, ctx, demand, sized, lb, start_plan, free, max_wait, clock, seed: int):
    """The tiers' way: CP-SAT with the counts as decisions from their proven least up (started from the first
    fit), fewest sessions, then fewest exam days with them. Fills *out*; the best plan, or None (with *out*'s
    status INFEASIBLE and the conflict when the model proves no count fits)."""
    from dataclasses import replace

    from .model import build_model
    from .queueing import model_flows
    from .solver import (_extract, _hint, _light_presolve, confirm_infeasible, describe_conflicts, explain_infeasibility,
                         objective_at)

    if out.probe_bound is not None:
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
    days = exam_days_total(flows, sized)
    m = mv.model
    if out.probe_bound is not None:
        m.add(count >= out.probe_bound)  # proven: lets CP-SAT stop at a plan that meets it
    status = cp_model.UNKNOWN
    best = None
    for tier, expr in (("sessions", count), ("exam_days", days)):
        m.minimize(expr)
        solver = clock.solver(seed, 0.5 if tier == "sessions" else 1.0)
        _light_presolve(solver)
        status = solver.solve(m)
        clock.account(solver, status)
        solver, status = confirm_infeasible(m, clock, solver, status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        value, bound = objective_at(solver, expr), int(round(solver.best_objective_bound))
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
            keys, out.conflict_minimal = explain_infeasibility(free, seed=seed, clock=clock)
            out.conflict = describe_conflicts(keys, free)
        return None
    return best


def _final(out: Sizing, ctx, demand, max_wait, best, time_limit: float, seed: int, start: float, cpu: float,
           clock) -> Sizing:
    """The year planned with the counts and exam days found, as `planner plan` would make it (every preference),
    from *best*, a plan with them, with what the sizing's *clock* (one unit a second) left of the time limit: in
    deterministic units, so that the plan does not depend on the machine's load (it was the wall clock's rest,
    and four identical runs gave three plans)."""
    from .solver import solve

    out.answer_seconds, out.answer_cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    chosen = demand.with_days({site: d for (_, site), d in out.days.items() if site in demand.sites})
    final = _with_counts(ctx, dict(out.sessions), max_wait).with_demand(chosen)
    out.demand, out.ctx = chosen, final
    left = max(0.3 * time_limit, time_limit - clock.det_used)
    out.result = solve(final, seed=seed, time_limit=left, explain=False, hint=best)
    if clock.wall_stop and out.result.status.has_plan and out.result.status.value != "OPTIMAL":
        out.result.stopped_by = "wall-clock limit"  # the sizing's own steps were cut short: the load decided
    if not out.result.status.has_plan:
        raise PlannerError("the sized counts were found, but no plan with every preference came within the time "
                           "limit; raise --time-limit", field="time-limit")
    out.seconds = time.perf_counter() - start
    return out


def count_toml(ctx, sid: str, n: int) -> str:
    """A stream's sized count as a scenario's ``[sessions]`` states it (``sizing.toml``, the workbench's 推荐场次). No
    session (``--sessions S=0:N``) is none at each of its sites: the rule takes a whole count from 1 only, and a
    range would merge into a count set per site (on_demand's)."""
    if n:
        return str(n)
    return "{ " + ", ".join(f"{site} = {{ min = 0, max = 0 }}" for site in ctx.streams[sid].sites) + " }"
