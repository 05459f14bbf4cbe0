"""How many sessions each stream has in the year; per-site minimum/maximum for the on-demand sites.

Streams with a fixed count take a whole number (2024: 11 managers, 48 special-ops sessions);
a stream of on-demand sites takes a table ``{site = {min = …, max = …}}``. The compiled problem
turns these into each stream's slot count (``StreamSpec``); this rule checks them.
"""
from __future__ import annotations

from collections import Counter

from ..problem import MAX_SESSIONS
from .base import Param, Rule, Wording

#: the most sessions one stream may have in a year (2024: 48); more is refused before any model is built
MAX_PER_STREAM = 600


class SessionCount(Rule):
    name = "session_count"
    title = "number of sessions per stream (and per on-demand site)"
    zh = Wording(
        title="全年考试场次数",
        broken="全年场次数不符合规定",
        revision="考试期次数量调整",
        relax="减少场次数",
    )
    peers = frozenset({"highs_mip"})
    PARAMS = {"sessions": Param(dict, {}, "stream -> count, stream -> {min, max} (sizing chooses), or stream -> "
                                "{site -> {min, max}}",
                                items=Param((int, dict), 0, minimum=1, maximum=MAX_PER_STREAM, items=Param(
                                    (int, dict), 0, minimum=0, maximum=MAX_PER_STREAM,
                                    items=Param(int, 0, minimum=0, maximum=MAX_PER_STREAM))))}

    @classmethod
    def count_keys(cls, spec) -> list[str]:
        """The instances that fix a stream's number of sessions: while all hold, its slot count is exact and
        a trial model needs no spare slots for it (an on-demand stream, counted per site, always gets them)."""
        return [f"{cls.name}[{spec.id}]"] + [f"{cls.name}[{spec.id}@{i}]" for i in spec.site_bounds]

    def contribute(self, facts, file):
        facts.counts.update(self.sessions)

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        for stream, v in self.sessions.items():
            f = f"{key}.sessions.{stream}"
            self.require_stream(problem, stream, file, f)
            if isinstance(v, bool) or not isinstance(v, (int, dict)):
                raise PlannerError("expected a whole number or a table of sites", file=file, field=f)
            from ..problem import is_count_range

            if is_count_range(v):
                lo, hi = v.get("min", 0), v["max"]
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)) or not 0 <= lo <= hi:
                    raise PlannerError(f"need 0 <= min <= max, got min={lo!r} max={hi!r}", file=file, field=f)
                if hi > MAX_PER_STREAM:
                    raise PlannerError(f"max {hi} is out of range [0, {MAX_PER_STREAM}]", file=file, field=f)
                continue
            if isinstance(v, int):
                if not 1 <= v <= MAX_PER_STREAM:
                    raise PlannerError(f"{v} is out of range [1, {MAX_PER_STREAM}] (disable a stream by removing it)",
                                       file=file, field=f)
                continue
            for site, mm in v.items():
                g = f"{f}.{site}"
                if site not in problem.sites(stream):
                    raise PlannerError(f"{site!r} is not a site of stream {stream!r}", file=file, field=g)
                if not isinstance(mm, dict) or set(mm) - {"min", "max"}:
                    raise PlannerError("expected a table {min = …, max = …}", file=file, field=g)
                lo, hi = mm.get("min", 0), mm.get("max", 0)
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)) or lo < 0 or hi < lo:
                    raise PlannerError(f"need 0 <= min <= max, got min={lo!r} max={hi!r}", file=file, field=g)
                if hi > MAX_PER_STREAM:
                    raise PlannerError(f"max {hi} is out of range [0, {MAX_PER_STREAM}]", file=file, field=g)
        total = problem.total_slots()
        if total > MAX_SESSIONS:
            raise PlannerError(f"{total} sessions in one year is more than the planner handles ({MAX_SESSIONS}); "
                               "check the counts", file=file, field=f"{key}.sessions")

    def conflict_detail(self, detail, ctx):
        stream, _, site = detail.partition("@")
        spec = ctx.streams.get(stream)
        if spec is None:
            return ""
        count = spec.count if spec.count is not None else "{}…{}".format(*(spec.count_range or (0, 0)))
        return f"{count if not site else '{}…{}'.format(*spec.bounds(site))} sessions"

    def check(self, plan, ctx):
        out = []
        for stream in sorted(set(ctx.streams) | {s.stream for s in plan.sessions}):
            ss = plan.stream(stream)
            spec = ctx.streams.get(stream)
            if spec is None or spec.count is not None:
                want = spec.count if spec is not None else 0
                if len(ss) != want:
                    out.append(self.violation(f"{len(ss)} sessions, expected {want}", stream=stream))
                continue
            if spec.count_range is not None:
                lo, hi = spec.count_range
                if not lo <= len(ss) <= hi:
                    out.append(self.violation(f"{len(ss)} sessions, expected {lo}…{hi}", stream=stream))
                continue
            per_site = Counter(s.institution for s in ss)
            for site in sorted(set(spec.site_bounds) | set(per_site)):
                lo, hi = spec.bounds(site)
                if not lo <= per_site[site] <= hi:
                    out.append(self.violation(f"{per_site[site]} sessions at {site}, expected {lo}…{hi}",
                                              stream=stream))
        return out

    def post(self, mv, ctx):
        for stream, slots in mv.slots.items():
            spec = ctx.streams[stream]
            if spec.count is not None:
                mv.model.add(sum(s.present for s in slots) == spec.count).only_enforce_if(mv.lits(self.name, stream))
                continue
            if spec.count_range is not None:
                n = sum(s.present for s in slots)
                mv.model.add_linear_constraint(n, *spec.count_range).only_enforce_if(mv.lits(self.name, stream))
                continue
            for site in sorted({i for s in slots for i in s.at} | set(spec.site_bounds)):
                lo, hi = spec.bounds(site)
                at = [s.at[site] for s in slots if site in s.at]
                guard = mv.lits(self.name, f"{stream}@{site}")
                mv.model.add(sum(at) >= lo).only_enforce_if(guard)
                mv.model.add(sum(at) <= hi).only_enforce_if(guard)
