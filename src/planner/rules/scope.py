"""A session is held only at one of its stream's configured sites, licensed for the stream's category.

附件4 lists each institution's licensed scope; managers' exams need 高危行业主要负责人、安全管理员
in the scope, special-operations exams a special-operations category. A scenario may license a
site for a category for a date range (``[[licenses]]``): then its sessions of that category must
fall in that range.
"""
from __future__ import annotations

from .base import Rule, Wording


class Scope(Rule):
    name = "scope"
    title = "institution is a site of the stream and licensed for its category"
    zh = Wording(
        title="考点须具备该类别的培训资质（附件4）",
        broken="{site}不具备这类考试的培训资质（附件4）",
        revision="原考点不具备该类考试资质",
        relax="为考点增加该类别的资质",
    )
    session_local = True
    peers = frozenset({"highs_mip"})

    @staticmethod
    def site_detail(stream: str, site: str) -> str:
        """The instance of this rule that keeps *stream* away from *site*: ``scope[stream@site]``."""
        return f"{stream}@{site}"

    def check(self, plan, ctx):
        out = []
        for s in plan.sessions:
            if s.institution not in ctx.sites(s.stream):
                out.append(self.violation(
                    f"{s.institution} is not an exam site of {s.stream} (sites: {', '.join(ctx.sites(s.stream)) or 'none'})", s))
            elif not ctx.licensed(s.institution, s.stream, s.exam_date):
                out.append(self.violation(f"{s.institution} is not licensed for {s.stream} exams on {s.exam_date}", s))
        return out

    def post(self, mv, ctx):
        for s in mv.all_slots():
            for i, lit in s.at.items():
                guard = mv.lits(self.name, self.site_detail(s.stream, i))
                if not ctx.permits(i, s.stream):
                    if guard:
                        mv.model.add_implication(guard[0], lit.negated())
                    else:
                        mv.model.add(lit == 0)
                    continue
                days = ctx.licence_days(i, s.stream)
                if days is not None:  # licensed only on the licence's dates
                    mv.model.add_linear_expression_in_domain(s.x, mv.domain(days)).only_enforce_if(guard + [lit])
