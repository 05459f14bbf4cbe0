"""Every session inside the plan-year window: after this year's Spring Festival break, before next year's.

The exam falls in the window, and registration closes no earlier than ``registration_open_days``
after the window opens (applicants are back from the holiday). Together with ``registration_gap``
(the deadline comes before the exam) the deadline is then inside the window too. The window is
measured on the official calendar only: an exam-free week never moves it.
"""
from __future__ import annotations

import datetime as dt

from .base import DAYS, Param, Rule, Wording


class PlanWindow(Rule):
    name = "plan_window"
    title = "session inside the plan-year window (between Spring Festivals)"
    zh = Wording(
        title="考试在年度计划区间内（两个春节之间）",
        broken="{date}不在本年度计划区间内（两个春节之间）",
        revision="原日期超出计划年度",
        relax="减少场次数，或缩短节后报名须开放的天数",
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    PARAMS = {
        "registration_open_days": Param(int, 0, "registration stays open at least this many days after the window "
                                                "opens (applicants return from the holiday)", **DAYS),
    }

    def first_deadline(self, ctx):
        return ctx.window[0] + dt.timedelta(days=self.registration_open_days)

    def allowed_days(self, ctx):
        start, stop = ctx.window
        return set(ctx.calendar.days(start, stop))

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        start, stop = problem.window
        if self.first_deadline(problem) > stop:
            raise PlannerError(f"registration_open_days {self.registration_open_days} reaches past the window's end "
                               f"({start} … {stop})", file=file, field=f"{key}.registration_open_days")

    def check(self, plan, ctx):
        start, stop = ctx.window
        first = self.first_deadline(ctx)
        out = []
        for s in plan.sessions:
            if not start <= s.exam_date <= stop:
                out.append(self.violation(f"exam on {s.exam_date} is outside the plan-year window {start} … {stop}", s))
            if s.registration_deadline < first:
                out.append(self.violation(
                    f"registration deadline {s.registration_deadline} is before {first}: registration must stay open "
                    f"at least {self.registration_open_days} days after the window opens on {start}", s))
        return out

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
        first = mv.day(self.first_deadline(ctx))
        for s in mv.all_slots():
            mv.model.add(s.deadline >= first).only_enforce_if(mv.lits(self.name) + [s.present])
