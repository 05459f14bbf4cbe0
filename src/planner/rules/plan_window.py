"""Every session inside the plan-year window: after this year's Spring Festival break, before next year's.

Both the registration deadline and the exam fall in the window: registration does not close
during the holiday, and the next year's plan starts afresh after the next Spring Festival.
"""
from __future__ import annotations

from .base import Rule


class PlanWindow(Rule):
    name = "plan_window"
    title = "session inside the plan-year window (between Spring Festivals)"

    def allowed_days(self, ctx):
        start, stop = ctx.window
        return set(ctx.calendar.days(start, stop))

    def check(self, plan, ctx):
        start, stop = ctx.window
        out = []
        for s in plan.sessions:
            if not start <= s.exam_date <= stop:
                out.append(self.violation(f"exam on {s.exam_date} is outside the plan-year window {start} … {stop}", s))
            elif s.registration_deadline < start:
                out.append(self.violation(
                    f"registration deadline {s.registration_deadline} is before the window opens on {start}", s))
        return out

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
        start = mv.day(ctx.window[0])
        for s in mv.all_slots():
            mv.model.add(s.deadline >= start).only_enforce_if(mv.lits(self.name) + [s.present])
