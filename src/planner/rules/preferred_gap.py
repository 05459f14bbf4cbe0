"""Soft: registration closes ``days`` before the exam (2024: 5 days for 45 of 59 sessions)."""
from __future__ import annotations

from .base import Param, Preference


class PreferredGap(Preference):
    name = "preferred_gap"
    title = "registration deadline the preferred number of days before the exam"
    PARAMS = {"days": Param(int, 5, "preferred calendar days from deadline to exam", minimum=0)}

    def cost(self, plan, ctx):
        return sum(abs((s.exam_date - s.registration_deadline).days - self.days) for s in plan.sessions)

    def terms(self, mv, ctx):
        out = []
        for s in mv.all_slots():
            d = mv.abs_dev(s.gap, self.days, mv.horizon, f"gapdev[{s.stream}#{s.k}]")
            # an absent slot costs nothing: its gap is free to sit at the preferred value
            out.append(d)
        return out
