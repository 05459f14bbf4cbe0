"""Soft: the first rotation cycle after Spring Festival is refresher-only (2024: 期次 1-4 "特种作业人员复训").

Holders whose certificates fall due over the holiday come first; initial training classes need
the weeks after the holiday to run, so later sessions take both (初、复训). A session whose
考试类别 is not the one wanted costs 1 — also when its stream cannot have that kind at all (a
single-kind stream listed here): the plan's cost and the solver's penalty agree on it.
"""
from __future__ import annotations

from ..regulation import plan_kind
from .base import REQUIRED, Param, Preference, Wording


class RefresherFirstCycle(Preference):
    name = "refresher_first_cycle"
    title = "first cycle refresher-only, later sessions initial and refresher"
    zh = Wording(
        title="春节后第一轮只安排复训考试",
        broken="考试类别与春节后首轮只考复训的安排不符",
        revision="考试类别调整",
    )
    peers = frozenset({"highs_mip"})
    PARAMS = {
        "streams": Param(list, REQUIRED, "streams with a refresher-only opening cycle"),
        "kind": Param(str, REQUIRED, "考试类别 of the refresher-only sessions"),
        "cycles": Param(int, REQUIRED, "how many opening cycles are refresher-only", minimum=0, maximum=50),
    }

    def validate(self, problem, file, key):
        for s in self.streams:
            self.require_stream(problem, s, file, f"{key}.streams")

    def wanted(self, stream: str, k: int, ctx) -> str:
        if k <= self.cycles * ctx.streams[stream].cycle:
            # the refresher-only kind as the plan year's regulation words it (复训 under Order No. 30)
            return plan_kind(ctx.catalogue, stream, self.kind)
        return ctx.streams[stream].kinds[0]

    def cost(self, plan, ctx):
        return sum(s.kind != self.wanted(s.stream, s.no, ctx) for st in self.streams for s in plan.stream(st))

    def terms(self, mv, ctx):
        out = []
        for stream in self.streams:
            kinds = ctx.streams[stream].kinds
            for s in mv.stream_slots(stream):
                want = self.wanted(stream, s.k, ctx)
                if want not in kinds:
                    out.append(s.present)  # no kind of this stream is the one wanted
                elif s.kind is None:
                    continue  # a single kind, and it is the one wanted
                else:
                    miss = mv.model.new_bool_var(f"kindmiss[{stream}#{s.k}]")
                    mv.model.add(s.kind != kinds.index(want)).only_enforce_if(miss)
                    mv.model.add(s.kind == kinds.index(want)).only_enforce_if(miss.negated())
                    out.append(mv.both(s.present, miss, f"kindcost[{stream}#{s.k}]"))
        return out
