"""The wall calendar: one A3 landscape page with the plan's months, each exam named by site and stream.

What the office pins on the wall: a month grid per month (Monday first), holidays shaded, make-up
working days marked 班, each exam written in its day ("华安·特种作业"), registration deadlines as
"截：华安5" in small print, and the provisional-calendar banner where a date is not yet official.
A PDF (vector, prints sharp); text stays text.
"""
from __future__ import annotations

import calendar as pycal
import datetime as dt

from . import style as S

A3_LANDSCAPE_IN = (16.54, 11.69)
WEEKDAYS = "一二三四五六日"
MAX_WEEKS = 6  # the most weeks a month spans (Monday first)
TITLE_ROWS = 0.75  # the month's title, in day rows, above its weekday names
#: stream names short enough for a day cell
WALL_STREAM = {"managers": "负责人·安管员", "special_ops": "特种作业", "on_demand": "特种作业（按需）"}


def draw(plan, ctx, flag: str = ""):
    # from the first registration deadline, which may fall in the month before the first exam, to the last exam
    days = sorted(d for s in plan.sessions for d in (s.registration_deadline, s.exam_date))
    months = S.months(days[0], days[-1]) if days else S.months(*ctx.window)
    by_day: dict[dt.date, list] = {}
    for s in plan.sessions:
        by_day.setdefault(s.exam_date, []).append(s)
    deadlines: dict[dt.date, list] = {}
    for s in plan.sessions:
        deadlines.setdefault(s.registration_deadline, []).append(s)
    ncols = 4 if len(months) <= 16 else 5
    nrows = -(-len(months) // ncols)
    fig = S.new_figure(*A3_LANDSCAPE_IN)
    fig.set_layout_engine(None)
    top = 0.90
    fig.text(0.5, 0.965, f"运城市{plan.year}年安全培训考试日历", ha="center", va="center", fontsize=22)
    note = S.provisional_note_text(plan, ctx)
    if note:
        fig.text(0.5, 0.93, note, ha="center", va="center", fontsize=14, color=S.FLAG)
    S.flag_figure(fig, flag)
    left, right, bottom = 0.02, 0.98, 0.05
    w = (right - left) / ncols
    h = (top - bottom) / nrows
    for k, (y, m) in enumerate(months):
        col, row = k % ncols, k // ncols
        ax = fig.add_axes((left + col * w + 0.004, top - (row + 1) * h + 0.004, w - 0.008, h - 0.008))
        _month(ax, y, m, plan, ctx, by_day, deadlines)
    fig.text(0.02, 0.018, "图例：粉色=节假日（休）  灰色=周末  蓝色=调休上班（班）  格内为当日考试（考点 期次，类别："
             "橙色=主要负责人和安管员，绿色=特种作业）；“截”为报名截止（中午12点）", fontsize=10, color="#444")
    return fig


def _month(ax, y: int, m: int, plan, ctx, by_day, deadlines) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    cal = ctx.calendar
    weeks = pycal.Calendar(firstweekday=0).monthdatescalendar(y, m)
    ax.set_xlim(0, 7)
    # every month has room for six weeks and its title inside its own box: a six-week month drawn in a
    # five-week box squeezed its rows, and a title above the box printed over the month above (issue 19)
    ax.set_ylim(MAX_WEEKS + 0.6, -TITLE_ROWS)
    ax.axis("off")
    title = f"{m}月" if y == plan.year else f"{y}年{m}月"
    ax.text(3.5, -0.1, title, ha="center", va="bottom", fontsize=15)
    for i, wd in enumerate(WEEKDAYS):
        ax.text(i + 0.5, 0.3, wd, ha="center", va="center", fontsize=8, color="#666")
    fills: dict[str, list] = {}
    for r, week in enumerate(weeks):
        for c, d in enumerate(week):
            if d.month != m:
                continue
            base = S.day_fill(cal, d)
            fills.setdefault(base, []).append(Rectangle((c, r + 0.6), 1, 1))
            ax.text(c + 0.06, r + 0.72, str(d.day), ha="left", va="center", fontsize=7, color="#333")
            if d in cal.makeup_workdays:
                ax.text(c + 0.94, r + 0.72, "班", ha="right", va="center", fontsize=6.5, color=S.MAKEUP)
            elif d in cal.holidays:
                ax.text(c + 0.94, r + 0.72, "休", ha="right", va="center", fontsize=6.5, color="#a33")
            y0 = r + 1.0
            exams = by_day.get(d, ())
            for s in exams[:2]:  # the exam: site and 期次, then the stream
                color = S.stream_color(s.stream)
                ax.text(c + 0.5, y0, f"{S.short(ctx, s.institution)} {s.no}期", ha="center", va="center",
                        fontsize=7.5, color=color)
                ax.text(c + 0.5, y0 + 0.19, WALL_STREAM.get(s.stream, S.stream_label(ctx, s.stream)), ha="center",
                        va="center", fontsize=5.5, color=color)
                y0 += 0.38
            dl = deadlines.get(d, ())
            # a day has room for two exams and two deadlines; more are counted, never dropped unsaid
            more = f"等{len(exams)}场考试" if len(exams) > 2 else ""
            if dl:
                names = "、".join(f"{S.short(ctx, s.institution)}{s.no}" for s in dl[:2])
                more += f"{'，' if more else ''}截止等{len(dl)}场" if len(dl) > 2 else ""
                ax.text(c + 0.5, r + 1.5, f"截 {names}", ha="center", va="center", fontsize=5, color="#555")
            if more:
                ax.text(c + 0.5, r + 1.38, more, ha="center", va="center", fontsize=4.5, color="#a33")
    for color, patches in fills.items():
        ax.add_collection(PatchCollection(patches, facecolor=color, edgecolor="#bbbbbb", linewidth=0.4))


def wall_calendar_pdf(plan, ctx, flag: str = "") -> bytes:
    """The A3 page as PDF bytes (fixed metadata naming the bureau and the title, no dates, so the same plan
    gives the same bytes)."""
    meta = {"Title": f"运城市{plan.year}年安全培训考试日历", "Author": "运城市应急管理局"}
    return S.render(draw, plan, ctx, flag, formats=("pdf",), metadata=meta)["pdf"]
