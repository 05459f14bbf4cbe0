"""Shared chart set-up: the bundled Chinese font, colours per site, and deterministic PNG/SVG bytes.

The CJK font is the NotoSansCJKsc file shipped inside the ``mplfonts`` wheel (a declared
dependency), registered with matplotlib directly, so Chinese labels render the same on a
fresh machine without system fonts and without mplfonts changing global rcParams. Figures
are built with ``matplotlib.figure.Figure`` (the Agg canvas, no pyplot state).
"""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from ..errors import PlannerError

FONT_FILE = "NotoSansCJKsc-Regular.otf"
SVG_SALT = "planner"
#: colours for sites in institution order (colour-blind friendly, tab10)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
HOLIDAY = "#f4b6b6"
MAKEUP = "#5a5a5a"
MAKEUP_FILL = "#cfe3f7"
WEEKEND = "#e6e6e6"
#: exam cells by stream: managers and special operations must be told apart at a glance
STREAM_COLORS = {"managers": "#d95f02", "special_ops": "#1b9e77", "on_demand": "#7570b3"}
DEADLINE = "#222222"
FLAG = "#c00000"


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register the bundled font once; its family name."""
    import mplfonts
    from matplotlib import font_manager

    path = Path(mplfonts.__file__).resolve().parent / "fonts" / FONT_FILE
    if not path.is_file():
        raise PlannerError(f"the Chinese chart font {FONT_FILE} is missing; reinstall the 'mplfonts' package",
                           file=path)
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    # A system copy of the same family (Debian's fonts-noto-cjk ships "Noto Sans CJK SC" as a .ttc) would win
    # findfont's tie and change the charts' bytes from machine to machine: only the bundled file keeps the name.
    font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist
                                        if f.name != name or Path(f.fname).resolve() == path]
    return name


@contextmanager
def chart_style():
    """rcParams for every chart: CJK font first, no Unicode minus, fixed SVG ids, and every text drawn as written:
    a site's or category's name with two ``$`` (from a data file or a scenario's new institution) is not
    matplotlib's mathtext, which would set it in italics or, unparsable (``$\\frac$``), stop the publication."""
    import matplotlib

    rc = {
        "font.family": [cjk_family(), "DejaVu Sans"],
        "font.size": 10,
        "axes.unicode_minus": False,
        "text.parse_math": False,
        "svg.hashsalt": SVG_SALT,
        "svg.fonttype": "path",
        "savefig.dpi": 120,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc):
        yield


def new_figure(width: float, height: float, layout: str | None = "constrained"):
    """A figure of *width* x *height* inches; charts on the ``planner plan`` path pass ``layout=None`` and
    place their axes with :func:`place_axes`, because constrained layout measures every tick label on
    every pass (measured: 0.4 s of the 0.9 s the three publish charts took)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def place_axes(fig, *, left: float, right: float, top: float, bottom: float, gap: float = 0.0) -> None:
    """Margins in inches (the fonts are bundled, so label sizes are known): what constrained layout gave,
    measured on 2025 and 2027, plus a little room. *gap* is the space between stacked panels."""
    w, h = fig.get_size_inches()
    n = max(1, len(fig.axes))
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h,
                        hspace=gap / ((h - top - bottom - gap * (n - 1)) / n))


def site_colors(ctx) -> dict[str, str]:
    insts = sorted(ctx.catalogue.institutions.values(), key=lambda i: i.seq)
    return {i.id: PALETTE[n % len(PALETTE)] for n, i in enumerate(insts)}


def short(ctx, inst: str) -> str:
    return ctx.catalogue.institutions[inst].short_name


def day_fill(cal, d) -> str:
    """A day cell's background: 调休 make-up working day, holiday, weekend, or a plain working day."""
    if d in cal.makeup_workdays:
        return MAKEUP_FILL
    if d in cal.holidays:
        return HOLIDAY
    return WEEKEND if not cal.is_working_day(d) else "white"


def stream_color(stream: str, n: int = 0) -> str:
    return STREAM_COLORS.get(stream, PALETTE[(n + 4) % len(PALETTE)])


def stream_label(ctx, stream: str) -> str:
    from ..publish.wording import stream_short

    return stream_short(stream, ctx.catalogue.streams[stream].name)


def provisional_note_text(plan, ctx) -> str:
    """The provisional-calendar sentence for a chart ("" when official)."""
    from ..publish.tables import provisional_note

    if plan.sessions:
        return provisional_note(plan, ctx)
    return "" if ctx.calendar.is_official() else f"日历为暂定：{ctx.calendar.status()}"


def provisional_title(fig, plan, ctx) -> None:
    """The provisional-calendar sentence in red above the chart, when a date lies in such a year."""
    note = provisional_note_text(plan, ctx)
    if note:
        fig.suptitle(note, color=FLAG, fontsize=10)


def titled(fig, title: str, plan, ctx, fontsize: float = 13) -> float:
    """The chart's title and, in a provisional year, the provisional sentence in red under it; returns the
    room (inches) the note needs above the axes (0 when official), so every chart says 暂定 (issue 19)."""
    note = provisional_note_text(plan, ctx)
    if not note:
        fig.suptitle(title, fontsize=fontsize)
        return 0.0
    h = fig.get_size_inches()[1]  # placed in inches from the top, whatever the figure's height
    fig.suptitle(title, fontsize=fontsize, y=1 - 0.08 / h, va="top")
    fig.text(0.5, 1 - (0.08 + fontsize / 72 + 0.1) / h, note, color=FLAG, fontsize=10, ha="center", va="top")
    return 0.2


def flag_figure(fig, flag: str) -> None:
    """The "failed the rule check" mark, in red at the figure's top-left corner."""
    if flag:
        fig.text(0.01, 0.995, flag, color=FLAG, fontsize=10, ha="left", va="top")  # the font has no bold face


FORMATS = ("png", "svg")
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}}


