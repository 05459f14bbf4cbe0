"""A bureau's own registrations replace the estimate: the exam system's per-session export -> a demand file.

Accepted: a CSV (UTF-8, GBK or UTF-16; ',', tab or ';') or an XLSX (the first visible sheet with a header) with one
row per session and category and these columns (the header may have a title above it; names as the exam system
writes them, more variants in ``COLUMNS``, English aliases accepted; totals rows, notes and empty rows are left out;
constraints/README.md says it all):

==========================  =====================================================================================
column                      meaning
==========================  =====================================================================================
考试日期 (考试时间, exam_date)  the session's exam date: 2024-03-06, 2024/3/6 (a time after it is
                            ignored: 2024-03-06 09:00) or an Excel date
类别 (考试类别, 作业类别, category)  an operation category (电工作业 …), an operation type (低压电工作业 …) or its code
报名人数 (registered)          candidates registered
参考人数 (sat)                 candidates who sat the exam
合格人数 (passed)              candidates who passed
期次 (no), 考试计划 (stream)    optional: the session number; the stream (managers / special_ops or the 附件 table
                            name); without it a managers' category is the managers' stream, any other special_ops.
                            Without 考试日期, 期次 (3, 第3期, 2024年第3期) and the plan it numbers give the date
==========================  =====================================================================================

Derived per stream and category: the year's registrations, the share who showed up (参考 ÷ 报名), the pass rate
(合格 ÷ 参考), the monthly profile (registrations by exam month), and the candidates entering the year: the
registrations less the year's own returns, with the retake share of the base file (which the export cannot show)
and the retake limit of the regulation in force in the export's plan year (the year most of its exam dates fall
in), so that the demand model gives that year back exactly the registrations the export shows. The result has
status 实际; seats per site come from the base file.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from pathlib import Path
from types import MappingProxyType

from .demand import Candidates, CategoryDemand, Demand, StreamDemand
from .errors import PlannerError
from .regulation import retake_series

COLUMNS = {
    "exam_date": ("考试日期", "考试时间", "exam_date"),
    "category": ("类别", "考试类别", "作业类别", "category"),
    # the operation type (低压电工作业): an export may give it beside 作业类别, or instead of it
    "operation": ("操作项目", "准操项目", "作业项目", "operation"),
    "registered": ("报名人数", "报名数", "报考人数", "registered"),
    "sat": ("参考人数", "实考人数", "参考数", "实考数", "sat"),
    "passed": ("合格人数", "通过人数", "合格数", "passed"),
    "no": ("期次", "考试期次", "批次", "no"),
    "stream": ("考试计划", "stream"),
}
#: a name that gives way to another of its column's names: beside 考试日期, 考试时间 is the sitting's time (09:00)
SECONDARY = ("考试时间",)
#: a header is looked for in the table's first rows: exports carry a title, a unit or a date above it
HEADER_ROWS = 20
#: a row labelled so (in its first cell, or where a session's date, number or category goes) sums the rows above
#: it: counted already
TOTALS = re.compile(r"(?:合计|总计|小计|共计|总合计)")
REQUIRED = ("exam_date", "category", "registered", "sat", "passed")
#: without 考试日期, a plan's own 期次 give the dates: then 期次 is required instead
BY_NUMBER = ("no", "category", "registered", "sat", "passed")
MAX_PER_ROW = 100_000


#: what Excel and WPS save a workbook as besides .xlsx: binary (OLE) files openpyxl cannot read; a password-protected
#: .xlsx is such a file too, and many exam systems' "Excel" exports are HTML named .xls
OLD_WORKBOOKS = (".xls", ".xlt", ".et", ".ett")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _magic(path: Path) -> bytes:
    from .textio import check_input_file

    check_input_file(path)
    try:
        with open(path, "rb") as fh:
            return fh.read(8)
    except OSError:
        return b""  # the reader below says why in its own words


def _sheet_rows(path: Path, ws) -> list[tuple[int, list]]:
    out = []
    # read-only mode parses the sheet as it goes: a damaged sheet fails here, not when opened
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if n > 10_001:
            raise PlannerError("more than 10 000 rows", file=path)
        out.append((n, list(row)))
    return out


def _rows(path: Path) -> list[tuple[int, list]]:
    """(row number, cells) of the export: a workbook's first visible sheet that has a header (else its first
    visible sheet), or a CSV in the dialect whose rows have one."""
    magic = _magic(path)
    if path.suffix.lower() in OLD_WORKBOOKS or magic == OLE_MAGIC:
        raise PlannerError("not a readable .xlsx workbook: an old .xls or WPS .et file, or a workbook with a "
                           "password; open it in Excel or WPS and save it as .xlsx (Excel 工作簿) without a password",
                           file=path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign file: openpyxl raises many kinds
            raise PlannerError(f"not a readable .xlsx workbook ({type(exc).__name__})", file=path) from None
        try:
            # a hidden sheet holds what the planner does not see (last year's figures, a lookup list), and the data
            # may sit on a later sheet behind a cover or notes sheet: the first visible sheet with a header is
            # the table the planner means
            shown = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
            if not shown:
                raise PlannerError("the workbook has no visible sheet", file=path)
            first = None
            for ws in shown:
                rows = _sheet_rows(path, ws)
                if _header_at(rows) is not None:
                    return rows
                first = rows if first is None else first
            hidden = [ws.title for ws in wb.worksheets
                      if ws not in shown and _header_at(_sheet_rows(path, ws)) is not None]
            if hidden:  # the table is there, but the planner does not see it: theirs to show, not ours to read
                raise PlannerError(f"the table is on the hidden sheet {hidden[0]!r}, which is not read: unhide it "
                                   f"(取消隐藏) or copy the table onto a visible sheet", file=path)
            return first
        except PlannerError:
            raise
        except Exception as exc:  # a damaged sheet: openpyxl and the XML parser raise many kinds
            raise PlannerError(f"not a readable .xlsx workbook: a sheet is damaged ({type(exc).__name__})",
                               file=path) from None
        finally:
            wb.close()
    if magic.startswith(b"PK\x03\x04"):  # a workbook renamed .csv: its zip bytes would read as garbled text
        raise PlannerError("not readable as CSV: it is an Excel workbook; name it .xlsx, or save it as CSV",
                           file=path)
    import csv
    import io

    from .textio import read_text

    text = read_text(path, utf16=True)  # Excel's "Unicode 文本" is UTF-16, tab-separated
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    first = None
    # Excel saves CSV with ',' (with ';' where the system's list separator says so) and "Unicode 文本" with tabs
    for sep in (",", "\t", ";"):
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        except csv.Error as exc:
            raise PlannerError(f"not readable as CSV ({exc})", file=path) from None
        if len(rows) > 10_001:
            raise PlannerError("more than 10 000 rows", file=path)
        rows = [(n, r) for n, r in enumerate(rows, start=1)]
        if _header_at(rows) is not None:
            return rows
        first = rows if first is None else first
    return first


def _plain(v) -> str:
    """A cell's text as it is compared: NFKC (full-width digits, letters, parentheses and commas as ASCII, the
    ideographic space a space) and no white space at all (a header wrapped in its cell, a padded number)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v))) if v is not None else ""


