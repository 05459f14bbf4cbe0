"""Waiting times per category: the longest wait and the one 95 % of candidates stay within, against the limit.

Drawn only with a demand file (``--demand``); 估计 in the title unless the file holds the bureau's own figures
(and what is still estimated when it is mixed, ``demand.demand_origin``).
"""
from __future__ import annotations

from . import style as S


def draw(plan, ctx, flag: str = ""):
    from ..queueing import evaluate

    load = evaluate(plan, ctx)
    cats = [c for c in load.categories if c.waits]
    names = [f"{ctx.catalogue.category_name(c.category)}" for c in cats]
    fig = S.new_figure(10, 1.4 + 0.42 * max(len(cats), 1), layout=None)
    ax = fig.subplots()
    y = list(range(len(cats)))
    ax.barh(y, [c.max_wait for c in cats], color="#c6dbef", label="最长候考", height=0.7)
    ax.barh(y, [c.percentile(0.95) for c in cats], color=S.STREAM_COLORS["special_ops"], label="95%考生不超过",
            height=0.4)
    rule = ctx.ruleset.rule("waiting")
    if rule is not None:
        ax.axvline(rule.max_wait_days, color=S.FLAG, linewidth=1.2, label=f"上限{rule.max_wait_days}天")
    for i, c in enumerate(cats):
        ax.text(c.max_wait + 0.5, i, f"{c.max_wait}天", va="center", fontsize=9)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("候考天数（自可以报考之日至考试日）")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    from ..demand import demand_origin

    # the waits rest on the seats too: a bureau's own registrations with estimated seats say both
    label = demand_origin(ctx.demand.demand)["label"] if ctx.demand is not None else load.status
    extra = S.titled(fig, f"运城市{plan.year}年各类别考生候考天数（{label}）", plan, ctx)
    S.flag_figure(fig, flag)
    longest = max((len(n) for n in names), default=4)
    S.place_axes(fig, left=0.3 + 0.14 * longest, right=1.6, top=0.55 + extra, bottom=0.55)
    return fig