def figure_bytes(fig, formats=FORMATS, metadata: dict | None = None) -> dict[str, bytes]:
    """The figure in each of *formats* (each rendered once), without timestamps or version strings,
    so reruns are byte-identical; *metadata* adds fields (a PDF's Title and Author)."""
    out = {}
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata={**METADATA[fmt], **(metadata or {})})
        out[fmt] = buf.getvalue()
    if "svg" in out:
        out["svg"] = stable_svg_ids(out["svg"])
    return out


_CLIP_ID = re.compile(rb'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')


def stable_svg_ids(svg: bytes) -> bytes:
    """Renumber clip-path ids in order of appearance: matplotlib derives some from object ids."""
    names: dict[bytes, bytes] = {}
    return _CLIP_ID.sub(lambda m: names.setdefault(m.group(0), b"clip%d" % (len(names) + 1)), svg)


def render(draw, *args, formats=FORMATS, metadata: dict | None = None, **kwargs) -> dict[str, bytes]:
    """Call *draw* (returning a Figure) under the chart style; its bytes in each of *formats*.

    A chart is a pure function of what it is drawn from, and drawing one costs a second or more: the same
    chart of the same plan under the same facts (a version published again, its report, its page) is
    rendered once per process and then served from a small memo (:class:`_Memo`)."""
    key = _MEMO.key(draw, args, kwargs, formats, metadata)
    if key is not None:
        hit = _MEMO.get(key)
        if hit is not None:
            return dict(hit)
        args = tuple(_seen(a) for a in args)
    with chart_style():
        out = figure_bytes(draw(*args, **kwargs), formats, metadata)
    if key is not None:
        _MEMO.put(key, out)
    return out


def _seen(a):
    """An argument as a memoised chart sees it: a problem through :class:`ChartFacts`, a plan without the file it
    was read from (which the key leaves out, so the same sessions read from two files share a chart)."""
    from dataclasses import replace

    from ..plan import Plan

    if _is_problem(a):
        return ChartFacts(a)
    return replace(a, source="") if isinstance(a, Plan) and a.source else a


def _is_problem(a) -> bool:
    return hasattr(a, "calendar") and hasattr(a, "catalogue") and hasattr(a, "window")


class ChartFacts:
    """What a chart may read of the problem: the catalogue, the calendar, the window, the demand and the rule
    set. The memo's key names exactly these (:meth:`_Memo.key`), so a chart that reached for anything else
    would be served stale; it fails here instead."""

    FIELDS = ("catalogue", "calendar", "window", "demand", "ruleset", "year")
    __slots__ = ("_ctx",)

    def __init__(self, ctx):
        object.__setattr__(self, "_ctx", ctx)

    def __getattr__(self, name):
        if name in ChartFacts.FIELDS:
            return getattr(self._ctx, name)
        raise AttributeError(f"a chart reads only {', '.join(ChartFacts.FIELDS)} of the problem, not {name!r} "
                             "(add it to ChartFacts.FIELDS and to the memo's key)")


