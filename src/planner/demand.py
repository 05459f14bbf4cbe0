"""Demand as data: expected candidates per stream and category, and the seats each site offers.

A demand file (``constraints/demand.toml``, format in ``constraints/README.md``) says, per exam
stream and operation category, how many candidates the plan year expects (first attempts,
renewals and retakes carried over from the year before), when in the year they become ready (12
monthly weights), and which share shows up, passes and retakes; per site, how many seats one exam
day offers (computers × sittings) and how many consecutive exam days one session uses. The file
says whether it is an estimate (``status = "估计"``) or a bureau's own figures (``"实际"``); every
output that shows a number derived from it carries that status.

:func:`compile_demand` turns it into the facts the waiting rules read for one plan year
(:class:`DemandFacts`): candidates ready on each *ready day* of the plan-year window, and each
site's seats per exam day for each category. Both are whole numbers, so the check face and the
CP-SAT face of the waiting rules compute the same queue exactly (see ``planner.queueing``).
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .errors import PlannerError

#: statuses a demand file may carry: an estimate, or the bureau's own registration figures
STATUSES = ("估计", "实际")
#: more candidates than this in one stream and category is a typo, not a city (Beijing: ~20 000 a month)
MAX_CANDIDATES = 2_000_000
MAX_SEATS_PER_DAY = 100_000
MAX_DAYS_PER_SESSION = 10

LINES = ("first_time", "renewal", "retake")
#: a what-if's change of the expected candidates, in percent (scenario key ``demand_percent``, the workbench's
#: 需求 ± %): from a tenth of the estimate to six times it
PERCENT_RANGE = (-90, 500)
CATEGORY_KEYS = set(LINES) | {"profile", "show_rate", "pass_rate", "retake_share", "basis"}
STREAM_KEYS = {"arrival_every_days", "retake_lag_days", "categories"}
#: a stream's facts every demand file states (no default: they move every wait)
STREAM_FACTS = {"arrival_every_days": "days between two batches of candidates becoming ready, e.g. 7 for weekly "
                                      "training classes",
                "retake_lag_days": "days from a failed or missed exam to the candidate's next registration"}
SITE_KEYS = {"seats_per_day", "days_per_session", "max_days", "basis"}


@dataclass(frozen=True)
class CategoryDemand:
    """Expected candidates of one operation category in one stream, for the plan year."""

    first_time: int
    renewal: int
    retake: int
    profile: tuple[float, ...]  # 12 weights, January … December
    show_rate: float
    pass_rate: float
    retake_share: float
    basis: str = ""

    @property
    def base(self) -> int:
        """Candidates who enter the year: first attempts, renewals and last year's retakes."""
        return self.first_time + self.renewal + self.retake

    @property
    def return_rate(self) -> float:
        """Share of the candidates seated at a session who come back later: absent or failed, and retaking."""
        return (1.0 - self.show_rate * self.pass_rate) * self.retake_share

    @property
    def returning(self) -> int:
        """Candidates who come back within the year (estimated, not simulated: every return may fail again,
        so the base is multiplied by r + r² + … = r / (1 − r))."""
        r = self.return_rate
        return int(round(self.base * r / (1.0 - r))) if r < 1 else 0

    @property
    def registrations(self) -> int:
        return self.base + self.returning


@dataclass(frozen=True)
class StreamDemand:
    arrival_every_days: int
    retake_lag_days: int
    categories: Mapping[str, CategoryDemand]


@dataclass(frozen=True)
class SiteSeats:
    seats_per_day: int
    days_per_session: int
    max_days: int
    basis: str = ""


