"""The canonical plan: a list of exam sessions, read and written by every command.

The canonical CSV is UTF-8 with the header ``stream,no,registration_deadline,exam_date,
institution,kind,notes`` and ISO dates. Reading validates every field against the
catalogue and reports the first problem with file, row and field.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .data import Catalogue
from .errors import PlannerError
from .textio import atomic_write_text, csv_field, from_csv_field, printable, read_csv_rows

PLAN_HEADER = ["stream", "no", "registration_deadline", "exam_date", "institution", "kind", "notes"]
#: the longest 考试类别 or 备注 a published plan may carry: the notice's cells hold a few dozen characters, and an
#: absurd length (a 200 000-character note) only stalls the layout (LibreOffice took minutes); checking reads any
MAX_TEXT_CHARS = 500


@dataclass(frozen=True, order=True)
class Session:
    """One exam session: a row of the notice's table."""

    stream: str
    no: int
    registration_deadline: dt.date
    exam_date: dt.date
    institution: str
    kind: str
    notes: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.stream, self.no)

    def label(self) -> str:
        return f"{self.stream} #{self.no} ({self.exam_date.isoformat()})"

    @property
    def gap_days(self) -> int:
        """Calendar days from the registration deadline to the exam (negative: the deadline is after it)."""
        return (self.exam_date - self.registration_deadline).days


@dataclass(frozen=True)
class Plan:
    """An annual plan. ``year`` is the plan year (exams run from its Spring Festival to the next)."""

    year: int
    sessions: tuple[Session, ...]
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sessions", tuple(sorted(self.sessions, key=_order)))

    def stream(self, stream: str) -> list[Session]:
        return [s for s in self.sessions if s.stream == stream]

    def streams(self) -> list[str]:
        return sorted({s.stream for s in self.sessions}, key=_stream_order)

    def by_key(self) -> dict[tuple[str, int], Session]:
        return {s.key: s for s in self.sessions}

    def with_sessions(self, sessions) -> "Plan":
        return replace(self, sessions=tuple(sessions))


STREAM_ORDER = {"managers": 0, "special_ops": 1, "on_demand": 2}


def _stream_order(stream: str) -> tuple[int, str]:
    return (STREAM_ORDER.get(stream, 99), stream)


def _order(s: Session) -> tuple:
    return (_stream_order(s.stream), s.no)


def infer_year(sessions) -> int:
    """The plan year is the calendar year of the earliest exam (exams start after Spring Festival)."""
    return min(s.exam_date for s in sessions).year


#: the date forms a plan CSV may carry after a round trip through Excel/WPS: (pattern, how it is named)
DATE_FORMS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "2027-02-19"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"), "2027/2/19"),
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"), "2027-2-19"),
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "2027年2月19日"),
)
ISO_FORM = DATE_FORMS[0][1]


def parse_date(value: str, file, row: int, fieldname: str, forms: set[str] | None = None) -> dt.date:
    """A date in ISO form; with *forms* (a CSV that may have been through Excel/WPS) also the forms Excel
    writes (2027/2/19, 2027-2-19, 2027年2月19日), the form found being added to *forms* so the reader can
    say which it read. Other inputs (scenario files) stay strict ISO."""
    for pattern, name in DATE_FORMS if forms is not None else DATE_FORMS[:1]:
        m = pattern.fullmatch(value.strip())
        if m:
            try:
                d = dt.date(*map(int, m.groups()))
            except ValueError:
                break
            if forms is not None:
                forms.add(name)
            return d
    forms_named = "YYYY-MM-DD, 2027/2/19 or 2027年2月19日" if forms is not None else "YYYY-MM-DD form"
    raise PlannerError(f"not a date in {forms_named}: {value!r}", file=file, row=row, field=fieldname) from None


def check_publishable(plan: Plan, file=None) -> None:
    """Refuse, before any layout, a plan whose 考试类别 or 备注 is longer than a notice's cell can hold."""
    for s in plan.sessions:
        for name in ("kind", "notes"):
            n = len(getattr(s, name))
            if n > MAX_TEXT_CHARS:
                raise PlannerError(f"{s.label()}: {n} characters; a published notice takes at most {MAX_TEXT_CHARS}",
                                   file=file, field=name)


def read_plan_csv(path: str | Path, catalogue: Catalogue, year: int | None = None) -> Plan:
    """Read a plan from a canonical CSV (``planner.planio.read_plan`` also reads a published notice.xlsx)."""
    p = Path(path)
    records = ((row, {k: from_csv_field(v) if k in ("kind", "notes") and isinstance(v, str) else v
                      for k, v in rec.items()}) for row, rec in read_csv_rows(p, PLAN_HEADER))
    return plan_from_records(records, catalogue, p, year=year, excel_dates=True)


