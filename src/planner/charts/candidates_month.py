"""Candidates per month, one panel per stream, stacked by site, against the seats offered: people, not sessions.

Drawn only with a demand file (``--demand``): every figure derives from it, so the title says 估计 unless the file
holds the bureau's own registrations. The line is the seats the month's sessions offer; the gap between bar and
line is seats left empty (a category's share no candidate of it took).
"""
from __future__ import annotations

from . import style as S


def draw(plan, ctx, flag: str = ""):
    from ..queueing import evaluate

    load = evaluate(plan, ctx)
    colors = S.site_colors(ctx)
    streams = [sid for sid in plan.streams() if sid in ctx.demand.streams]
    months = S.months(*(lambda ds: (ds[0], ds[-1]))(sorted(s.exam_date for s in load.sessions))) \
        if load.sessions else []
    fig = S.new_figure(10, 1.2 + 2.6 * max(len(streams), 1), layout=None)
    axes = fig.subplots(max(len(streams), 1), 1, sharex=True, squeeze=False)[:, 0]
    x = list(range(len(months)))
    for ax, sid in zip(axes, streams):
        sessions = [s for s in load.sessions if s.stream == sid]
        sites = sorted({s.institution for s in sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
        bottom = [0] * len(months)
        for inst in sites:
            people = [sum(s.candidates for s in sessions if s.institution == inst
                          and (s.exam_date.year, s.exam_date.month) == ym) for ym in months]
            ax.bar(x, people, bottom=bottom, color=colors[inst], label=S.short(ctx, inst), width=0.7)
            bottom = [b + p for b, p in zip(bottom, people)]
        seats = [sum(s.seats for s in sessions if (s.exam_date.year, s.exam_date.month) == ym) for ym in months]
        ax.plot(x, seats, color=S.DEADLINE, marker="_", markersize=14, linestyle="", label="考位")
        ax.set_ylabel("人")
        ax.set_ylim(0, max(seats + bottom + [1]) * 1.15)
        ax.set_title(f"{ctx.catalogue.streams[sid].name}（全年安排{sum(bottom)}人，考位{sum(seats)}个）", fontsize=11,
                     loc="left")
        ax.legend(title="考点", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    axes[-1].set_xticks(x, [f"{m}月" if y == plan.year else f"{y}年{m}月" for y, m in months])
    extra = S.titled(fig, f"运城市{plan.year}年各考点每月安排考生与考位（{load.status}）", plan, ctx)
    S.flag_figure(fig, flag)
    longest = max((len(S.short(ctx, s.institution)) for s in load.sessions), default=2)
    S.place_axes(fig, left=0.7, right=max(1.0, 0.5 + 0.13 * longest), top=0.55 + extra, bottom=0.35, gap=0.4)
    return fig
