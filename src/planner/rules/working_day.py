"""Exams only on official working days: weekdays that are not holidays, plus 调休 make-up weekend days."""
from __future__ import annotations

from .base import Rule


class WorkingDay(Rule):
    name = "working_day"
    title = "exam on an official working day"

    def allowed_days(self, ctx):
        cal = ctx.calendar
        return {d for d in cal.days(cal.first_day, cal.last_day) if cal.is_working_day(d)}

    def check(self, plan, ctx):
        cal = ctx.calendar
        return [
            self.violation(f"exam on {s.exam_date} is {cal.why_not_working(s.exam_date)}, not a working day", s)
            for s in plan.sessions
            if cal.first_day <= s.exam_date <= cal.last_day and not cal.is_working_day(s.exam_date)
        ]

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
