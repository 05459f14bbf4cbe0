"""Re-planning a published plan from a date: what must change changes, and as few people as possible are moved.

A published plan is a promise to candidates. Sessions whose exam is before the date are pinned
(candidates have registered, some have sat); every other published session keeps its date and
site unless a new fact forces it (a closure, a new holiday, a pin, a count change): the Problem is
compiled as a *revision* of the published plan (``Problem.revising``), so the rules that only say
how a fresh year is generated (rotation) no longer bind published sessions, while every rule that
protects candidates or sites (working days, registration gap, closures, licences, spacing, daily
cap, coverage, counts) still does.

The solver minimises, in this order (each tier proven before the next is fixed):

1. with candidate counts per session (registrations, or expected candidates from any source: a
   mapping ``(stream, 期次) -> candidates``), the *disturbance* in candidate points
   (:func:`disturbance_points`): every registered candidate of a session whose site changes
   costs ``site`` points, one whose exam date moves costs the days moved, ``near_factor`` times
   that when the published exam is within ``near_days`` of the re-plan's first day; a candidate
   the moved session can no longer examine (its new site and day examine no operation type the
   candidate may have registered for: :func:`strand_days`) costs ``site`` more, a cancellation's;
2. sessions changed (a site change is a change, so is a date, deadline or kind change);
3. days moved; 4. the usual preferences (they only break ties between equally small revisions).

Each change gets a true reason (:class:`Reason`): the new rule the old session breaks, or else the
rule that keeping it as published would break given the other changes, with the change that forced it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .compare import Change, diff_plans
from .demand import Candidates  # noqa: F401  (a session's candidates, per category: part of this API)
from .problem import Problem
from .plan import Plan, Session

#: a mapping (stream, 期次) -> candidates (registered, or expected; an int, or :class:`Candidates` with their
#: categories or types): what a change costs in people
People = Mapping[tuple[str, int], int]


@dataclass(frozen=True)
class Weights:
    """Candidate points of a change (a choice of the bureau's, not a fact; see README "Re-planning").

    A site change sends the candidate to another town, an afternoon's travel and new arrangements:
    worth a month's delay (``site`` = 30 day-points). A date change costs its days, doubled when the
    published exam is less than ``near_days`` after the re-plan's first day (candidates have taken
    leave and are in their last weeks of training). A candidate the moved session strands (its new site
    does not examine their operation type on its new day) pays the move like everyone registered for it,
    and ``site`` more: they lose their place, as in a cancelled session, and must register for another.
    Never cheaper than moving them (else stranding would save the days), and of two moves alike but for
    whom they strand, the one stranding fewer wins (at the cancellation's ``site`` alone, a stranded
    candidate would cost what a site change does: no reason to prefer the site that examines them).
    """

    site: int = 30
    near_days: int = 30
    near_factor: int = 2

    def day_factor(self, old: Session, from_date: dt.date) -> int:
        return self.near_factor if (old.exam_date - from_date).days < self.near_days else 1


DEFAULT_WEIGHTS = Weights()


def fixed_sessions(plan: Plan, from_date: dt.date) -> list[Session]:
    """The sessions already published and running: exam before *from_date*."""
    return [s for s in plan.sessions if s.exam_date < from_date]


def replan_pins(plan: Plan, from_date: dt.date, scenario=None, refuse=()) -> tuple[list[Session], dict]:
    """Pins for a re-plan: the plan's sessions before the date, the refused changes, a scenario's own pins.

    *refuse*: (stream, 期次) keys whose published session must stay as published (a planner refusing a
    proposed knock-on change). Returns the pins and, per session key, ``(file, key)`` naming where
    each was pinned. A scenario pin that contradicts a session already held is an input error.
    """
    from .errors import PlannerError

    pins = {s.key: s for s in fixed_sessions(plan, from_date)}
    where = {k: (plan.source, f"{s.stream} #{s.no} (before {from_date}, kept)") for k, s in pins.items()}
    by_key = plan.by_key()
    for key in refuse:
        key = (str(key[0]), int(key[1]))
        if key not in by_key:
            raise PlannerError(f"refused change {key[0]} #{key[1]}: no such session in the published plan",
                               file=plan.source, field="refuse")
        pins[key] = by_key[key]
        where[key] = (plan.source, f"{key[0]} #{key[1]} (change refused, kept as published)")
    for s in (scenario.pins if scenario is not None else ()):
        file, key = scenario.pin_keys[s.key]
        if s.key in pins and pins[s.key] != s:
            raise PlannerError(f"pins {s.label()}, but that session is before {from_date} and already published "
                               f"as {pins[s.key].label()} at {pins[s.key].institution}", file=file, field=key)
        pins[s.key], where[s.key] = s, (file, key)
    return sorted(pins.values()), where


def check_kept(pins: list[Session], ctx: Problem, where: dict) -> None:
    """Kept sessions judged by the new rules: one that breaks them means the scenario rewrites the past."""
    from .errors import PlannerError
    from .scenario import check_pins

    try:
        check_pins(pins, ctx, where)
    except PlannerError as err:
        if "change refused" in (err.field or ""):  # --keep / 拒绝此调整 of a change the new facts themselves force
            advice = " (the new facts force this change: it cannot be refused; keep the others instead)"
        else:
            advice = " (a kept session cannot move: start the re-plan earlier, or make the scenario's change start " \
                     "after it)"
        raise PlannerError(err.message + advice, file=err.file, field=err.field) from None


# -- the cost in people -----------------------------------------------------------------------------

def disturbance_points(old: Session, new: Session | None, from_date: dt.date,
                       weights: Weights = DEFAULT_WEIGHTS) -> int:
    """Points one candidate of *old* pays when it becomes *new* (None: cancelled, counted as a site change)."""
    if new is None:
        return weights.site
    site = weights.site if new.institution != old.institution else 0
    return site + abs((new.exam_date - old.exam_date).days) * weights.day_factor(old, from_date)


def examined(ctx: Problem, institution: str, stream: str, day: dt.date) -> frozenset[str]:
    """The operation types a session of *stream* at *institution* on *day* examines: its 附件4 scope and the
    licences in force that day (``Problem.offered``). The one reading of it for the re-plan's cost and for the
    revision notice's "调整后考点不承担…" (``publish.revision.lost_operations``)."""
    if institution not in ctx.catalogue.institutions or stream not in ctx.streams:
        return frozenset()
    return frozenset(code for code, days in ctx.offered(institution, stream).items() if days is None or day in days)