@dataclass(frozen=True)
class Demand:
    """A demand file as read: validated against the catalogue, not yet tied to a plan year."""

    streams: Mapping[str, StreamDemand]
    sites: Mapping[str, SiteSeats]
    status: str = "估计"
    name: str = ""
    source: str = ""
    method: str = ""
    file: str = ""
    #: the what-if's 需求 ± % its candidates were scaled by (:func:`scale_candidates`; 0: the file's own figures)
    percent: int = 0

    @property
    def estimated(self) -> bool:
        return self.status == "估计"

    def with_days(self, days: Mapping[str, int]) -> "Demand":
        """The same demand with other exam days per session at some sites (what sizing decides)."""
        sites = {i: (SiteSeats(s.seats_per_day, days[i], s.max_days, s.basis) if i in days else s)
                 for i, s in self.sites.items()}
        return replace(self, sites=MappingProxyType(sites))

    def scaled(self, candidates: float = 1.0, seats: float = 1.0) -> "Demand":
        """Candidates and seats multiplied (what-if and sensitivity: demand ± 20 %)."""
        def cat(c: CategoryDemand) -> CategoryDemand:
            return CategoryDemand(*(int(round(getattr(c, k) * candidates)) for k in LINES), c.profile, c.show_rate,
                                  c.pass_rate, c.retake_share, c.basis)
        streams = {sid: StreamDemand(sd.arrival_every_days, sd.retake_lag_days,
                                     MappingProxyType({c: cat(v) for c, v in sd.categories.items()}))
                   for sid, sd in self.streams.items()}
        sites = {i: SiteSeats(max(1, int(round(s.seats_per_day * seats))), s.days_per_session, s.max_days, s.basis)
                 for i, s in self.sites.items()}
        return replace(self, streams=MappingProxyType(streams), sites=MappingProxyType(sites))


def scale_candidates(demand: Demand, percent: int) -> Demand:
    """*demand* with every line of expected candidates (first attempts, renewals, retakes) of every category
    multiplied by (100 + *percent*) / 100, each rounded half up to a whole candidate (integer arithmetic: the
    same on every machine); seats, profiles and rates unchanged. The one scaling of a what-if (scenario key
    ``demand_percent``, the workbench's 需求 ± %)."""
    percent = check_percent(percent, demand.file)
    if percent == 0:
        return demand

    def cat(c: CategoryDemand) -> CategoryDemand:
        return replace(c, **{k: (getattr(c, k) * (100 + percent) + 50) // 100 for k in LINES})
    streams = {sid: replace(sd, categories=MappingProxyType({c: cat(v) for c, v in sd.categories.items()}))
               for sid, sd in demand.streams.items()}
    # a second what-if on a scaled demand compounds (what the candidates were multiplied by, in whole per cent)
    total = ((100 + demand.percent) * (100 + percent) + 50) // 100 - 100
    return replace(demand, streams=MappingProxyType(streams), percent=total)


def check_percent(v, file=None, key: str = "demand_percent") -> int:
    """A what-if percentage: a whole number within :data:`PERCENT_RANGE`, else one line naming file and key."""
    return _number(v, file, key, whole=True, lo=PERCENT_RANGE[0], hi=PERCENT_RANGE[1])


# -- reading ------------------------------------------------------------------------------------------------------
def _number(v, file, key: str, *, whole: bool, lo: float, hi: float):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (whole and not isinstance(v, int)):
        raise PlannerError(f"expected {'a whole number' if whole else 'a number'}, got {v!r}", file=file, field=key)
    if v != v or not lo <= v <= hi:
        raise PlannerError(f"{v} is out of range [{lo}, {hi}]", file=file, field=key)
    return v


def _unknown(doc: dict, allowed: set, file, key: str) -> None:
    bad = sorted(set(doc) - allowed)
    if bad:
        raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(allowed))})", file=file,
                           field=f"{key}.{bad[0]}" if key else bad[0])


def _table(v, file, key: str) -> dict:
    if not isinstance(v, dict):
        raise PlannerError("expected a table", file=file, field=key)
    return v


