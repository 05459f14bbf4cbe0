"""The CP-SAT translation: decision variables for every session slot, and the helpers rules use.

Kept apart from the rules' data: the variables come from the compiled :class:`Problem` (each
stream's slot count, the sites that may hold it, its kinds), and each rule's ``post`` adds its
own constraints through the small API of :class:`ModelVars`. Nothing here is a rule: no
constraint is posted that a rule does not own.

Two modes:

* *plan* (default): calendar facts are variable domains (a non-working day never enters the
  model) and a site gets a variable only where the stream may sit;
* *free*: used to explain an infeasible input and by the tests that prove each rule's two faces
  agree. Domains span the whole calendar horizon, every institution gets a variable, each slot
  may take any kind (plus one value for "a kind not in the list"), streams get spare slots,
  and every rule is guarded by enforcement literals (one per rule instance, e.g.
  ``coverage[special_ops:elec_relay]``), so any subset of rules can be switched on.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .problem import Problem
from .rules import is_structural
from .rules.scope import Scope
from .rules.session_count import SessionCount


@dataclass
class Slot:
    """One possible session of a stream: 期次 ``k`` if present."""

    stream: str
    k: int
    x: cp_model.IntVar  # exam day (index from ModelVars.base)
    gap: cp_model.IntVar  # days from registration deadline to exam
    present: cp_model.IntVar
    at: dict[str, cp_model.IntVar]  # institution -> literal
    kind: cp_model.IntVar | None  # index into the stream's kinds, when it has several (always in free mode)

    @property
    def deadline(self):
        return self.x - self.gap

    @property
    def key(self) -> tuple[str, int]:
        """The key of the session it holds (``Session.key``): slot k of a stream is its 期次 k."""
        return (self.stream, self.k)


@dataclass
class ModelVars:
    model: cp_model.CpModel
    ctx: Problem
    base: dt.date
    horizon: int
    explain: bool = False
    slots: dict[str, list[Slot]] = field(default_factory=dict)
    x_span: tuple[int, int] = (0, 0)  # first and last day index an exam may take
    penalties: dict[str, tuple[int, list]] = field(default_factory=dict)
    enforcement: dict[str, cp_model.IntVar] = field(default_factory=dict)
    prefix: str = ""
    enabled: frozenset[str] | None = None  # trial mode: only these rule instances hold (plan-mode domains)
    shared: dict = field(default_factory=dict)  # variables several rules read (the candidates' queue), built once
    spans: dict = field(default_factory=dict)  # slot key -> ((exam lo, hi), (deadline lo, hi), sites): implied

    def sites(self, slot: Slot) -> list[str]:
        """The institutions *slot* can take: those with a variable, less any :func:`implied_spans` ruled out."""
        if slot.key not in self.spans:
            return list(slot.at)
        return [i for i in slot.at if i in self.spans[slot.key][2]]

    def exam_span(self, slot: Slot) -> tuple[int, int]:
        """The days *slot*'s exam can take: the calendar's span, or tighter where :func:`implied_spans` said so."""
        return self.spans[slot.key][0] if slot.key in self.spans else self.x_span

    def deadline_span(self, slot: Slot) -> tuple[int, int]:
        """The days *slot*'s registration deadline can take (without implied bounds: any up to the last exam)."""
        if slot.key in self.spans:
            return self.spans[slot.key][1]
        return self.x_span[0] - 2 * self.horizon, self.x_span[1]

    # -- dates ---------------------------------------------------------------------------
    def day(self, d: dt.date) -> int:
        return (d - self.base).days

    def date(self, i: int) -> dt.date:
        return self.base + dt.timedelta(days=int(i))

    def domain(self, days) -> cp_model.Domain:
        return cp_model.Domain.from_values(sorted({self.day(d) for d in days if 0 <= self.day(d) <= self.horizon}))

    def domain_complement(self, days, wide: bool = False) -> cp_model.Domain:
        """Every day index except *days*; *wide* spans the deadline range (before and after the horizon)."""
        lo, hi = (-2 * self.horizon, 3 * self.horizon) if wide else (0, self.horizon)
        return cp_model.Domain(lo, hi).intersection_with(self.domain(days).complement())

    # -- slots ---------------------------------------------------------------------------
    def all_slots(self) -> list[Slot]:
        return [s for ss in self.slots.values() for s in ss]

    def stream_slots(self, stream: str) -> list[Slot]:
        return self.slots.get(stream, [])

    def slot_for(self, key: tuple[str, int]) -> Slot | None:
        """The slot of the session with *key* (stream, 期次), or None when the stream has fewer slots."""
        stream, no = key
        slots = self.slots.get(stream, [])
        return slots[no - 1] if 1 <= no <= len(slots) else None

    # -- enforcement (free mode) ---------------------------------------------------------
    def lits(self, rule: str, detail: str | None = None) -> list:
        """Enforcement literals guarding a rule's constraints: none normally, one per (rule, detail) when free.

        In trial mode an instance outside ``enabled`` is guarded by a constant false literal (presolve drops it).
        """
        key = rule if detail is None else f"{rule}[{detail}]"
        if self.enabled is not None:
            if key in self.enabled or is_structural(rule):
                return []
            self.enforcement.setdefault(key, self.model.new_constant(0))
            return [self.enforcement[key]]
        if not self.explain:
            return []
        if key not in self.enforcement:
            self.enforcement[key] = self.model.new_bool_var(f"enforce:{key}")
        return [self.enforcement[key]]

    def calendar_days(self) -> tuple[set[dt.date], list]:
        """Days every calendar rule allows, and (free mode) the literals of those rules."""
        cal = self.ctx.calendar
        days = set(cal.days(cal.first_day, cal.last_day))
        guard: list = []
        for rule in self.ctx.rules:
            if self.enabled is not None and rule.name not in self.enabled:
                continue
            allowed = rule.allowed_days(self.ctx)
            if allowed is not None:
                days &= allowed
                guard += self.lits(rule.name)
        return days, guard

    # -- helpers -------------------------------------------------------------------------
    def both(self, a, b, name: str = ""):
        """A literal equal to ``a and b``."""
        c = self.model.new_bool_var(name or "and")
        self.model.add_bool_and([a, b]).only_enforce_if(c)
        self.model.add_bool_or([a.negated(), b.negated()]).only_enforce_if(c.negated())
        return c

    def in_days(self, expr, days, name: str = ""):
        """A literal true exactly when ``expr`` (a day index) falls on one of *days*."""
        b = self.model.new_bool_var(name or "in_days")
        dom = self.domain(days)
        full = cp_model.Domain(0, self.horizon)
        self.model.add_linear_expression_in_domain(expr, dom).only_enforce_if(b)
        self.model.add_linear_expression_in_domain(expr, full.intersection_with(dom.complement())).only_enforce_if(b.negated())
        return b

    def abs_dev(self, expr, target: int, bound: int, name: str):
        """An integer variable equal to ``|expr - target|``."""
        d = self.model.new_int_var(0, bound, name)
        self.model.add_abs_equality(d, expr - target)
        return d

    def if_present(self, slot: Slot, var, bound: int):
        """*var* (in 0..bound) when the slot holds a session, else 0: an absent slot costs nothing, exactly."""
        out = self.model.new_int_var(0, bound, f"{var.name}?")
        self.model.add(out == var).only_enforce_if(slot.present)
        self.model.add(out == 0).only_enforce_if(slot.present.negated())
        return out

    def add_penalty(self, name: str, weight: int, terms: list) -> None:
        self.penalties[name] = (weight, list(terms))

    def restrict_days(self, rule, allowed: set[dt.date]) -> None:
        """Free mode only: exams on *allowed* days, guarded by the rule's literal."""
        if not self.explain:
            return  # already in the variables' domains
        dom = self.domain(allowed)
        for s in self.all_slots():
            self.model.add_linear_expression_in_domain(s.x, dom).only_enforce_if(self.lits(rule.name) + [s.present])

    def objective_expr(self):
        """The weighted sum of every preference's penalty terms: what the solver minimises."""
        return sum(w * sum(terms) for w, terms in self.penalties.values()) if self.penalties else 0


