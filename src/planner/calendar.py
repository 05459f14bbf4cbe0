"""The official working-day calendar of mainland China, and the plan-year window.

Rules in code, yearly exceptions in data: the ``holidays`` package carries the State
Council's arrangement (days off and the 调休 make-up working days) for every year it has
been published. A year it does not yet carry is *provisional*: only the statutory holidays
are known, and the blocks of days off and their make-up days are *predicted* (预计) from the
official years before it (:mod:`planner.holiday_forecast`). A planner can type in the
arrangement (and local closed days) in an override file ``constraints/calendar/YEAR.toml``;
the year then counts as official.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import PlannerError
from .holiday_forecast import official_years
from .textio import read_toml

OVERRIDE_KEYS = {"year", "source", "days_off", "makeup_workdays", "closed_days"}


@dataclass(frozen=True)
class CalendarOverride:
    """A year's arrangement typed in by a planner, and local closed days."""

    year: int
    source: str = ""
    days_off: frozenset[dt.date] = frozenset()
    makeup_workdays: frozenset[dt.date] = frozenset()
    closed_days: frozenset[dt.date] = frozenset()

    @property
    def official(self) -> bool:
        """An override that states the arrangement (days off) makes the year official."""
        return bool(self.days_off)


def toml_date(v, file, key: str) -> dt.date:
    """A date from a TOML file (a TOML date or an ISO string), or a PlannerError naming the key. A TOML date-time
    (2027-04-01T08:00:00) is refused: a day is meant, and comparing one with dates failed deep inside (exit 70)."""
    if isinstance(v, dt.datetime):
        raise PlannerError(f"a date and time ({v.isoformat()}): write the date alone, YYYY-MM-DD", file=file,
                           field=key)
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise PlannerError(f"not a date in YYYY-MM-DD form: {v!r}", file=file, field=key) from None