def _category(doc, file, key: str) -> CategoryDemand:
    doc = _table(doc, file, key)
    _unknown(doc, CATEGORY_KEYS, file, key)
    lines = {k: _number(doc.get(k, 0), file, f"{key}.{k}", whole=True, lo=0, hi=MAX_CANDIDATES) for k in LINES}
    prof = doc.get("profile", [1] * 12)
    if not isinstance(prof, list) or len(prof) != 12:
        raise PlannerError("expected 12 monthly weights (January … December)", file=file, field=f"{key}.profile")
    weights = tuple(float(_number(w, file, f"{key}.profile[{m}]", whole=False, lo=0, hi=1e9))
                    for m, w in enumerate(prof, start=1))
    tiny = next((m for m, w in enumerate(weights, start=1) if 0 < w < MIN_WEIGHT), None)
    if tiny is not None:  # 5e-324 passed, then vanished in the daily split (exit 70): the weights are relative
        raise PlannerError(f"a weight below {MIN_WEIGHT:g}: write 0, or scale the whole profile up (the weights are "
                           "relative)", file=file, field=f"{key}.profile[{tiny}]")
    if sum(lines.values()) > 0 and sum(weights) <= 0:
        raise PlannerError("the monthly weights are all 0 but candidates are expected", file=file,
                           field=f"{key}.profile")
    rates = {k: float(_number(doc.get(k, d), file, f"{key}.{k}", whole=False, lo=lo, hi=1))
             for k, d, lo in (("show_rate", 1.0, 0.01), ("pass_rate", 1.0, 0.01), ("retake_share", 0.0, 0))}
    if (1 - rates["show_rate"] * rates["pass_rate"]) * rates["retake_share"] > 0.9:
        raise PlannerError("nine in ten candidates or more would come back: check show_rate, pass_rate and "
                           "retake_share", file=file, field=f"{key}.retake_share")
    return CategoryDemand(**lines, profile=weights, **rates, basis=str(doc.get("basis", "")))


def demand_from_dict(doc: dict, file, catalogue) -> Demand:
    """Validate a demand document against the catalogue. Raises :class:`PlannerError` naming file and key."""
    _unknown(doc, {"name", "status", "source", "method", "streams", "sites"}, file, "")
    status = str(doc.get("status", "估计"))
    if status not in STATUSES:
        raise PlannerError(f"status must be one of {', '.join(STATUSES)}, got {status!r}", file=file, field="status")
    streams = {}
    for sid, sdoc in _table(doc.get("streams", {}), file, "streams").items():
        key = f"streams.{sid}"
        if sid not in catalogue.streams:
            raise PlannerError(f"unknown stream {sid!r} (known: {', '.join(sorted(catalogue.streams))})", file=file,
                               field=key)
        sdoc = _table(sdoc, file, key)
        _unknown(sdoc, STREAM_KEYS, file, key)
        allowed = set(catalogue.streams[sid].categories)
        cats = {}
        for cid, cdoc in _table(sdoc.get("categories", {}), file, f"{key}.categories").items():
            ckey = f"{key}.categories.{cid}"
            if cid not in allowed:
                raise PlannerError(f"{cid!r} is not a category of stream {sid!r} (known: {', '.join(sorted(allowed))})",
                                   file=file, field=ckey)
            cats[cid] = _category(cdoc, file, ckey)
        # how often candidates become ready and how long a failed one takes to come back are the file's to state
        # (the estimate's are 假设 in demand_basis.csv): no code default stands in for them
        for name, what in STREAM_FACTS.items():
            if name not in sdoc:
                raise PlannerError(f"{name} is required ({what})", file=file, field=f"{key}.{name}")
        streams[sid] = StreamDemand(
            _number(sdoc["arrival_every_days"], file, f"{key}.arrival_every_days", whole=True, lo=1, hi=31),
            _number(sdoc["retake_lag_days"], file, f"{key}.retake_lag_days", whole=True, lo=0, hi=180),
            MappingProxyType(dict(sorted(cats.items()))))
    sites = {}
    for iid, idoc in _table(doc.get("sites", {}), file, "sites").items():
        key = f"sites.{iid}"
        if iid not in catalogue.institutions:
            raise PlannerError(f"unknown institution {iid!r}", file=file, field=key)
        idoc = _table(idoc, file, key)
        _unknown(idoc, SITE_KEYS, file, key)
        seats = _number(idoc.get("seats_per_day"), file, f"{key}.seats_per_day", whole=True, lo=1,
                        hi=MAX_SEATS_PER_DAY) if "seats_per_day" in idoc else None
        if seats is None:
            raise PlannerError("seats_per_day is required (computers × sittings, at least 1)", file=file,
                               field=f"{key}.seats_per_day")
        most = _number(idoc.get("max_days", 1), file, f"{key}.max_days", whole=True, lo=1, hi=MAX_DAYS_PER_SESSION)
        days = _number(idoc.get("days_per_session", 1), file, f"{key}.days_per_session", whole=True, lo=1, hi=most)
        sites[iid] = SiteSeats(seats, days, most, str(idoc.get("basis", "")))
    if not any(sd.categories for sd in streams.values()):  # an empty file planned as if nobody were coming
        raise PlannerError("holds no candidates: give [streams.<stream>.categories.<category>] with first_time",
                           file=file, field="streams")
    return Demand(MappingProxyType(streams), MappingProxyType(dict(sorted(sites.items()))), status,
                  str(doc.get("name", "")), str(doc.get("source", "")), str(doc.get("method", "")), str(file))


