"""Soft: the first rotation cycle after Spring Festival is refresher-only (2024: 期次 1-4 "特种作业人员复训").

Holders whose certificates fall due over the holiday come first; initial training classes need
the weeks after the holiday to run, so later sessions take both (初、复训).
"""
from __future__ import annotations

from .base import Param, Preference
from .spread import cycle_length


class RefresherFirstCycle(Preference):
    name = "refresher_first_cycle"
    title = "first cycle refresher-only, later sessions initial and refresher"
    PARAMS = {
        "streams": Param(list, ["special_ops"], "streams with a refresher-only opening cycle"),
        "kind": Param(str, "特种作业人员复训", "考试类别 of the refresher-only sessions"),
        "cycles": Param(int, 1, "how many opening cycles are refresher-only", minimum=0),
    }

    def wanted(self, stream: str, k: int, ctx) -> str:
        if k <= self.cycles * cycle_length(stream, ctx):
            return self.kind
        return ctx.catalogue.streams[stream].default_kind

    def cost(self, plan, ctx):
        return sum(s.kind != self.wanted(s.stream, s.no, ctx) for st in self.streams for s in plan.stream(st))

    def terms(self, mv, ctx):
        out = []
        for stream in self.streams:
            kinds = ctx.catalogue.streams[stream].kinds
            for s in mv.stream_slots(stream):
                want = self.wanted(stream, s.k, ctx)
                if s.kind is None or want not in kinds:
                    continue
                hit = mv.model.new_bool_var(f"kindok[{stream}#{s.k}]")
                mv.model.add(s.kind == kinds.index(want)).only_enforce_if(hit)
                mv.model.add(s.kind != kinds.index(want)).only_enforce_if(hit.negated())
                out.append(1 - hit)
        return out
