"""No candidate waits longer than ``max_wait_days`` for a seat (with a demand file; otherwise it says nothing).

The queue is ``planner.queueing``'s: candidates of a stream and category become ready on the demand's
ready days and take seats in 期次 order, earliest ready first. The rule, as both faces state it: when a
session of the stream is held, nobody of any category is still unseated who became ready more than
``max_wait_days`` days before it; and at the end of the plan-year window nobody unseated became ready more
than that before it. With it, registration deadlines follow the 期次 order (a later session never closes
earlier than the one held before it, across a gap in the 期次 too), which makes the queue first come, first served. For a plan in date order (rule ``numbering``) that is exactly "every seated candidate
waited at most ``max_wait_days`` days, and nobody carried over to the next year has already waited longer"
(``tests/test_faces_random_audit.py`` compares the two on random queues).

2024 value: 60 days, the regulation's own wait (Order No. 30 art. 13: the exam within 60 days of the
application; see ``coverage``), which the 附件4 scope of a category with one site makes binding first.
"""
from __future__ import annotations

from .base import REQUIRED, Param, Rule, Wording


def overdue_at_sessions(load_cat, facts, sessions, limit: int):
    """Check face, per session in 期次 order: candidates unseated before it who became ready more than *limit*
    days before its exam (and, last, those unseated at the window's end)."""
    from ..queueing import ready_longer_than

    cum = facts.cumulative(load_cat.category)
    out = []
    for s, done in zip(sorted(sessions, key=lambda s: s.no), load_cat.seated_by):
        late = cum[ready_longer_than(facts, s.exam_date, limit)] - done
        if late > 0:
            out.append((s, late))
    late = cum[ready_longer_than(facts, load_cat.window_end, limit)] - load_cat.seated
    return out, max(0, late)


