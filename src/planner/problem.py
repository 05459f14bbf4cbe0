"""The compiled planning problem: every fact the rules, the model and the reports read, built once.

A :class:`Problem` is made from the notice's data (catalogue), the working-day calendar and a
rule set (a scenario already folded in), and then never changes. It holds the facts the rules
state, each rule contributing its own (``Rule.contribute``): each stream's slot count and sites,
which site may examine what and when (licensed scope plus a scenario's dated licences), closures,
the exam-free days, month targets and pinned sessions. Rules read these facts from here, not from each other, so the
check face and the CP-SAT face of a rule see the same numbers; the model builds its variables
from here too. All cross-checks between rule-set parameters, the catalogue and the calendar
happen in :func:`compile_problem`, the one place input is validated against itself.

Layering: data → calendar → problem → rules → model → solver → services → publish → commands.
This module imports only the first two; the rule set is handed in as an object.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from .calendar import WorkCalendar
from .data import Catalogue
from .errors import PlannerError
from .targets import Target, month_targets

#: upper bound on sessions in one plan year, all streams together: beyond it the model would be
#: larger than any city's year needs (2024: 59) and building it alone would take minutes
MAX_SESSIONS = 2000


@dataclass(frozen=True)
class License:
    """A site licensed for a category for a date range (a scenario's ``[[licenses]]``)."""

    institution: str
    category: str
    start: dt.date
    end: dt.date
    reason: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Closure:
    institution: str
    start: dt.date
    end: dt.date
    reason: str = ""


@dataclass(frozen=True)
class StreamSpec:
    """One exam stream as the year's plan sees it."""

    id: str
    sites: tuple[str, ...]  # configured sites, in rotation order
    kinds: tuple[str, ...]  # allowed 考试类别, default first
    categories: tuple[str, ...]
    count: int | None  # fixed number of sessions, or None when bounded per site
    site_bounds: Mapping[str, tuple[int, int]]  # on-demand sites: (min, max)
    rotates: bool
    count_range: tuple[int, int] | None = None  # {min, max} sessions: the count is the model's to choose (sizing)

    @property
    def max_sessions(self) -> int:
        """How many sessions the stream can have: its slot count in the model."""
        if self.count is not None:
            return self.count
        if self.count_range is not None:
            return self.count_range[1]
        return sum(hi for _, hi in self.site_bounds.values())

    @property
    def cycle(self) -> int:
        """Sessions per rotation cycle (1 for a stream that does not rotate)."""
        return max(1, len(self.sites)) if self.rotates else 1

    def bounds(self, site: str) -> tuple[int, int]:
        return self.site_bounds.get(site, (0, 0))


@dataclass(frozen=True, eq=False)  # identity hash: used as a cache key by the spread targets
class Problem:
    """The immutable, validated planning problem of one plan year."""

    catalogue: Catalogue
    calendar: WorkCalendar
    ruleset: Any  # planner.ruleset.RuleSet (typed loosely: this layer sits below the rules)
    window: tuple[dt.date, dt.date]
    streams: Mapping[str, StreamSpec]
    closures: tuple[Closure, ...] = ()
    licenses: tuple[License, ...] = ()
    targets: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)
    pins: tuple = ()  # planner.plan.Session, fixed by a scenario
    #: facts a rule computes for others to read (``Facts.shared``), keyed by the rule that states them
    shared: Mapping[str, Any] = field(default_factory=dict)
    #: (stream, 期次) of every session of the published plan this problem revises; empty for a fresh year.
    #: Rules that only say how a year is generated (rotation) bind only the sessions not in it.
    published: frozenset = frozenset()
    #: a re-plan's first day that may change (``planner replan --from``), and the published plan's sessions by key:
    #: what changes from it may not be placed in the days already past (rule ``plan_window``)
    revised_from: dt.date | None = None
    published_sessions: Mapping = field(default_factory=dict)
    demand: Any = None  # planner.demand.DemandFacts: candidates and seats, when a demand file is given

    # -- basic facts ---------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.calendar.year

    @property
    def horizon(self) -> tuple[dt.date, dt.date]:
        """The days the calendar data covers (years Y and Y+1): the model's day range."""
        return self.calendar.first_day, self.calendar.last_day

    @property
    def rules(self) -> list:
        """The hard rules that speak to this problem (the waiting rules only when a demand is given)."""
        return [r for r in self.ruleset.rules if r.applies(self)]

    @property
    def preferences(self) -> list:
        return [p for p in self.ruleset.preferences if p.applies(self)]

    def sites(self, stream: str) -> tuple[str, ...]:
        """The exam sites configured for *stream*, in rotation order."""
        spec = self.streams.get(stream)
        return spec.sites if spec is not None else ()

    def total_slots(self) -> int:
        return sum(s.max_sessions for s in self.streams.values())

    def with_pins(self, pins) -> "Problem":
        """The same problem with *pins* (sessions fixed by a scenario) added."""
        return replace(self, pins=tuple(self.pins) + tuple(pins))

    def with_demand(self, demand) -> "Problem":
        """The same problem with a demand file's candidates and seats (``None`` removes them)."""
        from .demand import compile_demand

        return replace(self, demand=compile_demand(demand, self) if demand is not None else None)

    def revising(self, plan, from_date: dt.date | None = None) -> "Problem":
        """The same problem as a revision of the published *plan* (a planner.plan.Plan): see ``published``; with
        *from_date*, a re-plan from that day (see ``revised_from``)."""
        return replace(self, published=frozenset(s.key for s in plan.sessions), revised_from=from_date,
                       published_sessions=MappingProxyType(plan.by_key()) if from_date is not None else {})

    def is_published(self, stream: str, no: int) -> bool:
        """Was 期次 *no* of *stream* in the published plan this problem revises?"""
        return (stream, no) in self.published

    # -- closures ------------------------------------------------------------------------------
    def is_open(self, institution: str, day: dt.date) -> bool:
        return not any(c.institution == institution and c.start <= day <= c.end for c in self.closures)

    def closed_days(self, institution: str) -> frozenset[dt.date]:
        """Days inside the horizon on which *institution* is closed."""
        first, last = self.horizon
        out: set[dt.date] = set()
        for c in self.closures:
            if c.institution == institution:
                out.update(self.calendar.days(max(c.start, first), min(c.end, last)))
        return frozenset(out)

    def closed_sites(self) -> tuple[str, ...]:
        return tuple(sorted({c.institution for c in self.closures}))

    # -- who may examine what, when ------------------------------------------------------------
    def licensed(self, institution: str, stream: str, day: dt.date | None = None) -> bool:
        """Is *institution* licensed for *stream*'s categories (on *day*; without a day: ever)?

        附件4's scope holds all year; a scenario's licence only on its dates.
        """
        if self.catalogue.licensed(institution, stream):
            return True
        cats = set(self.streams[stream].categories) if stream in self.streams else set()
        return any(lic.institution == institution and lic.category in cats and (day is None or lic.covers(day))
                   for lic in self.licenses)

    def permits(self, institution: str, stream: str, day: dt.date | None = None) -> bool:
        """A session of *stream* may sit at *institution* (on *day*): one of its sites, and licensed."""
        return institution in self.sites(stream) and self.licensed(institution, stream, day)

    def licence_days(self, institution: str, stream: str) -> frozenset[dt.date] | None:
        """Days on which *institution* is licensed for *stream*; None when it always is (附件4)."""
        if self.catalogue.licensed(institution, stream):
            return None
        cats = set(self.streams[stream].categories)
        first, last = self.horizon
        out: set[dt.date] = set()
        for lic in self.licenses:
            if lic.institution == institution and lic.category in cats:
                out.update(self.calendar.days(max(lic.start, first), min(lic.end, last)))
        return frozenset(out)

    def offered(self, institution: str, stream: str) -> dict[str, frozenset[dt.date] | None]:
        """Operation types of *stream* that *institution* can examine -> the days it can (None: always)."""
        cats = set(self.streams[stream].categories)
        out: dict[str, frozenset[dt.date] | None] = {}
        for code in self.catalogue.institutions[institution].scope:
            if self.catalogue.operations[code].category_code in cats:
                out[code] = None
        first, last = self.horizon
        for lic in self.licenses:
            if lic.institution != institution or lic.category not in cats:
                continue
            days = frozenset(self.calendar.days(max(lic.start, first), min(lic.end, last)))
            for code, op in self.catalogue.operations.items():
                if op.category_code == lic.category and out.get(code, ()) is not None:
                    out[code] = out.get(code, frozenset()) | days
        return out


