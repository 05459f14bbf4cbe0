"""Soft: sessions spread evenly over the year, one rotation cycle a month, in order.

The targets themselves (which month each session aims at, and which day inside it) are a
calendar computation, ``planner.targets``; the compiled problem holds them per stream
(``ctx.targets``), built from the parameters of ``[preferences.even_spread]``. Two preferences
read them:

* ``monthly_cycle``: a session outside its target month costs 1;
* ``even_spread``: each day between a session and its target costs 1.

Session 期次 k aims at target k of its stream. For a stream whose count is a range (on-demand
sites), the targets are laid out for the largest count, so the price of a session does not depend
on how many others the year ends up with — the plan's cost and the solver's penalty agree.
"""
from __future__ import annotations

from .base import DAYS, REQUIRED, Param, Preference, Wording

SPREAD_PARAMS = {
    "streams": Param(list, REQUIRED, "streams spread month by month"),
    "position": Param(dict, {}, "stream -> fraction of the month the cycle starts at, in [0, 1) (default 0.5)",
                      items=Param((int, float), 0.5, minimum=0, maximum=1, open_max=True)),
    "full_month_min_working_days": Param(int, 1, "working days inside the window that make a month full",
                                         minimum=1, maximum=31),
    "end_margin_days": Param(int, 0, "leave the last days before the next Spring Festival break free", **DAYS),
}


class _Spread(Preference):
    peers = frozenset({"highs_mip"})
    #: the month targets are laid out with this preference's parameters (even_spread's); monthly_cycle judges them
    lays_out_targets: bool = False

    def contribute(self, facts, file):
        if self.lays_out_targets:
            facts.spread = self.spread_params()

    def spread_params(self) -> dict:
        """The parameters the compiled problem lays the targets out with (defaults when not set here): a
        position for every stream spread, the stated one or the middle of the month."""
        out = {k: getattr(self, k, spec.default) for k, spec in SPREAD_PARAMS.items()}
        middle = SPREAD_PARAMS["position"].items.default
        out["position"] = {sid: out["position"].get(sid, middle) for sid in out["streams"]}
        return out

    def validate(self, problem, file, key):
        from ..errors import PlannerError

        for s, v in getattr(self, "position", {}).items():
            self.require_stream(problem, s, file, f"{key}.position.{s}")
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise PlannerError(f"expected a number in [0, 1), got {v!r}", file=file, field=f"{key}.position.{s}")
            if not 0 <= v < 1:
                raise PlannerError(f"{v!r} is out of range [0, 1)", file=file, field=f"{key}.position.{s}")
        for s in getattr(self, "streams", ()):
            self.require_stream(problem, s, file, f"{key}.streams")
        if not any(getattr(r, "lays_out_targets", False) for r in problem.ruleset.preferences):
            # which streams, and where in the month, are the bureau's to state, in even_spread's table
            raise PlannerError(f"{self.name} judges the month targets laid out with [preferences.even_spread]'s "
                               "parameters, which this rule set does not have: add that table (weight = 0 leaves "
                               "it unpriced)", file=file, field=key)

    def _pairs(self, plan, ctx):
        for stream, targets in ctx.targets.items():
            for s in plan.stream(stream):
                if 1 <= s.no <= len(targets):
                    yield s, targets[s.no - 1]

    def _slot_pairs(self, mv, ctx):
        for stream, targets in ctx.targets.items():
            for s in mv.stream_slots(stream):
                if s.k <= len(targets):
                    yield s, targets[s.k - 1]


class EvenSpread(_Spread):
    name = "even_spread"
    title = "sessions evenly spread inside their month"
    zh = Wording(
        title="考试在月内均匀分布",
        broken="{date}偏离本期次在月内的目标日期",
        revision="均衡全年考试安排",
    )
    PARAMS = SPREAD_PARAMS
    lays_out_targets = True

    def cost(self, plan, ctx):
        return sum(abs((s.exam_date - t[0]).days) for s, t in self._pairs(plan, ctx))

    def terms(self, mv, ctx):
        return [mv.if_present(s, mv.abs_dev(s.x, mv.day(t[0]), 2 * mv.horizon, f"spread[{s.stream}#{s.k}]"), 2 * mv.horizon)
                for s, t in self._slot_pairs(mv, ctx)]


class MonthlyCycle(_Spread):
    """Uses the month targets laid out with the parameters of ``[preferences.even_spread]``."""

    name = "monthly_cycle"
    title = "one rotation cycle a month, in order"
    zh = Wording(
        title="每月一轮考点轮换",
        broken="{date}不在本期次的目标月份",
        revision="按月均衡安排",
    )

    def cost(self, plan, ctx):
        return sum(not (t[1] <= s.exam_date <= t[2]) for s, t in self._pairs(plan, ctx))

    def terms(self, mv, ctx):
        out = []
        for s, t in self._slot_pairs(mv, ctx):
            inside = mv.in_days(s.x, set(ctx.calendar.days(t[1], t[2])), f"inmonth[{s.stream}#{s.k}]")
            out.append(mv.both(s.present, inside.negated(), f"outmonth[{s.stream}#{s.k}]"))
        return out
