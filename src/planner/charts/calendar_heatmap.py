"""Year calendar: one row per month, one cell per day; exam days coloured by site.

Holidays, weekends and make-up working days (调休上班) are marked, because they are why an
exam cannot sit on a day; a provisional calendar says so in red in the title.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import style as S


def draw(plan, ctx, flag: str = ""):
    from matplotlib.patches import Patch, Rectangle

    cal = ctx.calendar
    first, last = S.plan_span(plan, ctx)
    rows = S.months(first, last)
    colors = S.site_colors(ctx)
    by_day: dict[dt.date, list[str]] = {}
    for s in plan.sessions:
        by_day.setdefault(s.exam_date, []).append(s.institution)
    fig = S.new_figure(13, 0.42 * len(rows) + 1.8)
    ax = fig.add_subplot()
    for r, (y, m) in enumerate(rows):
        for day in range(1, 32):
            try:
                d = dt.date(y, m, day)
            except ValueError:
                continue
            base = "white"
            if d in cal.holidays:
                base = S.HOLIDAY
            elif not cal.is_working_day(d):
                base = S.WEEKEND
            ax.add_patch(Rectangle((day - 1, r), 1, 1, facecolor=base, edgecolor="#bbbbbb", linewidth=0.5))
            sites = sorted(by_day.get(d, ()), key=lambda i: ctx.catalogue.institutions[i].seq)
            for k, inst in enumerate(sites):  # several exams on one day: side-by-side stripes
                w = 1 / len(sites)
                ax.add_patch(Rectangle((day - 1 + k * w, r), w, 1, facecolor=colors[inst], edgecolor="none"))
            if d in cal.makeup_workdays:
                ax.text(day - 0.5, r + 0.5, "班", ha="center", va="center", fontsize=7, color=S.MAKEUP)
            elif d in cal.holidays and not sites:
                ax.text(day - 0.5, r + 0.5, "休", ha="center", va="center", fontsize=7, color="#a33")
    ax.set_xlim(0, 31)
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([i + 0.5 for i in range(31)], [str(i + 1) for i in range(31)], fontsize=8)
    ax.set_yticks([r + 0.5 for r in range(len(rows))], [f"{y}年{m}月" for y, m in rows])
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    used = sorted({s.institution for s in plan.sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    handles = [Patch(facecolor=colors[i], label=S.short(ctx, i)) for i in used]
    handles += [Patch(facecolor=S.HOLIDAY, edgecolor="#bbbbbb", label="节假日（休）"),
                Patch(facecolor=S.WEEKEND, edgecolor="#bbbbbb", label="周末"),
                Patch(facecolor="white", edgecolor="#bbbbbb", label="调休上班（班）")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=min(len(handles), 10),
              frameon=False, fontsize=9)
    ax.set_title(f"运城市{plan.year}年考试日历（考试日按考点着色）", fontsize=13)
    if not cal.is_official():
        fig.suptitle(f"日历为暂定：{cal.status()}", color=S.FLAG, fontsize=10)
    S.flag_figure(fig, flag)
    return fig


def calendar_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
