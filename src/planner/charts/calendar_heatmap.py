"""Year calendar: one row per month, one cell per day; exam days coloured by stream and named by site.

Managers' exams and special-operations exams have their own colours, the site is the character in
the cell (华 = 华安 …), registration deadlines are marked with a black triangle in the cell's corner;
holidays (休), weekends and make-up working days (班, their own colour) are shown because they are why
an exam cannot, or can, sit on a day. A provisional calendar says so in red. Day cells are drawn as
one PatchCollection per colour, not one artist per day, so the chart renders fast.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import style as S


def draw(plan, ctx, flag: str = ""):
    from matplotlib.collections import PatchCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    cal = ctx.calendar
    first, last = S.plan_span(plan, ctx)
    rows = S.months(first, last)
    cat = ctx.catalogue
    by_day: dict[dt.date, list] = {}
    for s in plan.sessions:
        by_day.setdefault(s.exam_date, []).append(s)
    deadlines = {s.registration_deadline for s in plan.sessions}
    streams = plan.streams()
    fig = S.new_figure(13, 0.45 * len(rows) + 2.0, layout=None)
    ax = fig.add_subplot()
    cells: dict[str, list] = {}
    texts, marks = [], []
    for r, (y, m) in enumerate(rows):
        for day in range(1, 32):
            try:
                d = dt.date(y, m, day)
            except ValueError:
                continue
            base = S.day_fill(cal, d)
            cells.setdefault(base, []).append(Rectangle((day - 1, r), 1, 1))
            sessions = sorted(by_day.get(d, ()), key=lambda s: (streams.index(s.stream), s.no))
            for k, s in enumerate(sessions):  # several exams on one day: side-by-side stripes
                w = 1 / len(sessions)
                cells.setdefault("stream:" + s.stream, []).append(Rectangle((day - 1 + k * w, r), w, 1))
                texts.append((day - 1 + (k + 0.5) * w, r + 0.55, cat.institutions[s.institution].short_name[0], "white"))
            if not sessions and d in cal.makeup_workdays:
                texts.append((day - 0.5, r + 0.55, "班", S.MAKEUP))
            elif not sessions and d in cal.holidays:
                texts.append((day - 0.5, r + 0.55, "休", "#a33"))
            if d in deadlines:
                marks.append((day - 0.18, r + 0.2))
    for key, patches in cells.items():
        color = S.stream_color(key[7:]) if key.startswith("stream:") else key
        edge = "none" if key.startswith("stream:") else "#bbbbbb"
        ax.add_collection(PatchCollection(patches, facecolor=color, edgecolor=edge, linewidth=0.5))
    for x, yy, t, color in texts:
        ax.text(x, yy, t, ha="center", va="center", fontsize=7.5, color=color)
    if marks:
        ax.scatter([x for x, _ in marks], [yy for _, yy in marks], marker="v", s=14, color=S.DEADLINE, zorder=3,
                   linewidths=0)
    ax.set_xlim(0, 31)
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([i + 0.5 for i in range(31)], [str(i + 1) for i in range(31)], fontsize=8)
    ax.set_yticks([r + 0.5 for r in range(len(rows))], [f"{y}年{m}月" for y, m in rows])
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=S.stream_color(sid), label=f"{S.stream_label(ctx, sid)}考试") for sid in streams]
    handles += [Line2D([], [], marker="v", color=S.DEADLINE, linestyle="", markersize=6, label="报名截止"),
                Patch(facecolor=S.HOLIDAY, edgecolor="#bbbbbb", label="节假日（休）"),
                Patch(facecolor=S.MAKEUP_FILL, edgecolor="#bbbbbb", label="调休上班（班）"),
                Patch(facecolor=S.WEEKEND, edgecolor="#bbbbbb", label="周末")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=len(handles), frameon=False,
              fontsize=9)
    sites = sorted({s.institution for s in plan.sessions}, key=lambda i: cat.institutions[i].seq)
    key = "，".join(f"{cat.institutions[i].short_name[0]}={cat.institutions[i].short_name}" for i in sites)
    ax.set_title(f"运城市{plan.year}年考试日历（格内字为考点：{key}）", fontsize=12)
    S.provisional_title(fig, plan, ctx)
    S.place_axes(fig, left=0.9, right=0.1, top=0.55 if S.provisional_note_text(plan, ctx) else 0.32, bottom=0.5)
    S.flag_figure(fig, flag)
    return fig


def calendar_chart(plan, ctx, out_path_stem, flag: str = "") -> list[Path]:
    return S.write_chart(S.render(draw, plan, ctx, flag), out_path_stem)
