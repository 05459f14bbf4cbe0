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
    streams = [sid for sid in plan.streams() if sid in ctx.demand.streams]
    exams = sorted(s.exam_date for s in load.sessions)
    months = S.months(exams[0], exams[-1]) if exams else []
    fig = S.new_figure(10, 1.2 + 2.6 * max(len(streams), 1), layout=None)
    axes = fig.subplots(max(len(streams), 1), 1, sharex=True, squeeze=False)[:, 0]
    x = list(range(len(months)))
    for ax, sid in zip(axes, streams):
        sessions = [s for s in load.sessions if s.stream == sid]
        bottom = S.site_month_bars(ax, months, sessions, ctx, lambda s: s.candidates)
        seats = [sum(s.seats for s in sessions if (s.exam_date.year, s.exam_date.month) == ym) for ym in months]
        ax.plot(x, seats, color=S.DEADLINE, marker="_", markersize=14, linestyle="", label="考位")
        ax.set_ylabel("人")
        ax.set_ylim(0, max(seats + bottom + [1]) * 1.15)
        ax.set_title(f"{ctx.catalogue.streams[sid].name}（全年安排{sum(bottom)}人，考位{sum(seats)}个）", fontsize=11,
                     loc="left")
        ax.legend(title="考点", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    S.finish_month_panels(fig, axes, months, plan, ctx, f"运城市{plan.year}年各考点每月安排考生与考位（{load.status}）",
                          flag, load.sessions, left=0.7)
    return fig