def _parse_days(values, file, key: str) -> frozenset[dt.date]:
    """Dates as ISO strings or TOML dates; ``"A..B"`` is an inclusive range."""
    if not isinstance(values, list):
        raise PlannerError("must be a list of dates", file=file, field=key)
    out: set[dt.date] = set()
    for v in values:
        if isinstance(v, dt.date):
            out.add(toml_date(v, file, key))
            continue
        if not isinstance(v, str):
            raise PlannerError(f"not a date: {v!r}", file=file, field=key)
        try:
            if ".." in v:
                a, b = (dt.date.fromisoformat(x.strip()) for x in v.split(".."))
                if b < a:
                    raise PlannerError(f"range {v!r} ends before it starts", file=file, field=key)
                out.update(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
            else:
                out.add(dt.date.fromisoformat(v))
        except ValueError:
            raise PlannerError(f"not a date in YYYY-MM-DD form: {v!r}", file=file, field=key) from None
    return frozenset(out)


def override_from_dict(doc: dict, file, year: int | None = None) -> CalendarOverride:
    unknown = set(doc) - OVERRIDE_KEYS
    if unknown:
        raise PlannerError(f"unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(OVERRIDE_KEYS))})",
                           file=file)
    y = doc.get("year", year)
    if not isinstance(y, int):
        raise PlannerError("'year' must be a whole number", file=file, field="year")
    ov = CalendarOverride(
        year=y,
        source=str(doc.get("source", "")),
        days_off=_parse_days(doc.get("days_off", []), file, "days_off"),
        makeup_workdays=_parse_days(doc.get("makeup_workdays", []), file, "makeup_workdays"),
        closed_days=_parse_days(doc.get("closed_days", []), file, "closed_days"),
    )
    for key in ("days_off", "makeup_workdays", "closed_days"):
        bad = [d for d in getattr(ov, key) if d.year != y]
        if bad:
            raise PlannerError(f"{min(bad)} is not in year {y}", file=file, field=key)
    clash = ov.days_off & ov.makeup_workdays
    if clash:
        raise PlannerError(f"{min(clash)} is both a day off and a make-up working day", file=file, field="days_off")
    if ov.makeup_workdays and not ov.days_off:  # the arrangement is its days off: make-up days alone were ignored
        raise PlannerError("make-up working days without the days off: an arrangement gives both (days_off makes "
                           "the year official; closed_days alone is for local closures)", file=file,
                           field="makeup_workdays")
    return ov


def load_override(path: str | Path) -> CalendarOverride:
    doc = read_toml(path)
    stem = Path(path).stem
    return override_from_dict(doc, path, int(stem) if stem.isdigit() else None)


def load_overrides(directory: str | Path | None) -> dict[int, CalendarOverride]:
    """All ``YEAR.toml`` files of *directory*; without one, of ``constraints/calendar`` (none when it is missing).
    A folder that was named but is not there is bad input: a typo must not silently drop the bureau's days."""
    if directory is None:
        from .data import constraints_dir

        directory = constraints_dir() / "calendar"
    elif not Path(directory).is_dir():
        raise PlannerError("no such folder (the calendar overrides, YEAR.toml)", file=directory, field="calendar-dir")
    d = Path(directory)
    out: dict[int, CalendarOverride] = {}
    if d.is_dir():
        for f in sorted(d.glob("*.toml")):
            ov = load_override(f)
            out[ov.year] = ov
    return out


@dataclass(frozen=True)
class LibraryAnswer:
    """What the installed ``holidays`` says for plan year Y: the days off of Y and Y+1 with their names, the
    make-up working days, the years it carries officially, and 春节 of Y and Y+1; for a year of the two it
    does not carry, the predicted days off and make-up days (learned from the library's official years)."""

    days_off: dict[dt.date, str]
    makeup: frozenset[dt.date]
    official: frozenset[int]
    new_year_days: dict[int, dt.date]
    predicted_off: dict[dt.date, str] = field(default_factory=dict)
    predicted_makeup: frozenset[dt.date] = frozenset()

    def to_json(self) -> dict:
        iso = lambda days: sorted(d.isoformat() for d in days)  # noqa: E731
        return {"days_off": {d.isoformat(): n for d, n in sorted(self.days_off.items())},
                "makeup": iso(self.makeup), "official": sorted(self.official),
                "new_year_days": {str(y): d.isoformat() for y, d in sorted(self.new_year_days.items())},
                "predicted_off": {d.isoformat(): n for d, n in sorted(self.predicted_off.items())},
                "predicted_makeup": iso(self.predicted_makeup)}

    def answers(self, year: int) -> bool:
        """Whether this is an answer about plan year *year*: 春节 of Y and Y+1 among the days off, a day off in
        each of the two years and none outside them (a well-formed file about another year, or an emptied
        one, is not taken for it). The make-up days are not checked: the library lists other years' too."""
        years = {year, year + 1}
        return (set(self.new_year_days) == years and all(d in self.days_off for d in self.new_year_days.values())
                and {d.year for d in self.days_off} == years)

    @classmethod
    def from_json(cls, doc: dict) -> LibraryAnswer:
        day = dt.date.fromisoformat
        return cls({day(d): str(n) for d, n in doc["days_off"].items()}, frozenset(map(day, doc["makeup"])),
                   frozenset(int(y) for y in doc["official"]),
                   {int(y): day(d) for y, d in doc["new_year_days"].items()},
                   {day(d): str(n) for d, n in doc["predicted_off"].items()},
                   frozenset(map(day, doc["predicted_makeup"])))


def ask_library(year: int) -> LibraryAnswer:
    """Ask ``holidays`` itself (about 0.08 s in a fresh process: building ``holidays.China`` imports every
    country module of the library)."""
    import holidays as hol

    lib = hol.China(years=[year, year + 1])
    # Chinese New Year's Day (春节) of each year, from the library's statutory holiday names.
    sf = hol.China(years=[year, year + 1, year + 2], language="en_US")
    cny = {y: min(d for d, n in sf.items() if d.year == y and n.startswith("Chinese New Year (Spring Festival)"))
           for y in (year, year + 1)}
    from .holiday_forecast import predict

    official = official_years()
    forecasts = [predict(y) for y in (year, year + 1) if y not in official]
    return LibraryAnswer(dict(lib.items()), frozenset(getattr(lib, "weekend_workdays", ())), official, cny,
                         {d: n for f in forecasts for d, n in f.days_off.items()},
                         frozenset(d for f in forecasts for d in f.makeup))


def cache_dir() -> Path | None:
    """Where the library's answers are kept between runs: ``PLANNER_CACHE_DIR`` (empty: no cache), else
    ``$XDG_CACHE_HOME/planner`` or ``~/.cache/planner``."""
    import os

    given = os.environ.get("PLANNER_CACHE_DIR")
    if given is not None:
        return Path(given) if given else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "planner"


def library_answer(year: int) -> LibraryAnswer:
    """:func:`ask_library`, kept on disk per ``holidays`` release and year, since a run that plans one year
    otherwise spends more time building ``holidays.China`` than solving. The file is only a copy of the
    library's answer (tests compare the two): a missing, unreadable, damaged or foreign one (not about
    this plan year) is asked again and rewritten, a folder that cannot be written is left alone."""
    import json

    import holidays as hol

    from .errors import IOFailure
    from .textio import atomic_write_text

    folder = cache_dir()
    from .holiday_forecast import METHOD

    # the prediction is part of the answer: a new method gets new files
    name = f"calendar-holidays-{hol.__version__}-forecast-{METHOD}-{year}.json"
    path = folder / name if folder is not None else None
    if path is not None:
        try:
            kept = LibraryAnswer.from_json(json.loads(path.read_text(encoding="utf-8")))
            if kept.answers(year):
                return kept
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    answer = ask_library(year)
    if path is not None:
        try:  # whole or not at all: a reader never sees half a file
            atomic_write_text(path, json.dumps(answer.to_json(), ensure_ascii=False, sort_keys=True))
        except (OSError, IOFailure):
            pass
    return answer


FIRST_YEAR, LAST_YEAR = 2001, 2099


@dataclass(frozen=True, eq=False)  # identity hash: built once per year and cached
class WorkCalendar:
    """Working days for the two calendar years a plan year touches (Y and Y+1)."""

    year: int
    holidays: dict[dt.date, str]
    makeup_workdays: frozenset[dt.date]
    closed_days: frozenset[dt.date]
    official: dict[int, bool]
    new_year_days: dict[int, dt.date]
    sources: dict[int, str] = field(default_factory=dict)
    #: days of ``holidays`` and ``makeup_workdays`` that are predicted (预计), not yet arranged
    predicted: frozenset[dt.date] = frozenset()

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year + 1, 12, 31)

    def is_working_day(self, d: dt.date) -> bool:
        """Official working day (State Council): a weekday that is no holiday, or a make-up weekend day.

        Locally closed days (an inspection week) are *not* holidays: they do not move the plan-year
        window or anything measured from it; they only keep exams off those days (:meth:`is_exam_day`).
        """
        if d in self.makeup_workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def is_exam_day(self, d: dt.date) -> bool:
        """An exam may sit on *d*: an official working day that is not locally closed."""
        return d not in self.closed_days and self.is_working_day(d)

    def why_not_working(self, d: dt.date) -> str:
        if not self.first_day <= d <= self.last_day:
            return f"outside the calendar data of this plan year ({self.first_day} … {self.last_day})"
        if d in self.holidays:
            return f"a {'predicted day off' if d in self.predicted else 'public holiday'} ({self.holidays[d]})"
        if not self.is_working_day(d):
            return "a weekend day that is not a make-up working day"
        if d in self.closed_days:
            return "a locally closed (exam-free) day"
        return "a working day"

    @functools.lru_cache(maxsize=64)  # a calendar never changes (identity hash); holiday_deadline asks on every check
    def off_blocks(self, min_days: int = 1) -> tuple[tuple[dt.date, dt.date], ...]:
        """Runs of consecutive official days off (weekends and holidays) of at least *min_days* days."""
        out, start, prev = [], None, None
        for d in self.days(self.first_day, self.last_day):
            if not self.is_working_day(d):
                start = d if start is None else start
                prev = d
            elif start is not None:
                if (prev - start).days + 1 >= min_days:
                    out.append((start, prev))
                start = None
        if start is not None and (prev - start).days + 1 >= min_days:
            out.append((start, prev))
        return tuple(out)

    def days(self, start: dt.date, end: dt.date):
        for i in range((end - start).days + 1):
            yield start + dt.timedelta(days=i)

    def working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        return [d for d in self.days(start, end) if self.is_working_day(d)]

    def _spring_festival_break(self, y: int) -> tuple[dt.date, dt.date]:
        """The run of non-working days around Chinese New Year's Day of year *y*."""
        start = end = self.new_year_days[y]
        while not self.is_working_day(start - dt.timedelta(days=1)):
            start -= dt.timedelta(days=1)
        while not self.is_working_day(end + dt.timedelta(days=1)):
            end += dt.timedelta(days=1)
        return start, end

    def window(self) -> tuple[dt.date, dt.date]:
        """Plan-year window: first working day after Y's Spring Festival break, last before Y+1's."""
        _, end_y = self._spring_festival_break(self.year)
        start_next, _ = self._spring_festival_break(self.year + 1)
        start = end_y + dt.timedelta(days=1)
        stop = start_next - dt.timedelta(days=1)
        while not self.is_working_day(stop):
            stop -= dt.timedelta(days=1)
        return start, stop

    def is_official(self, d: dt.date | None = None) -> bool:
        """Is the calendar official on day *d* (default: across the whole plan-year window)?"""
        if d is not None:
            return self.official.get(d.year, False)
        start, stop = self.window()
        return all(self.official.get(y, False) for y in range(start.year, stop.year + 1))

    def status(self) -> str:
        """``official``, or ``provisional (YEAR …)`` naming the years whose arrangement is not known."""
        start, stop = self.window()
        missing = [y for y in range(start.year, stop.year + 1) if not self.official.get(y, False)]
        if not missing:
            return "official"
        return "provisional (no official arrangement for " + ", ".join(map(str, missing)) + ")"


