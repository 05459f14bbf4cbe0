"""The notice's tables as plain rows, built once and rendered by every format (XLSX, CSV, HTML, JSON).

Keeping the content here means the spreadsheet, the CSVs and the report can never disagree
about a date's wording, a footnote or an address.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..data import MANAGERS_CATEGORY
from ..plan import Plan, Session
from ..regulation import printed_kind
from . import published as P
from . import wording as W

#: default length of a training class in calendar days, the class ending the day before the exam
DEFAULT_CLASS_DAYS = 7


@dataclass(frozen=True)
class Section:
    """A block of rows under one header: the attachment's main stream, or a sub-table (on-demand sites)."""

    stream: str
    heading: str  # "" for the main table
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class Attachment:
    """One of 附件2/附件3: a title, one or more sections, footnotes."""

    sheet: str
    title: str
    streams: tuple[str, ...]
    sections: tuple[Section, ...]
    footnotes: tuple[str, ...] = field(default=())


def provisional_years(plan: Plan, ctx) -> list[int]:
    """Years of the plan's dates whose State Council arrangement is not official yet (empty: all official)."""
    return sorted({d.year for s in plan.sessions for d in (s.registration_deadline, s.exam_date)
                   if not ctx.calendar.is_official(d)})


def provisional_note(plan: Plan, ctx) -> str:
    """"2027年节假日安排尚未公布，日期为暂定", or "" when every date lies in an official year."""
    years = provisional_years(plan, ctx)
    return W.PROVISIONAL_NOTE.format(years="、".join(map(str, years))) if years else ""


def predicted_days_text(ctx) -> str:
    """The predicted (预计) blocks of days off and make-up days inside the plan-year window, for the planner:
    "预计放假：国庆节10月1日至7日……；预计调休上班：9月26日……" ("" when the calendar predicts nothing there)."""
    cal = ctx.calendar
    start, stop = ctx.window
    blocks, seen = [], set()
    for a, b in cal.off_blocks():
        days = [d for d in cal.days(a, b) if d in cal.predicted and d in cal.holidays]
        if days and start <= b and a <= stop and not seen & set(days):
            seen.update(days)
            name = cal.holidays[days[0]].removesuffix("（预计）")
            end = f"{b.day}日" if (b.year, b.month) == (a.year, a.month) else W.day_text(b, ctx.year)
            span = W.day_text(a, ctx.year) + ("" if a == b else "至" + end)
            blocks.append(f"{name}{span}")
    made = [W.day_text(d, ctx.year) for d in sorted(cal.makeup_workdays & cal.predicted) if start <= d <= stop]
    if not blocks and not made:
        return ""
    return ("预计放假：" + "，".join(blocks) + ("；预计调休上班（不安排考试）：" + "、".join(made) if made else "")
            + "（按往年节假日安排规律推算，以国务院公布为准）")


def site_name(ctx, institution: str) -> str:
    return ctx.catalogue.institutions[institution].plan_name


def plan_row(s: Session, plan_year: int, ctx, above: Session | None = None) -> list:
    """A row in the notice's columns: 期次 报名时间 考试时间 考试类别 考试地点 备注.

    *above* is the row above in the same table: a date names its year only where the column
    changes year (the notice's wording); without it every date outside the plan year does.
    """
    dy = above.registration_deadline.year if above is not None else None
    ey = above.exam_date.year if above is not None else None
    return [s.no, W.deadline_text(s.registration_deadline, plan_year, dy), W.day_text(s.exam_date, plan_year, ey),
            printed_kind(ctx, s), site_name(ctx, s.institution), s.notes]


def plan_rows(sessions, plan_year: int, ctx) -> list[list]:
    """A table's rows, in order, each date worded against the row above."""
    sessions = list(sessions)
    return [plan_row(s, plan_year, ctx, sessions[k - 1] if k else None) for k, s in enumerate(sessions)]


def attachments(plan: Plan, ctx) -> list[Attachment]:
    """附件2, 附件3, … in attachment order; sub-streams appear only when the plan has sessions for them."""
    cat = ctx.catalogue
    by_sheet: dict[str, list[str]] = {}
    for sid, st in cat.streams.items():
        by_sheet.setdefault(st.attachment, []).append(sid)
    out = []
    for sheet in sorted(by_sheet):
        streams = by_sheet[sheet]
        main = cat.streams[streams[0]]
        sections = [Section(main.id, "", tuple(plan.stream(main.id)))]
        for sid in streams[1:]:
            if plan.stream(sid):
                sections.append(Section(sid, cat.streams[sid].name, tuple(plan.stream(sid))))
        out.append(Attachment(sheet, main.title.format(year=plan.year), tuple(streams), tuple(sections),
                              tuple(footnotes(plan, ctx, streams))))
    return out


