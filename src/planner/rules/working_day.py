"""Exams only on official working days (weekdays that are not holidays, plus 调休 make-up weekend days),
and never on a locally closed, exam-free day (a scenario's inspection week).

The calendar is the State Council's arrangement (``planner.calendar``); exam-free days are the
problem's, and they stay working days for everything else (the plan-year window, registration).
"""
from __future__ import annotations

from .base import Rule, Wording


class WorkingDay(Rule):
    name = "working_day"
    title = "exam on an official working day that is not exam-free"
    zh = Wording(
        title="考试安排在法定工作日（含调休上班日），且不在停考日",
        broken="{date}不是法定工作日（周末、节假日或停考日）",
        revision="原日期不是工作日",
        relax="减少停考日（情景中“不安排考试的日期”）",
    )
    session_local = True
    peers = frozenset({"highs_mip"})

    def allowed_days(self, ctx):
        cal = ctx.calendar
        return {d for d in cal.days(cal.first_day, cal.last_day) if cal.is_exam_day(d)}

    def check(self, plan, ctx):
        cal = ctx.calendar
        return [
            self.violation(f"exam on {s.exam_date} is {cal.why_not_working(s.exam_date)}, not an exam day", s)
            for s in plan.sessions
            if not (cal.first_day <= s.exam_date <= cal.last_day and cal.is_exam_day(s.exam_date))
        ]

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