class _Memo:
    """Rendered charts by what they were drawn from: the draw function, its plain arguments, each plan's
    content, and of a problem its catalogue, calendar and demand (immutable; the calendar compares by
    identity, and is held here, so an identity is never reused while its entry lives), its window and its
    rule set's digest. Anything else as an argument: not memoised."""

    SIZE = 24

    def __init__(self):
        import threading

        self.entries: list[tuple[tuple, dict[str, bytes]]] = []  # least recently used first
        self.lock = threading.Lock()

    def key(self, draw, args, kwargs, formats, metadata):
        named = sorted(kwargs.items())
        parts = [_part(a) for a in args] + [_part(a) for _, a in named]
        if any(p is None for p in parts):
            return None
        return (draw.__module__, draw.__qualname__, tuple(formats), repr(sorted((metadata or {}).items())),
                tuple(name for name, _ in named), *parts)

    def get(self, key):
        with self.lock:
            for i, (k, v) in enumerate(self.entries):  # keys hold unhashable tables (the catalogue): compared
                if k == key:
                    self.entries.append(self.entries.pop(i))
                    return v
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.entries.append((key, dict(value)))
            del self.entries[:-self.SIZE]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _part(a):
    """One argument's share of a memo key (None: an argument the memo cannot name, so no memo)."""
    from ..plan import Plan

    if a is None or isinstance(a, (str, int, float, bool)):
        return (type(a).__name__, a)
    if isinstance(a, Plan):
        return ("plan", a.year, a.sessions)
    if _is_problem(a):
        return ("problem", a.catalogue, a.calendar, a.demand, a.window, a.ruleset.digest())
    return None


_MEMO = _Memo()


def clear_memo() -> None:
    """Forget every rendered chart (a test that compares two renderings of the same chart calls it between)."""
    _MEMO.clear()


def write_chart(images: dict[str, bytes], out_path_stem) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically; the paths."""
    from ..textio import atomic_write_bytes

    stem = Path(out_path_stem)
    paths = []
    for fmt in ("png", "svg"):
        p = stem.with_name(stem.name + "." + fmt)
        atomic_write_bytes(p, images[fmt])
        paths.append(p)
    return paths


def months(start, stop) -> list[tuple[int, int]]:
    """(year, month) pairs from *start*'s month to *stop*'s month, inclusive."""
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (stop.year, stop.month):
        out.append((y, m))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def plan_span(plan, ctx):
    """The days a chart shows: the plan-year window, widened to every date of the plan."""
    start, stop = ctx.window
    dates = [d for s in plan.sessions for d in (s.registration_deadline, s.exam_date)]
    return min([start, *dates]), max([stop, *dates])


def site_month_bars(ax, months: list[tuple[int, int]], sessions, ctx, weight) -> list:
    """Bars per month stacked by site (institution order) of ``weight(session)`` summed; the monthly totals.
    *sessions* need ``institution`` and ``exam_date`` (plan sessions, or the queue's session loads)."""
    colors = site_colors(ctx)
    x = list(range(len(months)))
    sites = sorted({s.institution for s in sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    bottom = [0] * len(months)
    for inst in sites:
        values = [sum(weight(s) for s in sessions if s.institution == inst and (s.exam_date.year, s.exam_date.month) == ym)
                  for ym in months]
        ax.bar(x, values, bottom=bottom, color=colors[inst], label=short(ctx, inst), width=0.7)
        bottom = [b + v for b, v in zip(bottom, values)]
    return bottom


def finish_month_panels(fig, axes, months: list[tuple[int, int]], plan, ctx, title: str, flag: str, sessions,
                        left: float) -> None:
    """The shared month axis, the title (暂定 where it applies), the flag, and room at the right for the site
    legends: the longest site name at 9 pt, about 0.13 in a character."""
    axes[-1].set_xticks(list(range(len(months))), [f"{m}月" if y == plan.year else f"{y}年{m}月" for y, m in months])
    extra = titled(fig, title, plan, ctx)
    flag_figure(fig, flag)
    longest = max((len(short(ctx, s.institution)) for s in sessions), default=2)
    place_axes(fig, left=left, right=max(1.0, 0.5 + 0.13 * longest), top=0.55 + extra, bottom=0.35, gap=0.4)