def footnotes(plan: Plan, ctx, streams: list[str]) -> list[str]:
    """The notice's notes under a table: on-demand sites, noon deadline, adjustments, site addresses."""
    cat = ctx.catalogue
    insts = cat.institutions
    notes = []
    on_demand = [i for sid in streams[1:] for i in ctx.sites(sid)]
    if on_demand:
        names = "、".join(P.on_demand_name(insts[i], cat)
                         for i in sorted(set(on_demand), key=lambda i: P.on_demand_key(insts[i], cat)))
        notes.append(W.NOTE_ON_DEMAND.format(names=names))
    notes += [W.NOTE_NOON, W.NOTE_ADJUST]
    sites = {i for sid in streams for i in ctx.sites(sid)} | {s.institution for sid in streams for s in plan.stream(sid)}
    ordered = sorted((i for i in sites if i in insts), key=lambda i: P.address_key(insts[i], cat))
    lines = [W.ADDRESS_LINE.format(name=P.address_name(insts[i], cat), address=insts[i].address) for i in ordered]
    if len(lines) == 1:
        notes.append(W.NOTE_ADDRESSES_ONE + "\n" + lines[0])
    elif lines:
        notes.append(W.NOTE_ADDRESSES_MANY + "\n" + "\n".join(W.circled(n) + ln for n, ln in enumerate(lines, 1)))
    return [W.numbered(n, t) for n, t in enumerate(notes, 1)]


def scope_text(inst, catalogue) -> str:
    """附件4 机构培训范围: the notice's own text, else built "电工作业（低压电工作业、高压电工作业），…"."""
    published = P.published_scope(inst, catalogue)
    if published:
        return published
    groups: dict[tuple[str, str], list[str]] = {}
    for code in sorted(inst.scope, key=list(catalogue.operations).index):
        op = catalogue.operations[code]
        groups.setdefault((op.category_code, op.category), []).append(op.name)
    # the managers' category is named on its own in the notice; the others list their operation types
    return "，".join(cat if code == MANAGERS_CATEGORY else f"{cat}（{'、'.join(names)}）"
                    for (code, cat), names in groups.items())


def directory_rows(catalogue) -> list[list]:
    """附件4 rows: 序号 机构名称 机构培训范围 详细地址 联系电话 负责人."""
    insts = sorted(catalogue.institutions.values(), key=lambda i: i.seq)
    return [[i.seq, P.directory_name(i, catalogue), scope_text(i, catalogue), i.address, "\n".join(i.phones), i.contact] for i in insts]


def materials_lines(catalogue) -> list[tuple[str, str]]:
    """附件1 as (style, text) lines: style is "title", "heading", "item" or "note"."""
    lines = [("title", catalogue.materials_title)]
    for sec in catalogue.materials:
        lines.append(("heading", sec.heading))
        lines += [("item", W.numbered(n, t)) for n, t in enumerate(sec.items, 1)]
        lines += [("note", t) for t in sec.notes]
    return lines


def minus_month(d: dt.date) -> dt.date:
    """The same day one month earlier (clamped to the month's last day): "1个月" of notice section 五."""
    y, m = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def class_opens(s: Session, class_days: int = DEFAULT_CLASS_DAYS) -> dt.date:
    """Latest day the class can open: *class_days* calendar days before the exam."""
    return s.exam_date - dt.timedelta(days=class_days)


def upload_by(s: Session, class_days: int = DEFAULT_CLASS_DAYS) -> dt.date:
    """Latest day the institution uploads its approved training plan: one month before the class opens."""
    return minus_month(class_opens(s, class_days))


def schedule_rows(plan: Plan, ctx, class_days: int = DEFAULT_CLASS_DAYS, institution: str | None = None) -> list[list]:
    """The institutions' view: each session with its latest class opening and training-plan upload date, dated as
    the notice dates (3月6日, the year named when it is not the plan year: each cell stands alone)."""
    rows = []
    y = plan.year
    for s in plan.sessions:
        if institution is not None and s.institution != institution:
            continue
        rows.append([ctx.catalogue.streams[s.stream].name, s.no, site_name(ctx, s.institution),
                     W.deadline_text(s.registration_deadline, y), W.day_text(s.exam_date, y),
                     W.day_text(class_opens(s, class_days), y), W.day_text(upload_by(s, class_days), y)])
    return rows
