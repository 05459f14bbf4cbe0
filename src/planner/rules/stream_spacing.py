"""Two sessions of one stream at one institution at least ``min_days[stream]`` days apart.

A site runs one class per session of a stream; candidates of the next session need time to
train. 2024: the closest same-stream pair at one site is 11 days (special operations at 华安,
期次 1 on 2月26日 and 期次 5 on 3月8日); managers' sessions are at least 16 days apart. Without
this rule a site could hold special-operations exams 4 days apart when the counts rise, since
``site_spacing`` (any streams) only asks for 2 days.
"""
from __future__ import annotations

from collections import defaultdict

from .base import Param, Rule, Wording
from .site_spacing import post_spacing, spacing_violations


class StreamSpacing(Rule):
    name = "stream_spacing"
    title = "sessions of one stream at one institution at least min_days apart"
    zh = Wording(
        title="同一考点同类考试的最短间隔",
        broken="{site}同类考试相隔太近",
        revision="避免同一考点同类考试间隔过近",
        relax="缩短同一考点同类考试的最短间隔，或增加考点",
    )
    session_local = True
    peers = frozenset({"highs_mip"})
    PARAMS = {"min_days": Param(dict, {}, "stream -> fewest days between two of its sessions at one institution")}

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        for stream, v in self.min_days.items():
            f = f"{key}.min_days.{stream}"
            self.require_stream(problem, stream, file, f)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 366:
                raise PlannerError(f"expected a whole number of days in [0, 366], got {v!r}", file=file, field=f)

    def check(self, plan, ctx):
        out = []
        for stream, n in self.min_days.items():
            by_site = defaultdict(list)
            for s in plan.stream(stream):
                by_site[s.institution].append(s)
            for site, ss in sorted(by_site.items()):
                out += spacing_violations(self, ss, n, f"of the same stream at {site}")
        return out

    def post(self, mv, ctx):
        for stream, n in self.min_days.items():
            slots = mv.stream_slots(stream)
            for site in sorted({i for s in slots for i in s.at}):
                post_spacing(mv, [(s, s.at[site]) for s in slots if site in s.at], n,
                             mv.lits(self.name, stream), f"stream[{stream}@{site}]")
