"""Every operation type a stream offers is examined at least every ``max_days_between_opportunities`` days.

Basis, per stream (see ``constraints/yuncheng.toml``): for special operations, Order No. 30 of the
former SAWS (特种作业人员安全技术培训考核管理规定) art. 13 — the exam within 60 days of the
application; for managers the same 60 days is a calibration, not a regulation. With
``include_window_edges`` the first opportunity is within N days of the window's start and the
last within N days of its end. Opportunities are taken in 期次 order (``numbering`` ties that to
the date order).

Types offered by exactly the same sites (and, for a scenario's dated licence, on the same days)
behave alike, so each such class is one constraint.
"""
from __future__ import annotations

from collections import defaultdict

from .base import REQUIRED, Param, Rule, Wording


class Coverage(Rule):
    name = "coverage"
    title = "each offered operation type at most max_days_between_opportunities apart"
    zh = Wording(
        title="每个作业类别两次考试机会的最长间隔",
        broken="有工种两次考试机会相隔超过上限",
        revision="保证各工种考试间隔不超过规定天数",
        relax="放宽“每个作业类别两次考试机会最长间隔（天）”，或缩短停考时段",  # the 情景 form field's own label
    )
    peers = frozenset({"highs_mip"})
    PARAMS = {
        "max_days_between_opportunities": Param(int, REQUIRED, "longest wait for the next exam of a type",
                                                minimum=1, maximum=366),
        "include_window_edges": Param(bool, True, "also bound the wait from the window's start and to its end"),
        "streams": Param(dict, REQUIRED,
                         "stream -> \"all\" or a list of category codes to cover"),
    }

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        known = {o.category_code for o in problem.catalogue.operations.values()}
        for s, v in self.streams.items():
            f = f"{key}.streams.{s}"
            self.require_stream(problem, s, file, f)
            if v != "all" and not (isinstance(v, list) and all(isinstance(c, str) for c in v)):
                raise PlannerError('expected "all" or a list of category codes', file=file, field=f)
            for c in v if isinstance(v, list) else ():
                if c not in known:
                    raise PlannerError(f"unknown category {c!r}", file=file, field=f)

    def classes(self, stream: str, ctx) -> dict[frozenset, list[str]]:
        """Operation types of *stream* grouped by who offers them: frozenset of (site, days or None)."""
        want = self.streams.get(stream)
        spec = ctx.streams.get(stream)
        if want is None or spec is None or spec.max_sessions == 0:
            return {}  # a stream without sessions this year offers nothing to keep covered
        offered: dict[str, set] = defaultdict(set)
        for i in spec.sites:
            if spec.count is None and spec.count_range is None and spec.bounds(i)[1] == 0:
                continue  # an on-demand site with no sessions offers nothing
            for op, days in ctx.offered(i, stream).items():
                if want == "all" or ctx.catalogue.operations[op].category_code in want:
                    offered[op].add((i, days))
        classes: dict[frozenset, list[str]] = defaultdict(list)
        for op, who in offered.items():
            classes[frozenset(who)].append(op)
        return {k: sorted(v) for k, v in sorted(classes.items(), key=lambda kv: sorted(kv[1]))}

    @staticmethod
    def offers(who: frozenset, session) -> bool:
        return any(session.institution == i and (days is None or session.exam_date in days) for i, days in who)

    def _describe(self, ops: list[str], ctx) -> str:
        names = [ctx.catalogue.operations[o].name for o in ops]
        return names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")

    def check(self, plan, ctx):
        out = []
        start, stop = ctx.window
        D = self.max_days_between_opportunities
        for stream in self.streams:
            sessions = sorted(plan.stream(stream), key=lambda s: s.no)
            for who, ops in self.classes(stream, ctx).items():
                what = self._describe(ops, ctx)
                prev, prev_label = (start, "the window opens") if self.include_window_edges else (None, "")
                for s in sessions:
                    if not self.offers(who, s):
                        continue
                    if prev is not None and (s.exam_date - prev).days > D:
                        out.append(self.violation(
                            f"{(s.exam_date - prev).days} days since {prev_label} ({prev}) without an exam for {what}"
                            f" (at most {D})", s))
                    prev, prev_label = s.exam_date, f"{s.stream} #{s.no}"
                if self.include_window_edges and (stop - prev).days > D:
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
            for who, ops in self.classes(stream, ctx).items():
                tag = f"{stream}:{ops[0]}"
                lits = mv.lits(self.name, tag)
                # last: day of the latest opportunity so far; seen: whether there was one (window start counts
                # as one with edges). A chain over the slots, in 期次 order.
                last, seen = (start, None) if edges else (None, None)
                for s in slots:
                    offers = []
                    for i, days in sorted(who, key=lambda w: w[0]):
                        if i not in s.at:
                            continue
                        if days is None:
                            offers.append(s.at[i])
                        else:
                            offers.append(mv.both(s.at[i], mv.in_days(s.x, days, f"lic[{s.stream}#{s.k},{i}]")))
                    if not offers:
                        continue
                    o = m.new_bool_var(f"offers[{s.stream}#{s.k},{ops[0]}]")
                    m.add_bool_or(offers).only_enforce_if(o)
                    for lit in offers:
                        m.add_implication(lit, o)
                    if last is not None:
                        m.add(s.x - last <= D).only_enforce_if([o] + lits + ([seen] if seen is not None else []))
                    nl = m.new_int_var(-mv.horizon, 2 * mv.horizon, f"last[{s.stream}#{s.k},{ops[0]}]")
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
