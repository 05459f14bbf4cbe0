"""Registration closes between ``min_days`` and ``max_days`` calendar days before the exam, never after it.

The gap gives the bureau time to review applications and seat candidates (报名时间 "X月X日前",
closing at noon).
"""
from __future__ import annotations

from ..problem import too_long
from .base import DAYS, REQUIRED, Param, Rule, Wording


class RegistrationGap(Rule):
    name = "registration_gap"
    title = "registration deadline between min_days and max_days before the exam"
    zh = Wording(
        title="报名截止与考试之间的天数",
        broken="报名截止与考试之间的天数不符合规定",
        revision="报名截止与考试间隔要求调整",
        relax="放宽“报名截止至考试 最少天数”或“最多天数”",  # the 情景 form fields' own labels
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    PARAMS = {
        "min_days": Param(int, REQUIRED, "fewest calendar days from deadline to exam", **DAYS),
        "max_days": Param(int, REQUIRED, "most calendar days from deadline to exam", **DAYS),
    }

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        if self.max_days < self.min_days:
            raise PlannerError(f"max_days {self.max_days} is below min_days {self.min_days}", file=file,
                               field=f"{key}.max_days")
        too_long(problem, self.min_days, file, f"{key}.min_days")

    def check(self, plan, ctx):
        out = []
        for s in plan.sessions:
            gap = s.gap_days
            if gap < 0:
                out.append(self.violation(
                    f"registration deadline {s.registration_deadline} is after the exam", s))
            elif gap < self.min_days:
                out.append(self.violation(
                    f"registration closes only {gap} days before the exam (at least {self.min_days})", s))
            elif gap > self.max_days:
                out.append(self.violation(
                    f"registration closes {gap} days before the exam (at most {self.max_days})", s))
        return out

    def post(self, mv, ctx):
        for s in mv.all_slots():
            lits = mv.lits(self.name) + [s.present]
            mv.model.add(s.gap >= max(0, self.min_days)).only_enforce_if(lits)
            mv.model.add(s.gap <= self.max_days).only_enforce_if(lits)
