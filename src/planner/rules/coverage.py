"""Every operation type a stream offers keeps being offered: opportunities at most N days apart.

A session offers the operation types its institution is licensed for (附件4). Order No. 30 of
the former State Administration of Work Safety (特种作业人员安全技术培训考核管理规定, art. 13)
has the exam held within 60 days of application, so a type only one site is licensed for must
come round at least every 60 days. That order is reported to be replaced from 2026-06-01, so the
figure is a parameter. With ``include_window_edges`` the first opportunity is within N days of
the window's start and the last within N days of its end.

Types offered by exactly the same set of sites behave alike, so each such class is one constraint.
"""
from __future__ import annotations

from collections import defaultdict

from .base import Param, Rule


class Coverage(Rule):
    name = "coverage"
    title = "each offered operation type at most max_days_between_opportunities apart"
    PARAMS = {
        "max_days_between_opportunities": Param(int, 60, "longest wait for the next exam of a type", minimum=1),
        "include_window_edges": Param(bool, True, "also bound the wait from the window's start and to its end"),
        "streams": Param(dict, {"managers": "all", "special_ops": "all"},
                         "stream -> \"all\" or a list of category codes to cover"),
    }

    def validate(self, file, key, streams, catalogue, **_):
        from ..errors import PlannerError

        for s, v in self.streams.items():
            f = f"{key}.streams.{s}"
            if s not in streams:
                raise PlannerError(f"stream {s!r} has no [streams.{s}] table", file=file, field=f)
            if v != "all" and not (isinstance(v, list) and all(isinstance(c, str) for c in v)):
                raise PlannerError('expected "all" or a list of category codes', file=file, field=f)
            if catalogue is not None and isinstance(v, list):
                known = {o.category_code for o in catalogue.operations.values()}
                for c in v:
                    if c not in known:
                        raise PlannerError(f"unknown category {c!r}", file=file, field=f)

    def classes(self, stream: str, ctx, sites=None) -> dict[frozenset[str], list[str]]:
        """Operation types of *stream* grouped by the set of its sites offering them."""
        want = self.streams.get(stream)
        if want is None:
            return {}
        cat = ctx.catalogue
        count_rule = ctx.ruleset.rule("session_count")
        if count_rule is not None and count_rule.max_sessions(stream) == 0:
            return {}  # a stream without sessions this year offers nothing to keep covered
        usable = []
        for i in sites if sites is not None else ctx.sites(stream):
            if not cat.licensed(i, stream):
                continue
            if count_rule is not None:
                b = count_rule.bounds(stream)
                if isinstance(b, dict) and b.get(i, {}).get("max", 0) == 0:
                    continue  # an on-demand site with no sessions offers nothing
            usable.append(i)
        offered: dict[str, set[str]] = defaultdict(set)
        for i in usable:
            for op in cat.operations_offered(i, stream):
                if want == "all" or cat.operations[op].category_code in want:
                    offered[op].add(i)
        classes: dict[frozenset[str], list[str]] = defaultdict(list)
        for op, ss in offered.items():
            classes[frozenset(ss)].append(op)
        return {k: sorted(v) for k, v in sorted(classes.items(), key=lambda kv: sorted(kv[0]))}

    def _describe(self, ops: list[str], ctx) -> str:
        names = [ctx.catalogue.operations[o].name for o in ops]
        return names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")

    def check(self, plan, ctx):
        out = []
        start, stop = ctx.window
        D = self.max_days_between_opportunities
        for stream in self.streams:
            sessions = sorted(plan.stream(stream), key=lambda s: (s.exam_date, s.no))
            if not sessions and not ctx.sites(stream):
                continue
            for sites, ops in self.classes(stream, ctx).items():
                days = [s for s in sessions if s.institution in sites]
                what = self._describe(ops, ctx)
                prev, prev_label = (start, "the window opens") if self.include_window_edges else (None, "")
                for s in days:
                    if prev is not None and (s.exam_date - prev).days > D:
                        out.append(self.violation(
                            f"{(s.exam_date - prev).days} days since {prev_label} ({prev}) without an exam for {what}"
                            f" (at most {D})", s))
                    prev, prev_label = s.exam_date, f"{s.stream} #{s.no}"
                if self.include_window_edges and prev is not None and (stop - prev).days > D:
                    out.append(self.violation(
                        f"{(stop - prev).days} days from {prev_label} ({prev}) to the window's end {stop} without an"
                        f" exam for {what} (at most {D})", stream=stream))
        return out

    def post(self, mv, ctx):
        m = mv.model
        start, stop = mv.day(ctx.window[0]), mv.day(ctx.window[1])
        D = self.max_days_between_opportunities
        edges = self.include_window_edges
        for stream in self.streams:
            slots = mv.stream_slots(stream)
            for sites, ops in self.classes(stream, ctx, sites=list(ctx.sites(stream))).items():
                tag = f"{stream}:{ops[0]}"
                lits = mv.lits(self.name, tag)
                # last: day of the latest opportunity so far; seen: whether there was one (window start counts
                # as one with edges). A chain over the slots, which are in date order.
                last, seen = (start, None) if edges else (None, None)
                for s in slots:
                    offers = [s.at[i] for i in sites if i in s.at]
                    if not offers:
                        continue
                    o = m.new_bool_var(f"offers[{s.stream}#{s.k},{ops[0]}]")
                    m.add_bool_or(offers).only_enforce_if(o)
                    for lit in offers:
                        m.add_implication(lit, o)
                    if last is not None:
                        m.add(s.x - last <= D).only_enforce_if([o] + lits + ([seen] if seen is not None else []))
                    nl = m.new_int_var(0, mv.horizon, f"last[{s.stream}#{s.k},{ops[0]}]")
                    m.add(nl == s.x).only_enforce_if(o)
                    m.add(nl == (last if last is not None else 0)).only_enforce_if(o.negated())
                    if not edges:
                        ns = m.new_bool_var(f"seen[{s.stream}#{s.k},{ops[0]}]")
                        m.add_bool_or([o] + ([seen] if seen is not None else [])).only_enforce_if(ns)
                        m.add_implication(o, ns)
                        if seen is not None:
                            m.add_implication(seen, ns)
                        seen = ns
                    last = nl
                if edges:
                    m.add(stop - (last if last is not None else start) <= D).only_enforce_if(lits)