def _names(cells: list) -> list[str]:
    """A header row's names as compared: plain, and without a unit in brackets (报名人数（人）)."""
    return [re.sub(r"\([^()]*\)$", "", _plain(c)) for c in cells]


def _matches(names: list[str], key: str) -> list[int]:
    """The columns a key's names name; a SECONDARY name only where no other of its names is there."""
    hits = [i for i, name in enumerate(names) if name in COLUMNS[key]]
    main = [i for i in hits if names[i] not in SECONDARY]
    return main if main else hits


def columns(cells: list) -> dict[str, int]:
    """The export's columns found in a header row: key (``COLUMNS``) -> index. An 操作项目 column without a
    类别 column is the category column (an operation type names its category)."""
    names = _names(cells)
    found = {key: hits[0] for key in COLUMNS if (hits := _matches(names, key))}
    if "operation" in found and "category" not in found:
        found["category"] = found.pop("operation")
    return found


def _header_at(rows) -> int | None:
    """The index in *rows* of the header: the first of the first non-empty rows naming two columns or more."""
    seen = 0
    for k, (_, cells) in enumerate(rows):
        if not any(c not in (None, "") for c in cells):
            continue
        if len(columns(cells)) >= 2:
            return k
        seen += 1
        if seen >= HEADER_ROWS:
            break
    return None


