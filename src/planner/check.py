"""Checking a concrete plan against the rule catalogue: the first face of every rule."""
from __future__ import annotations

from dataclasses import dataclass, field

from .problem import Problem
from .plan import Plan
from .rules.base import Violation


@dataclass
class CheckReport:
    violations: list[Violation]
    per_rule: dict[str, int]  # hard rule -> violations
    costs: dict[str, tuple[int, int]] = field(default_factory=dict)  # preference -> (weight, unweighted cost)
    calendar_status: str = ""

    @property
    def ok(self) -> bool:
        return not any(v.hard for v in self.violations)

    @property
    def objective(self) -> int:
        return sum(w * c for w, c in self.costs.values())


def check_plan(plan: Plan, ctx: Problem) -> CheckReport:
    """All violations of *plan*, rule by rule, and what each preference costs."""
    violations: list[Violation] = []
    per_rule: dict[str, int] = {}
    for rule in ctx.rules:
        vs = rule.check(plan, ctx)
        per_rule[rule.name] = len(vs)
        violations.extend(vs)
    costs = {p.name: (p.weight, p.cost(plan, ctx)) for p in ctx.preferences}
    violations.sort(key=lambda v: (v.stream or "", v.no or 0, v.rule))
    return CheckReport(violations, per_rule, costs, ctx.calendar.status())
