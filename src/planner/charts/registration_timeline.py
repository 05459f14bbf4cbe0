"""Registration windows per stream: a bar from the registration deadline to the exam, per 期次.

Shows at a glance how much time candidates' paperwork gets and where windows overlap.
"""
from __future__ import annotations

from pathlib import Path

from . import style as S


def draw(plan, ctx, flag: str = ""):
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    streams = plan.streams()
    colors = S.site_colors(ctx)
    counts = [len(plan.stream(s)) for s in streams]
    fig = S.new_figure(11, 1.2 + 0.16 * sum(counts) + 0.6 * len(streams))
    axes = fig.subplots(len(streams), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [max(c, 3) for c in counts]})[:, 0]
    for ax, sid in zip(axes, streams):
        sessions = plan.stream(sid)
        for s in sessions:
            c = colors[s.institution]
            ax.plot([s.registration_deadline, s.exam_date], [s.no, s.no], color=c, linewidth=3, solid_capstyle="butt")
            ax.plot([s.exam_date], [s.no], marker="o", color=c, markersize=4)
        ax.set_ylim(max(s.no for s in sessions) + 0.8, min(s.no for s in sessions) - 0.8)
        ax.set_ylabel("期次")
        ax.set_title(ctx.catalogue.streams[sid].name, fontsize=11, loc="left")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[-1].xaxis.set_major_locator(mdates.MonthLocator())
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    used = sorted({s.institution for s in plan.sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    axes[0].legend(handles=[Patch(color=colors[i], label=S.short(ctx, i)) for i in used], loc="upper left",
                   bbox_to_anchor=(1.0, 1.0), frameon=False, title="考点")
    fig.suptitle(f"运城市{plan.year}年报名窗口（报名截止 → 考试）", fontsize=13)
    S.flag_figure(fig, flag)
    return fig


def timeline_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
