"""Two sessions at the same institution at least ``min_days`` apart (any streams).

A site needs days between two exams to reset rooms and equipment and to run its classes.
"""
from __future__ import annotations

from collections import defaultdict

from .base import Param, Rule


class SiteSpacing(Rule):
    name = "site_spacing"
    title = "sessions at one institution at least min_days apart"
    PARAMS = {"min_days": Param(int, 2, "fewest days between two exams at one institution", minimum=1)}

    def check(self, plan, ctx):
        by_site = defaultdict(list)
        for s in plan.sessions:
            by_site[s.institution].append(s)
        out = []
        for site, ss in sorted(by_site.items()):
            ss.sort(key=lambda s: (s.exam_date, s.stream, s.no))
            for a, b in zip(ss, ss[1:]):
                d = (b.exam_date - a.exam_date).days
                if d < self.min_days:
                    out.append(self.violation(
                        f"only {d} days after {a.stream} #{a.no} ({a.exam_date}) at the same institution {site}"
                        f" (at least {self.min_days})", b))
        return out

    def post(self, mv, ctx):
        m = mv.model
        sites = sorted({i for s in mv.all_slots() for i in s.at})
        for site in sites:
            lits = mv.lits(self.name, site)
            intervals = []
            for s in mv.all_slots():
                if site in s.at:
                    on = mv.both(s.at[site], lits[0]) if lits else s.at[site]
                    intervals.append(m.new_optional_fixed_size_interval_var(s.x, self.min_days, on, f"site[{site},{s.stream}#{s.k}]"))
            if len(intervals) > 1:
                m.add_no_overlap(intervals)
