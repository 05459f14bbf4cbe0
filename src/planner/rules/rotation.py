"""Special-operations sessions rotate across the stream's sites in the configured order.

2024 (附件3): 华安 → 聚腾 → 瑞阳 → 新世纪, repeating, 期次 1 at the first site. The rule says
"no open site is skipped": the session after one at site *p* goes to the next site in order, or
further on only when every site in between is closed on its exam day (``institution_open``),
so a closure passes the turn on instead of stalling the rotation. Sessions are judged against the
previous 期次 (``numbering`` ties 期次 to the date order and reports gaps in them).

Rotation is how a year is *generated*, not a promise to candidates. Once a plan is published
(the Problem's ``published`` fact: a revision), a published 期次 keeps its site unless another
rule forces it off, and closing one site must not send the other sites' candidates elsewhere to
restore the order. So in a revision the rule binds only the sessions that were not published (a
count raised mid-year): each of them still follows its predecessor in order, so the unpublished
remainder rotates afresh from wherever the published part left off.
"""
from __future__ import annotations

from .base import REQUIRED, Param, Rule, Wording


class Rotation(Rule):
    name = "rotation"
    title = "rotation across the stream's sites in order"
    zh = Wording(
        title="特种作业考点按顺序轮流",
        broken="{site}不符合特种作业考点的轮流顺序",
        revision="考点轮换顺序调整",
        relax="调整考点轮转名单",
    )
    peers = frozenset({"highs_mip"})
    PARAMS = {
        "streams": Param(list, REQUIRED, "streams whose sessions rotate over their sites"),
        "start": Param(str, "", "site of 期次 1 (default: the first site of the stream)"),
    }

    def contribute(self, facts, file):
        facts.rotating.update(self.streams)

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        for s in self.streams:
            self.require_stream(problem, s, file, f"{key}.streams")
            if self.start and self.start not in problem.sites(s):
                raise PlannerError(f"start site {self.start!r} is not a site of {s!r}", file=file,
                                   field=f"{key}.start")

    def _before_first(self, order: list[str]) -> int:
        """Order index of the site 'before' 期次 1: the rotation starts right after it."""
        first = self.start if self.start in order else order[0]
        return (order.index(first) - 1) % len(order)

    def between(self, order: list[str], prev: str | None, site: str) -> list[str]:
        """Sites strictly between the previous session's site and *site* (cyclically, in order)."""
        n = len(order)
        p = order.index(prev) if prev in order else self._before_first(order)
        j = order.index(site)
        step = (j - p) % n or n
        return [order[(p + t) % n] for t in range(1, step)]

    def check(self, plan, ctx):
        out = []
        for stream in self.streams:
            order = list(ctx.sites(stream))
            if not order:
                continue
            by_no = {s.no: s for s in plan.stream(stream)}
            for s in sorted(by_no.values(), key=lambda s: s.no):
                if ctx.is_published(stream, s.no):
                    continue  # a revision: a published session keeps its site, whatever the order
                if s.no > 1 and s.no - 1 not in by_no:
                    continue  # a gap in the 期次: numbering reports it; the rotation is judged between neighbours
                prev = by_no[s.no - 1].institution if s.no > 1 else None
                if s.institution not in order:
                    out.append(self.violation(f"{s.institution} is not in the rotation ({' → '.join(order)})", s))
                else:
                    skipped = [b for b in self.between(order, prev, s.institution) if ctx.is_open(b, s.exam_date)]
                    if skipped:
                        after = f"after {prev}" if prev else "to open the year"
                        out.append(self.violation(f"rotation expects {skipped[0]} {after}, found {s.institution}", s))
        return out

    def post(self, mv, ctx):
        m = mv.model
        for stream in self.streams:
            order = list(ctx.sites(stream))
            slots = mv.stream_slots(stream)
            if not order or not slots:
                continue
            lits = mv.lits(self.name, stream)
            closed_lit: dict[tuple[int, str], object] = {}
            shut = {site: ctx.closed_days(site) for site in order}  # asked for every slot and site below

            def open_lit(slot, site):
                """Literal: *site* is open on slot's exam day (None when it never closes)."""
                days = shut[site]  # only sites of the rotation are passed over
                if not days:
                    return None
                key = (slot.k, site)
                if key not in closed_lit:
                    closed_lit[key] = mv.in_days(slot.x, days, f"closed[{stream}#{slot.k},{site}]")
                return closed_lit[key]

            def transitions(prev_lit, prev_site, slot):
                for site, lit in slot.at.items():
                    cond = ([prev_lit] if prev_lit is not None else []) + [lit] + lits
                    neg = [c.negated() for c in cond]
                    if site not in order:
                        m.add_bool_or(neg)  # a site outside the rotation
                        continue
                    for b in self.between(order, prev_site, site):
                        closed = open_lit(slot, b)
                        m.add_bool_or(neg + ([closed] if closed is not None else []))

            if not ctx.is_published(stream, slots[0].k):
                transitions(None, None, slots[0])
            for a, b in zip(slots, slots[1:]):
                if ctx.is_published(stream, b.k):
                    continue  # as in check: only a session that was not published must follow the order
                for site, lit in a.at.items():
                    transitions(lit, site, b)
