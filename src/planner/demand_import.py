"""A bureau's own registrations replace the estimate: the exam system's per-session export -> a demand file.

Accepted: a CSV (UTF-8 or GBK) or an XLSX (first sheet) with one row per session and category and these
columns (the first row is the header; names as the exam system writes them, English aliases accepted):

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
from collections import Counter
from pathlib import Path
from types import MappingProxyType

from .demand import CategoryDemand, Demand, StreamDemand
from .errors import PlannerError
from .regulation import retake_series

COLUMNS = {
    "exam_date": ("考试日期", "考试时间", "exam_date"),
    "category": ("类别", "考试类别", "作业类别", "category"),
    "registered": ("报名人数", "registered"),
    "sat": ("参考人数", "sat"),
    "passed": ("合格人数", "passed"),
    "no": ("期次", "no"),
    "stream": ("考试计划", "stream"),
}
REQUIRED = ("exam_date", "category", "registered", "sat", "passed")
#: without 考试日期, a plan's own 期次 give the dates: then 期次 is required instead
BY_NUMBER = ("no", "category", "registered", "sat", "passed")
MAX_PER_ROW = 100_000


def _rows(path: Path) -> list[tuple[int, list]]:
    """(row number, cells) of the export, header first."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        from .textio import check_input_file

        check_input_file(path)
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign file: openpyxl raises many kinds
            raise PlannerError(f"not a readable .xlsx workbook ({type(exc).__name__})", file=path) from None
        try:
            if not wb.worksheets:
                raise PlannerError("the workbook has no sheet", file=path)
            ws = wb.worksheets[0]
            out = []
            # read-only mode parses the sheet as it goes: a damaged sheet fails here, not when opened
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if n > 10_001:
                    raise PlannerError("more than 10 000 rows", file=path)
                out.append((n, list(row)))
            return out
        except PlannerError:
            raise
        except Exception as exc:  # a damaged sheet: openpyxl and the XML parser raise many kinds
            raise PlannerError(f"not a readable .xlsx workbook: its first sheet is damaged ({type(exc).__name__})",
                               file=path) from None
        finally:
            wb.close()
    import csv
    import io

    from .textio import read_text

    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise PlannerError(f"not readable as CSV ({exc})", file=path) from None
    if len(rows) > 10_001:
        raise PlannerError("more than 10 000 rows", file=path)
    return [(n, r) for n, r in enumerate(rows, start=1)]


def columns(cells: list) -> dict[str, int]:
    """The export's columns found in a header row: key (``COLUMNS``) -> index."""
    names = [str(c).strip() if c is not None else "" for c in cells]
    found = {}
    for key, aliases in COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[key] = i
                break
    return found


def _table(p: Path) -> list[tuple[int, list]]:
    """The export's rows, header first, leading empty rows dropped (at least the header: else an error)."""
    rows = _rows(p)
    while rows and not any(c not in (None, "") for c in rows[0][1]):
        rows.pop(0)
    if not rows:
        raise PlannerError("the export is empty", file=p)
    return rows


def _header(cells: list, path: Path, row: int, plan, need=None) -> dict[str, int]:
    found = columns(cells)
    names = [str(c).strip() if c is not None else "" for c in cells]
    for key, aliases in COLUMNS.items():  # two columns for one figure: which one the bureau meant is not ours to guess
        twice = [i for i, name in enumerate(names) if name in aliases]
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
    return found