def strand_days(ctx: Problem, old: Session, group: str, institution: str) -> frozenset[dt.date] | None:
    """The days on which a session of *old*'s stream at *institution* still examines a candidate of *group* (a
    category or a type code, :class:`Candidates`) registered for *old*: None when on every day. On any other day
    the moved session strands them. Their types are those of *group* that *old* examined: a category's candidate
    keeps a session that examines any of them (which of its types each candidate has is not known, so only a
    category lost whole strands anyone). None too when *old* examined none of them (nothing known to lose)."""
    ops = ctx.catalogue.operations
    theirs = {code for code in examined(ctx, old.institution, old.stream, old.exam_date)
              if code == group or ops[code].category_code == group}
    if not theirs:
        return None
    if institution not in ctx.catalogue.institutions:
        return frozenset()
    days: set[dt.date] = set()
    for code, on in ctx.offered(institution, old.stream).items():
        if code in theirs:
            if on is None:
                return None
            days |= on
    return frozenset(days)


def stranded(ctx: Problem, old: Session, new: Session | None, candidates: int) -> int:
    """How many of *old*'s *candidates* (:class:`Candidates`, or a plain count: none known) *new* strands: their
    group's :func:`strand_days` leave out its day. A cancelled session strands nobody: all pay the cancellation."""
    if new is None:
        return 0
    out = 0
    for group, n in getattr(candidates, "groups", {}).items():
        days = strand_days(ctx, old, group, new.institution)
        if days is not None and new.exam_date not in days:
            out += n
    return out


