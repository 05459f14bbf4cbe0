"""Charts: PNG + SVG for every chart, Chinese glyphs from the bundled font, no missing-glyph warnings."""
from __future__ import annotations

import datetime as dt
import importlib
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from planner.charts import CHARTS
from planner.charts import style as S
from planner.charts.compare import compare_chart
from planner.plan import Plan
from test_publish_support import moved, with_on_demand


def render_quietly(draw, *args, formats=S.FORMATS):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = S.render(draw, *args, formats=formats)
    glyphs = [str(w.message) for w in caught if "glyph" in str(w.message).lower() or "missing from" in str(w.message)]
    assert glyphs == []
    return images


def test_font_is_the_bundled_noto_file():
    import mplfonts
    from matplotlib import font_manager

    family = S.cjk_family()
    assert family == "Noto Sans CJK SC"
    with S.chart_style():
        found = Path(font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False))
    assert found.name == S.FONT_FILE and Path(mplfonts.__file__).parent in found.parents


def test_missing_glyphs_would_be_caught():
    """The check above is meaningful: DejaVu alone has no CJK glyphs and warns."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure()
        fig.text(0.5, 0.5, "考试")
        fig.savefig(__import__("io").BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in caught)


@pytest.mark.parametrize("stem", list(CHARTS))
def test_each_chart_png_svg(stem, plan2024, ctx2024, catalogue):
    draw = importlib.import_module(f"planner.charts.{CHARTS[stem]}").draw
    plan = with_on_demand(plan2024, catalogue)
    images = render_quietly(draw, plan, ctx2024, "未通过规则检查")
    assert images["png"].startswith(b"\x89PNG") and len(images["png"]) > 10_000
    assert b"<svg" in images["svg"][:500]
    assert b"Date" not in images["svg"] and b"Software" not in images["png"][:200]
    svg = render_quietly(draw, plan, ctx2024, "未通过规则检查", formats=("svg",))["svg"]
    S.clear_memo()  # drawn again, not served from the memo
    assert render_quietly(draw, plan, ctx2024, "未通过规则检查", formats=("svg",))["svg"] == svg


def test_provisional_calendar_is_flagged():
    from planner.api import make_context
    from planner.charts.calendar_heatmap import draw

    ctx = make_context(2098)  # far beyond the holidays package's official arrangements
    plan = Plan(2098, ())
    with S.chart_style():
        fig = draw(plan, ctx)
    assert fig._suptitle is not None and "暂定" in fig._suptitle.get_text()


def test_publish_renders_each_chart_once_as_svg(plan2024, ctx2024, monkeypatch):
    """Publishing draws each chart once and saves it once (SVG): PNG would double the time."""
    from matplotlib.figure import Figure

    from planner.charts import all_charts

    S.clear_memo()
    saved = []
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, buf, **kw: saved.append(kw["format"]) or real(self, buf, **kw))
    images = all_charts(plan2024, ctx2024)
    assert saved == ["svg"] * len(CHARTS) and set(images) == set(CHARTS)


def test_heatmap_tells_streams_apart_and_marks_deadlines(plan2024, ctx2024):
    """Managers and special-ops cells in their own colours; one deadline mark per deadline day; 调休 swatch."""
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import to_hex

    from planner.charts.calendar_heatmap import draw

    with S.chart_style():
        fig = draw(plan2024, ctx2024)
    ax = fig.axes[0]
    fills = {to_hex(c.get_facecolor()[0]) for c in ax.collections if isinstance(c, PatchCollection)}
    assert {S.STREAM_COLORS["managers"], S.STREAM_COLORS["special_ops"], S.MAKEUP_FILL} <= fills
    marks = [c for c in ax.collections if not isinstance(c, PatchCollection)]
    assert len(marks[0].get_offsets()) == len({s.registration_deadline for s in plan2024.sessions})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "报名截止" in labels and "调休上班（班）" in labels and any("特种作业" in t for t in labels)
    assert len(ax.patches) == 0  # cells are collections, not hundreds of patches


def test_compare_chart_writes_png_and_svg(tmp_path, plan2024, ctx2024):
    b = moved(plan2024, ("special_ops", 5), 3).with_sessions(
        [s for s in moved(plan2024, ("special_ops", 5), 3).sessions if s.key != ("managers", 11)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = compare_chart(plan2024, b, ctx2024, tmp_path / "compare")
    assert not [w for w in caught if "glyph" in str(w.message).lower()]
    assert [p.name for p in paths] == ["compare.png", "compare.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)


@pytest.mark.parametrize("year, banner", [(2025, False), (2026, True)])
def test_wall_calendar_is_one_a3_landscape_page(solved, year, banner):
    """One A3 landscape page with every month of exams, each exam named by site, the banner when provisional."""
    from planner.charts.wall_calendar import A3_LANDSCAPE_IN, draw, wall_calendar_pdf

    plan, ctx = solved(year)
    with S.chart_style():
        fig = draw(plan, ctx)
    assert tuple(round(v, 2) for v in fig.get_size_inches()) == A3_LANDSCAPE_IN
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    days = [d for s in plan.sessions for d in (s.registration_deadline, s.exam_date)]
    assert len(fig.axes) == len(S.months(min(days), max(days)))  # from the first deadline's month to the last exam's
    for s in plan.sessions:
        assert f"{ctx.catalogue.institutions[s.institution].short_name} {s.no}期" in texts
    assert any("节假日安排尚未公布" in t for t in texts) == banner
    pdf = wall_calendar_pdf(plan, ctx)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") <= 1
    S.clear_memo()  # drawn again, not served from the memo
    assert pdf == wall_calendar_pdf(plan, ctx)


def wall_cells(plan, ctx):
    """The wall calendar drawn: {day: [(text, points, box)]} for every text in a day cell (the cell whose square
    holds the text's anchor; its day is the number written in it), and {day: its cell's box}; boxes in points on
    the page (x0, y0, x1, y1), as the renderer sets the text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from planner.charts.wall_calendar import draw

    days = sorted(d for s in plan.sessions for d in (s.registration_deadline, s.exam_date))
    texts: dict[dt.date, list] = {}
    cells = {}
    with S.chart_style():
        fig = draw(plan, ctx)
        renderer = FigureCanvasAgg(fig).get_renderer()
        pt = 72 / fig.dpi
        months = S.months(days[0], days[-1])
        assert len(fig.axes) == len(months)
        for ax, (y, m) in zip(fig.axes, months):
            boxes = [path.get_extents(ax.transData) for coll in ax.collections for path in coll.get_paths()]
            inside: dict[int, list] = {}
            for t in ax.texts:
                x0, y0 = ax.transData.transform(t.get_position())
                k = [i for i, box in enumerate(boxes) if box.x0 <= x0 <= box.x1 and box.y0 <= y0 <= box.y1]
                if k:  # not the month's title or its weekday names, above the weeks
                    e = t.get_window_extent(renderer)
                    inside.setdefault(k[0], []).append((t.get_text(), t.get_fontsize(),
                                                        (e.x0 * pt, e.y0 * pt, e.x1 * pt, e.y1 * pt)))
            for i, lines in inside.items():
                d = dt.date(y, m, int(next(t for t, _, _ in lines if t.isdigit())))
                texts[d] = lines
                cells[d] = (boxes[i].x0 * pt, boxes[i].y0 * pt, boxes[i].x1 * pt, boxes[i].y1 * pt)
    return texts, cells