def demand_origin(demand) -> dict:
    """Where each kind of figure of *demand* comes from, figure by figure: the expected candidates are the file's
    status (an import's are the bureau's registrations); the seats per site and the retake shares are estimates
    whenever their ``basis`` says so (an import keeps the base file's, ``planner.demand_import``). *label*: the
    whole, as a heading says it ("实际，考位和未过再报比例为估计" when it is mixed)."""
    est = demand.estimated
    cats = [c for sd in demand.streams.values() for c in sd.categories.values()]
    seat_bases = list(dict.fromkeys(s.basis.removeprefix("估计：").strip() for s in demand.sites.values()
                                    if s.basis.startswith("估计")))
    seats_est = est or bool(seat_bases)
    retake_est = est or any(c.basis.startswith("估计") or "沿用" in c.basis for c in cats)
    mixed = not est and (seats_est or retake_est)
    parts = [w for w, e in (("考位", seats_est), ("未过再报比例", retake_est)) if e]
    label = demand.status if not mixed else f"{demand.status}，{'和'.join(parts)}为估计"
    return {"candidates": demand.status, "seats": "估计" if seats_est else demand.status,
            "retake": "估计" if retake_est else demand.status, "mixed": mixed, "label": label,
            "estimated_parts": "和".join(parts), "seat_bases": seat_bases}


def default_demand_path() -> Path:
    from .data import constraints_dir

    return constraints_dir() / "demand.toml"


def load_demand(path: str | Path | None, catalogue) -> Demand:
    from .textio import read_toml

    p = Path(path) if path is not None else default_demand_path()
    return demand_from_dict(read_toml(p), p, catalogue)


class Candidates(int):
    """A session's candidates (registered or expected): their number, and how many of each operation category or
    type where the source tells them apart (``groups``: a category code such as ``refrigeration``, or a type code
    such as ``elec_relay`` -> candidates; empty when only the number is known).

    An ``int``, so that every reader of plain counts keeps working (totals, changes.csv, the workbench's rows).
    The groups decide only whom a re-plan's move strands (``replan.strand_days``); candidates outside any group (a plain
    count) are never counted stranded, as nothing says what they registered for.
    """

    groups: Mapping[str, int]

    def __new__(cls, n: int, groups: Mapping[str, int] | None = None) -> "Candidates":
        obj = super().__new__(cls, n)
        obj.groups = {str(g): int(k) for g, k in (groups or {}).items() if k}
        if any(k < 0 for k in obj.groups.values()) or sum(obj.groups.values()) > obj:
            raise ValueError(f"groups {obj.groups} do not fit {int(obj)} candidates")
        return obj

    def __getnewargs__(self):  # pickled to and from the workbench's solve process
        return int(self), dict(self.groups)