@dataclass(frozen=True)
class PeopleCost:
    """What a change costs the candidates of one published session."""

    candidates: int  # registered (or expected) candidates whose exam date or site changes
    points: int  # candidates × disturbance_points, and site points more per stranded candidate
    stranded: int = 0  # of them, those the moved session no longer examines (known only per category or type)


def people_costs(old: Plan, new: Plan, people: People, from_date: dt.date,
                 weights: Weights = DEFAULT_WEIGHTS, *, ctx: Problem) -> dict[tuple[str, int], PeopleCost]:
    """Per published session whose exam date or site changed (or that was cancelled): its cost in people.

    Recomputed on the two plans alone (and *ctx*'s scope and licences, for whom a move strands), so it checks
    the solver's own figure (a deadline or kind change leaves a registered candidate's exam as it was and costs
    no points).
    """
    nb = new.by_key()
    out = {}
    for s in old.sessions:
        n = nb.get(s.key)
        if n is not None and (n.exam_date, n.institution) == (s.exam_date, s.institution):
            continue
        k = people.get(s.key, 0)
        lost = stranded(ctx, s, n, k)
        out[s.key] = PeopleCost(int(k), int(k) * disturbance_points(s, n, from_date, weights) + lost * weights.site,
                                lost)
    return out


def people_tiers(reference: Plan, people: People, from_date: dt.date, weights: Weights = DEFAULT_WEIGHTS):
    """The solver's first tier, ``disturbance``: the same points as :func:`people_costs`, as a CP-SAT expression."""
    def tiers(mv):
        slot_of = {(s.stream, s.k): s for s in mv.all_slots()}
        terms, const = [], 0
        for r in reference.sessions:
            n = int(people.get(r.key, 0))
            if n <= 0:
                continue
            slot = slot_of.get(r.key)
            if slot is None:  # no slot for it any more: cancelled
                const += n * weights.site
                continue
            lit = slot.at.get(r.institution)
            terms.append(n * weights.site * (1 - lit) if lit is not None else n * weights.site)
            rx = mv.day(r.exam_date)
            d = mv.abs_dev(slot.x, rx, 2 * mv.horizon, f"people_days[{r.stream}#{r.no}]")
            terms.append(n * weights.day_factor(r, from_date) * mv.if_present(slot, d, 2 * mv.horizon))
            terms += _stranded_terms(mv, slot, r, people.get(r.key, 0), weights)
        return [("disturbance", sum(terms) + const)]

    return tiers


def _stranded_terms(mv, slot, r: Session, candidates: int, weights: Weights) -> list:
    """:func:`stranded` × ``site`` for *r*'s slot: per site, the candidates stranded there on every day (× its
    literal) and, per set of licensed days, those stranded off them (× at the site and not on those days).
    Aggregate: one term per site and day set, whatever the candidates; an absent slot is at no site."""
    out = []
    for i, lit in slot.at.items():
        off: dict[frozenset, int] = {}
        for group, n in getattr(candidates, "groups", {}).items():
            days = strand_days(mv.ctx, r, group, i)
            if days is not None:
                off[days] = off.get(days, 0) + n
        for days, n in off.items():
            if not days:
                out.append(n * weights.site * lit)
                continue
            name = f"stranded[{r.stream}#{r.no}@{i}]"
            inside = mv.in_days(slot.x, days, name + ":on")
            out.append(n * weights.site * mv.both(lit, inside.negated(), name))
    return out


def expected_people(plan: Plan, ctx) -> dict[tuple[str, int], int]:
    """Expected candidates per session of the published *plan* under *ctx*'s demand model (``--demand``).

    The queue (``queueing.evaluate``) seats the demand's candidates in *plan*'s sessions: a session's
    expected candidates are those it seats, the figure ``plan --demand`` writes to plan.json as
    ``expected_candidates`` (and per category as ``expected_by_category``, read back by :func:`published_people`).
    Empty without a demand (nothing to count).
    """
    from .queueing import evaluate

    load = evaluate(plan, ctx)
    # per category as the queue seats them: who a move strands is known for a category a site does not examine
    return {} if load is None else {k: Candidates(s.candidates, s.by_category) for k, s in sorted(load.by_key.items())
                                    if s.candidates}