#: spare slots per stream in free mode, so that a session count is a rule that can be named, not a given
def cp_solver(workers: int = 1) -> cp_model.CpSolver:
    """A CP-SAT solver as every search of the planner uses one: *workers* threads, and Ctrl-C left to Python.
    CP-SAT otherwise takes SIGINT over during a solve, ends that solve as if its time were up (the run then went
    on and published), and afterwards leaves the signal's default action behind, so that the next Ctrl-C killed
    the process without a word or a clean-up (``cli`` turns KeyboardInterrupt into exit 130, nothing half-written)."""
    s = cp_model.CpSolver()
    s.parameters.catch_sigint_signal = False
    s.parameters.num_workers = workers
    return s


def spare_slots(n: int) -> int:
    return min(n, 20) + 4


def build_model(ctx: Problem, explain: bool = False, max_slots: dict[str, int] | None = None, *,
                model: cp_model.CpModel | None = None, prefix: str = "",
                enabled: frozenset[str] | set[str] | None = None, spans: dict | None = None,
                preferences: bool = True) -> ModelVars:
    """Create the variables for every stream's session slots and let every rule post itself.

    *model* and *prefix* build the problem into an existing CP-SAT model (several cities sharing
    one model in a province benchmark); *max_slots* overrides a stream's slot count. *enabled*
    builds a trial model for explanations: plan-mode domains and variables, but only the named
    rule instances (``rule`` or ``rule[detail]``) hold; a site, a spare slot or a day is added
    back where the instance that removed it is off. *spans* (from :func:`implied_spans`) narrow each slot's exam
    and deadline days to bounds every plan keeps anyway, before the rules that build literals per day post.
    """
    model = model if model is not None else cp_model.CpModel()
    cal = ctx.calendar
    base = cal.first_day
    horizon = (cal.last_day - base).days
    enabled = frozenset(enabled) if enabled is not None else None
    mv = ModelVars(model, ctx, base, horizon, explain, prefix=prefix, enabled=enabled, spans=dict(spans or {}))

    def on(key: str) -> bool:
        return enabled is None or key in enabled

    if explain:
        x_domain = cp_model.Domain(0, horizon)
    else:
        allowed, _ = mv.calendar_days()
        x_domain = mv.domain(allowed)
        if x_domain.is_empty():
            x_domain = cp_model.Domain.from_values([0])  # no possible day: slots must stay absent
    mv.x_span = (x_domain.min(), x_domain.max())
    gap_lo, gap_hi = -2 * horizon, 2 * horizon  # any deadline; the rules bound it
    everyone = sorted(ctx.catalogue.institutions)
    for stream, spec in ctx.streams.items():
        n = (max_slots or {}).get(stream, spec.max_sessions)
        counted = all(on(k) for k in SessionCount.count_keys(spec))
        if (explain or not counted) and (max_slots or {}).get(stream) is None:
            n += spare_slots(n)
        if explain:
            sites = everyone
        else:
            # the sites the 附件4 scope forbids get no variable, but only where the rule set has the rule: without
            # it, check accepts any institution, and the model must too (the two faces of a rule set agree)
            scoped = ctx.ruleset.rule(Scope.name) is not None
            sites = [i for i in everyone if not scoped or ctx.permits(i, stream)
                     or not on(f"{Scope.name}[{Scope.site_detail(stream, i)}]")]
        kinds = spec.kinds
        slots = []
        for k in range(1, n + 1):
            tag = f"{prefix}{stream}#{k}"
            (x_lo, x_hi), (d_lo, d_hi), _ = mv.spans.get((stream, k), (mv.x_span, (gap_lo, gap_hi), ()))
            x = model.new_int_var_from_domain(x_domain.intersection_with(cp_model.Domain(x_lo, x_hi)), f"x[{tag}]")
            gap = model.new_int_var(gap_lo, gap_hi, f"gap[{tag}]")
            if (stream, k) in mv.spans:
                model.add_linear_constraint(x - gap, d_lo, d_hi)
            present = model.new_bool_var(f"present[{tag}]")
            at = {i: model.new_bool_var(f"at[{tag},{i}]") for i in sites}
            if (stream, k) in mv.spans:
                for i, lit in at.items():
                    if i not in mv.spans[(stream, k)][2]:
                        model.add(lit == 0)
            model.add(sum(at.values()) == present)  # a session sits at exactly one institution
            if explain:
                kind = model.new_int_var(0, len(kinds), f"kind[{tag}]")  # len(kinds): a kind not in the list
            else:
                kind = model.new_int_var(0, len(kinds) - 1, f"kind[{tag}]") if len(kinds) > 1 else None
            slots.append(Slot(stream, k, x, gap, present, at, kind))
        mv.slots[stream] = slots

    for r in ctx.rules:
        if enabled is None or r.structural or any(k.partition("[")[0] == r.name for k in enabled):
            r.post(mv, ctx)
    if not explain and enabled is None and preferences:
        for p in ctx.preferences:
            p.post(mv, ctx)
    return mv


