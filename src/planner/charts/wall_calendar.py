"""The wall calendar: one A3 landscape page with the plan's months, each exam named by site and stream.

What the office pins on the wall: a month grid per month (Monday first), holidays shaded, make-up
working days marked 班, each exam written in its day ("华安 5期" over "特种作业"), each registration
deadline on a line of its own ("截 华安5", in its exam's colour), and the provisional-calendar banner where a
date is not yet official. A PDF (vector, prints sharp); text stays text.

Sizes are set in points on the printed page, and every line is measured with the bundled font against the
room its day cell has (:func:`text_width`): three months across give a day cell 53.6 pt wide and 25.2 pt
tall (four across gave 39.5 x 31.5 pt, where "新世纪 48期" at 7.5 pt already filled the whole width and a
deadline line fitted only at 5 pt).
"""
from __future__ import annotations

import calendar as pycal
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from . import style as S

A3_LANDSCAPE_IN = (16.54, 11.69)
WEEKDAYS = "一二三四五六日"
MAX_WEEKS = 6  # the most weeks a month spans (Monday first)
#: stream names short enough for a day cell
WALL_STREAM = {"managers": "负责人·安管员", "special_ops": "特种作业", "on_demand": "特种作业·按需"}
#: the legend's word for each stream's colour
COLOR_NAMES = {"managers": "橙色", "special_ops": "绿色", "on_demand": "紫色"}
#: sizes in points: an exam's site and 期次, its stream, a deadline, the count of what a day cannot show
EXAM_PT, STREAM_PT, DEADLINE_PT, COUNT_PT = 7.5, 6.0, 7.0, 6.5
MIN_PT = 6.0  # a line too wide at its size (a four-character site name) is set smaller, down to this
DAY_PT, MARK_PT = 7.0, 6.5  # the day's number and 班/休 under it, in a strip at the cell's left
LEADING = 1.15  # a line's height, in its font size
PAD_PT = 1.5  # kept clear inside every cell edge
#: the page in figure fractions: months between the title (and the 暂定 banner) and the legend
LEFT, RIGHT, TOP, BOTTOM = 0.02, 0.98, 0.912, 0.034
GAP_PT = 6.0  # between two months
TITLE_PT, WEEKDAY_PT = 13.0, 8.0
HEAD_PT = TITLE_PT * 1.3 + WEEKDAY_PT * 1.3  # the month's title and weekday names above its weeks


@dataclass(frozen=True)
class Cell:
    """A day cell's size on the page, in points, and the room left of the strip with its number."""
    width: float
    height: float

    @property
    def strip(self) -> float:
        return PAD_PT + text_width("30", DAY_PT) + PAD_PT

    @property
    def room(self) -> float:
        return self.width - self.strip - PAD_PT


@lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> float:
    """*text*'s advance width in points at *size*, in the bundled font (as the PDF embeds it)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=[S.cjk_family(), "DejaVu Sans"], size=size)
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0]


def layout(n_months: int) -> tuple[int, int]:
    """Columns and rows of months: three across up to 15 (12 is the plan year's usual span: four rows, three lines
    to a day; 13–15: five rows, two lines, the rest counted), four across beyond (never met: the window is a year)."""
    ncols = 3 if n_months <= 15 else 4
    return ncols, -(-n_months // ncols)


def draw(plan, ctx, flag: str = ""):
    # from the first registration deadline, which may fall in the month before the first exam, to the last exam
    days = sorted(d for s in plan.sessions for d in (s.registration_deadline, s.exam_date))
    months = S.months(days[0], days[-1]) if days else S.months(*ctx.window)
    by_day: dict[dt.date, list] = {}
    for s in plan.sessions:
        by_day.setdefault(s.exam_date, []).append(s)
    deadlines: dict[dt.date, list] = {}
    for s in sorted(plan.sessions, key=lambda s: (s.exam_date, s.no)):  # in the order the exams come
        deadlines.setdefault(s.registration_deadline, []).append(s)
    ncols, nrows = layout(len(months))
    fig = S.new_figure(*A3_LANDSCAPE_IN)
    fig.set_layout_engine(None)
    fig.text(0.5, 0.965, f"运城市{plan.year}年安全培训考试日历", ha="center", va="center", fontsize=22)
    note = S.provisional_note_text(plan, ctx)
    if note:
        fig.text(0.5, 0.932, note, ha="center", va="center", fontsize=14, color=S.FLAG)
    S.flag_figure(fig, flag)
    page_w, page_h = (v * 72 for v in A3_LANDSCAPE_IN)
    w, h = (RIGHT - LEFT) / ncols, (TOP - BOTTOM) / nrows
    gx, gy = GAP_PT / 2 / page_w, GAP_PT / 2 / page_h
    cell = Cell((w - 2 * gx) * page_w / 7, ((h - 2 * gy) * page_h - HEAD_PT) / MAX_WEEKS)
    for k, (y, m) in enumerate(months):
        col, row = k % ncols, k // ncols
        ax = fig.add_axes((LEFT + col * w + gx, TOP - (row + 1) * h + gy, w - 2 * gx, h - 2 * gy))
        _month(ax, y, m, plan, ctx, by_day, deadlines, cell)
    key = legend(plan, ctx)  # 10 pt, or smaller when a third stream makes it longer than the page is wide
    fig.text(LEFT, 0.016, key, fontsize=min(10.0, 10 * (RIGHT - LEFT) * page_w / text_width(key, 10)), color="#444",
             va="center")
    return fig


def legend(plan, ctx) -> str:
    streams = [sid for sid in plan.streams() if sid in COLOR_NAMES] or ["managers", "special_ops"]
    colors = "，".join(f"{COLOR_NAMES[sid]}={S.stream_label(ctx, sid)}" for sid in streams)
    return (f"图例：粉色=节假日（休）  灰色=周末  蓝色=调休上班（班）  格内为当日考试（考点 期次，类别：{colors}）；"
            "“截 华安5”为华安第5期报名截止（中午12点），颜色同其考试；“等N场”为当日共N场，格内未列全")


def cell_lines(exams, deadlines, ctx, cell: Cell) -> list[tuple[str, float, str]]:
    """What a day cell says, top to bottom, as (text, points, colour): its exams (site and 期次, and the stream
    when it is the day's only exam; the colour tells the stream), then one line per registration deadline.
    What does not fit the cell's height is counted on the last lines ("等3场考试", "截止等4场"), never dropped
    unsaid."""
    room = cell.height - PAD_PT
    counts = [_line(f"等{len(exams)}场考试", COUNT_PT, "#a33", cell), _line(f"截止等{len(deadlines)}场", COUNT_PT, "#a33", cell)]
    best: tuple[int, list] = (-1, counts)  # even the counts alone may not fit (a page of very many months)
    # with the stream under the day's only exam, and without it (its colour says it too) when that shows more
    for with_stream in ((True, False) if len(exams) == 1 else (False,)):
        items = []  # (kind, lines) in the order they are shown
        for s in exams:
            color = S.stream_color(s.stream)
            lines = [_line(f"{S.short(ctx, s.institution)} {s.no}期", EXAM_PT, color, cell)]
            if with_stream:
                lines.append(_line(WALL_STREAM.get(s.stream, S.stream_label(ctx, s.stream)), STREAM_PT, color, cell))
            items.append(("exam", lines))
        for s in deadlines:
            items.append(("deadline", [_line(f"截 {S.short(ctx, s.institution)}{s.no}", DEADLINE_PT,
                                             S.stream_color(s.stream), cell)]))
        for k in range(len(items), best[0], -1):  # as many as fit, in order, with the count of the rest
            hidden = {kind for kind, _ in items[k:]}
            lines = [line for _, shown in items[:k] for line in shown] + \
                    [counts[0]] * ("exam" in hidden) + [counts[1]] * ("deadline" in hidden)
            if _tall(lines) <= room:
                best = (k, lines)
                break
    return best[1]


def _line(text: str, size: float, color: str, cell: Cell) -> tuple[str, float, str]:
    """A line at *size*, or smaller (to :data:`MIN_PT`) when it is wider than the cell's room."""
    while size > MIN_PT and text_width(text, size) > cell.room:
        size -= 0.5
    return text, size, color


def _tall(lines) -> float:
    return sum(size * LEADING for _, size, _ in lines)


def _month(ax, y: int, m: int, plan, ctx, by_day, deadlines, cell: Cell) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    cal = ctx.calendar
    weeks = pycal.Calendar(firstweekday=0).monthdatescalendar(y, m)
    head = HEAD_PT / cell.height  # in rows
    ax.set_xlim(0, 7)
    # every month has room for six weeks and its title inside its own box: a six-week month drawn in a
    # five-week box squeezed its rows, and a title above the box printed over the month above (issue 19)
    ax.set_ylim(MAX_WEEKS, -head)
    ax.axis("off")
    px, py = 1 / cell.width, 1 / cell.height  # a point, in columns and rows
    title = f"{m}月" if y == plan.year else f"{y}年{m}月"
    ax.text(3.5, -head, title, ha="center", va="top", fontsize=TITLE_PT)
    for i, wd in enumerate(WEEKDAYS):
        ax.text(i + 0.5, -WEEKDAY_PT * 0.65 * py, wd, ha="center", va="center", fontsize=WEEKDAY_PT, color="#666")
    fills: dict[str, list] = {}
    middle = (cell.strip + cell.room / 2) * px  # the lines are centred right of the day's number
    for r, week in enumerate(weeks):
        for c, d in enumerate(week):
            if d.month != m:
                continue
            fills.setdefault(S.day_fill(cal, d), []).append(Rectangle((c, r), 1, 1))
            ax.text(c + PAD_PT * px, r + PAD_PT * py, str(d.day), ha="left", va="top", fontsize=DAY_PT, color="#333")
            mark = "班" if d in cal.makeup_workdays else "休" if d in cal.holidays else ""
            if mark:
                ax.text(c + PAD_PT * px, r + (PAD_PT + DAY_PT * LEADING) * py, mark, ha="left", va="top",
                        fontsize=MARK_PT, color=S.MAKEUP if mark == "班" else "#a33")
            top = r + PAD_PT * py
            for text, size, color in cell_lines(by_day.get(d, ()), deadlines.get(d, ()), ctx, cell):
                ax.text(c + middle, top + size * LEADING / 2 * py, text, ha="center", va="center", fontsize=size,
                        color=color)
                top += size * LEADING * py
    for color, patches in fills.items():
        ax.add_collection(PatchCollection(patches, facecolor=color, edgecolor="#bbbbbb", linewidth=0.4))


def wall_calendar_pdf(plan, ctx, flag: str = "") -> bytes:
    """The A3 page as PDF bytes (fixed metadata naming the bureau and the title, no dates, so the same plan
    gives the same bytes)."""
    meta = {"Title": f"运城市{plan.year}年安全培训考试日历", "Author": "运城市应急管理局"}
    return S.render(draw, plan, ctx, flag, formats=("pdf",), metadata=meta)["pdf"]