# -- one plan year's facts ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StreamFacts:
    """One stream's queue inputs for one plan year, in whole candidates."""

    stream: str
    ready_days: tuple[dt.date, ...]  # the days candidates become ready, increasing
    arrivals: Mapping[str, tuple[int, ...]]  # category -> candidates ready on each ready day
    #: (site, category) -> seats per exam day for that category: the most on any day (what bounds and the seat
    #: table read); the seats of a session on its day are :meth:`seats_per_day_on`'s
    quota: Mapping[tuple[str, str], int]
    days: Mapping[str, int]  # site -> exam days one session uses
    max_days: Mapping[str, int]  # site -> the most exam days one session may use (sizing)
    seats_per_day: Mapping[str, int]
    #: (site, category) -> days the site may examine the category, for a dated licence only (else absent: always)
    licence_days: Mapping[tuple[str, str], frozenset] = field(default_factory=dict)
    #: category -> the year's candidates by line: entering (the file's first_time + renewal + retake), the renewal
    #: wave the regulation adds and the old renewals it replaces (an estimate only), those returning within the
    #: year's window (the regulation's retake limit; in the queue) and those whose return falls after the window's
    #: end (``returning_next_year``: the next year's, not in the queue). entering + renewal_wave −
    #: renewal_replaced + returning is :meth:`total`. CategoryDemand.returning is the series without any
    #: regulation or window.
    lines: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: site -> its seat split by period, as :func:`compile_demand` shares the seats: ``(days, category -> seats
    #: per exam day)`` pairs, the days of a dated licence in force first, the site's ordinary split last (days
    #: None: every other day). Absent for a site: ``quota`` on every day, gated by ``licence_days`` (facts built
    #: by hand), which :meth:`periods` turns into the same form.
    split: Mapping[str, tuple] = field(default_factory=dict)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.arrivals)

    def total(self, category: str) -> int:
        return sum(self.arrivals[category])

    def cumulative(self, category: str) -> tuple[int, ...]:
        """cum[i]: candidates ready on the first i ready days (cum[0] = 0)."""
        out, acc = [0], 0
        for a in self.arrivals[category]:
            acc += a
            out.append(acc)
        return tuple(out)

    @cached_property
    def _periods(self) -> dict:
        out = {}
        for site in sorted({i for i, _ in self.quota} | set(self.split)):
            if site in self.split:
                out[site] = tuple(self.split[site])
                continue
            own = {c: q for (i, c), q in self.quota.items() if i == site}
            dated = {c: d for (i, c), d in self.licence_days.items() if i == site and c in own}
            groups: dict[frozenset, set] = {}
            for day in sorted(set().union(*dated.values())) if dated else ():
                groups.setdefault(frozenset(c for c, d in dated.items() if day in d), set()).add(day)
            out[site] = tuple((frozenset(days), MappingProxyType({c: q for c, q in own.items()
                                                                  if c not in dated or c in key}))
                              for key, days in sorted(groups.items(), key=lambda kv: min(kv[1]))) + (
                (None, MappingProxyType({c: q for c, q in own.items() if c not in dated})),)
        return out

    def periods(self, site: str) -> tuple:
        """*site*'s seat split by period: ``(days, category -> seats per exam day)``, the dated periods first, the
        ordinary one (days None) last; a site with no dated licence has the ordinary one only. The one definition
        both faces read (:meth:`seats_per_day_on`, ``queueing._stream_flows``)."""
        return self._periods.get(site, ((None, MappingProxyType({})),))

    def seats_per_day_on(self, site: str, category: str, day: dt.date) -> int:
        """Seats per exam day for *category* in a session at *site* on *day* (0 where it may not examine it)."""
        for days, q in self.periods(site):
            if days is None or day in days:
                return q.get(category, 0)
        return 0  # pragma: no cover - the ordinary period is last

    def seats(self, site: str, category: str, day: dt.date, days: int | None = None) -> int:
        """Seats for *category* in one session at *site* on *day* (its exam days × the category's seats per day
        on that day: the licences in force then decide the split)."""
        return self.seats_per_day_on(site, category, day) * (self.days.get(site, 1) if days is None else days)

    def session_seats(self, site: str, category: str, days: int | None = None) -> int:
        """The most seats for *category* one session at *site* offers (on its best day)."""
        return self.quota.get((site, category), 0) * (self.days.get(site, 1) if days is None else days)


@dataclass(frozen=True)
class DemandFacts:
    demand: Demand
    streams: Mapping[str, StreamFacts] = field(default_factory=dict)
    window: tuple[dt.date, dt.date] | None = None
    free_days: bool = False  # sizing: the model chooses each site's exam days per session (1 … max_days)

    @property
    def status(self) -> str:
        return self.demand.status

    def stream(self, sid: str) -> StreamFacts | None:
        return self.streams.get(sid)


def _daily_weights(days: list[dt.date], profile: tuple[float, ...]) -> list[float]:
    """A month's weight spread evenly over its days (so a partial month gets its share)."""
    return [profile[d.month - 1] / _cal.monthrange(d.year, d.month)[1] for d in days]


