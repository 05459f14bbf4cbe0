"""notice.xlsx: the notice's attachments as a workbook planners edit in Excel/WPS, and reading it back.

Layout per plan sheet: the attachment label, the table title, the header row
(期次 报名时间 考试时间 考试类别 考试地点 备注), one row per session, then the footnotes.
Sub-tables (the on-demand sites in 附件3) repeat the header under their own heading. A
hidden column G carries each row's stream id and a hidden sheet the plan year, so reading
the workbook back gives the identical plan while everything a person sees is the notice's.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from ..data import Catalogue
from ..errors import PlannerError
from ..plan import Plan, plan_from_records
from . import tables as T
from . import wording as W

META_SHEET = "_planner"
FORMAT = "planner notice.xlsx 1"
STREAM_COL = 7  # hidden column G
PLAN_WIDTHS = (6, 15, 15, 24, 32, 10)
DIRECTORY_WIDTHS = (6, 22, 60, 20, 16, 9)
BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def fixed_time(plan: Plan) -> dt.datetime:
    """Document timestamps derived from the plan (Jan 1 of its year), never the wall clock."""
    return dt.datetime(plan.year, 1, 1)


def text_width(text: str) -> int:
    """Display width in Excel column units: CJK characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def line_count(text: str, width: float) -> int:
    usable = max(width - 1.5, 4)
    return sum(max(1, -(-text_width(line) // int(usable))) for line in str(text).split("\n"))


# ----------------------------------------------------------------------------- writing

def notice_xlsx_bytes(plan: Plan, ctx, flag: str = "") -> bytes:
    """The workbook as bytes (built fully in memory, so a failure writes nothing)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _materials_sheet(wb, ctx.catalogue, flag)
    for att in T.attachments(plan, ctx):
        _plan_sheet(wb, att, plan, ctx, flag)
    _directory_sheet(wb, ctx.catalogue, flag)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for row in (("format", FORMAT), ("year", plan.year)):
        meta.append(row)
    when = fixed_time(plan)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = "planner"
    wb.properties.title = "运城市安全培训考试计划"
    wb.active = 0
    return _save(wb, when)


def _save(wb, when: dt.datetime) -> bytes:
    """Save without openpyxl's wall-clock stamps: docProps keep *when*, zip entries a fixed date."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def _styles():
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "body": Font(name=BODY_FONT, size=11),
        "bold": Font(name=BODY_FONT, size=11, bold=True),
        "title": Font(name=TITLE_FONT, size=16, bold=True),
        "flag": Font(name=BODY_FONT, size=12, bold=True, color="C00000"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "left": Alignment(horizontal="left", vertical="center", wrap_text=True),
        "top": Alignment(horizontal="left", vertical="top", wrap_text=True),
    }


def _print_setup(ws, widths, landscape: bool, title_rows: str | None = None, centered: bool = True) -> None:
    """A4, fit all columns on the page width, centred, header row repeated on every page.

    A one-column text sheet is not centred: LibreOffice then crops it instead of scaling it.
    """
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = centered
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_area = f"A1:{get_column_letter(len(widths))}{ws.max_row}"
    if title_rows:
        ws.print_title_rows = title_rows
    ws.sheet_view.zoomScale = 100


def _banner(ws, row: int, text: str, font, ncols: int, height: float, align) -> int:
    ws.cell(row=row, column=1, value=text).font = font
    ws.cell(row=row, column=1).alignment = align
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.row_dimensions[row].height = height
    return row + 1


def _head(ws, st, sheet: str, title: str, ncols: int, widths, flag: str) -> int:
    """Rows above a table: the watermark (if any), "附件N", the title; returns the next row."""
    row = 1
    if flag:
        row = _banner(ws, row, flag, st["flag"], ncols, 20, st["left"])
    row = _banner(ws, row, sheet, st["bold"], 1, 18, st["left"])
    lines = line_count(title, sum(widths) * 0.55)  # 16pt title: about half as many characters per width
    return _banner(ws, row, title, st["title"], ncols, 24 * lines, st["center"])


def _table_row(ws, st, row: int, values, widths, font=None) -> None:
    for c, v in enumerate(values, 1):
        cell = ws.cell(row=row, column=c, value=v)
        cell.font = font or st["body"]
        cell.alignment = st["center"]
        cell.border = st["border"]
    lines = max(line_count(str(v), widths[c]) for c, v in enumerate(values))
    ws.row_dimensions[row].height = max(20, 15 * lines + 4)


def _plan_sheet(wb, att: T.Attachment, plan: Plan, ctx, flag: str) -> None:
    st = _styles()
    ws = wb.create_sheet(att.sheet)
    ncols = len(W.PLAN_HEADERS)
    row = _head(ws, st, att.sheet, att.title, ncols, PLAN_WIDTHS, flag)
    header_row = row
    for sec in att.sections:
        if sec.heading:
            row = _banner(ws, row, sec.heading, st["bold"], ncols, 22, st["left"])
        _table_row(ws, st, row, W.PLAN_HEADERS, PLAN_WIDTHS, st["bold"])
        row += 1
        for s in sec.sessions:
            _table_row(ws, st, row, T.plan_row(s, plan.year, ctx), PLAN_WIDTHS)
            ws.cell(row=row, column=STREAM_COL, value=s.stream)
            row += 1
    for note in att.footnotes:
        height = 15 * line_count(note, sum(PLAN_WIDTHS)) + 4
        row = _banner(ws, row, note, st["body"], ncols, height, st["top"])
    ws.column_dimensions["G"].hidden = True
    _print_setup(ws, PLAN_WIDTHS, landscape=False, title_rows=f"{header_row}:{header_row}")


def _directory_sheet(wb, catalogue: Catalogue, flag: str) -> None:
    st = _styles()
    ws = wb.create_sheet(W.DIRECTORY_SHEET)
    ncols = len(W.DIRECTORY_HEADERS)
    row = _head(ws, st, W.DIRECTORY_SHEET, W.DIRECTORY_TITLE, ncols, DIRECTORY_WIDTHS, flag)
    header_row = row
    _table_row(ws, st, row, W.DIRECTORY_HEADERS, DIRECTORY_WIDTHS, st["bold"])
    for values in T.directory_rows(catalogue):
        row += 1
        _table_row(ws, st, row, values, DIRECTORY_WIDTHS)
        ws.cell(row=row, column=3).alignment = st["left"]
    _print_setup(ws, DIRECTORY_WIDTHS, landscape=True, title_rows=f"{header_row}:{header_row}")


def _materials_sheet(wb, catalogue: Catalogue, flag: str) -> None:
    st = _styles()
    ws = wb.create_sheet(W.MATERIALS_SHEET)
    width = 72  # fits A4 portrait at 100%: LibreOffice does not scale a one-column sheet to the page
    lines = T.materials_lines(catalogue)
    row = _head(ws, st, W.MATERIALS_SHEET, lines[0][1], 1, (width,), flag)
    for style, text in lines[1:]:
        text = "    " + text if style == "note" else text
        font = st["bold"] if style == "heading" else st["body"]
        row = _banner(ws, row, text, font, 1, 16 * line_count(text, width) + 4, st["left"])
    _print_setup(ws, (width,), landscape=False, centered=False)


# ----------------------------------------------------------------------------- reading

def read_notice_xlsx(path: str | Path, catalogue: Catalogue, year: int | None = None) -> Plan:
    """Read a plan from a workbook in the published layout; anything else is one clear PlannerError."""
    from openpyxl import load_workbook

    p = Path(path)
    if not p.is_file():
        raise PlannerError("file not found", file=p)
    try:
        wb = load_workbook(p, data_only=True)
    except Exception as exc:  # zip/xml errors of every kind: not a workbook we can read
        raise PlannerError(f"not a readable .xlsx workbook ({type(exc).__name__})", file=p) from None
    sheets = sorted({st.attachment for st in catalogue.streams.values()})
    missing = [s for s in sheets if s not in wb.sheetnames]
    if missing:
        raise PlannerError(f"not a notice.xlsx in the published layout: no sheet {missing[0]!r} "
                           f"(expected sheets {', '.join(sheets)})", file=p)
    year = year if year is not None else _year(wb, catalogue)
    records = []
    for sheet in sheets:
        records += _sheet_records(wb[sheet], sheet, catalogue, p, year)
    if not records:
        raise PlannerError(f"not a notice.xlsx in the published layout: no header row "
                           f"{' '.join(W.PLAN_HEADERS)!r} with sessions under it", file=p)
    return plan_from_records(records, catalogue, p, year=year)


def _year(wb, catalogue: Catalogue) -> int | None:
    """The plan year: the hidden sheet's, else the one in a table title (运城市{year}年…)."""
    if META_SHEET in wb.sheetnames:
        for key, value, *_ in wb[META_SHEET].iter_rows(values_only=True):
            if key == "year" and isinstance(value, int):
                return value
    for st in catalogue.streams.values():
        pattern = re.compile(re.escape(st.title).replace(re.escape("{year}"), r"(\d{4})"))
        if st.attachment in wb.sheetnames:
            for (value,) in wb[st.attachment].iter_rows(min_col=1, max_col=1, max_row=10, values_only=True):
                m = pattern.fullmatch(str(value or "").strip())
                if m:
                    return int(m.group(1))
    return None


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"[ \t\u3000]+", "", str(v)).strip()


def _sheet_records(ws, sheet: str, catalogue: Catalogue, path: Path, year: int | None) -> list:
    streams = [sid for sid, st in catalogue.streams.items() if st.attachment == sheet]
    sites = _site_names(catalogue)
    where = f"{path} [{sheet}]"
    out, in_table = [], False
    for r, row in enumerate(ws.iter_rows(min_col=1, max_col=STREAM_COL, values_only=True), start=1):
        cells = [_cell_text(v) for v in row] + [""] * (STREAM_COL - len(row))
        if tuple(cells[:6]) == W.PLAN_HEADERS:
            in_table = True
            continue
        if not in_table or not any(cells[:6]):
            continue
        if not cells[0].isdigit():
            in_table = False  # a footnote or a sub-table heading ends the table
            continue
        if not any(cells[1:6]):
            continue  # a numbered but empty row, as at the end of the notice's 附件3
        out.append((r, _record(cells, r, streams, sites, catalogue, where, year)))
    return out


def _site_names(catalogue: Catalogue) -> dict[str, str]:
    """考试地点 spellings -> institution id (plan name, directory name, short name, id)."""
    out = {}
    for i in catalogue.institutions.values():
        for name in (i.id, i.short_name, i.name, i.plan_name):
            out[_cell_text(name)] = i.id
    return out


def _record(cells, r, streams, sites, catalogue, where, year) -> dict:
    if year is None:
        raise PlannerError("cannot tell the plan year (no title 运城市YYYY年…); pass --year", file=where)
    no, deadline, exam, kind, site, notes, stream = cells[:7]
    inst = sites.get(site)
    if inst is None:
        raise PlannerError(f"unknown 考试地点 {site!r}", file=where, row=r, field="考试地点")
    if stream not in streams:
        stream = _guess_stream(streams, catalogue.institutions[inst])
    rec = {"stream": stream, "no": no, "institution": inst, "kind": kind, "notes": notes}
    for key, text, label in (("registration_deadline", deadline, "报名时间"), ("exam_date", exam, "考试时间")):
        rec[key] = _date_iso(text, year, where, r, label)
    return rec


def _guess_stream(streams: list[str], inst) -> str:
    """Without the hidden stream column: an on-demand-only site's row belongs to the sheet's on-demand stream."""
    if len(streams) > 1 and inst.on_demand and not inst.rotation_site:
        return streams[1]
    return streams[0]


def _date_iso(text: str, year: int, where, r: int, label: str) -> str:
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:\d{2}:\d{2}:\d{2})?", text)
    if m:  # a date typed into the cell; Excel stores it as a datetime
        return m.group(1)
    try:
        return W.parse_day_text(text, year)[0].isoformat()
    except ValueError:
        raise PlannerError(f"not a date like 3月6日 or 2025年1月2日前: {text!r}", file=where, row=r,
                           field=label) from None
