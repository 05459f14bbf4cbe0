"""Special-operations sessions rotate across the stream's sites in the configured order.

2024 (附件3): 华安 → 聚腾 → 瑞阳 → 新世纪, repeating, 期次 1 at the first site. A site that is
closed on a session's date (``institution_open``) is skipped: the turn passes to the next open
site, so a closure never stalls the rotation.
"""
from __future__ import annotations

from .base import Param, Rule


class Rotation(Rule):
    name = "rotation"
    title = "rotation across the stream's sites in order"
    PARAMS = {
        "streams": Param(list, ["special_ops"], "streams whose sessions rotate over their sites"),
        "start": Param(str, "", "site of 期次 1 (default: the first site of the stream)"),
    }

    def validate(self, file, key, streams, **_):
        from ..errors import PlannerError

        for s in self.streams:
            if s not in streams:
                raise PlannerError(f"stream {s!r} has no [streams.{s}] table", file=file, field=f"{key}.streams")
            if self.start and self.start not in streams[s]:
                raise PlannerError(f"start site {self.start!r} is not a site of {s!r}", file=file,
                                   field=f"{key}.start")

    def order(self, stream: str, ctx) -> list[str]:
        return list(ctx.sites(stream))

    def _first(self, order: list[str]) -> str:
        return self.start if self.start in order else order[0]

    def expected_next(self, order: list[str], prev: str | None, day, ctx) -> str | None:
        """The site whose turn it is after *prev* on *day*: the next one in order that is open."""
        if prev is None or prev not in order:
            i = order.index(self._first(order)) - 1
        else:
            i = order.index(prev)
        for step in range(1, len(order) + 1):
            cand = order[(i + step) % len(order)]
            if ctx.is_open(cand, day):
                return cand
        return None

    def check(self, plan, ctx):
        out = []
        for stream in self.streams:
            order = self.order(stream, ctx)
            if not order:
                continue
            prev = None
            for s in sorted(plan.stream(stream), key=lambda s: s.no):
                exp = self.expected_next(order, prev, s.exam_date, ctx)
                if s.institution not in order:
                    out.append(self.violation(f"{s.institution} is not in the rotation ({' → '.join(order)})", s))
                elif exp is not None and s.institution != exp:
                    after = f"after {prev}" if prev else "to open the year"
                    out.append(self.violation(f"rotation expects {exp} {after}, found {s.institution}", s))
                prev = s.institution
        return out

    def post(self, mv, ctx):
        m = mv.model
        closures = ctx.closures()
        for stream in self.streams:
            order = self.order(stream, ctx)
            slots = mv.stream_slots(stream)
            if not order or not slots:
                continue
            lits = mv.lits(self.name, stream)
            n = len(order)
            closed_lit: dict[tuple[int, str], object] = {}

            def closed(slot, site):
                """Literal: *site* is closed on slot's exam day (False when it never closes)."""
                if site not in closures:
                    return None
                key = (slot.k, site)
                if key not in closed_lit:
                    days = {d for a, b in closures[site] for d in ctx.calendar.days(max(a, ctx.calendar.first_day),
                                                                                   min(b, ctx.calendar.last_day))}
                    closed_lit[key] = mv.in_days(slot.x, days, f"closed[{stream}#{slot.k},{site}]")
                return closed_lit[key]

            def transition(prev_lit, prev_idx, slot):
                # session `slot` follows a session at order[prev_idx]: every site strictly between must be closed
                for step in range(1, n + 1):
                    j = (prev_idx + step) % n
                    site = order[j]
                    if site not in slot.at:
                        between = None
                    else:
                        between = [order[(prev_idx + t) % n] for t in range(1, step)]
                    if between is None:
                        continue
                    needs = [closed(slot, b) for b in between]
                    cond = ([prev_lit] if prev_lit is not None else []) + [slot.at[site]] + lits
                    if any(c is None for c in needs):
                        m.add_bool_or([c.negated() for c in cond])  # a never-closing site was skipped
                    else:
                        for c in needs:
                            m.add_bool_or([x.negated() for x in cond] + [c])

            first_prev = (order.index(self._first(order)) - 1) % n
            transition(None, first_prev, slots[0])
            for a, b in zip(slots, slots[1:]):
                for i, site in enumerate(order):
                    if site in a.at:
                        transition(a.at[site], i, b)
