"""Two sessions at the same institution at least ``min_days`` apart (any streams).

A site needs days between two exams to reset rooms and equipment and to run its classes.
"""
from __future__ import annotations

from collections import defaultdict

from ..problem import too_long
from .base import REQUIRED, Param, Rule, Wording


def spacing_violations(rule, sessions, min_days: int, what: str) -> list:
    """Consecutive sessions (by date) closer than *min_days*: the check face shared by both spacing rules."""
    out = []
    ss = sorted(sessions, key=lambda s: (s.exam_date, s.stream, s.no))
    for a, b in zip(ss, ss[1:]):
        d = (b.exam_date - a.exam_date).days
        if d < min_days:
            out.append(rule.violation(f"only {d} days after {a.stream} #{a.no} ({a.exam_date}) {what}"
                                      f" (at least {min_days})", b))
    return out


def post_spacing(mv, slots_at: list[tuple], min_days: int, guard: list, tag: str) -> None:
    """CP-SAT face of a spacing rule: optional intervals of *min_days* days that may not overlap."""
    m = mv.model
    intervals = []
    for s, lit in slots_at:
        on = mv.both(lit, guard[0]) if guard else lit
        intervals.append(m.new_optional_fixed_size_interval_var(s.x, min_days, on, f"{tag}[{s.stream}#{s.k}]"))
    if len(intervals) > 1 and min_days > 0:
        m.add_no_overlap(intervals)
        # Implied counting cut (CP-SAT proves "too many sessions for the spacing" slowly without it): inside
        # the span of possible exam days, at most span // min_days + 1 sessions fit.
        lo, hi = mv.x_span
        m.add(sum(lit for _, lit in slots_at) <= (hi - lo) // min_days + 1).only_enforce_if(guard)


class SiteSpacing(Rule):
    name = "site_spacing"
    title = "sessions at one institution at least min_days apart"
    zh = Wording(
        title="同一考点两场考试的最短间隔",
        broken="{site}两场考试相隔太近",
        revision="避免同一考点考试间隔过近",
        relax="缩短同一考点两场考试的最短间隔",
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    PARAMS = {"min_days": Param(int, REQUIRED, "fewest days between two exams at one institution", minimum=1, maximum=366)}

    def validate(self, problem, file, key):
        too_long(problem, self.min_days, file, f"{key}.min_days")

    def check(self, plan, ctx):
        by_site = defaultdict(list)
        for s in plan.sessions:
            by_site[s.institution].append(s)
        out = []
        for site, ss in sorted(by_site.items()):
            out += spacing_violations(self, ss, self.min_days, f"at the same institution {site}")
        return out

    def post(self, mv, ctx):
        for site in sorted({i for s in mv.all_slots() for i in s.at}):
            post_spacing(mv, [(s, s.at[site]) for s in mv.all_slots() if site in s.at], self.min_days,
                         mv.lits(self.name, site), f"site[{site}]")