def parse_date(v, file, field_: str) -> dt.date:
    """A date from the rule-set TOML (a TOML date or an ISO string), or a PlannerError naming the key."""
    from .calendar import toml_date

    return toml_date(v, file, field_)


def is_count_range(v) -> bool:
    """A stream's session count given as ``{min = …, max = …}`` (the count is chosen), not per site."""
    return isinstance(v, dict) and "max" in v and set(v) <= {"min", "max"}


@dataclass
class Facts:
    """What the rules state about the year, gathered before the problem is built (``Rule.contribute``).

    Each rule adds its own facts; this module never asks for a rule by name. A fact only one new rule and
    its readers need goes into ``shared`` under the rule's name, read back as ``Problem.shared``.
    """

    catalogue: Catalogue
    calendar: WorkCalendar
    counts: dict[str, Any] = field(default_factory=dict)  # stream -> count, or site -> {min, max}
    rotating: set[str] = field(default_factory=set)  # streams whose sessions rotate over their sites
    closures: list[Closure] = field(default_factory=list)
    spread: dict | None = None  # parameters the month targets are laid out with (None: no targets)
    shared: dict[str, Any] = field(default_factory=dict)


def _streams(catalogue: Catalogue, ruleset, facts: Facts) -> dict[str, StreamSpec]:
    out = {}
    for sid, sites in ruleset.streams.items():
        st = catalogue.streams[sid]
        v = facts.counts.get(sid, 0)
        rotates = sid in facts.rotating
        if isinstance(v, int):
            out[sid] = StreamSpec(sid, tuple(sites), st.kinds, st.categories, v, MappingProxyType({}), rotates)
        elif is_count_range(v):
            out[sid] = StreamSpec(sid, tuple(sites), st.kinds, st.categories, None, MappingProxyType({}), rotates,
                                  (int(v.get("min", 0)), int(v["max"])))
        else:
            bounds = {site: (int(mm.get("min", 0)), int(mm.get("max", 0))) for site, mm in v.items()
                      if isinstance(mm, dict)}  # anything else is refused by session_count.validate, naming it
            out[sid] = StreamSpec(sid, tuple(sites), st.kinds, st.categories, None, MappingProxyType(bounds), rotates)
    return out