def crowded(plan):
    """*plan* with three exams on one day (their deadlines on one day too) and four deadlines on another."""
    first = sorted(plan.sessions, key=lambda s: s.exam_date)
    day, deadline = first[10].exam_date, first[10].registration_deadline
    busy = {s.key for s in first[10:13]}
    out = [replace(s, exam_date=day, registration_deadline=deadline) if s.key in busy else s for s in plan.sessions]
    assert sum(1 for s in out if s.exam_date == day) == 3
    return plan.with_sessions(out)


@pytest.mark.parametrize("year", [2024, 2026, 2027, "13 months"])
def test_wall_calendar_prints_six_points_or_more_inside_each_day(solved, plan2024, ctx2024, catalogue, year):
    """Read from a step away: every text in a day cell at 6 pt or more (deadlines were 5 pt, "等N场" 4.5 pt), exams
    as large as before (7.5 pt), each inside its cell and clear of the others (the day's number included); a day
    with more than its cell holds names what fits and counts the rest ("等3场考试", "截止等4场"). 2024 with the
    crowded days and two on-demand sessions (运城职大: a four-character name); a plan of 13 months (five rows of
    months, shorter cells)."""
    if year == 2024:
        plan, ctx = crowded(with_on_demand(plan2024, catalogue)), ctx2024
    elif year == "13 months":
        last = max(plan2024.sessions, key=lambda s: s.exam_date)
        plan, ctx = moved(plan2024, last.key, 28), ctx2024
        assert len(S.months(min(s.registration_deadline for s in plan.sessions), max(s.exam_date for s in plan.sessions))) == 13
    else:
        plan, ctx = solved(year)
    texts, cells = wall_cells(plan, ctx)
    for d, lines in texts.items():
        x0, y0, x1, y1 = cells[d]
        for i, (text, size, (a, b, c, e)) in enumerate(lines):
            assert size >= 6, (d, text, size)
            assert x0 <= a and c <= x1 and y0 <= b and e <= y1, (d, text, size, (a - x0, x1 - c, b - y0, y1 - e))
            for other, _, (a2, b2, c2, e2) in lines[i + 1:]:
                assert c <= a2 or c2 <= a or e <= b2 or e2 <= b, (d, text, other)
    exams: dict[dt.date, list] = {}
    deadlines: dict[dt.date, list] = {}
    for s in plan.sessions:
        exams.setdefault(s.exam_date, []).append(s)
        deadlines.setdefault(s.registration_deadline, []).append(s)
    short = {i: x.short_name for i, x in ctx.catalogue.institutions.items()}
    for d in set(exams) | set(deadlines):
        said = [t for t, _, _ in texts[d]]
        named = [s for s in exams.get(d, ()) if f"{short[s.institution]} {s.no}期" in said]
        assert [t for t in said if t.endswith("期")] == [f"{short[s.institution]} {s.no}期" for s in named]
        assert len(named) == len(exams.get(d, ())) or f"等{len(exams[d])}场考试" in said, (d, said)
        named = [s for s in deadlines.get(d, ()) if f"截 {short[s.institution]}{s.no}" in said]
        assert len([t for t in said if t.startswith("截 ")]) == len(named)
        assert len(named) == len(deadlines.get(d, ())) or f"截止等{len(deadlines[d])}场" in said, (d, said)
    if year == 2024:  # the crowded days: three exams on one, four deadlines (2024-02-22) and three on others
        said = " ".join(t for lines in texts.values() for t, _, _ in lines)
        assert "等3场考试" in said and "截止等4场" in said
        assert all(size == 7.5 for lines in texts.values() for t, size, _ in lines if t.endswith("期")
                   and not any(len(n) > 3 and t.startswith(n) for n in short.values()))


