"""Reproducing a published plan: (a) anchored — the rule set admits it unchanged; (b) blind — how close
the rule set alone comes. Used by ``planner reproduce`` and the notebooks."""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from .check import check_plan
from .problem import Problem
from .plan import Plan
from .solver import solve


@dataclass
class Anchored:
    total: int
    unchanged: int
    plan: Plan | None
    violations: list = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.plan is not None and self.unchanged == self.total and not self.violations


@dataclass
class Row:
    stream: str
    no: int
    published: dt.date
    generated: dt.date
    published_site: str
    generated_site: str

    @property
    def diff(self) -> int:
        return (self.generated - self.published).days


@dataclass
class Blind:
    status: str
    plan: Plan | None
    rows: list[Row]
    solve_seconds: float

    @property
    def mae(self) -> float:
        return statistics.fmean(abs(r.diff) for r in self.rows) if self.rows else float("nan")

    @property
    def mae_by_stream(self) -> dict[str, float]:
        out = {}
        for s in dict.fromkeys(r.stream for r in self.rows):
            out[s] = statistics.fmean(abs(r.diff) for r in self.rows if r.stream == s)
        return out

    def _share(self, pred) -> float:
        return sum(1 for r in self.rows if pred(r)) / len(self.rows) if self.rows else 0.0

    @property
    def same_institution(self) -> float:
        return self._share(lambda r: r.published_site == r.generated_site)

    @property
    def same_month(self) -> float:
        return self._share(lambda r: (r.published.year, r.published.month) == (r.generated.year, r.generated.month))

    @property
    def same_both(self) -> float:
        return self._share(lambda r: r.published_site == r.generated_site
                           and (r.published.year, r.published.month) == (r.generated.year, r.generated.month))


@dataclass
class Reproduction:
    anchored: Anchored
    blind: Blind


def compare_to_published(generated: Plan, published: Plan) -> list[Row]:
    gen = generated.by_key()
    return [Row(p.stream, p.no, p.exam_date, gen[p.key].exam_date, p.institution, gen[p.key].institution)
            for p in published.sessions if p.key in gen]


def reproduce(ctx: Problem, published: Plan, seed: int = 0, time_limit: float = 30.0) -> Reproduction:
    violations = [v for v in check_plan(published, ctx).violations if v.hard]
    ra = solve(ctx, seed=seed, time_limit=time_limit, reference=published)
    unchanged = 0
    if ra.plan is not None:
        gen = ra.plan.by_key()
        unchanged = sum(1 for s in published.sessions if gen.get(s.key) == s)
    anchored = Anchored(len(published.sessions), unchanged, ra.plan, violations)
    rb = solve(ctx, seed=seed, time_limit=time_limit)
    rows = compare_to_published(rb.plan, published) if rb.plan is not None else []
    return Reproduction(anchored, Blind(rb.status.value, rb.plan, rows, rb.solve_seconds))