def compile_problem(catalogue: Catalogue, calendar: WorkCalendar, ruleset, *, licenses=(), pins=()) -> Problem:
    """Build and validate the problem. Raises :class:`PlannerError` naming file and key."""
    file = ruleset.source
    window = calendar.window()
    facts = Facts(catalogue, calendar)
    for rule in ruleset.all():
        rule.contribute(facts, file)
    streams = _streams(catalogue, ruleset, facts)
    lics = tuple(licenses)
    # A dated licence adds the site to the fixed-count streams that do not rotate (managers); a rotating
    # stream's order, and an on-demand site's bounds, are the planner's to state in the scenario.
    specs = dict(streams)
    for lic in lics:
        for sid, spec in list(specs.items()):
            if (lic.category in spec.categories and lic.institution not in spec.sites and not spec.rotates
                    and spec.count is not None):
                specs[sid] = replace(spec, sites=spec.sites + (lic.institution,))
    problem = Problem(catalogue, calendar, ruleset, window, MappingProxyType(specs), tuple(facts.closures), lics,
                      MappingProxyType({}), tuple(pins), MappingProxyType(dict(facts.shared)))
    validate(problem)  # before the targets are laid out: they read parameters only validate() has checked
    return _with_targets(problem, facts.spread)


def _with_targets(p: Problem, params: dict | None) -> Problem:
    """Month targets per stream, laid out with the spread preferences' parameters."""
    if params is None:
        return p
    targets = {}
    for sid in params["streams"]:
        spec = p.streams.get(sid)
        if spec is None:
            continue
        targets[sid] = month_targets(p.calendar, p.window, spec.max_sessions, spec.cycle,
                                     float(params["position"][sid]), params["full_month_min_working_days"],
                                     params["end_margin_days"])
    return replace(p, targets=MappingProxyType(targets))


def check_dated(p: Problem, item, what: str, file, key: str) -> None:
    """Checks a closure and a licence share: a known institution, a range in order, inside the horizon."""
    first, last = p.horizon
    if item.institution not in p.catalogue.institutions:
        raise PlannerError(f"unknown institution {item.institution!r}", file=file, field=key + ".institution")
    if item.end < item.start:
        raise PlannerError(f"{what} ends ({item.end}) before it starts ({item.start})", file=file, field=key + ".end")
    if item.end < first or item.start > last:
        raise PlannerError(f"{what} {item.start} … {item.end} lies outside plan year {p.year}'s calendar "
                           f"({first} … {last}); wrong year?", file=file, field=key)


def too_long(p: Problem, days: int, file, key: str) -> None:
    """A minimum number of days between two dates of one plan year that no plan year can hold."""
    start, stop = p.window
    length = (stop - start).days
    if days > length:
        raise PlannerError(f"{key.rsplit('.', 1)[-1]} {days} is longer than the plan-year window ({length} days, "
                           f"{start} … {stop})", file=file, field=key)


def validate(p: Problem) -> None:
    """Every cross-check between rule-set parameters, the catalogue and the calendar, in one place."""
    rs = p.ruleset
    file = rs.source
    for rule in rs.all():
        rule.validate(p, file=file, key=rule.key)
    for n, lic in enumerate(p.licenses, start=1):
        where = f"licenses[{n}]"
        check_dated(p, lic, "licence", file, where)
        if not any(lic.category in spec.categories and lic.institution in spec.sites for spec in p.streams.values()):
            raise PlannerError(f"{lic.institution} is not a site of any stream examining {lic.category!r}; add it "
                               "to that stream's [sites] (in rotation order)", file=file, field=where + ".institution")
    for sid, spec in p.streams.items():
        for site in spec.sites:
            if not p.licensed(site, sid):
                raise PlannerError(f"site {site!r} is not licensed for stream {sid!r} (附件4 scope)", file=file,
                                   field=f"streams.{sid}.sites")
