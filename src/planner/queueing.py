"""Candidates in the queue: who sits which session, and how long each waited — for a plan, and in CP-SAT.

The one definition both waiting rules (``rules/waiting.py``, ``rules/short_wait.py``) read:

* Candidates of a stream and category become ready on the demand's ready days (``planner.demand``).
* A session at site *s* offers, for category *c*, the site's seats per exam day for *c* on the session's day
  × its exam days (``StreamFacts.seats``: the split of the licences in force that day, nothing where *s* may
  not examine *c* then).
* A stream with candidates and no session seats nobody: its queue is S = 0 throughout, in both faces.
* A candidate ready on day *r* may take a session whose registration deadline is on or after *r*.
  Sessions are filled in 期次 order (which is date order), each with the waiting candidates who may take it,
  earliest ready first; a full session leaves the rest for the next one. So the candidates seated by the
  first *k* sessions are always the earliest ready ones, and a stream and category is one number per
  session: ``S_k = max(S_{k-1}, min(S_{k-1} + seats_k, A(deadline_k)))`` with ``A(d)`` the candidates ready
  by day *d*. The same recursion is :func:`evaluate` (plain Python) and :func:`model_flows` (CP-SAT, one
  integer per session and category: the model's size does not grow with the number of candidates).
* A candidate's wait is exam day − ready day. Candidates still unseated after the year's last session are
  carried over (结转) to the next plan year.

The CP-SAT face. With registration deadlines in 期次 order (the rule ``waiting`` requires it), the candidates
who may take session k include all who could take an earlier one, so the fill is
``S_k = min(S_{k-1} + seats_k, A(deadline_k))``, and the model states that equality: once the sessions' days
and sites are set, the queue and every cost read from it follow, so each plan the search finds is priced as
``check`` prices it (CP-SAT's LP reads the min as its two upper bounds). Those bounds with ``S_{k-1} <= S_k``
and nothing else hold a *possible* seating S', which seats no one earlier than the greedy fill does (S' <= S,
by induction); every condition the rules ask of it (nobody left waiting too long, fewer seated late) gets only
easier with more seated sooner, so the rule ``waiting`` holds for some S' exactly when it holds for S. That
is how the queue stands where an explanation may switch ``waiting`` and its order off: feasibility is all it
asks there. Planning with the possible seating alone was exact at the optimum too, but the search then also had
to find the seating and priced its plans by poor ones (on the 2025 estimate: no plan within 3 deterministic
units, and dearer plans at 10 and 30; CHANGELOG.md).

``tests/test_queueing.py`` compares :func:`evaluate` with an independent candidate-by-candidate simulation,
and ``tests/test_faces.py`` the rules' two faces.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

from .demand import StreamFacts, demand_origin


@dataclass(frozen=True)
class SessionLoad:
    stream: str
    no: int
    exam_date: dt.date
    institution: str
    seats: int  # the session's seats (seats per day × exam days)
    offered: dict[str, int]  # category -> seats the session offers it
    served: dict[str, int]  # category -> candidates seated

    @property
    def candidates(self) -> int:
        return sum(self.served.values())

    @property
    def by_category(self) -> dict[str, int]:
        """The candidates seated per category, only those with any, by category code: what plan.json writes as
        ``expected_by_category`` and a re-plan reads back as :class:`demand.Candidates` groups (sums to
        :attr:`candidates`; sorted so that plan.json's bytes do not depend on the demand file's order)."""
        return {c: n for c, n in sorted(self.served.items()) if n}

    @property
    def full(self) -> bool:
        return any(self.served.get(c, 0) >= q > 0 for c, q in self.offered.items())


@dataclass(frozen=True)
class CategoryLoad:
    stream: str
    category: str
    candidates: int
    seated: int
    waits: dict[int, int]  # wait in days -> candidates
    carried: dict[dt.date, int]  # ready day -> candidates still waiting after the last session
    window_end: dt.date
    seated_by: tuple[int, ...] = ()  # candidates seated before each session, in 期次 order (S_0, S_1, …)

    @property
    def carried_over(self) -> int:
        return sum(self.carried.values())

    @property
    def max_wait(self) -> int | None:
        return max(self.waits) if self.waits else None

    def percentile(self, q: float) -> int | None:
        return wait_percentile(self.waits, q)

    def over(self, limit: int) -> int:
        """Candidates who wait more than *limit* days: seated later than that, or carried over from a ready
        day more than *limit* days before the window's end (they wait at least that long)."""
        late = sum(n for w, n in self.waits.items() if w > limit)
        return late + sum(n for r, n in self.carried.items() if (self.window_end - r).days > limit)