def ready_profile(days: list[dt.date], profile: tuple[float, ...], total: int, step: int,
                  lag: int = 0, start: dt.date | None = None, stop: dt.date | None = None) -> list[int]:
    """*total* candidates spread over *days* by the monthly *profile* (shifted *lag* days later), counted
    on every *step*-th day: the candidates of a ready day are those who became ready since the previous one.
    Whole numbers that add up to *total* (rounded cumulative sums). With *start* (*stop*), nobody before
    (from) that day."""
    w = _daily_weights(days, profile)
    if start is not None or stop is not None:
        w = [x if (start is None or d >= start) and (stop is None or d < stop) else 0.0 for d, x in zip(days, w)]
    if lag:
        w = [0.0] * min(lag, len(w)) + w[:max(0, len(w) - lag)]  # nobody returns before lag days have passed
    s = sum(w)
    marks = list(range(step - 1, len(days), step))
    if not marks or marks[-1] != len(days) - 1:
        marks.append(len(days) - 1)
    if total == 0:
        return [0] * len(marks)  # one per ready day (the last day included), like a spread total
    if s <= 0:  # nowhere to put them: the caller counts only what falls in the window (returns_kept)
        raise ValueError(f"{total} candidates and no day of the window to spread them over")
    cum, acc, out, prev = [], 0.0, [], 0
    for x in w:
        acc += x
        cum.append(acc)
    for i in marks:
        c = int(math.floor(total * cum[i] / s + 0.5)) if i < len(days) - 1 else total
        out.append(c - prev)
        prev = c
    return out


def returns_kept(days: list[dt.date], profile: tuple[float, ...], lag: int) -> float:
    """The share of a category's returns that falls inside the window *days*: they follow the monthly *profile*
    *lag* days later (:func:`ready_profile`), and those shifted past the window's last day come back in the next
    plan year (its demand's ``retake`` line), not in this one's queue."""
    w = _daily_weights(days, profile)
    s = sum(w)
    return sum(w[:max(0, len(w) - lag)]) / s if s > 0 else 0.0


def window_days(window: tuple[dt.date, dt.date]) -> list[dt.date]:
    """Every day of a plan-year window, first to last: the days the candidates' monthly profile is spread over."""
    return [window[0] + dt.timedelta(days=i) for i in range((window[1] - window[0]).days + 1)]


def ready_days(window: tuple[dt.date, dt.date], step: int) -> list[dt.date]:
    days = window_days(window)
    marks = list(range(step - 1, len(days), step))
    if not marks or marks[-1] != len(days) - 1:
        marks.append(len(days) - 1)
    return [days[i] for i in marks]


def _quota(seats: int, weights: dict[str, float]) -> dict[str, int]:
    """A site's seats per exam day shared among its categories by expected candidates (largest remainder),
    each category with candidates getting at least one seat while there are seats to give."""
    cats = [c for c, w in weights.items() if w > 0]
    if not cats:
        return {}
    out = {c: 0 for c in cats}
    left = seats
    if seats >= len(cats):
        for c in cats:
            out[c] = 1
        left -= len(cats)
    total = sum(weights[c] for c in cats)
    raw = {c: left * weights[c] / total for c in cats}
    for c in cats:
        out[c] += int(raw[c])
    rest = left - sum(int(raw[c]) for c in cats)
    for c in sorted(cats, key=lambda c: (-(raw[c] - int(raw[c])), c))[:rest]:
        out[c] += 1
    return out


def _categories_offered(problem, site: str, stream: str) -> dict[str, frozenset | None]:
    """Categories *site* may examine for *stream* -> the days it may (None: always, 附件4 scope)."""
    when: dict[str, frozenset | None] = {}
    for op, op_days in problem.offered(site, stream).items():
        cid = problem.catalogue.operations[op].category_code
        before = when.get(cid, frozenset())
        when[cid] = None if op_days is None or before is None else before | op_days
    return when


