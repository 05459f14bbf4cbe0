"""At most ``max_exams_per_day`` exams a day city-wide, all streams together.

One exam a day lets the bureau's examiners and supervisors attend every session.
"""
from __future__ import annotations

from collections import Counter

from .base import REQUIRED, Param, Rule, Wording


class DailyCap(Rule):
    name = "daily_cap"
    title = "at most max_exams_per_day exams a day city-wide"
    zh = Wording(
        title="全市每天考试场次上限",
        broken="{date}全市考试场次超过每天上限",
        revision="同日考试安排冲突",
        relax="提高全市每天考试场次上限，或减少场次数",
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    PARAMS = {"max_exams_per_day": Param(int, REQUIRED, "exams a day across all streams and sites", minimum=1, maximum=50)}

    def check(self, plan, ctx):
        per_day = Counter(s.exam_date for s in plan.sessions)
        out = []
        for s in plan.sessions:
            n = per_day[s.exam_date]
            if n > self.max_exams_per_day:
                out.append(self.violation(
                    f"{n} exams on {s.exam_date} (at most {self.max_exams_per_day} a day)", s))
        return out

    def post(self, mv, ctx):
        m = mv.model
        lits = mv.lits(self.name)
        intervals = []
        for s in mv.all_slots():
            on = mv.both(s.present, lits[0], f"cap_on[{s.stream}#{s.k}]") if lits else s.present
            intervals.append(m.new_optional_fixed_size_interval_var(s.x, 1, on, f"exam[{s.stream}#{s.k}]"))
        if self.max_exams_per_day == 1:
            m.add_no_overlap(intervals)
        else:
            m.add_cumulative(intervals, [1] * len(intervals), self.max_exams_per_day)
        # Implied pigeonhole cut (CP-SAT proves "too many sessions for the days" slowly without it):
        # at most cap x (number of possible exam days) sessions. Those days come from the calendar rules,
        # so when explaining, the cut holds only while they do.
        present = [s.present for s in mv.all_slots()]
        days, guard = mv.calendar_days()
        m.add(sum(present) <= self.max_exams_per_day * len(days)).only_enforce_if(list(lits) + guard)
