"""Sessions per month, one panel per stream, stacked by site: is the load spread over the year and the sites?

Managers' and special-operations sessions are counted apart (they are different exams at
different rates); months before the first and after the last exam are left out.
"""
from __future__ import annotations

from pathlib import Path

from . import style as S


def draw(plan, ctx, flag: str = ""):
    colors = S.site_colors(ctx)
    streams = plan.streams()
    exams = sorted(s.exam_date for s in plan.sessions)
    months = S.months(exams[0], exams[-1]) if exams else []
    fig = S.new_figure(10, 1.2 + 2.4 * max(len(streams), 1), layout=None)
    axes = fig.subplots(max(len(streams), 1), 1, sharex=True, squeeze=False)[:, 0]
    x = list(range(len(months)))
    for ax, sid in zip(axes, streams):
        sessions = plan.stream(sid)
        sites = sorted({s.institution for s in sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
        bottom = [0] * len(months)
        for inst in sites:
            counts = [sum(1 for s in sessions if s.institution == inst and (s.exam_date.year, s.exam_date.month) == ym)
                      for ym in months]
            ax.bar(x, counts, bottom=bottom, color=colors[inst], label=S.short(ctx, inst), width=0.7)
            bottom = [b + c for b, c in zip(bottom, counts)]
        for i, total in enumerate(bottom):
            if total:
                ax.text(i, total + 0.1, str(total), ha="center", va="bottom", fontsize=9)
        ax.set_ylabel("场次")
        ax.set_ylim(0, max(bottom + [1]) + 1.2)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(f"{ctx.catalogue.streams[sid].name}（共{len(sessions)}场）", fontsize=11, loc="left")
        ax.legend(title="考点", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    axes[-1].set_xticks(x, [f"{m}月" if y == plan.year else f"{y}年{m}月" for y, m in months])
    extra = S.titled(fig, f"运城市{plan.year}年各考点每月考试场次", plan, ctx)
    S.flag_figure(fig, flag)
    # the legends sit right of the panels: room for the longest site name (9 pt, about 0.13 in a character)
    longest = max((len(S.short(ctx, s.institution)) for s in plan.sessions), default=2)
    S.place_axes(fig, left=0.5, right=max(1.0, 0.5 + 0.13 * longest), top=0.55 + extra, bottom=0.35, gap=0.4)
    return fig


def site_month_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
