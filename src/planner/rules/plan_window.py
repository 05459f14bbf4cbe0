"""Every session inside the plan-year window: after this year's Spring Festival break, before next year's.

Both the registration deadline and the exam fall in the window: registration does not close
during the holiday, and the next year's plan starts afresh after the next Spring Festival.
"""
from __future__ import annotations

import datetime as dt

from .base import Param, Rule


class PlanWindow(Rule):
    name = "plan_window"
    title = "session inside the plan-year window (between Spring Festivals)"
    PARAMS = {
        "registration_open_days": Param(int, 0, "registration stays open at least this many days after the window "
                                                "opens (applicants return from the holiday)", minimum=0),
    }

    def first_deadline(self, ctx):
        return ctx.window[0] + dt.timedelta(days=self.registration_open_days)

    def allowed_days(self, ctx):
        start, stop = ctx.window
        return set(ctx.calendar.days(start, stop))

    def check(self, plan, ctx):
        start, stop = ctx.window
        out = []
        for s in plan.sessions:
            if not start <= s.exam_date <= stop:
                out.append(self.violation(f"exam on {s.exam_date} is outside the plan-year window {start} … {stop}", s))
            elif s.registration_deadline < self.first_deadline(ctx):
                out.append(self.violation(
                    f"registration deadline {s.registration_deadline} leaves less than {self.registration_open_days}"
                    f" days after the window opens on {start}", s))
        return out

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
        first = mv.day(self.first_deadline(ctx))
        for s in mv.all_slots():
            mv.model.add(s.deadline >= first).only_enforce_if(mv.lits(self.name) + [s.present])