def _seat_split(problem, sid: str, spec, demand: Demand, totals: dict[str, int]):
    """Each site's seats per exam day shared among the categories it may examine for stream *sid*, day by day.

    A category's weight is its candidates divided by the number of the stream's sites that may always examine it
    (附件4 scope; at least one), so a category only one site offers gets that site's seats for all of its
    candidates. A dated licence adds its category to its site's split on its days only, and counts in no other
    site's divisor: the site's other days, and every other site, keep their split, so adding licensed capacity
    never takes a seat of the category away anywhere (it takes seats of the licensed site's other categories, on
    the licence's days). Returns (the most seats per exam day of each (site, category) on any day, the dated
    licences' days per (site, category), and the sites with a dated licence -> their split by period, as
    :meth:`StreamFacts.periods` reads it)."""
    offers = {site: _categories_offered(problem, site, sid) for site in spec.sites if site in demand.sites}
    n_sites = {cid: max(1, sum(when.get(cid, ()) is None for when in offers.values())) for cid in totals}
    weight = {cid: totals[cid] / n_sites[cid] for cid in totals}
    quota: dict[tuple[str, str], int] = {}
    dated: dict[tuple[str, str], frozenset] = {}
    split: dict[str, tuple] = {}
    for site, when in offers.items():
        seats = demand.sites[site].seats_per_day
        always = [cid for cid in totals if cid in when and when[cid] is None]
        licensed = {cid: when[cid] for cid in totals if cid in when and when[cid] is not None}
        # periods: the days on which the same dated categories are licensed (their number follows the licences,
        # not the candidates, and so does the model's size)
        groups: dict[frozenset, set] = {}
        for day in sorted(set().union(*licensed.values())) if licensed else ():
            groups.setdefault(frozenset(c for c, d in licensed.items() if day in d), set()).add(day)
        periods = [(frozenset(days), key) for key, days in sorted(groups.items(), key=lambda kv: min(kv[1]))]
        periods.append((None, frozenset()))
        table = []
        for days, key in periods:
            cats = always + sorted(key)
            q = _quota(seats, {cid: weight[cid] for cid in cats})
            q = {cid: q.get(cid, 0) for cid in cats}  # a category the site examines is in the table even without
            table.append((days, MappingProxyType(q)))  # candidates (0 seats): shaped by who examines what
            for cid, n in q.items():
                quota[(site, cid)] = max(quota.get((site, cid), 0), n)
        for cid, d in licensed.items():
            dated[(site, cid)] = d
        if licensed:
            split[site] = tuple(table)
    return quota, dated, split