def build_calendar(year: int, overrides: dict[int, CalendarOverride] | None = None) -> WorkCalendar:
    """The working-day calendar for plan year *year*, with optional per-year overrides."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR - 1:
        raise PlannerError(f"year {year} is outside the calendar data's range {FIRST_YEAR}-{LAST_YEAR - 1}",
                           field="year")
    return _build(year, tuple(sorted((overrides or {}).items())))


@lru_cache(maxsize=32)
def _build(year: int, overrides: tuple) -> WorkCalendar:
    import holidays as hol

    ovs = dict(overrides)
    years = [year, year + 1]
    lib = library_answer(year)
    hdays: dict[dt.date, str] = {}
    makeup: set[dt.date] = set()
    closed: set[dt.date] = set()
    official: dict[int, bool] = {}
    sources: dict[int, str] = {}
    predicted: set[dt.date] = set()
    for y in years:
        ov = ovs.get(y)
        if ov is not None and ov.official:
            hdays.update({d: "day off (override)" for d in ov.days_off})
            makeup.update(ov.makeup_workdays)
            official[y] = True
            sources[y] = ov.source or "override file"
        elif y in lib.official:
            hdays.update({d: n for d, n in lib.days_off.items() if d.year == y})
            makeup.update(d for d in lib.makeup if d.year == y)
            official[y] = True
            sources[y] = f"holidays {hol.__version__}"
        else:  # statutory days from the library, blocks and make-up days predicted
            off = {d: n for d, n in lib.predicted_off.items() if d.year == y}
            mk = {d for d in lib.predicted_makeup if d.year == y}
            hdays.update(off)
            makeup.update(mk)
            predicted.update(off, mk)
            official[y] = False
            sources[y] = f"holidays {hol.__version__} (statutory holidays; blocks and 调休 predicted)"
        if ov is not None:
            closed.update(ov.closed_days)
    cny = dict(lib.new_year_days)
    return WorkCalendar(year, hdays, frozenset(makeup), frozenset(closed), official, cny, sources,
                        frozenset(predicted))