def _session_no(v, path, row) -> int:
    """期次 as exam systems write it: 3, 第3期, 3期, 2024年第3期."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    m = re.fullmatch(r"\s*(?:\d{4}\s*年\s*)?第?\s*(\d{1,3})\s*期?\s*", str(v if v is not None else ""))
    if isinstance(v, bool) or not m or int(m.group(1)) == 0:
        raise PlannerError(f"not a session number (write 3 or 第3期): {_shown(v)}", file=path, row=row, field="期次")
    return int(m.group(1))


#: the exam dates an export may hold: a year outside is a typo (0001-01-01, 1027-04-03), not a plan year
YEARS = range(2000, 2100)


def _shown(v) -> str:
    """A cell as an error message quotes it: an empty cell (or a formula never computed) says so, not 'None'."""
    return "an empty cell (or a formula never computed)" if v is None or v == "" else repr(str(v)[:40])


def _date(v, path, row) -> dt.date:
    d = _any_date(v, path, row)
    if d.year not in YEARS:
        raise PlannerError(f"an exam date in {d.year}: expected a year from {YEARS[0]} to {YEARS[-1]}", file=path,
                           row=row, field="考试日期")
    return d


def _any_date(v, path, row) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    # exam systems often write the sitting's time too (2024-03-06 09:00, 2024/3/6 9:00:00): the day is what counts
    m = re.fullmatch(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?\s*",
                     str(v or ""))
    if m:
        try:
            return dt.date(*map(int, m.groups()))
        except ValueError:
            pass
    raise PlannerError(f"not a date (write 2024-03-06): {_shown(v)}", file=path, row=row, field="考试日期")


def _count(v, path, row, field: str) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    # Excel saves a number formatted with thousands separators as it shows it ("1,234")
    # (at most 7 digits: a longer number is out of range anyway, and int() refuses over 4 300 digits)
    if isinstance(v, str) and re.fullmatch(r"\s*(?:\d{1,7}|\d{1,3}(?:,\d{3}){1,2})\s*", v):
        v = int(v.replace(",", ""))
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_PER_ROW:
        raise PlannerError(f"expected a whole number of candidates (0 … {MAX_PER_ROW}), got {_shown(v)}",
                           file=path, row=row, field=field)
    return v


def _category(v, catalogue, path, row) -> str:
    text = str(v or "").strip()
    for op in catalogue.operations.values():
        if text in (op.category, op.category_code, op.name, op.code):
            return op.category_code
    raise PlannerError(f"unknown category {text[:40]!r} (an operation category or type of 附件4)", file=path, row=row,
                       field="类别")


def _stream(v, category: str, catalogue, path, row) -> str:
    text = str(v or "").strip()
    if not text:
        return "managers" if category == "managers" else "special_ops"
    for sid, st in catalogue.streams.items():
        if text in (sid, st.name, st.title) or text == st.attachment:
            return sid
    raise PlannerError(f"unknown 考试计划 {text[:40]!r}", file=path, row=row, field="考试计划")


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


def _records(p: Path, rows, cols: dict[str, int], catalogue):
    """The export's non-empty rows after the header: (row number, the row's cell by column key, category, stream)."""
    for n, cells in rows[1:]:
        if not any(c not in (None, "") for c in cells):
            continue

        def cell(key, cells=cells):
            i = cols.get(key)
            return cells[i] if i is not None and i < len(cells) else None

        cat = _category(cell("category"), catalogue, p, n)
        yield n, cell, cat, _stream(cell("stream"), cat, catalogue, p, n)


def _held(cell, held: dict, sid: str, catalogue, p: Path, n: int):
    """The plan's session the row's 期次 names (in stream *sid*)."""
    no = _session_no(cell("no"), p, n)
    if (sid, no) not in held:
        raise PlannerError(f"the plan has no 期次 {no} in {catalogue.streams[sid].name}", file=p, row=n, field="期次")
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
    for n, cell, cat, sid in _records(p, rows, cols, catalogue):
        if "exam_date" in cols:
            day = _date(cell("exam_date"), p, n)
        else:
            day = _held(cell, held, sid, catalogue, p, n).exam_date
        if cat not in catalogue.streams[sid].categories:
            raise PlannerError(f"category {cat} is not examined in {catalogue.streams[sid].name}", file=p, row=n,
                               field="类别")
        reg, sat, ok = (_count(cell(k), p, n, COLUMNS[k][0]) for k in ("registered", "sat", "passed"))
        if sat > reg or ok > sat:
            raise PlannerError(f"needs 合格人数 <= 参考人数 <= 报名人数, got {ok} / {sat} / {reg}", file=p, row=n,
                               field="参考人数" if sat > reg else "合格人数")
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
    notes = []
    for (sid, cat), (reg, sat, ok, months) in sorted(sums.items()):
        old = base.streams.get(sid)
        share = old.categories[cat].retake_share if old and cat in old.categories else 0.0
        show = max(0.01, round(sat / reg, 4)) if reg else 1.0
        passed = max(0.01, round(ok / sat, 4)) if sat else 1.0
        profile = tuple(float(m) for m in months)
        # the rates as the file keeps them (rounded), so the model's returns are the ones inverted here
        factor = returns(sid, (1.0 - show * passed) * share, profile, old.retake_lag_days if old else 30)
        basis = (f"实际：{p.name} 报名{reg}人、参考{sat}人、合格{ok}人；补考比例{share:g}沿用"
                 f"{Path(base.file).name or '原需求文件'}，补考次数按{year}年规定折算")
        streams.setdefault(sid, {})[cat] = CategoryDemand(
            _entering(reg, factor), 0, 0, profile, show, passed, share, basis)
    for sid in sorted(set(base.streams) - set(streams)):
        notes.append(f"note: the export has no {sid} sessions; that stream has no candidates in the new file")
    out = {}
    for sid, cats in streams.items():
        old = base.streams.get(sid)
        out[sid] = StreamDemand(old.arrival_every_days if old else 7, old.retake_lag_days if old else 30,
                                MappingProxyType(dict(sorted(cats.items()))))
    notes.append(f"seats per site and the retake shares are those of {base.file}")
    return Demand(MappingProxyType(out), base.sites, "实际", f"{p.stem}", str(p),
                  f"planner demand import {p.name}"), notes


def registrations_by_session(path, catalogue, plan) -> dict[tuple[str, int], int]:
    """报名人数 per session of *plan* from the same export (期次 required, 考试日期 not read): a session's
    categories summed, for a re-plan's count of the candidates it disturbs (``replan.read_people``). Every row
    must name a session of *plan*, of the stream its 考试计划 or category gives."""
    p = Path(path)
    rows = _table(p)
    cols = _header(rows[0][1], p, rows[0][0], plan, need=("no", "category", "registered"))
    held = plan.by_key()
    out: dict[tuple[str, int], int] = {}
    for n, cell, _, sid in _records(p, rows, cols, catalogue):
        key = _held(cell, held, sid, catalogue, p, n).key
        out[key] = out.get(key, 0) + _count(cell("registered"), p, n, COLUMNS["registered"][0])
    if not out:
        raise PlannerError("the export has no session rows", file=p)
    return dict(sorted(out.items()))
