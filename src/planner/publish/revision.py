"""The revision notice (调整通知) of a re-planned plan: revision.docx and revision.xlsx.

Lists exactly the sessions whose date, site or registration deadline differ from the plan as
published before (matched by stream and 期次, as ``compare.diff_plans`` does), plus sessions
added or cancelled, each with the new registration deadline and the reason, in the notice's
official format (see ``notice_docx``).
"""
from __future__ import annotations

from ..compare import Change, diff_plans
from ..plan import Plan
from . import notice_docx as D
from . import tables as T
from . import wording as W

TEMPLATE = "revision_body.md.j2"
TABLE_MARK = "[[调整表]]"
HEADERS = ("期次", "原考试时间", "原考试地点", "调整后考试时间", "调整后考试地点", "调整后报名截止", "调整原因")
COLS = (2.5, 2.3, 3.6, 2.3, 3.6, 2.5, 2.4)
SHEET = "调整期次"


def what_changed(c: Change) -> str:
    """The change in the notice's words."""
    if c.old is None:
        return "新增期次"
    if c.new is None:
        return "取消期次"
    parts = []
    if c.old.exam_date != c.new.exam_date:
        parts.append("考试时间")
    if c.old.institution != c.new.institution:
        parts.append("考试地点")
    if not parts and c.old.registration_deadline != c.new.registration_deadline:
        parts.append("报名时间")
    if not parts:
        parts.append("考试类别")
    return "和".join(parts) + "调整"


def revision_rows(old: Plan, new: Plan, ctx, reasons: dict | None = None) -> list[list[str]]:
    """One row per changed session: "特种作业 第24期", old date and site, new date, site and deadline, reason."""
    reasons = reasons or {}
    cat = ctx.catalogue
    rows = []
    for c in diff_plans(old, new):
        o, n = c.old, c.new
        why = what_changed(c)
        extra = reasons.get((c.stream, c.no))
        name = W.stream_short(c.stream, cat.streams[c.stream].name if c.stream in cat.streams else c.stream)
        rows.append([
            f"{name}\n第{c.no}期",
            W.day_text(o.exam_date, old.year) if o else "—", T.site_name(ctx, o.institution) if o else "—",
            W.day_text(n.exam_date, new.year) if n else "取消", T.site_name(ctx, n.institution) if n else "—",
            W.deadline_text(n.registration_deadline, new.year) if n else "—",
            f"{why}（{extra}）" if extra else why,
        ])
    return rows


def revision_docx_bytes(old: Plan, new: Plan, ctx, rows: list[list[str]], flag: str = "", reason: str = "",
                        issued=None, template: str | None = None) -> bytes:
    from importlib.resources import files

    text = template or files("planner").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    paper = D.Paper(issued=issued)
    head = paper.head()
    values = {"year": new.year, "count": len(rows), "reason": reason, "issued": D.date_text(issued) if issued else D.BLANK_DATE,
              "provisional": T.provisional_note(new, ctx), "original": f"运城市{new.year}年全市安全生产培训考试计划",
              "organ": head.organ, "recipients": head.recipients}
    lines = D.render_body(text, values, TEMPLATE)
    marks = D.Marks(flag, values["provisional"])
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "调整通知")
    doc = D._new_document(new, title, issued)
    at = lines.index(TABLE_MARK) if TABLE_MARK in lines else len(lines)
    D._body(doc, lines[:at], marks, paper, head.document_number(new.year))
    D._table(doc, HEADERS, rows, COLS, D._usable_mm(doc.sections[-1]))
    D._body(doc, lines[at + 1:], D.Marks("", ""))
    D._record(doc, head, issued)
    return D._save(doc, issued)


def revision_xlsx_bytes(new: Plan, ctx, rows: list[list[str]], flag: str = "", issued=None) -> bytes:
    from openpyxl import Workbook

    from . import xlsx as X

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    st = X._styles()
    marks = X.Marks(flag, T.provisional_note(new, ctx), f"运城市{new.year}年安全培训考试计划调整")
    widths = tuple(int(c * 7) for c in COLS)
    row = X._head(ws, st, SHEET, f"运城市{new.year}年安全生产培训考试计划调整期次", len(HEADERS), widths, marks)
    header_row = row
    X._table_row(ws, st, row, HEADERS, widths, st["bold"])
    for values in rows:
        row += 1
        X._table_row(ws, st, row, values, widths)
    X._print_setup(ws, widths, True, marks, f"{header_row}:{header_row}")
    when = X.fixed_time(issued)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = D.ORGAN
    return X._save(wb, when)


def revision_files(old: Plan, new: Plan, ctx, reasons: dict, flag: str = "", issued=None) -> dict[str, bytes]:
    """revision.docx and revision.xlsx; *reasons*: (stream, 期次) -> text, or "*" -> the reason for all."""
    rows = revision_rows(old, new, ctx, reasons)
    return {"revision.docx": revision_docx_bytes(old, new, ctx, rows, flag, reasons.get("*", ""), issued),
            "revision.xlsx": revision_xlsx_bytes(new, ctx, rows, flag, issued)}
