"""Sessions per month, one panel per stream, stacked by site: is the load spread over the year and the sites?

Managers' and special-operations sessions are counted apart (they are different exams at
different rates); months before the first and after the last exam are left out.
"""
from __future__ import annotations

from pathlib import Path

from . import style as S


def draw(plan, ctx, flag: str = ""):
    streams = plan.streams()
    exams = sorted(s.exam_date for s in plan.sessions)
    months = S.months(exams[0], exams[-1]) if exams else []
    fig = S.new_figure(10, 1.2 + 2.4 * max(len(streams), 1), layout=None)
    axes = fig.subplots(max(len(streams), 1), 1, sharex=True, squeeze=False)[:, 0]
    for ax, sid in zip(axes, streams):
        sessions = plan.stream(sid)
        bottom = S.site_month_bars(ax, months, sessions, ctx, lambda s: 1)
        for i, total in enumerate(bottom):
            if total:
                ax.text(i, total + 0.1, str(total), ha="center", va="bottom", fontsize=9)
        ax.set_ylabel("场次")
        ax.set_ylim(0, max(bottom + [1]) + 1.2)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(f"{ctx.catalogue.streams[sid].name}（共{len(sessions)}场）", fontsize=11, loc="left")
        ax.legend(title="考点", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    S.finish_month_panels(fig, axes, months, plan, ctx, f"运城市{plan.year}年各考点每月考试场次", flag, plan.sessions,
                          left=0.5)
    return fig


def site_month_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