class Waiting(Rule):
    name = "waiting"
    title = "no candidate waits longer than max_wait_days for a seat"
    zh = Wording(
        title="考生候考天数上限",
        broken="本期考试时仍有考生候考超过规定天数",
        revision="保证考生按期参加考试",
        relax="增加考试场次或考位，或放宽候考天数上限",
    )
    PARAMS = {"max_wait_days": Param(int, REQUIRED, "the longest a ready candidate may wait for an exam seat", minimum=1,
                                     maximum=366)}

    def applies(self, ctx) -> bool:
        return getattr(ctx, "demand", None) is not None

    def check(self, plan, ctx):
        from ..queueing import evaluate

        load = evaluate(plan, ctx)
        if load is None:
            return []
        out = []
        for sid in ctx.demand.streams:
            ss = sorted(plan.stream(sid), key=lambda s: s.no)
            for a, b in zip(ss, ss[1:]):
                if b.registration_deadline < a.registration_deadline:
                    out.append(self.violation(f"registration closes before 期次 {a.no}'s ({a.registration_deadline}): "
                                              "candidates could not queue in order", b, detail=sid,
                                              zh="报名截止早于上一期，考生无法按期次顺序报考"))
        for cat in load.categories:
            facts = ctx.demand.streams[cat.stream]
            late, carried = overdue_at_sessions(cat, facts, plan.stream(cat.stream), self.max_wait_days)
            name = ctx.catalogue.category_name(cat.category)
            for s, n in late[:1]:
                out.append(self.violation(f"{n} candidates of {name} have waited more than {self.max_wait_days} days "
                                          f"when this session is held", s, detail=f"{cat.stream}:{cat.category}",
                                          zh=f"{name}有{n}名考生到本期考试时已候考超过{self.max_wait_days}天"))
            if carried:
                out.append(self.violation(f"{carried} candidates of {name} are still unseated at the end of the plan "
                                          f"year after waiting more than {self.max_wait_days} days", stream=cat.stream,
                                          detail=f"{cat.stream}:{cat.category}",
                                          zh=f"{name}有{carried}名考生到年末仍未安排考试，且已候考超过{self.max_wait_days}天"))
        return out

    def conflict_detail(self, detail, ctx):
        """Who may examine the category and with how many seats: what binds when its candidates cannot all be
        seated in time (a category only one site examines, or one with few seats)."""
        sid, _, c = detail.partition(":")
        facts = ctx.demand.streams.get(sid) if getattr(ctx, "demand", None) is not None and c else None
        if facts is None or c not in facts.categories:
            return ""
        sites = [(i, facts.session_seats(i, c)) for (i, cat), q in sorted(facts.quota.items()) if cat == c and q]
        name = ctx.catalogue.category_name(c)
        if not sites:  # who may examine it (附件4), and why none of them seats it here
            who = [i for i, inst in ctx.catalogue.institutions.items()
                   if any(ctx.catalogue.operations[op].category_code == c for op in inst.scope)]
            seatless = [ctx.catalogue.institutions[i].short_name for i in who if i not in ctx.demand.demand.sites]
            if seatless:
                return (f"no site of {sid} with seats examines {name}: {', '.join(seatless)} may examine it but the "
                        "demand file gives no seats there (sites.<site>.seats_per_day)")
            return f"no site of {sid} examines {name}"
        where = ", ".join(ctx.catalogue.institutions[i].short_name for i, _ in sites)
        seats = ", ".join(str(n) for _, n in sites)
        # the count is the demand's (an estimate, 估计, until the bureau's own figures replace it): said so
        return (f"{facts.total(c)} candidates ({ctx.demand.status}) of {name}, examined "
                + ("only " if len(sites) == 1 else "") + f"at {where} ({seats} seats a session)")

    def post(self, mv, ctx):
        from ..queueing import define, model_flows, ready_expr, ready_longer_than

        limit = self.max_wait_days
        for sid, flows in model_flows(mv, ctx, (limit,)).items():
            slots = mv.stream_slots(sid)
            order = mv.lits(self.name, sid)
            # The check face compares each session with the previous one *held* (期次 sorted, gaps skipped), so the
            # model compares a slot with the last present slot before it, not with its neighbour: an empty slot's
            # own deadline is a free variable, and comparing with it would let 期次 4 close before 期次 2 whenever
            # 期次 3 is missing (a gap numbering reports; the two faces then disagreed on this rule). ``last`` is the
            # deadline of the latest present slot so far, carried over empty ones; where every slot is present
            # (what numbering makes of any plan) presolve reduces it to the neighbour comparison.
            last = None
            for a, b in zip(slots, slots[1:]):
                if last is None:
                    last = a.x - a.gap  # slot 1: present, or else nothing before it constrains the next one
                mv.model.add(b.x - b.gap >= last).only_enforce_if(order + [b.present])
                if b is slots[-1]:
                    break  # nothing after it reads the carried deadline
                # any deadline a slot can hold: its exam day less a gap in [-2 horizon, 2 horizon] (a deadline after
                # the exam breaks registration_gap, not this variable's domain, or the model would say so instead)
                span = 2 * mv.horizon
                carry = mv.model.new_int_var(mv.x_span[0] - span, mv.x_span[1] + span,
                                             f"last_deadline[{sid}#{b.k}]")
                mv.model.add(carry == b.x - b.gap).only_enforce_if(b.present)
                mv.model.add(carry == last).only_enforce_if(b.present.negated())
                # a plan's hint sets it too (the queue's variables all follow from the plan's decisions)
                define(mv, carry, lambda val, b=b, last=last: val(b.x - b.gap) if val(b.present) else val(last))
                last = carry
            for c in flows.facts.categories:
                guard = mv.lits(self.name, f"{sid}:{c}")
                cum = flows.facts.cumulative(c)
                seated = flows.seated[c]
                for k, s in enumerate(slots):
                    due = ready_expr(flows.ready_by[limit][k], flows.facts.arrivals[c])
                    mv.model.add(seated[k] >= due).only_enforce_if(guard + [s.present])
                end = cum[ready_longer_than(flows.facts, ctx.window[1], limit)]
                # always a linear constraint, also where nobody can be seated (S = 0: a stream without sessions, a
                # category no site examines), so the model is the same shape whatever the count
                mv.model.add(seated[-1] + ready_expr([], ()) >= end).only_enforce_if(guard)

