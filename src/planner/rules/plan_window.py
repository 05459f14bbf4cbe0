"""Every session inside the plan-year window: after this year's Spring Festival break, before next year's.

The exam falls in the window, and registration closes no earlier than ``registration_open_days``
after the window opens (applicants are back from the holiday). Together with ``registration_gap``
(the deadline comes before the exam) the deadline is then inside the window too. The window is
measured on the official calendar only: an exam-free week never moves it.

In a re-plan from a day F (``Problem.revised_from``) the window of what changes starts at F: the days before it
have passed, and a revision notice cannot announce an exam, or a registration deadline, in them. So a session
that differs from its published self has its exam on or after F, and its deadline too unless the deadline is the
published one (registration for it already closed, the exam moves later); a new session has both on or after F.
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
        return out + self._check_revision(plan, ctx)

    def conflict_detail(self, detail, ctx):
        """In a re-plan, what binds is most often the days already past: say so."""
        if ctx.revised_from is None:
            return ""
        return (f"in a re-plan from {ctx.revised_from} nothing that changes may be placed before that day (start the "
                "re-plan earlier, or relax the rule it names with it)")

    def _check_revision(self, plan, ctx):
        first = ctx.revised_from
        if first is None:
            return []
        out = []
        for s in plan.sessions:
            old = ctx.published_sessions.get(s.key)
            if old is not None and (old.exam_date, old.registration_deadline) == (s.exam_date,
                                                                                  s.registration_deadline):
                continue  # dated as published (a session before F is one of these: it is kept)
            if s.exam_date < first:
                out.append(self.violation(f"exam on {s.exam_date}, before the re-plan's first day {first}: a changed "
                                          "or new session cannot be held in days already past", s))
            elif s.registration_deadline < first and (old is None or s.registration_deadline
                                                      != old.registration_deadline):
                out.append(self.violation(f"registration deadline {s.registration_deadline}, before the re-plan's "
                                          f"first day {first}: only a deadline already published may lie there", s))
        return out

    def post(self, mv, ctx):
        mv.restrict_days(self, self.allowed_days(ctx))
        first = mv.day(self.first_deadline(ctx))
        for s in mv.all_slots():
            mv.model.add(s.deadline >= first).only_enforce_if(mv.lits(self.name) + [s.present])
        self._post_revision(mv, ctx)

    def _post_revision(self, mv, ctx):
        """The CP-SAT face of :meth:`_check_revision`: a slot as published is free of it (the kept sessions are
        pinned to theirs); any other has its exam from F, and its deadline from F or at the published one."""
        first = ctx.revised_from
        if first is None:
            return
        f = mv.day(first)
        m = mv.model
        for s in mv.all_slots():
            old = ctx.published_sessions.get((s.stream, s.k))
            on = mv.lits(self.name) + [s.present]
            if old is None:
                m.add(s.deadline >= f).only_enforce_if(on)  # new: both from F (the exam follows its deadline)
                continue
            d0, e0 = mv.day(old.registration_deadline), mv.day(old.exam_date)
            if e0 < f:
                # kept as published (a pin), or else changed: then from F as any change
                same = m.new_bool_var(f"as_published[{s.stream}#{s.k}]")
                m.add(s.x == e0).only_enforce_if(same)
                m.add(s.deadline == d0).only_enforce_if(same)
                m.add(s.x >= f).only_enforce_if(on + [same.negated()])
                m.add(s.deadline >= f).only_enforce_if(on + [same.negated()])
                continue
            m.add(s.x >= f).only_enforce_if(on)
            if d0 < f:  # registration closed as published, or a new deadline from F
                at_old = m.new_bool_var(f"deadline_as_published[{s.stream}#{s.k}]")
                m.add(s.deadline == d0).only_enforce_if(at_old)
                m.add(s.deadline >= f).only_enforce_if(on + [at_old.negated()])
            else:
                m.add(s.deadline >= f).only_enforce_if(on)
