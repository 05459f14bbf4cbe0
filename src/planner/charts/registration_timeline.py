"""Registration windows month by month: for each exam, a dated bar from its registration deadline to the exam.

One band per month (the exam's month), days 1–31 across, so a planner reads "3月: 华安 第5期 报名截止 3月4日 →
考试 3月8日" at a glance; bars are coloured by stream, labelled with site and 期次; a window opening
in the previous month starts at the left edge with an arrow. Each month's band has a lane per exam of that month:
with the busiest month's lanes in every band the chart was 91 lanes tall for a year's 59 exams, and report.html
scaled it to one A4 page with labels of about 4 pt.
"""
from __future__ import annotations

from pathlib import Path

from . import style as S


#: the bars' labels and the days' numbers, in points at the figure's own size
LABEL_PT = 8


def draw(plan, ctx, flag: str = ""):
    from matplotlib.patches import Patch

    exams = sorted(s.exam_date for s in plan.sessions)
    months = S.months(exams[0], exams[-1]) if exams else []
    by_month = {ym: sorted((s for s in plan.sessions if (s.exam_date.year, s.exam_date.month) == ym),
                           key=lambda s: (s.exam_date, s.stream)) for ym in months}
    lanes = {ym: max(1, len(v)) for ym, v in by_month.items()}
    fig = S.new_figure(10, 0.9 + 0.19 * sum(lanes.values()) + 0.8, layout=None)
    ax = fig.add_subplot()
    y0 = 0.0
    ticks = []
    bars: list[tuple[float, float, float, str]] = []  # (y, left, width, colour): one barh call draws them all
    for ym in months:
        sessions = by_month[ym]
        ticks.append((y0 + lanes[ym] / 2, f"{ym[1]}月" if ym[0] == plan.year else f"{ym[0]}年{ym[1]}月"))
        for k, s in enumerate(sessions):
            y = y0 + k + 0.5
            start = s.registration_deadline
            left = start.day - 0.5 if (start.year, start.month) == ym else 0
            right = s.exam_date.day + 0.5
            color = S.stream_color(s.stream)
            bars.append((y, left, right - left, color))
            if left == 0:
                ax.annotate("", xy=(0, y), xytext=(1.2, y), arrowprops={"arrowstyle": "<-", "color": color})
            ax.text(right + 0.3, y, f"{S.short(ctx, s.institution)} 第{s.no}期", va="center", fontsize=LABEL_PT)
        ax.axhline(y0, color="#cccccc", linewidth=0.6)
        y0 += lanes[ym]
    if bars:
        ys, lefts, widths, colors = zip(*bars)
        ax.barh(ys, widths, left=lefts, height=0.7, color=colors, alpha=0.85)
    ax.set_ylim(y0, 0)
    ax.set_xlim(0, 35)
    ax.set_xticks(range(1, 32), [str(d) for d in range(1, 32)], fontsize=LABEL_PT)
    ax.set_yticks([t for t, _ in ticks], [lab for _, lab in ticks])
    ax.tick_params(axis="y", length=0)
    ax.set_axisbelow(True)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.5)
    ax.set_xlabel("日（条形：报名截止日 → 考试日）")
    # the legend sits in the bottom margin at a fixed distance in inches: anchored to the axes, its offset grew
    # with the number of months and lanes, and on a tall chart it fell below the page
    fig.legend(handles=[Patch(color=S.stream_color(sid), label=f"{S.stream_label(ctx, sid)}") for sid in plan.streams()],
               loc="lower center", bbox_to_anchor=(0.5, 0.08 / fig.get_figheight()), ncol=3, frameon=False)
    extra = S.titled(fig, f"运城市{plan.year}年报名窗口（按考试月份）", plan, ctx)
    S.flag_figure(fig, flag)
    S.place_axes(fig, left=0.8, right=0.1, top=0.6 + extra, bottom=1.1)
    return fig


def timeline_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
