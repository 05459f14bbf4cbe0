"""Two plans side by side: every 期次's exam date in plan A and plan B, moves drawn as arrows.

``compare_chart(plan_a, plan_b, ctx, out_path_stem)`` is what ``planner compare`` calls.
"""
from __future__ import annotations

from pathlib import Path

from . import style as S

A_COLOR, B_COLOR = "#7f7f7f", "#1f77b4"


def month_label(d, year: int) -> str:
    """An axis month as the notice says dates: "3月" in the plan's year, "2028年1月" outside it."""
    return f"{d.month}月" if d.year == year else f"{d.year}年{d.month}月"


def draw(plan_a, plan_b, ctx, flag: str = ""):
    import matplotlib.dates as mdates
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    a, b = plan_a.by_key(), plan_b.by_key()
    streams = sorted({k[0] for k in a} | {k[0] for k in b}, key=lambda s: list(ctx.catalogue.streams).index(s)
                     if s in ctx.catalogue.streams else 99)
    keys = {sid: sorted(no for st, no in set(a) | set(b) if st == sid) for sid in streams}
    fig = S.new_figure(11, 1.4 + 0.16 * sum(len(v) for v in keys.values()) + 0.6 * len(streams))
    axes = fig.subplots(len(streams), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [max(len(keys[s]), 3) for s in streams]})[:, 0]
    moved = 0
    for ax, sid in zip(axes, streams):
        for no in keys[sid]:
            sa, sb = a.get((sid, no)), b.get((sid, no))
            if sa is not None:
                ax.plot([sa.exam_date], [no], "o", mfc="none", color=A_COLOR, markersize=5)
            if sb is not None:
                ax.plot([sb.exam_date], [no], "o", color=B_COLOR, markersize=4)
            if sa is not None and sb is not None and (sa.exam_date, sa.institution) != (sb.exam_date, sb.institution):
                moved += 1
                ax.annotate("", xy=(sb.exam_date, no), xytext=(sa.exam_date, no),
                            arrowprops={"arrowstyle": "->", "color": "#d62728", "lw": 1})
                delta = (sb.exam_date - sa.exam_date).days
                label = f"{delta:+d}天" if sa.institution == sb.institution else f"{delta:+d}天 → {S.short(ctx, sb.institution)}"
                ax.annotate(label, xy=(max(sa.exam_date, sb.exam_date), no), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=8, color="#d62728")
        ax.set_ylim(max(keys[sid]) + 0.8, min(keys[sid]) - 0.8)
        ax.set_ylabel("期次")
        name = ctx.catalogue.streams[sid].name if sid in ctx.catalogue.streams else sid
        ax.set_title(name, fontsize=11, loc="left")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes[-1].xaxis.set_major_locator(mdates.MonthLocator())
    axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: month_label(mdates.num2date(x), plan_b.year)))
    # above the first panel, right-aligned (beside the stream's title): inside the figure, so a scaled-down
    # chart keeps it
    axes[0].legend(handles=[
        Line2D([], [], marker="o", mfc="none", color=A_COLOR, linestyle="", label="原计划"),
        Line2D([], [], marker="o", color=B_COLOR, linestyle="", label="新计划"),
        Line2D([], [], color="#d62728", label="改期/换考点")], loc="lower right", bbox_to_anchor=(1.0, 1.0),
        ncol=3, frameon=False, borderaxespad=0.2)
    fig.suptitle(f"计划对比：原计划{len(a)}场，新计划{len(b)}场，改期或换考点 {moved}场，"
                 f"新增 {len(set(b) - set(a))}场，取消 {len(set(a) - set(b))}场", fontsize=12)
    S.flag_figure(fig, flag)
    return fig


def compare_chart(plan_a, plan_b, ctx, out_path_stem) -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.svg`` comparing *plan_a* with *plan_b*; the paths written."""
    return S.write_chart(S.render(draw, plan_a, plan_b, ctx), out_path_stem)