def published_people(doc: dict) -> dict[tuple[str, int], int]:
    """The expected candidates per session a published set's plan.json records (``plan --demand``): each
    session's ``expected_candidates`` with its ``expected_by_category`` as the groups, so that a re-plan from the
    published figures strands whom :func:`expected_people` would. A file written before the per-category figures
    (or one whose figures do not fit the total) gives the plain count: nobody counted stranded, priced as before.
    Bad input (not a plan.json's sessions) raises KeyError, TypeError or ValueError."""
    out = {}
    for s in doc["sessions"]:
        total = int(s.get("expected_candidates") or 0)
        if total <= 0:
            continue
        groups = s.get("expected_by_category")
        try:
            ok = isinstance(groups, dict) and all(isinstance(n, int) and not isinstance(n, bool)
                                                  for n in groups.values())
            out[(str(s["stream"]), int(s["no"]))] = Candidates(total, groups if ok else None)
        except ValueError:  # groups that do not fit the total: the total alone is still the published figure
            out[(str(s["stream"]), int(s["no"]))] = Candidates(total)
    return out


def first_day(summary: dict, file=None) -> dt.date | None:
    """The re-plan's first day as its summary.json records it (``replan_from``, written by ``planner replan`` and
    the workbench's 重新排期), None when it records none; bad input when what it records is not a date."""
    from .errors import PlannerError

    text = summary.get("replan_from") if isinstance(summary, dict) else None
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise PlannerError(f"not a date in YYYY-MM-DD form: {str(text)[:40]!r}", file=file,
                           field="replan_from") from None


#: the short form's header in Chinese: 考试计划 for stream, 期次 for no
HEADER_ALIASES = {"考试计划": "stream", "期次": "no"}


def read_people(path, plan: Plan, catalogue=None, notes: list[str] | None = None) -> dict[tuple[str, int], int]:
    """Registrations per session from a CSV ``考试计划,期次,报名人数`` (or ``stream,no,报名人数``; see README
    "Re-planning"), or from the exam
    system's registration export as ``planner demand import`` reads it (CSV or XLSX; 期次 required, one row per
    session and category, summed: :func:`planner.demand_import.registrations_by_session`).

    *stream* is the stream id (``managers``, ``special_ops``, ``on_demand``) or its 考试计划 name;
    every row must name a session of *plan*; a session without a row has no registered candidate. What the
    export's reader noticed (a row repeated cell for cell) goes to *notes*.
    """
    from .demand_import import _session_no, _table, columns, registrations_by_session
    from .errors import PlannerError
    from .textio import read_csv_rows

    if Path(path).suffix.lower() in (".xlsx", ".xlsm") or "category" in columns(_table(Path(path))[0][1]):
        # the exam system's export (a 类别 column), not the short form stream,no,报名人数
        from .data import load_catalogue

        return registrations_by_session(path, catalogue if catalogue is not None else load_catalogue(), plan, notes)
    # the header as a planner writes it in Excel (考试计划,期次,报名人数) or as the README's technical form has it
    rows = [(i, {HEADER_ALIASES.get(k.strip(), k): v for k, v in rec.items()}) for i, rec in read_csv_rows(path)]
    names = {st.name: sid for sid, st in (catalogue.streams.items() if catalogue is not None else ())}
    out: dict[tuple[str, int], int] = {}
    by_key = plan.by_key()
    for i, rec in rows:
        missing = [h for h in ("stream", "no", "报名人数") if h not in rec]
        if missing:
            said = {v: k for k, v in HEADER_ALIASES.items()}.get(missing[0], missing[0])
            raise PlannerError(f"no column {said!r} (header: 考试计划,期次,报名人数 or stream,no,报名人数)", file=path,
                               row=1)
        stream = names.get(rec["stream"], rec["stream"])
        if catalogue is not None and stream not in catalogue.streams:
            raise PlannerError(f"unknown stream {rec['stream'][:40]!r} (known: {', '.join(catalogue.streams)})",
                               file=path, row=i, field="stream")
        # 期次 as the export writes it too (3, 第3期, 2024年第3期); 报名人数 at most 7 digits: longer numbers are out of
        # range anyway, and int() refuses over 4 300 digits
        no = _session_no(rec["no"], path, i, field="no")
        try:
            if len(rec["报名人数"].strip()) > 7:
                raise ValueError
            n = int(rec["报名人数"])
        except ValueError:
            raise PlannerError(f"not a whole number: {rec['报名人数'][:40]!r}", file=path, row=i,
                               field="报名人数") from None
        if not 0 <= n <= 100_000:
            raise PlannerError(f"{n} is out of range [0, 100000]", file=path, row=i, field="报名人数")
        if (stream, no) not in by_key:
            raise PlannerError(f"{stream} #{no} is not a session of the published plan", file=path, row=i,
                               field="no")
        if (stream, no) in out:
            raise PlannerError(f"{stream} #{no} is given twice", file=path, row=i, field="no")
        out[(stream, no)] = n
    return out


