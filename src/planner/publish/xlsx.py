"""notice.xlsx: the notice's attachments as a workbook planners edit in Excel/WPS, and reading it back.

Layout per plan sheet: the attachment label, the table title, the header row
(期次 报名时间 考试时间 考试类别 考试地点 备注), one row per session, then the footnotes.
Sub-tables (the on-demand sites in 附件3) repeat the header under their own heading, which
names their stream, so reading the workbook back gives the identical plan from what a person
sees alone (no hidden columns); a hidden sheet keeps the plan year as a convenience. A plan
with a provisional calendar says so in a red row on every sheet and in the page header; pages
are cut so no header row or lone last row is left alone, the notes staying with the table.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..data import Catalogue
from ..errors import IOFailure, PlannerError
from ..plan import Plan, plan_from_records
from . import tables as T
from . import wording as W
from .cells import text_cell

META_SHEET = "_planner"
FORMAT = "planner notice.xlsx 1"
LEGACY_STREAM_COL = 7  # column G carried the stream id in the first layout (now derived from headings)
#: narrow enough that a plan sheet prints at MIN_PRINT or more on A4 portrait (a long kind wraps to two lines)
PLAN_WIDTHS = (5, 15, 15, 20, 30, 8)
DIRECTORY_WIDTHS = (6, 22, 60, 20, 16, 9)
BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def fixed_time(issued: dt.date | None = None) -> dt.datetime:
    """Document timestamps: the publish day (the 成文日期, default today) at midnight, never a clock time
    and never a day after the set was made."""
    from .letterhead import publish_day

    day = issued or publish_day()
    return dt.datetime(day.year, day.month, day.day)


def text_width(text: str) -> int:
    """Display width in Excel column units: CJK characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def line_count(text: str, width: float) -> int:
    usable = max(width - 1.5, 4)
    return sum(max(1, -(-text_width(line) // int(usable))) for line in str(text).split("\n"))


# ----------------------------------------------------------------------------- writing

def notice_xlsx_bytes(plan: Plan, ctx, flag: str = "", issued: dt.date | None = None) -> bytes:
    """The workbook as bytes (built fully in memory, so a failure writes nothing)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    marks = Marks(flag, T.provisional_note(plan, ctx), f"运城市{plan.year}年安全培训考试计划")
    _materials_sheet(wb, ctx.catalogue, marks)
    for att in T.attachments(plan, ctx):
        _plan_sheet(wb, att, plan, ctx, marks)
    _directory_sheet(wb, ctx.catalogue, marks)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for row in (("format", FORMAT), ("year", plan.year)):
        meta.append(row)
    when = fixed_time(issued)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = "运城市应急管理局"  # the bureau owns the file
    wb.properties.title = marks.header
    wb.active = 0
    return _save(wb, when, "notice.xlsx")


@dataclass(frozen=True)
class Marks:
    """What every sheet says besides its table: the watermark, the provisional calendar, the plan year."""

    flag: str
    provisional: str
    header: str


def _save(wb, when: dt.datetime, name: str = "the workbook") -> bytes:
    """Save without openpyxl's wall-clock stamps: docProps keep *when*, zip entries a fixed date.

    openpyxl writes each sheet through a temporary file in the temporary folder: when that folder's disk is full
    (or a file-size limit is reached) this is :class:`IOFailure` (exit 4) naming *name* and the folder, not a bug."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    try:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(wb, archive).save()
    except OSError as exc:
        raise _temp_failure(name, exc.strerror or str(exc)) from None
    except Exception as exc:  # lxml reports a failed write of the sheet file as SerialisationError("IO_EFBIG")
        code = str(exc)
        if type(exc).__name__ != "SerialisationError" or not code.startswith("IO_"):
            raise
        import errno
        import os

        num = getattr(errno, code[3:], None)
        raise _temp_failure(name, os.strerror(num) if num else code) from None
    return stable_zip(raw.getvalue(), when)


def _temp_failure(name: str, why: str) -> IOFailure:
    import tempfile

    return IOFailure(f"cannot build {name}: writing its sheets' temporary file failed ({why}); nothing was written",
                     file=tempfile.gettempdir())


def stable_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same zip (xlsx, docx) with every entry dated *when*, so identical content gives identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
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


#: page geometry (points): A4, margins of 0.75 in top/bottom (header and footer inside), 0.5 in left/right
PAGE_PT = {"portrait": (595.0, 842.0), "landscape": (842.0, 595.0)}
MARGIN_IN = {"top": 0.75, "bottom": 0.75, "left": 0.4, "right": 0.4, "header": 0.3, "footer": 0.3}
#: no sheet prints smaller than this (issue 19: 附件3 squeezed onto one page at 53 % was about 6 pt type);
#: a longer table flows over pages instead, its header row repeated on each
MIN_PRINT = 0.75
#: a table may shrink this much more to stay on one page with its notes, rather than spill a few rows
MIN_FIT = 0.8
MIN_LAST_ROWS = 3
#: margin for the difference between our text metrics and the spreadsheet program's
SAFETY = 0.94


def column_points(width: float) -> float:
    """Printed width of a column of *width* Excel units at 100 % (measured with LibreOffice: 7 pt a unit)."""
    return 7.0 * width + 1


def _print_setup(ws, widths, landscape: bool, marks: Marks, title_rows: str | None = None,
                 centered: bool = True, scale: int | None = None) -> None:
    """A4, all columns on the page width, header row on every page, the year (and status) in the page header,
    "第 X 页 共 Y 页" in the footer. With *scale* (percent) the sheet prints at that scale, so the
    page breaks placed by :func:`paginate` hold (spreadsheet programs ignore them when fitting to pages).

    A one-column text sheet is not centred: LibreOffice then crops it instead of scaling it.
    """
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if scale:
        ws.page_setup.scale = scale
        ws.sheet_properties.pageSetUpPr.fitToPage = False
    else:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = centered
    for side, inches in MARGIN_IN.items():
        setattr(ws.page_margins, side, inches)
    ws.print_area = f"A1:{get_column_letter(len(widths))}{ws.max_row}"
    if title_rows:
        ws.print_title_rows = title_rows
    head = marks.header + (f"（{marks.provisional}）" if marks.provisional else "")
    ws.oddHeader.center.text = head
    ws.oddHeader.center.size = 9
    if marks.provisional or marks.flag:
        ws.oddHeader.center.color = "C00000"
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.center.size = 9
    ws.sheet_view.zoomScale = 100


def paginate(ws, breakable: set[int], header_height: float, widths, landscape: bool) -> int:
    """Place page breaks so no page holds only a header row or a lone last row, and the notes stay with
    the table's last rows; returns the print scale in percent.

    A sheet that fits one page at no less than MIN_FIT of the page-width scale, and not below MIN_PRINT, is
    shrunk onto one page.
    Longer sheets are cut into pages of about equal height, only before rows in *breakable* (session
    rows, never a sub-table's first), the last page keeping at least MIN_LAST_ROWS sessions above the notes.
    """
    from openpyxl.worksheet.pagebreak import Break

    pw, ph = PAGE_PT["landscape" if landscape else "portrait"]
    width_scale = min(1.0, (pw - 72 * (MARGIN_IN["left"] + MARGIN_IN["right"])) / sum(map(column_points, widths)))
    page = (ph - 72 * (MARGIN_IN["top"] + MARGIN_IN["bottom"])) * SAFETY
    heights = {r: ws.row_dimensions[r].height or 15 for r in range(1, ws.max_row + 1)}
    total = sum(heights.values())
    one_page = page / total
    if one_page >= width_scale * MIN_FIT and min(width_scale, one_page) * SAFETY >= MIN_PRINT:
        return int(100 * min(width_scale, one_page) * SAFETY)
    usable = page / (width_scale * SAFETY)
    pages = -(-int(total) // int(usable))
    target = min(usable, (total + header_height * (pages - 1)) / pages)
    candidates = sorted(breakable)
    tail = candidates[-MIN_LAST_ROWS] if len(candidates) >= MIN_LAST_ROWS else candidates[0]
    acc, breaks = 0.0, []
    for r in range(1, ws.max_row + 1):
        if r in breakable and r <= tail and acc + heights[r] > target:
            breaks.append(r - 1)
            acc = header_height
        acc += heights[r]
    for r in breaks:
        ws.row_breaks.append(Break(id=r))
    return int(100 * width_scale * SAFETY)


def _banner(ws, row: int, text: str, font, ncols: int, height: float, align) -> int:
    cell = text_cell(ws, row, 1, text)
    cell.font = font
    cell.alignment = align
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.row_dimensions[row].height = height
    return row + 1


def _head(ws, st, sheet: str, title: str, ncols: int, widths, marks: Marks) -> int:
    """Rows above a table: the watermark and provisional banner (if any), "附件N", the title; the next row."""
    row = 1
    for text in (marks.flag, marks.provisional):
        if text:
            row = _banner(ws, row, text, st["flag"], ncols, 20 * line_count(text, sum(widths) * 0.9), st["left"])
    row = _banner(ws, row, sheet, st["bold"], 1, 18, st["left"])
    lines = line_count(title, sum(widths) * 0.55)  # 16pt title: about half as many characters per width
    return _banner(ws, row, title, st["title"], ncols, 24 * lines, st["center"])


def _table_row(ws, st, row: int, values, widths, font=None) -> None:
    for c, v in enumerate(values, 1):
        cell = text_cell(ws, row, c, v)
        cell.font = font or st["body"]
        cell.alignment = st["center"]
        cell.border = st["border"]
    lines = max(line_count(str(v), widths[c]) for c, v in enumerate(values))
    ws.row_dimensions[row].height = max(20, 15 * lines + 4)


def _plan_sheet(wb, att: T.Attachment, plan: Plan, ctx, marks: Marks) -> None:
    st = _styles()
    ws = wb.create_sheet(att.sheet)
    ncols = len(W.PLAN_HEADERS)
    row = _head(ws, st, att.sheet, att.title, ncols, PLAN_WIDTHS, marks)
    header_row, breakable = row, set()
    for sec in att.sections:
        if sec.heading:
            breakable.add(row)  # a sub-table may start a page with its heading
            row = _banner(ws, row, sec.heading, st["bold"], ncols, 22, st["left"])
        _table_row(ws, st, row, W.PLAN_HEADERS, PLAN_WIDTHS, st["bold"])
        row += 1
        for k, values in enumerate(T.plan_rows(sec.sessions, plan.year, ctx)):
            _table_row(ws, st, row, values, PLAN_WIDTHS)
            if k:  # never between a sub-table's header and its first row
                breakable.add(row)
            row += 1
    for note in att.footnotes:
        # 16 pt a line, as 附件1's rows: at 15 LibreOffice printed 7 of the 8 lines of the sites' addresses;
        # a merged row wraps a little before its columns' width adds up
        height = 16 * line_count(note, sum(PLAN_WIDTHS) * 0.9) + 4
        row = _banner(ws, row, note, st["body"], ncols, height, st["top"])
    header_height = ws.row_dimensions[header_row].height
    scale = paginate(ws, breakable, header_height, PLAN_WIDTHS, landscape=False)
    _print_setup(ws, PLAN_WIDTHS, False, marks, f"{header_row}:{header_row}", scale=scale)


def _directory_sheet(wb, catalogue: Catalogue, marks: Marks) -> None:
    st = _styles()
    ws = wb.create_sheet(W.DIRECTORY_SHEET)
    ncols = len(W.DIRECTORY_HEADERS)
    row = _head(ws, st, W.DIRECTORY_SHEET, W.DIRECTORY_TITLE, ncols, DIRECTORY_WIDTHS, marks)
    header_row, breakable = row, set()
    _table_row(ws, st, row, W.DIRECTORY_HEADERS, DIRECTORY_WIDTHS, st["bold"])
    for k, values in enumerate(T.directory_rows(catalogue)):
        row += 1
        _table_row(ws, st, row, values, DIRECTORY_WIDTHS)
        ws.cell(row=row, column=3).alignment = st["left"]
        if k:
            breakable.add(row)
    scale = paginate(ws, breakable, ws.row_dimensions[header_row].height, DIRECTORY_WIDTHS, True)
    _print_setup(ws, DIRECTORY_WIDTHS, True, marks, f"{header_row}:{header_row}", scale=scale)


def _materials_sheet(wb, catalogue: Catalogue, marks: Marks) -> None:
    st = _styles()
    ws = wb.create_sheet(W.MATERIALS_SHEET)
    width = 72  # fits A4 portrait at 100%: LibreOffice does not scale a one-column sheet to the page
    lines = T.materials_lines(catalogue)
    row = _head(ws, st, W.MATERIALS_SHEET, lines[0][1], 1, (width,), marks)
    for style, text in lines[1:]:
        text = "    " + text if style == "note" else text
        font = st["bold"] if style == "heading" else st["body"]
        row = _banner(ws, row, text, font, 1, 16 * line_count(text, width) + 4, st["left"])
    _print_setup(ws, (width,), False, marks, centered=False)


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
    year = year if year is not None else _year(wb, catalogue, p)
    records = []
    for sheet in sheets:
        records += _sheet_records(wb[sheet], sheet, catalogue, p, year)
    if not records:
        raise PlannerError(f"not a notice.xlsx in the published layout: no header row "
                           f"{' '.join(W.PLAN_HEADERS)!r} with sessions under it", file=p)
    return plan_from_records(records, catalogue, p, year=year)


def _year(wb, catalogue: Catalogue, path: Path) -> int | None:
    """The plan year: the hidden sheet's, else the one in a table title (运城市{year}年…).

    The hidden sheet is only a convenience: when an edit damaged it, it is ignored with a note.
    """
    if META_SHEET in wb.sheetnames:
        found = None
        try:
            for key, value, *_ in wb[META_SHEET].iter_rows(values_only=True):
                if key == "year":
                    found = int(value)
        except (TypeError, ValueError):
            found = None
        if found is not None and 1900 < found < 3000:
            return found
        print(f"note: {path}: the hidden sheet {META_SHEET!r} is damaged; ignored it and read the visible tables",
              file=sys.stderr)
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
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"[ \t\u3000]+", "", str(v)).strip()


def _note_text(v) -> str:
    """备注 as written, without the blanks around it (a number or a date is shown as _cell_text shows it)."""
    if v is None or not isinstance(v, str):
        return _cell_text(v)
    return v.strip()


def _sheet_records(ws, sheet: str, catalogue: Catalogue, path: Path, year: int | None) -> list:
    """Rows under a header row; the stream is the sheet's main one, or the sub-table's named in its heading.

    Workbooks of the first layout carry the stream id in column G; it is honoured when valid.
    """
    streams = [sid for sid, st in catalogue.streams.items() if st.attachment == sheet]
    headings = {_cell_text(catalogue.streams[sid].name): sid for sid in streams[1:]}
    sites = _site_names(catalogue)
    where = f"{path} [{sheet}]"
    out, in_table, stream, tables = [], False, streams[0], 0
    above: dict[str, dt.date] = {}
    for r, row in enumerate(ws.iter_rows(min_col=1, max_col=LEGACY_STREAM_COL, values_only=True), start=1):
        cells = [_cell_text(v) for v in row] + [""] * (LEGACY_STREAM_COL - len(row))
        if tuple(cells[:6]) == W.PLAN_HEADERS:
            in_table, above, tables = True, {}, tables + 1
            continue
        if cells[0] in headings and not any(cells[1:6]):
            stream, in_table = headings[cells[0]], False
            continue
        if not in_table or not any(cells[:6]):
            continue
        if not cells[0].isdigit():
            if any(cells[1:5]):  # a session's row (dates, category, site) whose 期次 is not a number: a typo
                raise PlannerError(f"期次 {cells[0][:20]!r} is not a whole number (1, 2, 3 …); a row of the table "
                                   "needs its 期次", file=where, row=r, field="期次")
            in_table = False  # a footnote (text in the first column only) ends the table
            continue
        if not any(cells[1:6]):
            continue  # a numbered but empty row, as at the end of the notice's 附件3
        # 备注 is the planner's free text: kept as written (the other cells lose their spaces, for matching)
        cells[5] = _note_text(row[5] if len(row) > 5 else None)
        rec = _record(cells, r, stream, streams, sites, catalogue, where, year, above)
        above = {"registration_deadline": dt.date.fromisoformat(rec["registration_deadline"]),
                 "exam_date": dt.date.fromisoformat(rec["exam_date"])}
        out.append((r, rec))
    if not tables:  # a renamed heading would silently drop the whole sheet's sessions
        raise PlannerError("no table of sessions: its heading row " + ", ".join(W.PLAN_HEADERS) + " was not found",
                           file=where)
    return out


def _site_names(catalogue: Catalogue) -> dict[str, str]:
    """考试地点 spellings -> institution id (plan name, directory name, short name, id)."""
    out = {}
    for i in catalogue.institutions.values():
        for name in (i.id, i.short_name, i.name, i.plan_name):
            out[_cell_text(name)] = i.id
    return out


def _record(cells, r, stream, streams, sites, catalogue, where, year, above) -> dict:
    if year is None:
        raise PlannerError("cannot tell the plan year (no title 运城市YYYY年…); pass --year", file=where)
    no, deadline, exam, kind, site, notes, legacy = cells[:7]
    inst = sites.get(site)
    if inst is None:
        raise PlannerError(f"unknown 考试地点 {site!r}", file=where, row=r, field="考试地点")
    rec = {"stream": legacy if legacy in streams else stream, "no": no, "institution": inst, "kind": kind,
           "notes": notes}
    for key, text, label in (("registration_deadline", deadline, "报名时间"), ("exam_date", exam, "考试时间")):
        rec[key] = _date_iso(text, year, where, r, label, above.get(key))
    return rec


def _date_iso(text: str, year: int, where, r: int, label: str, above: dt.date | None = None) -> str:
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:\d{2}:\d{2}:\d{2})?", text)
    if m:  # a date typed into the cell; Excel stores it as a datetime
        return m.group(1)
    try:
        return W.parse_day_text(text, year, above)[0].isoformat()
    except ValueError:
        raise PlannerError(f"not a date like 3月6日 or 2025年1月2日前: {text!r}", file=where, row=r,
                           field=label) from None