def compile_demand(demand: Demand, problem) -> DemandFacts:
    """The queue inputs of *problem*'s plan year: ready days and candidates per category, seats per site.

    Candidates become ready within the plan-year window (the year's Spring Festival break to the next),
    spread by the monthly profile; those who come back (absent or failed, retaking) are spread the same way
    ``retake_lag_days`` later, and those whose return falls after the window's end are the next year's (lines
    ``returning_next_year``; the next year's file counts them as its ``retake`` line), not this queue's. A site's
    seats go to the categories it may examine for the stream in proportion to their expected candidates, day by
    day: 附件4 scope always, a dated licence on its days (:func:`_seat_split`).

    The regulation in force (``planner.regulation``) limits the returns: each regime's ``max_retakes`` over the
    share of the year's candidates it governs. An estimate (status 估计) whose category has no ``renewal`` line
    gains the year's renewal wave (``renewal_wave.csv``) on the days of a regime that renews that way; a
    bureau's own figures (实际) count their renewals themselves.
    """
    from .regulation import NO_WAVE, year_rules

    window = problem.window
    rules = year_rules(problem)
    streams = {}
    for sid, sd in demand.streams.items():
        spec = problem.streams.get(sid)
        if spec is None:
            continue  # a stream the rule set does not plan (its candidates are not this plan's concern)
        days = window_days(window)
        rdays = ready_days(window, sd.arrival_every_days)
        arrivals = {}
        lines = {}
        for cid, c in sd.categories.items():
            weights = _daily_weights(days, c.profile)
            wave = NO_WAVE
            if demand.estimated and c.renewal == 0:
                wave = rules.wave(sid, cid, c.base, days, weights)
            entering = c.base + wave.added - wave.replaced
            # the regulation's returns of the year's candidates, of which those falling after the window's end
            # (lag days after the last ones) are the next year's: the queue holds the rest, and lines say both
            returning_all = rules.returning(sid, entering, c.return_rate, days, weights)
            factor = rules.return_factor(sid, c.return_rate, days, weights) * returns_kept(
                days, c.profile, sd.retake_lag_days)
            returning = int(round(entering * factor))
            # A category the file lists stays one with no candidates this year (e.g. a handful that rounds to
            # none when the demand is scaled down): its queue is then zero throughout, and the model's size
            # depends on which categories there are, never on how many candidates (issue 17 item 7).
            if wave.first_day is None:
                first = ready_profile(days, c.profile, c.base, sd.arrival_every_days)
            else:  # the renewing regime's days: the wave in, the regime before's renewal candidates out
                after = int(round(c.base * sum(w for d, w in zip(days, weights) if d >= wave.first_day)
                                  / sum(weights)))
                first = [a + b for a, b in zip(
                    ready_profile(days, c.profile, c.base - after, sd.arrival_every_days, stop=wave.first_day),
                    ready_profile(days, c.profile, after + wave.added - wave.replaced, sd.arrival_every_days,
                                  start=wave.first_day))]
            back = ready_profile(days, c.profile, returning, sd.arrival_every_days, lag=sd.retake_lag_days)
            arrivals[cid] = tuple(a + b for a, b in zip(first, back))
            lines[cid] = MappingProxyType({"entering": c.base, "renewal_wave": wave.added,
                                           "renewal_replaced": wave.replaced, "returning": returning,
                                           "returning_next_year": returning_all - returning})
        quota, dated, split = _seat_split(problem, sid, spec, demand, {c: sum(a) for c, a in arrivals.items()})
        streams[sid] = StreamFacts(
            sid, tuple(rdays), MappingProxyType(arrivals), MappingProxyType(quota),
            MappingProxyType({i: s.days_per_session for i, s in demand.sites.items()}),
            MappingProxyType({i: s.max_days for i, s in demand.sites.items()}),
            MappingProxyType({i: s.seats_per_day for i, s in demand.sites.items()}), MappingProxyType(dated),
            MappingProxyType(lines), MappingProxyType(split))
    return DemandFacts(demand, MappingProxyType(streams), window)


# -- writing ------------------------------------------------------------------------------------------------------
#: the smallest monthly weight other than 0 (a profile's weights are relative: 1 and 0.000001 is already a million to one)
MIN_WEIGHT = 1e-6


def _toml_str(s: str) -> str:
    """A TOML basic string of *s*: a line break as a space, every other control character as its escape (TOML
    refuses them raw: a basis holding one was written, then could not be read back)."""
    text = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04X}", text) + '"'


def _num(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:.4f}".rstrip("0").rstrip(".")


def demand_to_toml(demand: Demand, header: str = "") -> str:
    """A demand as a demand file (read back by :func:`demand_from_dict` to an equal object)."""
    lines = [f"# {h}" for h in header.splitlines()] if header else []
    lines += [f"name = {_toml_str(demand.name)}", f"status = {_toml_str(demand.status)}",
              f"source = {_toml_str(demand.source)}", f"method = {_toml_str(demand.method)}", ""]
    for sid, sd in demand.streams.items():
        lines += [f"[streams.{sid}]", f"arrival_every_days = {sd.arrival_every_days}",
                  f"retake_lag_days = {sd.retake_lag_days}", ""]
        for cid, c in sd.categories.items():
            lines += [f"[streams.{sid}.categories.{cid}]"]
            lines += [f"{k} = {getattr(c, k)}" for k in LINES]
            lines += [f"profile = [{', '.join(_num(w) for w in c.profile)}]",
                      f"show_rate = {_num(c.show_rate)}", f"pass_rate = {_num(c.pass_rate)}",
                      f"retake_share = {_num(c.retake_share)}", f"basis = {_toml_str(c.basis)}", ""]
    for iid, s in demand.sites.items():
        lines += [f"[sites.{iid}]", f"seats_per_day = {s.seats_per_day}", f"days_per_session = {s.days_per_session}",
                  f"max_days = {s.max_days}", f"basis = {_toml_str(s.basis)}", ""]
    return "\n".join(lines).rstrip() + "\n"