# -- why each change -----------------------------------------------------------------------------------

class Reason(str):
    """Why one session changed: the text (changes.csv, the workbench), and what the notice needs of it.

    ``rule``: the rule's name (e.g. ``institution_open``; "" when no rule forces the change alone).
    ``own``: the published session itself breaks the new rules. Otherwise keeping it as published
    would break ``rule`` given the other changes, and ``cause`` is the change that forced it (if one
    does). A ``str`` so that every reader of the earlier plain-text reasons keeps working.
    """

    rule: str
    own: bool
    cause: tuple[str, int] | None

    def __new__(cls, rule: str, text: str, own: bool, cause: tuple[str, int] | None = None) -> "Reason":
        obj = super().__new__(cls, text)
        obj.rule, obj.own, obj.cause = rule, own, cause
        return obj

    def __getnewargs__(self):  # pickled to and from the workbench's solve process
        return self.rule, str(self), self.own, self.cause


def _hard(plan: Plan, ctx: Problem):
    from .check import check_plan

    return [v for v in check_plan(plan, ctx).violations if v.hard]


def _with(plan: Plan, *sessions: Session) -> Plan:
    keys = {s.key for s in sessions}
    return plan.with_sessions([s for s in plan.sessions if s.key not in keys] + list(sessions))


def reasons(old: Plan, new: Plan, ctx: Problem, changes: list[Change] | None = None) -> dict:
    """(stream, 期次) -> :class:`Reason`, for every change from *old* to *new* under *ctx* (the new rules)."""
    changes = diff_plans(old, new) if changes is None else changes
    ctx = ctx if ctx.published else ctx.revising(old)  # judged as a revision of *old*, as it was solved
    own: dict[tuple[str, int], list] = {}
    stream_wide: dict[str, list] = {}
    for v in _hard(old, ctx):
        if v.no is None:
            stream_wide.setdefault(v.stream or "", []).append(v)
        else:
            own.setdefault((v.stream, v.no), []).append(v)
    out = {}
    for c in changes:
        key = (c.stream, c.no)
        if key in own:
            v = own[key][0]
            out[key] = Reason(v.rule, "; ".join(dict.fromkeys(f"{x.rule}: {x.message}" for x in own[key])), True)
        elif c.old is None or c.new is None:
            vs = stream_wide.get(c.stream) or [v for vs in stream_wide.values() for v in vs]
            out[key] = (Reason(vs[0].rule, "; ".join(dict.fromkeys(f"{v.rule}: {v.message}" for v in vs)), True)
                        if vs else Reason("session_count", "the new rules change the number of sessions", True))
        else:
            out[key] = _knock_on(c, new, ctx, [d for d in changes if d is not c and d.old and d.new])
    return out