def wait_percentile(waits: dict[int, int], q: float) -> int | None:
    """The smallest wait W such that at least q of the seated candidates waited W days or less."""
    total = sum(waits.values())
    if total == 0:
        return None
    need, acc = math.ceil(q * total), 0
    for w in sorted(waits):
        acc += waits[w]
        if acc >= need:
            return w
    return max(waits)  # pragma: no cover - q <= 1


@dataclass(frozen=True)
class Load:
    """The queue of a whole plan: per session and per stream and category."""

    status: str
    sessions: tuple[SessionLoad, ...]
    categories: tuple[CategoryLoad, ...]
    by_key: dict = field(default_factory=dict)

    def waits(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for c in self.categories:
            for w, n in c.waits.items():
                out[w] = out.get(w, 0) + n
        return out

    def over(self, limit: int) -> int:
        """Candidates of every category who wait more than *limit* days (:meth:`CategoryLoad.over`)."""
        return sum(c.over(limit) for c in self.categories)

    def summary(self) -> dict:
        waits = self.waits()
        return {
            "status": self.status,
            "expected_candidates": sum(c.candidates for c in self.categories),
            "seated": sum(c.seated for c in self.categories),
            "seats": sum(s.seats for s in self.sessions),
            "unserved": sum(c.carried_over for c in self.categories),
            "max_wait_days": max(waits) if waits else None,
            "p95_wait_days": wait_percentile(waits, 0.95),
            "full_sessions": sum(1 for s in self.sessions if s.full),
        }


    def report(self, ctx) -> dict:
        """The summary and one row per stream and category, for summary.json and the workbench."""
        demand = ctx.demand.demand
        # the file's name, not its folder: the same inputs give the same summary on any machine or checkout
        # label: what the figures are, as a heading says it ("实际，考位和未过再报比例为估计" when mixed)
        out = {"status": self.status, "label": demand_origin(demand)["label"], "estimated": demand.estimated,
               "source": Path(demand.file).name, "window_end": ctx.window[1].isoformat()}
        out.update(self.summary())
        out["categories"] = [{
            "stream": c.stream, "category": c.category, "name": ctx.catalogue.category_name(c.category),
            "expected_candidates": c.candidates, "seated": c.seated, "carried_over": c.carried_over,
            "max_wait_days": c.max_wait, "p95_wait_days": c.percentile(0.95),
            "seats": sum(s.offered.get(c.category, 0) for s in self.sessions if s.stream == c.stream),
        } for c in self.categories]
        return out


#: the columns of a load per stream and category (sizing.csv, report.html)
CATEGORY_HEADER = ["考试计划", "类别", "预计考生", "场次", "考位", "已安排", "结转下年", "最长候考天数", "95%候考天数",
                   "考位利用率", "数据"]


def category_rows(load: "Load", plan, ctx) -> list[list]:
    """Per stream and category: candidates, sessions, seats, seated, carried over, waits, utilisation, and where
    the figures come from (:func:`planner.demand.demand_origin`'s label: "实际，考位和未过再报比例为估计" for a
    bureau's registrations on estimated seats, whose seated counts and waits are no more 实际 than the seats).
    The one table of people report.html, sizing.csv, ``check --demand`` and the workbench print."""
    from .demand import demand_origin

    label = demand_origin(ctx.demand.demand)["label"] if ctx.demand is not None else load.status
    rows = []
    for c in load.categories:
        offering = [s.offered[c.category] for s in load.sessions
                    if s.stream == c.stream and s.offered.get(c.category, 0) > 0]
        seats = sum(offering)
        p95 = c.percentile(0.95)
        # 场次: the sessions that seat this category (危险化学品: 华安's alone), not every session of the stream
        rows.append([ctx.catalogue.streams[c.stream].name, ctx.catalogue.category_name(c.category), c.candidates,
                     len(offering), seats, c.seated, c.carried_over,
                     "" if c.max_wait is None else c.max_wait, "" if p95 is None else p95,
                     f"{c.seated / seats:.0%}" if seats else "", label])
    return rows


def site_month_candidates(load: "Load", ctx) -> tuple[list[str], list[list]]:
    """Candidates seated and seats offered per site and month (plan-year months in order): people, not sessions."""
    months = sorted({(s.exam_date.year, s.exam_date.month) for s in load.sessions})
    sites = sorted({s.institution for s in load.sessions}, key=lambda i: ctx.catalogue.institutions[i].seq)
    # next year's months said with their year (2028年1月), as the sessions' month table and the charts say them
    header = ["考点"] + [f"{m}月" if y == ctx.year else f"{y}年{m}月" for y, m in months]
    rows = []
    for site in sites:
        cells = []
        for ym in months:
            ss = [s for s in load.sessions if s.institution == site and (s.exam_date.year, s.exam_date.month) == ym]
            cells.append(f"{sum(s.candidates for s in ss)}/{sum(s.seats for s in ss)}" if ss else "")
        rows.append([ctx.catalogue.institutions[site].short_name] + cells)
    return header, rows


def _ready_count(days: tuple[dt.date, ...], last: dt.date) -> int:
    """How many ready days fall on or before *last*."""
    return bisect.bisect_right(days, last)


def evaluate_stream(facts: StreamFacts, sessions, window_end: dt.date) -> tuple[list[SessionLoad], list[CategoryLoad]]:
    """The queue of one stream: sessions in 期次 order, each category filled earliest-ready first."""
    sessions = sorted(sessions, key=lambda s: s.no)
    served = {s.no: {} for s in sessions}
    offered = {s.no: {c: facts.seats(s.institution, c, s.exam_date) for c in facts.categories} for s in sessions}
    cats = []
    for c in facts.categories:
        cum = facts.cumulative(c)
        done, waits, before = 0, {}, []
        for s in sessions:
            before.append(done)
            ready = cum[_ready_count(facts.ready_days, s.registration_deadline)]
            new = fill(done, offered[s.no][c], ready)
            for i, n in _pieces(cum, done, new):
                w = (s.exam_date - facts.ready_days[i]).days
                waits[w] = waits.get(w, 0) + n
            served[s.no][c] = new - done
            done = new
        carried = {facts.ready_days[i]: n for i, n in _pieces(cum, done, cum[-1])}
        cats.append(CategoryLoad(facts.stream, c, cum[-1], done, waits, carried, window_end, tuple(before)))
    loads = [SessionLoad(s.stream, s.no, s.exam_date, s.institution,
                         facts.seats_per_day.get(s.institution, 0) * facts.days.get(s.institution, 1),
                         offered[s.no], served[s.no]) for s in sessions]
    return loads, cats


def _pieces(cum: tuple[int, ...], lo: int, hi: int):
    """Candidates lo+1 … hi (in ready order) as (ready-day index, count) pieces."""
    i = bisect.bisect_right(cum, lo) - 1
    while lo < hi and i < len(cum) - 1:
        take = min(hi, cum[i + 1]) - lo
        if take > 0:
            yield i, take
            lo += take
        i += 1


def evaluate(plan, ctx) -> Load | None:
    """The queue of *plan* under the problem's demand (None without a demand)."""
    facts = getattr(ctx, "demand", None)
    if facts is None:
        return None
    sessions, cats = [], []
    for sid, sf in facts.streams.items():
        ss, cc = evaluate_stream(sf, plan.stream(sid), ctx.window[1])
        sessions += ss
        cats += cc
    return Load(facts.status, tuple(sessions), tuple(cats), {(s.stream, s.no): s for s in sessions})


# -- the CP-SAT face ------------------------------------------------------------------------------------------------
@dataclass
class StreamFlows:
    """The queue of one stream in the model: S[c][k] candidates of category c seated by slots 1..k."""

    facts: StreamFacts
    seated: dict[str, list]  # category -> [S_0 = 0, S_1, …, S_K]
    seats: dict[str, list]  # category -> [seats of slot 1, …]
    ready_by: dict[int, list]  # wait limit -> per slot: ready-day flags (ready day <= x - 1 - limit)
    days: dict[str, object] = field(default_factory=dict)  # site -> exam days per session (int or IntVar, sizing)
    exam_days: list = field(default_factory=list)  # per slot: exam days used (expressions)


def _ready_by(mv, expr, lo: int, hi: int, days: list[int], name: str) -> list:
    """Per ready day (day indices *days*): 1 when it falls on or before ``expr`` (an expression in lo..hi), as
    constants outside that range and as literals inside it. The candidates ready by ``expr`` are then a
    linear sum of these with the arrivals as coefficients, shared by every category: no lookup tables.

    Each literal is tied to ``expr`` both ways (two reified inequalities): deciding the day decides every
    literal at once, and their order (a later ready day only when every earlier one) follows from those, so no
    implication between them is stated (a third of the queue's constraints: memory). A thermometer tied to the
    day by two inequalities in all is exact too, but propagates weakly: the search reached twice the cost in the
    same time (CHANGELOG)."""
    m = mv.model
    out, inner = [], []  # inner: the literals inside lo..hi, in order
    for b in days:
        if b <= lo:
            out.append(1)
            continue
        if b > hi:
            out.append(0)
            continue
        lit = m.new_bool_var(f"{name}>={b}")
        m.add(expr >= b).only_enforce_if(lit)
        m.add(expr <= b - 1).only_enforce_if(lit.negated())
        inner.append(lit)
        out.append(lit)
    if inner:
        bs = [b for b in days if lo < b <= hi]
        define(mv, inner, lambda val: [int(v >= b) for v in (val(expr),) for b in bs])  # one closure for them all
    return out


def define(mv, var, value) -> None:
    """Record how *var* follows from the plan's own decisions, so a plan can hint every variable of the queue
    (CP-SAT completes a partial hint poorly here: a plan it is handed would not even be its first solution).
    *var* may be a list, then *value* returns one value per variable."""
    mv.shared.setdefault("queue", {}).setdefault("defs", []).append((var, value))


def hint_queue(mv, solution) -> None:
    """Hint the queue's variables from *solution* (var index -> value of the slots' own decisions)."""
    from ortools.sat.python import cp_model

    known = dict(solution)

    def val(e) -> int:
        if isinstance(e, int):
            return e
        flat = cp_model.FlatIntExpr(e)
        return flat.offset + sum(c * known.get(v.index, 0) for v, c in zip(flat.vars, flat.coeffs))

    for var, value in mv.shared.get("queue", {}).get("defs", []):
        for v, x in zip(var, value(val)) if isinstance(var, list) else ((var, value(val)),):
            known[v.index] = int(x)
            mv.model.add_hint(v, known[v.index])


def ready_expr(flags: list, arrivals: tuple[int, ...]):
    """Candidates ready by a day given its ready-day flags: ``sum(arrivals[j] * flag[j])``, always a CP-SAT
    expression (a constant one too), so that a comparison with it is a constraint however many candidates there
    are: a plain ``0 >= 0`` would add a constant variable instead, and the model's size follow the arrivals."""
    from ortools.sat.python import cp_model

    pairs = [(f, a) for a, f in zip(arrivals, flags) if a and not (isinstance(f, int) and f == 0)]
    return cp_model.LinearExpr.weighted_sum([f for f, _ in pairs], [a for _, a in pairs])


def model_flows(mv, ctx, limits: tuple[int, ...] = ()) -> dict[str, StreamFlows]:
    """The queue recursion of every stream with demand, built once per model and shared by the rules that
    read it; *limits* are the wait limits a rule will ask for (each adds one index per slot)."""
    cache = mv.shared.setdefault("queue", {})
    facts = getattr(ctx, "demand", None)
    if facts is None:
        return {}
    if "flows" not in cache:
        # every stream with demand, those without a session too: its candidates are then seated by nobody (S = 0
        # throughout), which the rules state as the check face counts them (a stream of the rule set with no
        # sessions and candidates waiting is infeasible under ``waiting``, never a plan that fails ``check``)
        cache["flows"] = {sid: _stream_flows(mv, ctx, sf) for sid, sf in facts.streams.items()}
    for limit in limits:
        for flows in cache["flows"].values():
            if limit not in flows.ready_by:
                flows.ready_by[limit] = _limit_index(mv, flows, limit)
    return cache["flows"]


def _limit_index(mv, flows: StreamFlows, limit: int) -> list:
    days = [mv.day(d) for d in flows.facts.ready_days]
    out = []
    for s in mv.stream_slots(flows.facts.stream):
        lo, hi = mv.exam_span(s)
        out.append(_ready_by(mv, s.x - 1 - limit, lo - 1 - limit, hi - 1 - limit, days,
                             f"ready[{s.stream}#{s.k},-{limit}]"))
    return out


def _stream_flows(mv, ctx, sf: StreamFacts) -> StreamFlows:
    m = mv.model
    slots = mv.stream_slots(sf.stream)
    days = [mv.day(d) for d in sf.ready_days]
    free = getattr(ctx.demand, "free_days", False)
    shared = mv.shared["queue"].setdefault("site_days", {})  # a site's sessions are as long in every stream
    site_days: dict[str, object] = {}
    for site in sorted({i for s in slots for i in s.at}):
        if free and sf.max_days.get(site, 1) > 1:
            if site not in shared:
                shared[site] = m.new_int_var(1, sf.max_days[site], f"exam_days[{site}]")
            site_days[site] = shared[site]
        else:
            site_days[site] = sf.days.get(site, 1)
    offers = {site: {c for i, c in sf.quota if i == site} for site in sorted({i for s in slots for i in s.at})}
    seated = {c: [0] for c in sf.categories}
    seats = {c: [] for c in sf.categories}
    exam_days = []
    # The fill is the greedy one where the deadlines are surely in order; where an explanation may switch the
    # rule ``waiting`` (and its order) off, a possible seating, which decides feasibility alike (module docstring).
    exact = not mv.lits("waiting", sf.stream)
    for s in slots:
        lo, hi = mv.deadline_span(s)
        flags = _ready_by(mv, s.x - s.gap, lo, hi, days, f"ready_by_deadline[{s.stream}#{s.k}]")
        # exam days used at each site: at × days (a product when sizing chooses the days)
        used = {}
        for site in mv.sites(s):
            lit = s.at[site]
            d = site_days.get(site, 1)
            if isinstance(d, int):
                used[site] = (lit, d)
            else:
                y = m.new_int_var(0, sf.max_days[site], f"days_used[{s.stream}#{s.k},{site}]")
                m.add(y == d).only_enforce_if(lit)
                m.add(y == 0).only_enforce_if(lit.negated())
                define(mv, y, lambda val, lit=lit, d=d: val(lit) * val(d))
                used[site] = (y, 1)
        exam_days.append(sum(v * k for v, k in used.values()))
        # a site's seats per category follow the licences in force on the slot's day (StreamFacts.periods): the
        # ordinary split, and on a dated period's days that period's, as (v, k) pairs of period literals: one per
        # slot, site and dated period, shared by the categories
        split = {}
        for site, (v, k) in used.items():
            periods = sf.periods(site)
            ordinary = periods[-1][1]
            alts = []
            for g, (on_days, q) in enumerate(periods[:-1]):
                inside = mv.in_days(s.x, on_days, f"period[{s.stream}#{s.k},{site},{g}]")
                on = {mv.day(d) for d in on_days}
                define(mv, inside, lambda val, x=s.x, on=on: int(val(x) in on))
                if isinstance(v, int):  # a site the slot surely (1) or never (0) takes
                    z = inside if v else 0
                elif not isinstance(site_days.get(site, 1), int):  # exam days used (sizing): when inside, else 0
                    z = m.new_int_var(0, sf.max_days.get(site, 1), f"period_days[{s.stream}#{s.k},{site},{g}]")
                    m.add(z == v).only_enforce_if(inside)
                    m.add(z == 0).only_enforce_if(inside.negated())
                    define(mv, z, lambda val, inside=inside, v=v: val(inside) * val(v))
                else:  # held at the site on one of the period's days
                    z = m.new_bool_var(f"period_at[{s.stream}#{s.k},{site},{g}]")
                    m.add_bool_and([v, inside]).only_enforce_if(z)
                    m.add_bool_or([v.negated(), inside.negated(), z])
                    define(mv, z, lambda val, inside=inside, v=v: val(inside) * val(v))
                alts.append((z, q))
            split[site] = (ordinary, alts)
        for c in sf.categories:
            terms = []
            for site, (v, k) in used.items():
                ordinary, alts = split[site]
                base = ordinary.get(c, 0)
                # seats = ordinary × held + Σ (period's − ordinary) × held in the period (the periods are disjoint)
                terms += [base * k * v] if base else []
                terms += [(q.get(c, 0) - base) * k * z for z, q in alts if q.get(c, 0) != base]
            seats[c].append(sum(terms) if terms else 0)
            prev = seated[c][-1]
            if not any(c in offers[site] for site in used):
                # no site the slot can take (mv.sites) examines c: it seats no one, S_k = S_{k-1}. Decided by who
                # examines what (the seat table lists a category a site examines even without candidates), not by
                # the seats, so the model's size does not follow the candidates.
                seated[c].append(prev)
                continue
            total = sf.total(c)
            ready = ready_expr(flags, sf.arrivals[c])
            # The fill (see "The CP-SAT face" in the module docstring): CP-SAT's LP reads the min as its two upper
            # bounds, which are all a possible seating states.
            cap = seats[c][-1]
            now = m.new_int_var(0, total, f"seated[{s.stream}#{s.k},{c}]")
            m.add(now >= prev)
            if exact:
                m.add_min_equality(now, [prev + cap, ready])
            else:
                m.add(now <= prev + cap)
                m.add(now <= ready)
            define(mv, now, lambda val, prev=prev, cap=cap, ready=ready: min(val(prev) + val(cap), val(ready)))
            seated[c].append(now)
    return StreamFlows(sf, seated, seats, {}, site_days, exam_days)


def ready_before(facts: StreamFacts, day: dt.date) -> int:
    """Index into a cumulative table: ready days on or before *day*."""
    return _ready_count(facts.ready_days, day)


def ready_longer_than(facts: StreamFacts, day: dt.date, days: int) -> int:
    """Index into a cumulative table: the ready days of candidates who by *day* have waited more than *days* days
    (ready on or before ``day − (days + 1)``): what ``waiting`` and ``short_wait`` count at a session and at the
    window's end."""
    return ready_before(facts, day - dt.timedelta(days=days + 1))


def fill(done: int, seats: int, ready: int) -> int:
    """``S_k``: the candidates seated by a session, *done* seated before it, *seats* for the category, *ready* the
    candidates who could register by its deadline (earliest ready first; never fewer than before)."""
    # max(done, min(done + seats, ready)) in comparisons: the local search (planner.descent) runs this for every
    # category of every move it prices, and the two builtin calls took about two thirds of that loop's time
    now = done + seats if done + seats < ready else ready
    return now if now > done else done