def plan_from_records(records, catalogue: Catalogue, file, year: int | None = None, excel_dates: bool = False) -> Plan:
    """Validate ``(row, record)`` pairs in canonical-CSV form and build a :class:`Plan`; *excel_dates*
    also accepts the date forms Excel/WPS write (a CSV a planner opened and saved)."""
    sessions: list[Session] = []
    rows: list[int] = []
    seen: dict[tuple[str, int], int] = {}
    forms: set[str] | None = set() if excel_dates else None
    for row, rec in records:
        stream = rec["stream"]
        if stream not in catalogue.streams:
            raise PlannerError(f"unknown stream {stream!r} (known: {', '.join(catalogue.streams)})",
                               file=file, row=row, field="stream")
        try:
            no = int(rec["no"]) if len(rec["no"].strip()) <= 3 else 0
            if not 1 <= no <= MAX_SESSION_NO:
                raise ValueError
        except ValueError:
            raise PlannerError(f"期次 must be a whole number from 1 to {MAX_SESSION_NO}, got {rec['no'][:40]!r}", file=file, row=row,
                               field="no") from None
        if (stream, no) in seen:
            raise PlannerError(f"duplicate 期次 {no} in stream {stream} (first at row {seen[(stream, no)]})",
                               file=file, row=row, field="no")
        seen[(stream, no)] = row
        deadline = parse_date(rec["registration_deadline"], file, row, "registration_deadline", forms)
        exam = parse_date(rec["exam_date"], file, row, "exam_date", forms)
        inst = rec["institution"]
        if inst not in catalogue.institutions:
            raise PlannerError(f"unknown institution {inst!r} (known: {', '.join(catalogue.institutions)})",
                               file=file, row=row, field="institution")
        kind = printable(one_break(rec["kind"]), file, row, "kind")
        if not kind:
            raise PlannerError("must not be empty", file=file, row=row, field="kind")
        notes = printable(one_break(rec.get("notes", "")), file, row, "notes")
        sessions.append(Session(stream, no, deadline, exam, inst, kind, notes))
        rows.append(row)
    if not sessions:
        raise PlannerError("plan has no sessions", file=file)
    _within_years(sessions, rows, file, year)
    if forms and forms - {ISO_FORM}:
        print(f"note: {file}: read dates written as {' and '.join(sorted(forms - {ISO_FORM}))} "
              "(as Excel/WPS saves them)", file=sys.stderr)
    return Plan(year if year is not None else infer_year(sessions), tuple(sessions), str(file))


#: the largest 期次 a plan may number (a year has a few dozen sessions)
MAX_SESSION_NO = 999
def _within_years(sessions: list[Session], rows: list[int], file, year: int | None) -> None:
    """Every date within the year before to the year after the plan year (the most common exam year when none is
    given): a typo (0001-01-01, 9999-12-31) stops here, not deep in a chart or a calendar file (a hang, exit 70)."""
    from collections import Counter

    if year is None:
        years = Counter(s.exam_date.year for s in sessions)
        year = min(y for y, n in years.items() if n == max(years.values()))
    for s, row in zip(sessions, rows):
        for name in ("registration_deadline", "exam_date"):
            d = getattr(s, name)
            if not year - 1 <= d.year <= year + 1:
                raise PlannerError(f"{d.isoformat()} is not within a year of the plan year {year}", file=file,
                                   row=row, field=name)


def one_break(text: str) -> str:
    """A text's line breaks as \n: the csv writer does not quote a bare \r, which a reader then takes for the end
    of the row, so a note typed in Windows (\r\n) or an old Mac (\r) is read and written with \n alone."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


def plan_to_csv(plan: Plan, note: str = "") -> str:
    """The canonical CSV, with a BOM so Excel/WPS show the Chinese; *note* (e.g. the provisional calendar)
    goes first as a ``#`` comment line, which every reader skips."""
    buf = io.StringIO("\ufeff")
    buf.seek(1)
    if note:
        buf.write(f"# {note}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLAN_HEADER)
    for s in plan.sessions:  # a published file: the texts a spreadsheet could take for a formula are made inert
        w.writerow([s.stream, s.no, s.registration_deadline.isoformat(), s.exam_date.isoformat(), s.institution,
                    csv_field(one_break(s.kind)), csv_field(one_break(s.notes))])
    return buf.getvalue()


def write_plan(plan: Plan, path: str | Path) -> None:
    atomic_write_text(path, plan_to_csv(plan))