def implied_spans(ctx: Problem, max_slots: dict[str, int] | None = None, time_limit: float = 1.0) -> dict:
    """Per slot, the exam days and registration deadlines that every plan of ``ctx`` keeps, as CP-SAT's presolve
    derives them from the rules without the candidates' queue: slot key -> ((exam lo, hi), (deadline lo, hi), the
    institutions it can take).

    Exact: the rules without the queue are a subset of the rules with it, over the same slots, and presolve runs
    without an objective and keeping every feasible solution, so no plan with the candidates lies outside these
    bounds. Worth it because the queue builds one literal per ready day a slot's days can reach (on the 2025
    estimate … figures in CHANGELOG.md). Empty when presolve does not finish within *time_limit* or finds no
    plan (the model then says so itself)."""
    plain = ctx.with_demand(None) if getattr(ctx, "demand", None) is not None else ctx
    mv = build_model(plain, max_slots=max_slots, preferences=False)  # a preference's terms never forbid a plan
    m = mv.model
    deadlines = {}
    for s in mv.all_slots():
        d = m.new_int_var(-3 * mv.horizon, 3 * mv.horizon, f"deadline[{s.stream}#{s.k}]")
        m.add(d == s.x - s.gap)
        deadlines[s.key] = d
    solver = cp_solver()
    p = solver.parameters
    p.stop_after_presolve = True
    p.fill_tightened_domains_in_response = True
    p.keep_all_feasible_solutions_in_presolve = True
    p.max_deterministic_time = time_limit
    p.max_presolve_iterations = 1  # one pass finds nearly all of it (59 sessions: 0.2 s; full presolve: the same
    p.cp_model_probing_level = 0  # bounds in 0.4 s; 240 sessions: 0.6 s against 2.3 s for 3 % fewer constraints)
    solver.solve(m)
    found = solver.response_proto.tightened_variables
    if len(found) != len(m.proto.variables):
        return {}
    out = {}
    for s in mv.all_slots():
        x, d = list(found[s.x.index].domain), list(found[deadlines[s.key].index].domain)
        if x and d:
            sites = frozenset(i for i, lit in s.at.items() if list(found[lit.index].domain)[-1] == 1)
            out[s.key] = ((x[0], x[-1]), (d[0], d[-1]), sites)
    return out


