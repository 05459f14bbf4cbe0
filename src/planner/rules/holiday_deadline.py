"""No registration deadline inside a long holiday: a block of ``min_block_days`` or more official days
off that contains National Day (10月1日) or the Spring Festival (春节).

The bureau's staff are away, and applicants cannot get the stamps and certificates the materials
need. 2024: managers 期次8 closed on 9月29日 (a 调休 working Sunday) for an exam on 10月10日 rather
than inside 国庆 (10月1日–7日), and special-operations 期次33 closed on 10月11日, after it; none of
the 59 deadlines falls in either holiday. (May Day is not one of them: special-operations 期次13
closed on 5月2日, inside the May Day break.) Hard, because the one 2024 case that could have
fallen inside did not, and the reason is structural, not a taste.
"""
from __future__ import annotations

import datetime as dt

from .base import REQUIRED, Param, Rule, Wording

HOLIDAYS = ("national_day", "spring_festival")


class HolidayDeadline(Rule):
    name = "holiday_deadline"
    title = "no registration deadline inside the National Day or Spring Festival holiday"
    zh = Wording(
        title="报名截止日不在国庆、春节假期内",
        broken="报名截止日落在国庆或春节假期内",
        revision="原报名截止日在节假日期间",
        relax="放宽报名截止与考试的间隔天数，使截止日可提前到假期之前",
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    PARAMS = {
        "holidays": Param(list, REQUIRED, "which long holidays: national_day, spring_festival"),
        "min_block_days": Param(int, REQUIRED, "a run of at least this many days off counts as a long holiday",
                                minimum=1, maximum=30),
    }

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        for h in self.holidays:
            if h not in HOLIDAYS:
                raise PlannerError(f"unknown holiday {h!r} (known: {', '.join(HOLIDAYS)})", file=file,
                                   field=f"{key}.holidays")

    def blocked(self, ctx) -> dict[dt.date, str]:
        """Day -> holiday name, for every day of the long holidays in the calendar's two years."""
        cal = ctx.calendar
        anchors = {}
        for y in (cal.year, cal.year + 1):
            if "national_day" in self.holidays:
                anchors[dt.date(y, 10, 1)] = "国庆"
            if "spring_festival" in self.holidays and y in cal.new_year_days:
                anchors[cal.new_year_days[y]] = "春节"
        out = {}
        for a, b in cal.off_blocks(self.min_block_days):
            names = [n for d, n in anchors.items() if a <= d <= b]
            if names:
                out.update({d: names[0] for d in cal.days(a, b)})
        return out

    def check(self, plan, ctx):
        blocked = self.blocked(ctx)
        return [self.violation(f"registration deadline {s.registration_deadline} falls in the {blocked[s.registration_deadline]}"
                               f" holiday", s)
                for s in plan.sessions if s.registration_deadline in blocked]

    def post(self, mv, ctx):
        blocked = self.blocked(ctx)
        if not blocked:
            return
        dom = mv.domain_complement(blocked, wide=True)
        for s in mv.all_slots():
            mv.model.add_linear_expression_in_domain(s.deadline, dom).only_enforce_if(mv.lits(self.name) + [s.present])