def _table(p: Path) -> list[tuple[int, list]]:
    """The export's rows, header first: the rows above it (a title, a unit, empty rows) dropped; without a
    header, from the first non-empty row (at least one row: else an error)."""
    rows = _rows(p)
    at = _header_at(rows)
    if at is not None:
        return rows[at:]
    while rows and not any(c not in (None, "") for c in rows[0][1]):
        rows.pop(0)
    if not rows:
        raise PlannerError("the export is empty", file=p)
    return rows


class Columns(dict):
    """The export's columns (key -> index), and how its header writes each: an error names the column as the
    planner sees it in the file (作业类别, 报名人数（人）), not the first of its names in ``COLUMNS``."""

    def __init__(self, found: dict[str, int], cells: list):
        super().__init__(found)
        # as a message can carry it: no white space, no control character (an ESC would reach the terminal)
        self.written = {key: "".join(ch for ch in re.sub(r"\s+", "", str(cells[i])) if ch.isprintable())[:40]
                        for key, i in found.items()}

    def field(self, key: str) -> str:
        return self.written.get(key) or COLUMNS[key][0]


def _header(cells: list, path: Path, row: int, plan, need=None) -> Columns:
    found = columns(cells)
    names = _names(cells)
    for key, aliases in COLUMNS.items():  # two columns for one figure: which one the bureau meant is not ours to guess
        twice = _matches(names, key)
        if len(twice) > 1:
            raise PlannerError(f"two columns give {aliases[0]} (columns {twice[0] + 1} and {twice[1] + 1}); keep one",
                               file=path, row=row, field=aliases[0])
    # an export that numbers its sessions by 期次 alone takes their dates from the plan it was registered under
    if need is None:
        need = BY_NUMBER if plan is not None and "exam_date" not in found else REQUIRED
    missing = [COLUMNS[k][0] for k in need if k not in found]
    if missing and missing[0] == COLUMNS["exam_date"][0] and "no" in found:
        raise PlannerError("no 考试日期 column: an export with 期次 but no dates needs the plan they number (--plan)",
                           file=path, row=row, field=missing[0])
    if missing:
        raise PlannerError(f"missing column {missing[0]} (the header needs {', '.join(COLUMNS[k][0] for k in need)})",
                           file=path, row=row, field=missing[0])
    return Columns(found, cells)