def pin(mv: ModelVars, slot: Slot, session, guard: list | tuple = ()) -> None:
    """Fix *slot* to *session*: date, deadline, institution and kind (guarded by *guard* literals).

    Total: a session the model cannot represent (a date outside the domain, an institution with no
    variable, an unknown kind) makes the model infeasible instead of raising, so a pinned plan is
    judged by the rules alone.
    """
    m = mv.model
    g = list(guard)
    never = m.new_constant(0)

    def enforce(ct):
        ct.only_enforce_if(g)

    enforce(m.add(slot.present == 1))
    enforce(m.add(slot.x == mv.day(session.exam_date)))
    enforce(m.add(slot.gap == session.gap_days))
    if session.institution in slot.at:
        enforce(m.add(slot.at[session.institution] == 1))
    else:
        enforce(m.add_bool_or([never]))
    kinds = mv.ctx.streams[slot.stream].kinds
    idx = kinds.index(session.kind) if session.kind in kinds else (len(kinds) if mv.explain else None)
    if slot.kind is not None and idx is not None:
        enforce(m.add(slot.kind == idx))
    elif idx != 0:
        enforce(m.add_bool_or([never]))


def pin_plan(mv: ModelVars, plan, guard: list | tuple = ()) -> None:
    """Pin every session of *plan* to its slot (期次 k -> slot k); slots it does not use stay empty."""
    m = mv.model
    used = set()
    never = m.new_constant(0)
    for s in plan.sessions:
        slot = mv.slot_for(s.key)
        if slot is not None:
            pin(mv, slot, s, guard)
            used.add(s.key)
        else:
            m.add_bool_or([never]).only_enforce_if(list(guard))  # no slot for it: too many sessions
    for slot in mv.all_slots():
        if slot.key not in used:
            m.add(slot.present == 0).only_enforce_if(list(guard))
