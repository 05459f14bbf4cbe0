"""Exams only on official working days (weekdays that are not holidays, plus 调休 make-up weekend days),
and never on a locally closed, exam-free day (a scenario's inspection week).

The calendar is the State Council's arrangement (``planner.calendar``); exam-free days are the
problem's, and they stay working days for everything else (the plan-year window, registration).

In a provisional year the calendar's days off and make-up days are predicted (预计). A predicted day off
is no working day, so no exam sits on it. A predicted make-up working day is not taken for one either:
back-tested on 2015-2026, about one predicted make-up day in five is in fact an ordinary weekend day
(README, "Calendar"), and an exam there would be a Saturday exam; the few weekend days the bureau uses
(2024: one of its make-up days) are not worth that risk before the State Council has spoken.
"""
from __future__ import annotations

from .base import Rule, Wording


class WorkingDay(Rule):
    name = "working_day"
    title = "exam on an official working day that is not exam-free"
    zh = Wording(
        title="考试安排在法定工作日（含调休上班日），且不在停考日",
        broken="{date}不是法定工作日（周末、节假日或停考日；暂定年份含预计的节假日和调休日）",
        revision="原考试日不再是工作日",
        relax="减少停考日（情景中“不安排考试的日期”）",
    )
    session_local = True
    peers = frozenset({"highs_mip"})

    @staticmethod
    def _exam_day(cal, d) -> bool:
        return cal.is_exam_day(d) and not (d in cal.makeup_workdays and d in cal.predicted)

    def allowed_days(self, ctx):
        cal = ctx.calendar
        return {d for d in cal.days(cal.first_day, cal.last_day) if self._exam_day(cal, d)}

    def check(self, plan, ctx):
        cal = ctx.calendar
        return [
            self.violation(f"exam on {s.exam_date} is {self._why(cal, s.exam_date)}, not an exam day", s)
            for s in plan.sessions
            if not (cal.first_day <= s.exam_date <= cal.last_day and self._exam_day(cal, s.exam_date))
        ]

    @staticmethod
    def _why(cal, d) -> str:
        if d in cal.makeup_workdays and d in cal.predicted:
            return "a weekend day only predicted to be a make-up working day"
        return cal.why_not_working(d)

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