def _session_no(v, path, row, field: str = "期次") -> int:
    """期次 as exam systems write it: 3, 第3期, 3期, 2024年第3期."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    m = re.fullmatch(r"(?:\d{4}年)?第?(\d{1,3})期?", _plain(v))  # plain: 第３期 typed full-width
    if isinstance(v, bool) or not m or int(m.group(1)) == 0:
        raise PlannerError(f"not a session number (write 3 or 第3期): {_shown(v)}", file=path, row=row, field=field)
    return int(m.group(1))


#: the exam dates an export may hold: a year outside is a typo (0001-01-01, 1027-04-03), not a plan year
YEARS = range(2000, 2100)


def _shown(v) -> str:
    """A cell as an error message quotes it: an empty cell (or a formula never computed) says so, not 'None'."""
    return "an empty cell (or a formula never computed)" if v is None or v == "" else repr(str(v)[:40])


def _date(v, path, row, field: str = "考试日期") -> dt.date:
    d = _any_date(v, path, row, field)
    if d.year not in YEARS:
        raise PlannerError(f"an exam date in {d.year}: expected a year from {YEARS[0]} to {YEARS[-1]}", file=path,
                           row=row, field=field)
    return d


#: an exam date as Excel counts it (days since 1899-12-30), for 2000 … 2099: a date cell whose format was cleared
SERIALS = range(36526, 73051)


def _any_date(v, path, row, field: str) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    # NFKC, not _plain: the space between a date and its time tells 2024/7/8 14:30 from 2024/7/81 4:30
    text = unicodedata.normalize("NFKC", str(v)).strip() if v is not None and not isinstance(v, bool) else ""
    if re.fullmatch(r"\d{5}(?:\.0+)?", text) and int(float(text)) in SERIALS:
        from openpyxl.utils.datetime import from_excel  # Excel's own day count, as openpyxl reads a dated cell

        return from_excel(int(float(text))).date()
    # exam systems often write the sitting's time too (2024-03-06 09:00, 2024/3/6 9:00:00): the day is what counts;
    # a session of several days (2024-03-06至03-08) counts on its first, as the plan dates a session
    m = (re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?"
                      r"(?:\s*[至到~—–].*)?", text)
         or re.fullmatch(r"(20\d{2})(\d{2})(\d{2})", text))  # 20240306, as some systems write a date
    if m:
        try:
            return dt.date(*map(int, m.groups()))
        except ValueError:
            pass
    raise PlannerError(f"not a date (write 2024-03-06): {_shown(v)}", file=path, row=row, field=field)


def _count(v, path, row, field: str) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    # a number stored as text, as Excel shows it: "1,234" (thousands separators), "１２３" (full-width), "120人",
    # "45.0" (at most 7 digits: a longer number is out of range anyway, and int() refuses over 4 300 digits)
    m = re.fullmatch(r"([0-9]{1,7}|[0-9]{1,3}(?:,[0-9]{3}){1,2})(?:\.0+)?(?:人次|人|名)?", _plain(v)) \
        if isinstance(v, str) else None
    if m:
        v = int(m.group(1).replace(",", ""))
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_PER_ROW:
        raise PlannerError(f"expected a whole number of candidates (0 … {MAX_PER_ROW}), got {_shown(v)}",
                           file=path, row=row, field=field)
    return v


def _category(v, catalogue, path, row, field: str = "类别") -> str:
    # compared plain: 冶金(有色) typed with ASCII brackets, a space or line break inside the cell
    text = _plain(v)
    for op in catalogue.operations.values():
        if text in (_plain(op.category), op.category_code, _plain(op.name), op.code):
            return op.category_code
    raise PlannerError(f"unknown category {str(v if v is not None else '').strip()[:40]!r} (an operation category "
                       f"or type of 附件4)", file=path, row=row, field=field)


def _stream(v, category: str, catalogue, path, row, field: str = "考试计划") -> str:
    text = str(v or "").strip()
    if not text:
        return "managers" if category == "managers" else "special_ops"
    for sid, st in catalogue.streams.items():
        if text in (sid, st.name, st.title) or text == st.attachment:
            return sid
    raise PlannerError(f"unknown 考试计划 {text[:40]!r}", file=path, row=row, field=field)


def _return_factor(catalogue, year: int):
    """``(stream, return rate, monthly profile) -> returns per candidate entering`` in plan year *year*, as the
    demand model counts them (``compile_demand``: the regulation's retake limits over the year's window)."""
    from .calendar import build_calendar
    from .demand import _daily_weights, returns_kept, window_days
    from .regulation import YearRules, of_catalogue

    try:
        window = build_calendar(year).window()
    except PlannerError:  # a year the calendar data does not reach: no regulation is known for it either
        window = None
    rules = YearRules(of_catalogue(catalogue), year, window) if window is not None else None
    days = [] if window is None else window_days(window)

    def factor(stream: str, r: float, profile: tuple[float, ...], lag: int) -> float:
        if rules is None or not any(profile):
            return retake_series(r, None)
        # the returns the year's queue holds: those falling after the window's end are the next year's
        return rules.return_factor(stream, r, days, _daily_weights(days, profile)) * returns_kept(days, profile, lag)

    return factor


def _entering(registrations: int, factor: float) -> int:
    """The candidates entering whose registrations in the model (``n + round(n × factor)``, as
    ``YearRules.returning`` rounds) come nearest *registrations* (the fewer on a tie)."""
    n = int(registrations / (1.0 + factor))
    return min((k for k in (n - 1, n, n + 1, n + 2) if k >= 0),
               key=lambda k: (abs(k + int(round(k * factor)) - registrations), k))


def _skipped(cells: list, cols: dict[str, int]) -> bool:
    """A row that is not a session's: a totals row (合计, 总计, 小计: its figures are the rows' above, counted
    already), or a title, note or group heading (one cell, and no figure: 注：…, 电工作业 above its types)."""
    texts = [_plain(c) for c in cells if c not in (None, "")]
    if not texts:
        return True
    # a 备注 column may say 小计 of anything: only the row's label (its first cell, or a session's key) makes it one
    first = next(i for i, c in enumerate(cells) if c not in (None, ""))
    labels = {first} | {cols[k] for k in ("exam_date", "no", "category", "operation", "stream") if k in cols}
    if any(i < len(cells) and isinstance(cells[i], str) and TOTALS.match(_plain(cells[i])) for i in labels):
        return True
    figures = [cells[cols[k]] for k in ("registered", "sat", "passed") if k in cols and cols[k] < len(cells)]
    return len(texts) == 1 and all(f in (None, "") for f in figures)


def _records(p: Path, rows, cols: Columns, catalogue, notes: list[str] | None = None):
    """The export's session rows after the header: (row number, the row's cell by column key, category, stream).
    A row repeated cell for cell is counted, and said in *notes*: pasted twice, its candidates count twice (but
    two sessions the export does not tell apart may well have the same figures)."""
    seen: dict[tuple, int] = {}
    for n, cells in rows[1:]:
        if _skipped(cells, cols):
            continue
        same = tuple(_plain(c) for c in cells)
        if same in seen and notes is not None:
            notes.append(f"note: {p.name} row {n} repeats row {seen[same]} cell for cell; both are counted (delete "
                         f"one if it was pasted twice)")
        seen.setdefault(same, n)

        def cell(key, cells=cells):
            i = cols.get(key)
            return cells[i] if i is not None and i < len(cells) else None

        # beside 作业类别, an 操作项目 must name one of that category's types; a merged or empty category cell
        # takes the type's category
        op = cell("operation")
        if op not in (None, ""):
            cat = _category(op, catalogue, p, n, field=cols.field("operation"))
            if cell("category") not in (None, "") and \
                    _category(cell("category"), catalogue, p, n, cols.field("category")) != cat:
                # (worded not to start "category ": the workbench's Chinese reads that as a stream mismatch)
                raise PlannerError(f"not an operation of the row's {cols.field('category')} "
                                   f"{_plain(cell('category'))[:40]!r}: {_plain(op)[:40]!r}", file=p, row=n,
                                   field=cols.field("operation"))
        else:
            cat = _category(cell("category"), catalogue, p, n, cols.field("category"))
        yield n, cell, cat, _stream(cell("stream"), cat, catalogue, p, n, cols.field("stream"))


def _held(cell, held: dict, sid: str, catalogue, p: Path, n: int, field: str = "期次"):
    """The plan's session the row's 期次 names (in stream *sid*)."""
    no = _session_no(cell("no"), p, n, field)
    if (sid, no) not in held:
        raise PlannerError(f"the plan has no 期次 {no} in {catalogue.streams[sid].name}", file=p, row=n, field=field)
    return held[(sid, no)]


def import_registrations(path, catalogue, base: Demand, plan=None) -> tuple[Demand, list[str]]:
    """The demand a registration export shows; notes say what was kept from *base*. *plan* (a
    :class:`planner.plan.Plan`) dates the sessions of an export without 考试日期 by their 期次."""
    p = Path(path)
    rows = _table(p)
    cols = _header(rows[0][1], p, rows[0][0], plan)
    held = plan.by_key() if plan is not None else {}
    sums: dict[tuple[str, str], list] = {}
    years: list[int] = []
    notes: list[str] = []
    for n, cell, cat, sid in _records(p, rows, cols, catalogue, notes):
        if "exam_date" in cols:
            day = _date(cell("exam_date"), p, n, cols.field("exam_date"))
        else:
            day = _held(cell, held, sid, catalogue, p, n, cols.field("no")).exam_date
        if cat not in catalogue.streams[sid].categories:
            raise PlannerError(f"category {cat} is not examined in {catalogue.streams[sid].name}", file=p, row=n,
                               field=cols.field("category"))
        reg, sat, ok = (_count(cell(k), p, n, cols.field(k)) for k in ("registered", "sat", "passed"))
        if sat > reg or ok > sat:
            raise PlannerError(f"needs 合格人数 <= 参考人数 <= 报名人数, got {ok} / {sat} / {reg}", file=p, row=n,
                               field=cols.field("sat" if sat > reg else "passed"))
        years.append(day.year)
        acc = sums.setdefault((sid, cat), [0, 0, 0, [0] * 12])
        acc[0] += reg
        acc[1] += sat
        acc[2] += ok
        acc[3][day.month - 1] += reg
    if not sums:
        raise PlannerError("the export has no session rows", file=p)
    count = Counter(years)  # the export's plan year: the one most exam dates fall in (the earlier on a tie)
    year = min(y for y, n in count.items() if n == max(count.values()))
    returns = _return_factor(catalogue, year)
    streams: dict[str, dict[str, CategoryDemand]] = {}
    for sid in sorted({sid for sid, _ in sums} - set(base.streams)):
        # how often its candidates become ready and how soon a failed one returns are the base file's to state
        raise PlannerError(f"the export has sessions of {catalogue.streams[sid].name} ({sid}), which the base demand "
                           f"file {Path(base.file).name} does not have: add [streams.{sid}] with arrival_every_days "
                           "and retake_lag_days to it, or import with --base a file that has them", file=p,
                           field=COLUMNS["stream"][0])
    for (sid, cat), (reg, sat, ok, months) in sorted(sums.items()):
        old = base.streams[sid]
        share = old.categories[cat].retake_share if cat in old.categories else 0.0
        show = max(0.01, round(sat / reg, 4)) if reg else 1.0
        passed = max(0.01, round(ok / sat, 4)) if sat else 1.0
        profile = tuple(float(m) for m in months)
        # the rates as the file keeps them (rounded), so the model's returns are the ones inverted here
        factor = returns(sid, (1.0 - show * passed) * share, profile, old.retake_lag_days)
        basis = (f"实际：{p.name} 报名{reg}人、参考{sat}人、合格{ok}人；补考比例{share:g}沿用"
                 f"{Path(base.file).name or '原需求文件'}，补考次数按{year}年规定折算")
        streams.setdefault(sid, {})[cat] = CategoryDemand(
            _entering(reg, factor), 0, 0, profile, show, passed, share, basis)
    for sid in sorted(set(base.streams) - set(streams)):
        notes.append(f"note: the export has no {sid} sessions; that stream has no candidates in the new file")
    out = {}
    for sid, cats in streams.items():
        old = base.streams[sid]
        out[sid] = StreamDemand(old.arrival_every_days, old.retake_lag_days,
                                MappingProxyType(dict(sorted(cats.items()))))
    notes.append(f"seats per site and the retake shares are those of {base.file}")
    return Demand(MappingProxyType(out), base.sites, "实际", f"{p.stem}", str(p),
                  f"planner demand import {p.name}"), notes


def registrations_by_session(path, catalogue, plan, notes: list[str] | None = None) -> dict[tuple[str, int], int]:
    """报名人数 per session of *plan* from the same export (期次 required, 考试日期 not read): a session's
    categories summed, for a re-plan's count of the candidates it disturbs (``replan.read_people``), each session's
    a :class:`Candidates` that keeps them per operation type where the row names one (an 操作项目 column, or a
    type in 类别), else per category: a move to a site that does not examine them strands them. Every row
    must name a session of *plan*, of the stream its 考试计划 or category gives; a row repeated cell for cell is
    counted and said in *notes*, as the import says it."""
    p = Path(path)
    rows = _table(p)
    cols = _header(rows[0][1], p, rows[0][0], plan, need=("no", "category", "registered"))
    held = plan.by_key()
    out: dict[tuple[str, int], dict[str, int]] = {}
    for n, cell, cat, sid in _records(p, rows, cols, catalogue, notes):
        key = _held(cell, held, sid, catalogue, p, n, cols.field("no")).key
        group = _type_code(cell("operation"), catalogue) or _type_code(cell("category"), catalogue) or cat
        groups = out.setdefault(key, {})
        groups[group] = groups.get(group, 0) + _count(cell("registered"), p, n, cols.field("registered"))
    if not out:
        raise PlannerError("the export has no session rows", file=p)
    return {k: Candidates(sum(g.values()), g) for k, g in sorted(out.items())}


def _type_code(v, catalogue) -> str | None:
    """The operation type a cell names (低压电工作业 or elec_low), None when it names none (a category, or nothing)."""
    text = _plain(v)
    return next((op.code for op in catalogue.operations.values() if text in (_plain(op.name), op.code)), None)
