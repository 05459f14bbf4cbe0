"""No session at an institution while it is closed (suspended, failed inspection, eliminated).

Closures are date ranges per institution, usually set by a scenario, e.g. a site that fails
the AQ 8011-2023 rectification is out from 1 July.
"""
from __future__ import annotations

import datetime as dt

from .base import Param, Rule


class InstitutionOpen(Rule):
    name = "institution_open"
    title = "no session at a closed institution"
    PARAMS = {"closures": Param(list, [], "list of {institution, start, end, reason} tables")}

    def validate(self, file, key, streams, catalogue, **_):
        from ..errors import PlannerError

        self._ranges: dict[str, list[tuple[dt.date, dt.date, str]]] = {}
        for n, c in enumerate(self.closures, start=1):
            f = f"{key}.closures[{n}]"
            if not isinstance(c, dict):
                raise PlannerError("must be a table {institution, start, end}", file=file, field=f)
            bad = set(c) - {"institution", "start", "end", "reason"}
            if bad:
                raise PlannerError(f"unknown key {sorted(bad)[0]!r}", file=file, field=f)
            inst = c.get("institution")
            if catalogue is not None and inst not in catalogue.institutions:
                raise PlannerError(f"unknown institution {inst!r}", file=file, field=f"{f}.institution")
            try:
                start = _date(c.get("start", "2000-01-01"))
                end = _date(c.get("end", "2099-12-31"))
            except (TypeError, ValueError):
                raise PlannerError("start/end must be dates YYYY-MM-DD", file=file, field=f) from None
            if end < start:
                raise PlannerError(f"closure ends ({end}) before it starts ({start})", file=file, field=f"{f}.end")
            self._ranges.setdefault(inst, []).append((start, end, str(c.get("reason", ""))))

    def by_site(self) -> dict[str, list[tuple[dt.date, dt.date]]]:
        if not hasattr(self, "_ranges"):
            self.validate(file=None, key="rules.institution_open", streams={}, catalogue=None)
        return {i: [(a, b) for a, b, _ in rs] for i, rs in self._ranges.items()}

    def check(self, plan, ctx):
        out = []
        for s in plan.sessions:
            for a, b in self.by_site().get(s.institution, ()):
                if a <= s.exam_date <= b:
                    out.append(self.violation(f"{s.institution} is closed from {a} to {b}", s))
        return out

    def post(self, mv, ctx):
        cal = ctx.calendar
        for site, ranges in self.by_site().items():
            closed = {d for a, b in ranges for d in cal.days(max(a, cal.first_day), min(b, cal.last_day))}
            if not closed:
                continue
            open_dom = cp_domain_complement(mv, closed)
            for s in mv.all_slots():
                if site in s.at:
                    mv.model.add_linear_expression_in_domain(s.x, open_dom).only_enforce_if(
                        mv.lits(self.name, site) + [s.at[site]])


def cp_domain_complement(mv, days):
    from ortools.sat.python import cp_model

    return cp_model.Domain(0, mv.horizon).intersection_with(mv.domain(days).complement())


def _date(v) -> dt.date:
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))
