"""Soft: registration closes ``days`` before the exam (2024: 5 days for 45 of 59 sessions)."""
from __future__ import annotations

from .base import DAYS, REQUIRED, Param, Preference, Wording


class PreferredGap(Preference):
    name = "preferred_gap"
    title = "registration deadline the preferred number of days before the exam"
    zh = Wording(
        title="报名截止在考试前的适宜天数",
        broken="报名截止与考试的间隔不是适宜天数",
        revision="报名截止时间调整",
    )
    peers = frozenset({"highs_mip"})
    PARAMS = {"days": Param(int, REQUIRED, "preferred calendar days from deadline to exam", **DAYS)}

    def hint_gap(self):
        return self.days

    def cost(self, plan, ctx):
        return sum(abs(s.gap_days - self.days) for s in plan.sessions)

    def terms(self, mv, ctx):
        return [mv.if_present(s, mv.abs_dev(s.gap, self.days, 3 * mv.horizon, f"gapdev[{s.stream}#{s.k}]"), 3 * mv.horizon)
                for s in mv.all_slots()]
