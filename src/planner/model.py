"""The CP-SAT translation: decision variables for every session slot, and the helpers rules use.

Kept apart from the rules' data: each rule's ``post`` adds its own constraints through the
small API of :class:`ModelVars`. Calendar facts are variable domains (a non-working day never
enters the model). In *explain* mode, used only to name the conflict of an infeasible input,
domains are relaxed and every rule is guarded by an enforcement literal instead.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .context import Context


@dataclass
class Slot:
    """One possible session of a stream: 期次 ``k`` if present."""

    stream: str
    k: int
    x: cp_model.IntVar  # exam day (index from ModelVars.base)
    gap: cp_model.IntVar  # days from registration deadline to exam
    present: cp_model.IntVar
    at: dict[str, cp_model.IntVar]  # institution -> literal
    kind: cp_model.IntVar | None  # index into the stream's kinds, when it has several

    @property
    def deadline(self):
        return self.x - self.gap


@dataclass
class ModelVars:
    model: cp_model.CpModel
    ctx: Context
    base: dt.date
    horizon: int
    explain: bool = False
    slots: dict[str, list[Slot]] = field(default_factory=dict)
    exam_days: int = 0  # how many days the exam variables' domain holds
    penalties: dict[str, tuple[int, list]] = field(default_factory=dict)
    enforcement: dict[str, cp_model.IntVar] = field(default_factory=dict)

    # -- dates ---------------------------------------------------------------------------
    def day(self, d: dt.date) -> int:
        return (d - self.base).days

    def date(self, i: int) -> dt.date:
        return self.base + dt.timedelta(days=int(i))

    def domain(self, days) -> cp_model.Domain:
        return cp_model.Domain.from_values(sorted({self.day(d) for d in days if 0 <= self.day(d) <= self.horizon}))

    # -- slots ---------------------------------------------------------------------------
    def all_slots(self) -> list[Slot]:
        return [s for ss in self.slots.values() for s in ss]

    def stream_slots(self, stream: str) -> list[Slot]:
        return self.slots.get(stream, [])

    # -- enforcement (explain mode) ------------------------------------------------------
    def lits(self, rule: str, detail: str | None = None) -> list:
        """Enforcement literals guarding a rule's constraints: none normally, one per (rule, detail) when explaining."""
        if not self.explain:
            return []
        key = rule if detail is None else f"{rule}[{detail}]"
        if key not in self.enforcement:
            self.enforcement[key] = self.model.new_bool_var(f"enforce:{key}")
        return [self.enforcement[key]]

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

    def add_penalty(self, name: str, weight: int, terms: list) -> None:
        self.penalties[name] = (weight, list(terms))

    def restrict_days(self, rule, allowed: set[dt.date]) -> None:
        """Explain mode only: exams on *allowed* days, guarded by the rule's literal."""
        if not self.explain:
            return  # already in the variables' domains
        dom = self.domain(allowed)
        for s in self.all_slots():
            self.model.add_linear_expression_in_domain(s.x, dom).only_enforce_if(self.lits(rule.name) + [s.present])


def build_model(ctx: Context, explain: bool = False, max_slots: dict[str, int] | None = None) -> ModelVars:
    """Create the variables for every stream's session slots and let every rule post itself."""
    model = cp_model.CpModel()
    cal = ctx.calendar
    base = cal.first_day
    horizon = (cal.last_day - base).days
    mv = ModelVars(model, ctx, base, horizon, explain)

    allowed = set(cal.days(cal.first_day, cal.last_day))
    if not explain:
        for r in ctx.ruleset.rules:
            a = r.allowed_days(ctx)
            if a is not None:
                allowed &= a
    x_domain = mv.domain(allowed)
    mv.exam_days = x_domain.size()
    if x_domain.is_empty():
        x_domain = cp_model.Domain.from_values([0])  # no possible day: slots must stay absent

    count_rule = ctx.ruleset.rule("session_count")
    scope_rule = ctx.ruleset.rule("scope")
    for stream in ctx.ruleset.streams:
        n = (max_slots or {}).get(stream)
        if n is None:
            n = count_rule.max_sessions(stream) if count_rule is not None else 0
            if explain and n:
                n += min(n, 20) + 4  # spare slots, so that the session count is a rule that can be named, not a given
        sites = list(ctx.sites(stream))
        if not explain and scope_rule is not None:
            sites = [i for i in sites if scope_rule.permits(i, stream, ctx)]
        kinds = ctx.catalogue.streams[stream].kinds
        slots = []
        for k in range(1, n + 1):
            tag = f"{stream}#{k}"
            x = model.new_int_var_from_domain(x_domain, f"x[{tag}]")
            gap = model.new_int_var(0, horizon, f"gap[{tag}]")
            present = model.new_bool_var(f"present[{tag}]")
            at = {i: model.new_bool_var(f"at[{tag},{i}]") for i in sites}
            model.add(sum(at.values()) == present)
            model.add(x - gap >= 0)
            kind = model.new_int_var(0, len(kinds) - 1, f"kind[{tag}]") if len(kinds) > 1 else None
            slots.append(Slot(stream, k, x, gap, present, at, kind))
        for a, b in zip(slots, slots[1:]):
            model.add_implication(b.present, a.present)  # present slots are a prefix: 期次 1..n
        mv.slots[stream] = slots

    for r in ctx.ruleset.rules:
        r.post(mv, ctx)
    if not explain:
        for p in ctx.ruleset.preferences:
            p.post(mv, ctx)
    return mv