def _knock_on(c: Change, new: Plan, ctx: Problem, others: list[Change]) -> Reason:
    """Keeping *c* as published, with every other change made: the rule that breaks, and the change behind it."""
    broken = _hard(_with(new, c.old), ctx)
    if not broken and not others:  # the only change, and no rule asks for it: the planner's own (a hand edit)
        return Reason("", "no rule forces it: a change made as planned", True)
    if not broken:
        return Reason("", "no rule forces it alone: it moves together with the changes around it", False)
    mine = [v for v in broken if (v.stream, v.no) == (c.stream, c.no)] or broken
    v = mine[0]
    near = sorted(others, key=lambda d: (d.stream != c.stream, abs((d.old.exam_date - c.old.exam_date).days), d.no))
    for d in near:
        if not any(x.rule == v.rule for x in _hard(_with(new, c.old, d.old), ctx)):
            return Reason(v.rule, f"knock-on of {d.label()} ({d.describe()}): kept as published it would break "
                                  f"{v.rule}: {v.message}", False, (d.stream, d.no))
    return Reason(v.rule, f"kept as published it would break {v.rule}: {v.message}", False)


# -- the service ------------------------------------------------------------------------------------------

@dataclass
class Replan:
    """A re-plan's outcome: the solver result, the pins it kept, each change with its reason and cost in people."""

    result: object  # planner.solver.Result
    pins: list[Session]
    ctx: Problem | None = None  # the revision problem the plan was solved (and is checked) under
    changes: list[Change] = field(default_factory=list)
    reasons: dict = field(default_factory=dict)  # (stream, 期次) -> Reason
    people: dict = field(default_factory=dict)  # (stream, 期次) -> PeopleCost (empty without candidate counts)
    counted: bool = False  # candidate counts were given (else changes.csv leaves its candidates columns blank)

    @property
    def candidates_affected(self) -> int:
        return sum(p.candidates for p in self.people.values())

    @property
    def disturbance(self) -> int:
        return sum(p.points for p in self.people.values())


def replan(plan: Plan, ctx: Problem, from_date: dt.date, *, scenario=None, people: People | None = None,
           refuse=(), weights: Weights = DEFAULT_WEIGHTS, seed: int = 0, time_limit: float = 30.0) -> Replan:
    """Re-plan the published *plan* under *ctx* (the new facts) from *from_date*: ``planner replan``'s library face.

    *people*: candidates per published session (registrations, or expected candidates from any
    source) — the first tier is then their disturbance. *refuse*: keys of proposed changes the
    planner refuses (kept as published; the re-plan is solved again around them, or is infeasible
    naming them as ``pin[stream#no]``).
    """
    from .solver import solve

    ctx = ctx.revising(plan, from_date)
    pins, where = replan_pins(plan, from_date, scenario, refuse)
    check_kept(pins, ctx, where)
    tiers = people_tiers(plan, people, from_date, weights) if people else None
    result = solve(ctx, seed=seed, time_limit=time_limit, reference=plan, pins=pins, first_tiers=tiers)
    return explain_changes(Replan(result, pins, ctx), plan, from_date, people, weights)


def explain_changes(out: Replan, plan: Plan, from_date: dt.date, people: People | None,
                    weights: Weights = DEFAULT_WEIGHTS) -> Replan:
    """Fill in *out*'s changes, reasons and costs in people from its result's plan (when there is one)."""
    new = out.result.plan
    if new is not None:
        out.changes = diff_plans(plan, new)
        out.reasons = reasons(plan, new, out.ctx, out.changes)
        if people:
            out.people = people_costs(plan, new, people, from_date, weights, ctx=out.ctx)
            out.counted = True
    return out


REPLAN_HEADER = ["change", "stream", "no", "exam A", "exam B", "days", "site A", "site B", "deadline A", "deadline B",
                 "candidates", "points", "rule", "reason"]


def changes_rows(rp: Replan) -> list[list[str]]:
    """changes.csv: one row per change, with the candidates it affects and its reason (REPLAN_HEADER)."""
    from .compare import change_rows

    base = change_rows(rp.changes, {k: str(v) for k, v in rp.reasons.items()})
    rows = []
    for c, row in zip(rp.changes, base):
        cost = rp.people.get((c.stream, c.no))
        reason = rp.reasons.get((c.stream, c.no))
        counts = [str(cost.candidates), str(cost.points)] if cost else ["0", "0"] if rp.counted else ["", ""]
        rows.append(row[:10] + counts + [reason.rule if reason else "", row[10]])  # compare.to_csv neutralises
    return rows
