"""Each session's 考试类别 is one of its stream's kinds (streams.csv)."""
from __future__ import annotations

from .base import Rule, Wording


class Kind(Rule):
    name = "kind"
    title = "考试类别 is one of the stream's kinds"
    zh = Wording(
        title="考试类别须为本类考试的类别",
        broken="考试类别不是本类考试的类别",
        revision="考试类别调整",
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    structural = True

    def check(self, plan, ctx):
        out = []
        for s in plan.sessions:
            kinds = ctx.catalogue.streams[s.stream].kinds
            if s.kind not in kinds:
                out.append(self.violation(f"考试类别 {s.kind!r} is not one of {' / '.join(kinds)}", s))
        return out

    def post(self, mv, ctx):
        if not mv.explain:
            return  # the kind variable's domain is the stream's kinds
        for s in mv.all_slots():
            other = len(ctx.streams[s.stream].kinds)  # the value standing for "a kind not in the list"
            mv.model.add(s.kind != other).only_enforce_if(mv.lits(self.name) + [s.present])
