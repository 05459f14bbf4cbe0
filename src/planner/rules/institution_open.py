"""No session at an institution while it is closed (suspended, failed inspection, eliminated).

Closures are date ranges per institution, usually set by a scenario, e.g. a site that fails
the AQ 8011-2023 rectification is out from 1 July. The compiled problem holds them
(``ctx.closures``); ``rotation`` reads the same facts to pass a closed site's turn on.
"""
from __future__ import annotations

from ..errors import PlannerError
from ..problem import Closure, check_dated, parse_date
from .base import Param, Rule, Wording


class InstitutionOpen(Rule):
    name = "institution_open"
    title = "no session at a closed institution"
    zh = Wording(
        title="停考期间该机构不安排考试",
        broken="{date}{site}处于停考期间",
        revision="原考点暂停考试",
        relax="缩短或取消停考时段",
    )
    session_local = True
    peers = frozenset({"highs_mip"})  # the peer refuses a rule set with closures: the rule itself holds trivially
    PARAMS = {"closures": Param(list, [], "list of {institution, start, end, reason} tables")}
    CLOSURE_KEYS = ("end", "institution", "reason", "start")

    def contribute(self, facts, file):
        for n, c in enumerate(self.closures, start=1):
            key = f"{self.key}.closures[{n}]"
            if not isinstance(c, dict):
                raise PlannerError("must be a table {institution, start, end, reason}", file=file, field=key)
            bad = sorted(set(c) - set(self.CLOSURE_KEYS))
            if bad:
                raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(self.CLOSURE_KEYS)})", file=file,
                                   field=f"{key}.{bad[0]}")
            facts.closures.append(Closure(str(c.get("institution")),
                                          parse_date(c.get("start", "2000-01-01"), file, key + ".start"),
                                          parse_date(c.get("end", "2099-12-31"), file, key + ".end"),
                                          str(c.get("reason", ""))))

    def validate(self, problem, file, key):
        for n, c in enumerate(problem.closures, start=1):
            check_dated(problem, c, "closure", file, f"{key}.closures[{n}]")

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
