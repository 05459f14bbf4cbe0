"""How many sessions each stream has in the year; per-site minimum/maximum for the on-demand sites.

Streams with a fixed count take a whole number (2024: 11 managers, 48 special-ops sessions);
a stream of on-demand sites takes a table ``{site = {min = …, max = …}}``.
"""
from __future__ import annotations

from collections import Counter

from .base import Param, Rule


class SessionCount(Rule):
    name = "session_count"
    title = "number of sessions per stream (and per on-demand site)"
    PARAMS = {"sessions": Param(dict, {}, "stream -> count, or stream -> {site -> {min, max}}")}

    def validate(self, file, key, streams, catalogue, **_):
        from ..errors import PlannerError

        for stream, v in self.sessions.items():
            f = f"{key}.sessions.{stream}"
            if stream not in streams:
                raise PlannerError(f"stream {stream!r} has no [streams.{stream}] table", file=file, field=f)
            if isinstance(v, bool) or not isinstance(v, (int, dict)):
                raise PlannerError("expected a whole number or a table of sites", file=file, field=f)
            if isinstance(v, int):
                if v < 1:
                    raise PlannerError(f"must be at least 1, got {v} (disable the stream by removing it)", file=file,
                                       field=f)
                continue
            for site, mm in v.items():
                g = f"{f}.{site}"
                if site not in streams[stream]:
                    raise PlannerError(f"{site!r} is not a site of stream {stream!r}", file=file, field=g)
                if not isinstance(mm, dict) or set(mm) - {"min", "max"}:
                    raise PlannerError("expected a table {min = …, max = …}", file=file, field=g)
                lo, hi = mm.get("min", 0), mm.get("max", 0)
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)) or lo < 0 or hi < lo:
                    raise PlannerError(f"need 0 <= min <= max, got min={lo!r} max={hi!r}", file=file, field=g)

    def bounds(self, stream: str) -> dict[str, tuple[int, int]] | int:
        return self.sessions.get(stream, 0)

    def max_sessions(self, stream: str) -> int:
        v = self.sessions.get(stream, 0)
        return v if isinstance(v, int) else sum(mm.get("max", 0) for mm in v.values())

    def check(self, plan, ctx):
        out = []
        for stream in sorted(set(self.sessions) | {s.stream for s in plan.sessions}):
            ss = plan.stream(stream)
            v = self.sessions.get(stream, 0)
            if isinstance(v, int):
                if len(ss) != v:
                    out.append(self.violation(f"{len(ss)} sessions, expected {v}", stream=stream))
                continue
            per_site = Counter(s.institution for s in ss)
            for site in sorted(set(v) | set(per_site)):
                lo, hi = v.get(site, {}).get("min", 0), v.get(site, {}).get("max", 0)
                if not lo <= per_site[site] <= hi:
                    out.append(self.violation(
                        f"{per_site[site]} sessions at {site}, expected {lo}…{hi}", stream=stream))
        return out

    def post(self, mv, ctx):
        for stream, slots in mv.slots.items():
            v = self.sessions.get(stream, 0)
            lits = mv.lits(self.name, stream)
            if isinstance(v, int):
                mv.model.add(sum(s.present for s in slots) == v).only_enforce_if(lits)
                continue
            for site in ctx.sites(stream):
                lo, hi = v.get(site, {}).get("min", 0), v.get(site, {}).get("max", 0)
                at = [s.at[site] for s in slots if site in s.at]
                mv.model.add(sum(at) >= lo).only_enforce_if(mv.lits(self.name, f"{stream}@{site}"))
                mv.model.add(sum(at) <= hi).only_enforce_if(mv.lits(self.name, f"{stream}@{site}"))