# -- the memo of rendered charts (style.render) ----------------------------------------------------------------
def _fresh(draw, *args, formats=("svg",)):
    S.clear_memo()
    return S.render(draw, *args, formats=formats)


@pytest.mark.parametrize("stem", list(CHARTS))
def test_a_memo_hit_is_the_bytes_a_fresh_rendering_gives(stem, plan2024, ctx2024, catalogue):
    """Served from the memo under equal inputs built anew (another plan object, another problem of the same
    year) = drawn afresh; a changed session, flag or format is drawn, not served."""
    from planner.api import make_context
    from planner.data import scenarios_dir
    from planner.planio import read_plan

    from conftest import mutate

    draw = importlib.import_module(f"planner.charts.{CHARTS[stem]}").draw
    fresh = _fresh(draw, plan2024, ctx2024)
    again = read_plan(scenarios_dir() / "plan_2024.csv", catalogue)
    assert again is not plan2024
    calls = []
    real = S.figure_bytes
    try:
        S.figure_bytes = lambda *a, **k: calls.append(1) or real(*a, **k)
        assert S.render(draw, again, make_context(2024), formats=("svg",)) == fresh and calls == []
        s = plan2024.sessions[3]
        shifted = mutate(plan2024, s.key, exam_date=s.exam_date + dt.timedelta(days=35))  # another month
        assert S.render(draw, shifted, ctx2024, formats=("svg",)) != fresh and len(calls) == 1
        assert S.render(draw, plan2024, ctx2024, "未通过规则检查", formats=("svg",)) != fresh and len(calls) == 2
        if stem == "calendar":  # the formats are part of the key (once: a PNG costs a rendering)
            assert set(S.render(draw, plan2024, ctx2024, formats=("png",))) == {"png"} and len(calls) == 3
    finally:
        S.figure_bytes = real


