"""A session is held only at one of its stream's configured sites, licensed for the stream's category.

附件4 lists each institution's licensed scope; managers' exams need 高危行业主要负责人、安全管理员
in the scope, special-operations exams a special-operations category.
"""
from __future__ import annotations

from .base import Rule


class Scope(Rule):
    name = "scope"
    title = "institution is a site of the stream and licensed for its category"

    def permits(self, institution: str, stream: str, ctx) -> bool:
        return institution in ctx.sites(stream) and ctx.catalogue.licensed(institution, stream)

    def validate(self, file, key, streams, catalogue, **_):
        from ..errors import PlannerError

        if catalogue is None:
            return
        for stream, sites in streams.items():
            for i in sites:
                if stream in catalogue.streams and not catalogue.licensed(i, stream):
                    raise PlannerError(f"site {i!r} is not licensed for stream {stream!r} (附件4 scope)", file=file,
                                       field=f"streams.{stream}.sites")

    def check(self, plan, ctx):
        out = []
        for s in plan.sessions:
            if s.institution not in ctx.sites(s.stream):
                out.append(self.violation(
                    f"{s.institution} is not an exam site of {s.stream} (sites: {', '.join(ctx.sites(s.stream)) or 'none'})", s))
            elif not ctx.catalogue.licensed(s.institution, s.stream):
                out.append(self.violation(f"{s.institution} is not licensed for {s.stream} exams", s))
        return out

    def post(self, mv, ctx):
        if not mv.explain:
            return  # unlicensed sites get no variable at all
        for s in mv.all_slots():
            for i, lit in s.at.items():
                if not self.permits(i, s.stream, ctx):
                    mv.model.add_implication(mv.lits(self.name, f"{s.stream}@{i}")[0], lit.negated())
