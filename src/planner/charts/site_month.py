"""Sessions per site per month, stacked: shows whether the load is spread over the year and the sites."""
from __future__ import annotations

from pathlib import Path

from . import style as S


def draw(plan, ctx, flag: str = ""):
    first, last = S.plan_span(plan, ctx)
    months = S.months(first, last)
    colors = S.site_colors(ctx)
    sites = sorted({s.institution for s in plan.sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    fig = S.new_figure(10, 4.8)
    ax = fig.add_subplot()
    bottom = [0] * len(months)
    x = list(range(len(months)))
    for inst in sites:
        counts = [sum(1 for s in plan.sessions if s.institution == inst and (s.exam_date.year, s.exam_date.month) == ym)
                  for ym in months]
        ax.bar(x, counts, bottom=bottom, color=colors[inst], label=S.short(ctx, inst), width=0.7)
        bottom = [b + c for b, c in zip(bottom, counts)]
    for i, total in enumerate(bottom):
        if total:
            ax.text(i, total + 0.1, str(total), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [f"{m}月" if m != 1 or y == plan.year else f"{y}年{m}月" for y, m in months])
    ax.set_ylabel("考试场次")
    ax.set_ylim(0, max(bottom + [1]) + 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(title="考点", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title(f"运城市{plan.year}年各考点每月考试场次", fontsize=13)
    S.flag_figure(fig, flag)
    return fig


def site_month_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
