"""What the pages show, built from the core's objects: the year calendar, the notice's tables, KPIs.

Dates are worded by ``publish.wording`` and the tables' rows come from ``publish.tables``, so the
page says exactly what the published notice says.
"""
from __future__ import annotations

import calendar as pycal
import datetime as dt

from ..charts.style import site_colors
from ..compare import ALL, site_kpis
from ..plan import Plan, Session
from ..publish import tables as T
from ..publish import wording as W

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
#: one character telling the streams apart on the calendar (managers 管, special-ops 特, on-demand 需)
STREAM_MARK = {"managers": "管", "special_ops": "特", "on_demand": "需"}


def session_label(s: Session, ctx) -> str:
    """"特种作业人员 第12期（聚腾，5月8日）"."""
    return (f"{ctx.catalogue.streams[s.stream].name} 第{s.no}期"
            f"（{ctx.catalogue.institutions[s.institution].short_name}，{W.day_text(s.exam_date, ctx.year)}）")


def months(plan: Plan, ctx, moved: dict | None = None) -> list[dict]:
    """The plan year's months as week rows of day cells (Monday first). *moved*: (stream, 期次) → the
    session's exam day in the version this one came from, for sessions a re-plan or an edit moved; each
    day also names the sites a scenario closes on it."""
    moved = moved or {}
    closed_on: dict[dt.date, list[str]] = {}
    for c in getattr(ctx, "closures", ()):
        d = max(c.start, ctx.window[0])
        while d <= min(c.end, ctx.window[1]):
            closed_on.setdefault(d, []).append(ctx.catalogue.institutions[c.institution].short_name
                                               if c.institution in ctx.catalogue.institutions else c.institution)
            d += dt.timedelta(days=1)
    #: the closed sites are named on a closure's first day and each month's first; the hatching shows the rest
    named = {max(c.start, ctx.window[0]) for c in getattr(ctx, "closures", ())}
    cal = ctx.calendar
    start, stop = ctx.window
    first = min([start] + [s.registration_deadline for s in plan.sessions])
    last = max([stop] + [s.exam_date for s in plan.sessions])
    exams: dict[dt.date, list[Session]] = {}
    deadlines: dict[dt.date, list[Session]] = {}
    for s in plan.sessions:
        exams.setdefault(s.exam_date, []).append(s)
        deadlines.setdefault(s.registration_deadline, []).append(s)
    colors = site_colors(ctx)
    insts = ctx.catalogue.institutions
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        weeks = []
        for week in pycal.Calendar().monthdatescalendar(y, m):
            row = []
            for d in week:
                if d.month != m:
                    row.append(None)
                    continue
                classes = []
                if d in cal.holidays:
                    classes.append("holiday")
                elif d in cal.makeup_workdays:
                    classes.append("makeup")
                elif not cal.is_working_day(d):
                    classes.append("weekend")
                if d in cal.predicted:  # not yet arranged by the State Council
                    classes.append("predicted")
                if not start <= d <= stop:
                    classes.append("outside")
                if d in closed_on:
                    classes.append("closure")
                row.append({
                    "day": d.day, "iso": d.isoformat(), "classes": " ".join(classes),
                    "mark": ("预计" if d in cal.predicted else "") + ("休" if d in cal.holidays else
                                                                     "班" if d in cal.makeup_workdays else "")
                    if d in cal.holidays or d in cal.makeup_workdays else "",
                    "closed": "、".join(closed_on.get(d, [])),
                    "closed_label": d in closed_on and (d in named or d.day == 1),
                    "exams": [{"stream": s.stream, "no": s.no, "mark": STREAM_MARK.get(s.stream, "?"),
                               "site": insts[s.institution].short_name, "color": colors[s.institution],
                               "moved": (f"由{W.day_text(moved[(s.stream, s.no)], ctx.year)}调整"
                                         if (s.stream, s.no) in moved else ""),
                               "title": session_label(s, ctx) + "：" + s.kind} for s in exams.get(d, [])],
                    "deadlines": [f"第{s.no}期{STREAM_MARK.get(s.stream, '')}报名截止" for s in deadlines.get(d, [])],
                })
            weeks.append(row)
        out.append({"title": f"{y}年{m}月", "weeks": weeks})
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def legend(plan: Plan, ctx) -> list[dict]:
    colors = site_colors(ctx)
    used = sorted({s.institution for s in plan.sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    return [{"name": ctx.catalogue.institutions[i].short_name, "color": colors[i]} for i in used]


def notice_tables(plan: Plan, ctx) -> list[dict]:
    """附件2 / 附件3 as the notice prints them (rows from ``publish.tables``): each date worded against the row
    above, as notice.docx/.xlsx, the CSVs and report.html word it (the year once, where a column crosses into the
    next year: 期次45 "2027年1月6日", 期次46 "1月12日")."""
    out = []
    for att in T.attachments(plan, ctx):
        out.append({"sheet": att.sheet, "title": att.title, "headers": W.PLAN_HEADERS,
                    "sections": [{"heading": sec.heading, "rows": T.plan_rows(sec.sessions, plan.year, ctx)}
                                 for sec in att.sections],
                    "footnotes": att.footnotes})
    return out


def kpis(plan: Plan, ctx) -> list[dict]:
    """Per site: sessions, the longest and mean wait between two exams there (``compare.site_kpis``)."""
    rows = []
    for site, k in site_kpis(plan).items():
        name = "全部考点" if site == ALL else ctx.catalogue.institutions[site].short_name
        rows.append({"site": name, "sessions": k.sessions,
                     "longest": "—" if k.longest_gap is None else f"{k.longest_gap}天",
                     "mean": "—" if k.mean_gap is None else f"{k.mean_gap:.1f}天"})  # one decimal in every row
    return rows


def waits(plan: Plan, ctx) -> list[dict]:
    """Longest wait for the next exam of each operation type, grouped and matched as the coverage rule does
    (``Coverage.classes`` / ``Coverage.offers``), against the rule's limit."""
    rule = ctx.ruleset.rule("coverage")
    if rule is None:
        return []
    start, stop = ctx.window
    insts, ops_ = ctx.catalogue.institutions, ctx.catalogue.operations
    rows = []
    for stream in rule.streams:
        for who, ops in rule.classes(stream, ctx).items():
            days = sorted(s.exam_date for s in plan.stream(stream) if rule.offers(who, s))
            sites = {i for i, _ in who}
            marks = ([start] if rule.include_window_edges else []) + days + (
                [stop] if rule.include_window_edges else [])
            gaps = [(b - a).days for a, b in zip(marks, marks[1:])]
            names = [ops_[o].name for o in ops]
            rows.append({"stream": ctx.catalogue.streams[stream].name,
                         "ops": "、".join(names[:3]) + (f"等{len(names)}个工种" if len(names) > 3 else ""),
                         "sites": "、".join(insts[i].short_name for i in sorted(sites, key=lambda i: insts[i].seq)),
                         "longest": max(gaps) if gaps else None, "limit": rule.max_days_between_opportunities})
    return rows


def allowed_days(session: Session, ctx) -> list[dt.date]:
    """Days this session could be pinned to: every day the per-session hard rules accept for it alone
    (the rules' own check face via ``scenario.check_pins``; the rest of the plan moves around it)."""
    from ..errors import PlannerError
    from ..scenario import check_pins

    start, stop = ctx.window
    gap = session.exam_date - session.registration_deadline
    out = []
    d = start
    while d <= stop:
        cand = Session(session.stream, session.no, d - gap, d, session.institution, session.kind, session.notes)
        try:
            check_pins([cand], ctx, {})
        except PlannerError:
            pass
        else:
            out.append(d)
        d += dt.timedelta(days=1)
    return out
