"""期次 run 1, 2, 3 … without gaps within a stream, in exam-date order.

In the model slot k is 期次 k: present slots form a prefix, and exam days never decrease with k.
"""
from __future__ import annotations

from collections import defaultdict

from .base import Rule, Wording


class Numbering(Rule):
    name = "numbering"
    title = "期次 consecutive from 1 in date order within a stream"
    zh = Wording(
        title="期次按考试日期顺序编号",
        broken="期次与考试日期的先后顺序不一致",
        revision="保持期次顺序",
    )
    peers = frozenset({"highs_mip"})
    structural = True

    def check(self, plan, ctx):
        out = []
        by_stream = defaultdict(list)
        for s in plan.sessions:
            by_stream[s.stream].append(s)
        for stream, ss in by_stream.items():
            ss.sort(key=lambda s: s.no)
            for expected, s in enumerate(ss, start=1):
                if s.no != expected:
                    out.append(self.violation(f"期次 {s.no} where {expected} was expected (numbers must run 1, 2, 3 …)", s))
                    break
            for a, b in zip(ss, ss[1:]):
                if b.exam_date < a.exam_date:
                    out.append(self.violation(f"期次 {b.no} is earlier than 期次 {a.no} ({a.exam_date})", b))
        return out

    def post(self, mv, ctx):
        lits = mv.lits(self.name)
        for slots in mv.slots.values():
            for a, b in zip(slots, slots[1:]):
                mv.model.add_bool_or([b.present.negated(), a.present]).only_enforce_if(lits)
                mv.model.add(b.x >= a.x).only_enforce_if(lits + [b.present])
