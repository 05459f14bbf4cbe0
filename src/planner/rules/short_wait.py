"""Preference: fewer candidates who wait longer than ``target_days`` for a seat (with a demand file).

The cost is a number of people: candidates seated more than ``target_days`` days after they became
ready, plus those carried over to the next year who by the window's end have waited that long. Both faces
compute it from the same queue (``planner.queueing``), session by session in 期次 order: at session k the
candidates it seats who became ready before ``exam − target_days`` are ``max(0, min(S_k, due_k) − S_{k−1})``.
The hard ceiling is the rule ``waiting``; this is the soft limit below it (shift_scheduling's pattern).
"""
from __future__ import annotations

from .base import REQUIRED, Param, Preference, Wording


class ShortWait(Preference):
    name = "short_wait"
    title = "fewer candidates waiting longer than target_days"
    zh = Wording(
        title="候考时间尽量短",
        broken="本期有考生候考超过目标天数",
        revision="缩短考生候考时间",
    )
    PARAMS = {"target_days": Param(int, REQUIRED, "a wait the bureau aims not to exceed (days)", minimum=0, maximum=366)}

    def applies(self, ctx) -> bool:
        return getattr(ctx, "demand", None) is not None

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        if problem.ruleset.rule("waiting") is None:
            raise PlannerError("needs [rules.waiting] in the rule set (it puts the registration deadlines in order, "
                               "which the queue of candidates assumes)", file=file, field=key)

    def cost(self, plan, ctx):
        from ..queueing import evaluate, ready_longer_than

        load = evaluate(plan, ctx)
        if load is None:
            return 0
        total = 0
        for cat in load.categories:
            facts = ctx.demand.streams[cat.stream]
            cum = facts.cumulative(cat.category)
            sessions = sorted(plan.stream(cat.stream), key=lambda s: s.no)
            after = list(cat.seated_by[1:]) + [cat.seated]
            for s, before, now in zip(sessions, cat.seated_by, after):
                due = cum[ready_longer_than(facts, s.exam_date, self.target_days)]
                total += max(0, min(now, due) - before)
            total += max(0, cum[ready_longer_than(facts, ctx.window[1], self.target_days)] - cat.seated)
        return total

    def terms(self, mv, ctx):
        """Candidates seated late, counted as seated − seated on time: on time at slot k are
        ``max(0, min(S_k − S_{k−1}, S_k − due_k))`` (those ready too early to be on time are the first
        ``due_k``). Each min and max is an equality, so every plan the search finds costs what the check face
        counts (``tests/test_queueing.py`` pins plans and maximises as well as minimises)."""
        from ..queueing import define, model_flows, ready_expr, ready_longer_than

        m = mv.model
        out = []
        w = self.target_days
        for sid, flows in model_flows(mv, ctx, (w,)).items():
            slots = mv.stream_slots(sid)
            for c in flows.facts.categories:
                cum = flows.facts.cumulative(c)
                seated = flows.seated[c]
                top = cum[-1]
                on_time = []
                for k, s in enumerate(slots):
                    if seated[k + 1] is seated[k]:
                        continue  # a slot with no seat for c seats no one, late or on time
                    due = ready_expr(flows.ready_by[w][k], flows.facts.arrivals[c])
                    upto = m.new_int_var(-top, top, f"on_time_upto[{sid}#{s.k},{c}]")
                    a, b = seated[k + 1] - seated[k], seated[k + 1] - due
                    m.add_min_equality(upto, [a, b])
                    define(mv, upto, lambda val, a=a, b=b: min(val(a), val(b)))
                    ok = m.new_int_var(0, top, f"on_time[{sid}#{s.k},{c}]")
                    m.add_max_equality(ok, [0, upto])  # none on time when all it seats were ready too early
                    m.add(ok <= a)  # implied (a >= 0), but the LP does not see it through the max
                    define(mv, ok, lambda val, upto=upto: max(0, val(upto)))
                    on_time.append(ok)
                end = cum[ready_longer_than(flows.facts, ctx.window[1], w)]
                carried = m.new_int_var(0, top, f"late_carried[{sid},{c}]")
                m.add_max_equality(carried, [0, end - seated[-1]])
                define(mv, carried, lambda val, last=seated[-1], end=end: max(0, end - val(last)))
                out.append(seated[-1] - sum(on_time) + carried)
        return out
