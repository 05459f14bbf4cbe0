"""No session at an institution while it is closed (suspended, failed inspection, eliminated).

Closures are date ranges per institution, usually set by a scenario, e.g. a site that fails
the AQ 8011-2023 rectification is out from 1 July. The compiled problem holds them
(``ctx.closures``); ``rotation`` reads the same facts to pass a closed site's turn on.
"""
from __future__ import annotations

from .base import Param, Rule


class InstitutionOpen(Rule):
    name = "institution_open"
    title = "no session at a closed institution"
    PARAMS = {"closures": Param(list, [], "list of {institution, start, end, reason} tables")}

    def instances(self, ctx):
        return [f"{self.name}[{i}]" for i in ctx.closed_sites()]

    def check(self, plan, ctx):
        out = []
        for s in plan.sessions:
            for c in ctx.closures:
                if c.institution == s.institution and c.start <= s.exam_date <= c.end:
                    out.append(self.violation(f"{s.institution} is closed from {c.start} to {c.end}"
                                              + (f" ({c.reason})" if c.reason else ""), s))
        return out

    def post(self, mv, ctx):
        for site in ctx.closed_sites():
            closed = ctx.closed_days(site)
            if not closed:
                continue
            open_dom = mv.domain_complement(closed)
            for s in mv.all_slots():
                if site in s.at:
                    mv.model.add_linear_expression_in_domain(s.x, open_dom).only_enforce_if(
                        mv.lits(self.name, site) + [s.at[site]])