def test_the_memo_tells_calendars_and_demands_apart(plan2024, ctx2024):
    """Another calendar (provisional days) or a demand file makes another chart: the memo's key holds them."""
    from planner.api import make_context
    from planner.charts import calendar_heatmap, waits
    from planner.demand import load_demand, scale_candidates

    estimate = load_demand(None, ctx2024.catalogue)
    one = S.render(waits.draw, plan2024, ctx2024.with_demand(estimate), formats=("svg",))
    assert S.render(waits.draw, plan2024, ctx2024.with_demand(scale_candidates(estimate, 50)), formats=("svg",)) != one
    plain = S.render(calendar_heatmap.draw, plan2024, ctx2024, formats=("svg",))
    other = replace(ctx2024, calendar=make_context(2098).calendar)
    assert S.render(calendar_heatmap.draw, plan2024, other, formats=("svg",)) != plain


def test_a_chart_reads_only_what_the_memo_keys_on(plan2024, ctx2024):
    """A chart reaching for a part of the problem the memo's key does not name fails, never served stale."""
    from matplotlib.figure import Figure

    def peeks_at_closures(plan, ctx):
        ctx.closures
        return Figure()

    def reads_the_calendar(plan, ctx):
        ctx.calendar, ctx.catalogue, ctx.window, ctx.demand, ctx.ruleset
        return Figure()

    S.clear_memo()
    with pytest.raises(AttributeError, match="closures"):
        S.render(peeks_at_closures, plan2024, ctx2024, formats=("svg",))
    assert b"<svg" in S.render(reads_the_calendar, plan2024, ctx2024, formats=("svg",))["svg"]


@pytest.mark.parametrize("year", [2025, 2026])
def test_registration_windows_legend_is_on_the_page(solved, year):
    """The legend (which colour is which stream) lies inside the figure, below the axis label, however many months
    and lanes the chart has (anchored to the axes, it fell below a tall chart's page)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from planner.charts import style as S
    from planner.charts.registration_timeline import draw

    plan, ctx = solved(year)
    with S.chart_style():
        fig = draw(plan, ctx)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        legend = fig.legends[0].get_window_extent(renderer)
        label = fig.axes[0].xaxis.label.get_window_extent(renderer)
        assert 0 <= legend.y0 and legend.y1 <= label.y0 and 0 <= legend.x0 and legend.x1 <= fig.bbox.x1
        assert [t.get_text() for t in fig.legends[0].get_texts()] == [S.stream_label(ctx, s) for s in plan.streams()]


@pytest.mark.parametrize("year", [2025, 2026])
def test_registration_windows_print_their_labels_at_a_readable_size_in_the_report(solved, year):
    """report.html prints each chart within the page's width and its images' max-height (its own print CSS): the
    registration windows' labels must come out at 5 pt or more (they printed at about 4 pt when every month had the
    busiest month's lanes)."""
    import re

    from planner.charts import registration_timeline as T
    from planner.charts import style as S
    from planner.report import CSS

    page = re.search(r"@page\{size:A4;margin:(\d+)mm (\d+)mm\}", CSS)
    most_tall = float(re.search(r"figure img\{[^}]*max-height:(\d+)mm", CSS).group(1))
    width_mm = 210 - 2 * float(page.group(2))
    plan, ctx = solved(year)
    with S.chart_style():
        w, h = T.draw(plan, ctx).get_size_inches()
    scale = min(width_mm / 25.4 / w, most_tall / 25.4 / h, 1.0)
    assert T.LABEL_PT * scale >= 5, (w, h, scale)
