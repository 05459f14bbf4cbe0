"""A fast first improvement of the plan with candidates, in plain Python, before CP-SAT's search.

Why: with candidates the plan without them is where CP-SAT's search starts, and its neighbourhood rounds
(``planner.lns``) cost about 0.3 s each of loading and presolve; most of what they find are small moves of one
or two sessions (a deadline a day later, 华安's exam two days earlier) that a plain local search prices in
microseconds. This one moves sessions of the streams with candidates, one at a time and a few together, keeps a
move when the plan keeps every rule and costs strictly less, and stops at a local optimum or when its budget
(a number of moves priced: deterministic) is spent. The CP-SAT search then starts from its plan.

Its faces. A move is priced by :class:`StreamQueue`, the queue's recursion (``planner.queueing``) updated from
the moved session on, and by every other preference's own ``cost``; a move that would lower the cost is kept only
when every rule but ``waiting`` passes its own ``check`` and the queue says nobody waits past ``waiting``'s limit
(as ``waiting``'s check face counts them). The plan it returns is checked once more by ``check_plan``; its cost
there must be the one the search computed (``InternalError`` otherwise), and ``tests/test_descent.py`` compares
:class:`StreamQueue` with both faces of ``waiting`` and ``short_wait`` on random plans.

A plan that breaks the waiting limit (the 2025 estimate's plan without candidates) is searched first for fewer
candidates overdue, then for the cost (lexicographic), so it may come back repaired.

Its speed. Most moves are priced only to be refused by the queue (the last pass over every move, which proves the
local optimum, keeps none), so pricing is what has to be fast: :class:`StreamQueue` walks each category only
over the moved span and remembers the rest of its queue by where it resumes; a move is a :class:`Moved` (three
fields) until the queue lets it through, and a pass of blocks or pairs builds each shifted session once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import NamedTuple

from .queueing import fill, ready_before, ready_longer_than

#: moves priced per deterministic unit charged to the run's clock, like ``solver.DEMAND_UNITS_PER_SECOND`` (at its
#: 0.15 units a second a move is charged about 27 µs). Measured 2026-12-05 on 2 cores at load 0.6-0.9, a move took
#: 32-39 µs (the 2026-2028 estimates; 52-54 µs from 2025's start) before the pricing was made faster, and 10-12 µs
#: (14 µs) after; the figure was kept so that a budget buys the same moves, hence the same plans, as before
MOVES_PER_UNIT = 250_000
#: the most of the run's work this search may take
SHARE = 0.25
#: the farthest one session's exam moves, in days, and the farthest a block of consecutive sessions moves
DAY_REACH = 20
BLOCK_REACH = 15
#: sessions consecutive by date moved together by the same days
BLOCKS = (2, 3, 4, 6, 8)
#: a session and each of its next NEIGHBOURS by date moved by different days (up to PAIR_REACH each)
NEIGHBOURS = 4
PAIR_REACH = 3
#: when no single move of a session keeps every rule, its EJECT best such moves are tried again with one move of
#: each session a broken rule names
EJECT = 3

_DAY = dt.timedelta(days=1)


class StreamQueue:
    """One stream's queue as ``queueing.evaluate_stream`` fills it (sessions in 期次 order, each category
    ``S_k = max(S_{k-1}, min(S_{k-1} + seats_k, A(deadline_k)))``), with what ``short_wait`` counts late and
    ``waiting`` counts overdue, kept per category and session so that a move is priced from the moved session on.

    Why per category: the categories' queues do not touch each other, and after the last moved session each
    category's cost from session ``k`` on depends only on how many of it are seated before ``k``. So a move walks
    its own span, then either finds a category back where it was (its old cost from there on) or reads that cost
    from ``_tails``, which remembers every such walk until the stream's sessions change: the search's moves of one
    session, and its blocks and pairs, resume the queue in the same few states over and over."""

    def __init__(self, facts, sessions, window_end: dt.date, target: int | None, limit: int | None) -> None:
        self.facts = facts
        self.cats = facts.categories
        self.cums = [facts.cumulative(c) for c in self.cats]
        self.target, self.limit = target, limit
        self._info: dict = {}  # (institution, exam day, deadline) -> info; its parts in _ready_by and _exams
        self._ready_by: dict = {}
        self._exams: dict = {}
        self.end_late = [cum[ready_longer_than(facts, window_end, target)] if target is not None else 0
                         for cum in self.cums]
        self.end_over = [cum[ready_longer_than(facts, window_end, limit)] if limit is not None else 0
                         for cum in self.cums]
        self.set(sessions)

    def info(self, s) -> tuple:
        """Per category: (ready by *s*'s deadline, waited past the target by its exam, waited past the limit by its
        exam, its seats), all as candidates from the cumulative tables."""
        key = (s.institution, s.exam_date, s.registration_deadline)
        out = self._info.get(key)
        if out is None:
            ready, exam = self._ready(s.registration_deadline), self._exam(s.institution, s.exam_date)
            out = self._info[key] = tuple((r, *e) for r, e in zip(ready, exam))
        return out

    def _ready(self, deadline: dt.date) -> tuple:
        """Per category: ready by *deadline*. Remembered apart from the exam's part: a session's moves share their
        deadlines and their exam days far more often than both."""
        out = self._ready_by.get(deadline)
        if out is None:
            a = ready_before(self.facts, deadline)
            out = self._ready_by[deadline] = tuple(cum[a] for cum in self.cums)
        return out

    def _exam(self, institution: str, day: dt.date) -> tuple:
        """Per category: (waited past the target, waited past the limit, seats) of an exam at *institution* on
        *day*."""
        key = (institution, day)
        out = self._exams.get(key)
        if out is None:
            f = self.facts
            late = ready_longer_than(f, day, self.target) if self.target is not None else 0
            over = ready_longer_than(f, day, self.limit) if self.limit is not None else 0
            out = self._exams[key] = tuple((cum[late], cum[over], f.seats(institution, c, day))
                                          for c, cum in zip(self.cats, self.cums))
        return out

    @staticmethod
    def seat(done: int, row: tuple) -> tuple[int, int, int]:
        """One category at one session (*row*: its part of :meth:`info`) with *done* seated before it: (seated
        after it, candidates late there, candidates overdue there)."""
        ready, due, overdue_by, cap = row
        now = fill(done, cap, ready)
        return now, max(0, min(now, due) - done), max(0, overdue_by - done)

    @staticmethod
    def step(state: tuple, info: tuple) -> tuple[tuple, int, int]:
        """Every category at one session: (seated after it, late, overdue)."""
        seated = [StreamQueue.seat(done, row) for done, row in zip(state, info)]
        return tuple(now for now, _, _ in seated), sum(lt for _, lt, _ in seated), sum(ov for _, _, ov in seated)

    def _end(self, c: int, done: int) -> tuple[int, int]:
        """Category *c*'s late and overdue at the window's end, *done* of it seated."""
        return max(0, self.end_late[c] - done), max(0, self.end_over[c] - done)

    def set(self, sessions) -> None:
        self.sessions = list(sessions)
        self.infos = [self.info(s) for s in self.sessions]
        n = len(self.sessions)
        # per category: seated before session k, and (late, overdue) from session k on, the window's end included
        self.seated, self.costs = [], []
        for c in range(len(self.cats)):
            done, seated, at = 0, [0], []
            for info in self.infos:
                done, lt, ov = self.seat(done, info[c])
                seated.append(done)
                at.append((lt, ov))
            costs = [self._end(c, done)]
            for lt, ov in reversed(at):
                costs.append((costs[-1][0] + lt, costs[-1][1] + ov))
            self.seated.append(seated)
            self.costs.append(costs[::-1])
        # every category's (late, overdue) at the sessions before k
        self.costs_before = [(sum(cs[0][0] - cs[k][0] for cs in self.costs),
                              sum(cs[0][1] - cs[k][1] for cs in self.costs)) for k in range(n + 1)]
        self._tails: list[dict] = [{} for _ in self.cats]
        self.disorder = sum(b.registration_deadline < a.registration_deadline
                            for a, b in zip(self.sessions, self.sessions[1:]))
        self.late = sum(cs[0][0] for cs in self.costs)
        self.overdue = sum(cs[0][1] for cs in self.costs)

    def tail(self, c: int, k: int, done: int) -> tuple[int, int]:
        """Category *c*'s (late, overdue) from session *k* on (the window's end included), *done* of it seated
        before *k*: walked until the queue is back where it was (or to the end), and remembered."""
        seated = self.seated[c]
        if done == seated[k]:
            return self.costs[c][k]
        out = self._tails[c].get((k, done))
        if out is None:
            start, late, over, n = (k, done), 0, 0, len(self.sessions)
            while k < n and done != seated[k]:
                done, lt, ov = self.seat(done, self.infos[k][c])
                late, over, k = late + lt, over + ov, k + 1
            lt, ov = self.costs[c][k] if done == seated[k] else self._end(c, done)
            out = self._tails[c][start] = (late + lt, over + ov)
        return out

    def priced(self, moved: dict) -> tuple[int, int]:
        """(candidates late, candidates overdue + deadlines out of 期次 order) with the sessions *moved*
        (index -> session, or a :class:`Moved`: its institution, exam day and deadline are read) in place: each
        category walked from the first moved session to the last, then its :meth:`tail`."""
        first, after = min(moved), max(moved) + 1
        rows = [self.info(moved[k]) if k in moved else self.infos[k] for k in range(first, after)]
        late, over = self.costs_before[first]
        for c, seated in enumerate(self.seated):
            done = seated[first]
            for info in rows:  # :meth:`seat` written out: this loop is most of the search's time
                ready, due, overdue_by, cap = info[c]
                now = fill(done, cap, ready)
                if due > done:  # late here: min(now, due) - done, written out as fill is
                    late += (now if now < due else due) - done
                if overdue_by > done:
                    over += overdue_by - done
                done = now
            lt, ov = self.costs[c][after] if done == seated[after] else self.tail(c, after, done)
            late, over = late + lt, over + ov
        n, ss, disorder = len(self.sessions), self.sessions, self.disorder
        for a in {j for i in moved for j in (i - 1, i)}:
            if 0 <= a < n - 1:
                disorder += ((moved.get(a + 1, ss[a + 1]).registration_deadline
                              < moved.get(a, ss[a]).registration_deadline)
                             - (ss[a + 1].registration_deadline < ss[a].registration_deadline))
        return late, over + disorder


class Moved(NamedTuple):
    """Where a move puts one session: what :meth:`StreamQueue.priced` reads of it. The session itself is made only
    for the few moves the queue lets through to the rules: ``dataclasses.replace`` on every move tried took a tenth
    to a sixth of the search's time."""
    institution: str
    exam_date: dt.date
    registration_deadline: dt.date

    def applied(self, s):
        """The session *s* with this move's exam day and deadline."""
        return replace(s, exam_date=self.exam_date, registration_deadline=self.registration_deadline)


@dataclass
class Outcome:
    plan: object
    cost: int  # the plan's preferences' cost (check face), when it keeps every rule
    overdue: int  # candidates overdue + deadlines out of order (0: the plan keeps ``waiting``)
    moves: int = 0  # moves priced
    kept: int = 0  # moves kept


def improve(plan, ctx, max_moves: int, held=frozenset(), out_of_time=lambda: False, together: bool = True) -> Outcome:
    """The plan after a first-improvement local search of at most *max_moves* priced moves (see the module
    docstring); the sessions whose keys are *held* (pins) stay as they are; *out_of_time* is asked every few
    hundred moves (the run's wall-clock backstop); without *together*, sessions move one at a time only."""
    return _Search(plan, ctx, max_moves, held, out_of_time, together).run()


class _Search:
    """One run of :func:`improve`: the plan's queues, its other preferences' cost, and the moves tried."""

    def __init__(self, plan, ctx, max_moves: int, held, out_of_time, together: bool = True) -> None:
        rs = ctx.ruleset
        waiting, short = rs.rule("waiting"), rs.rule("short_wait")
        limit = waiting.max_wait_days if waiting is not None and waiting in ctx.rules else None
        target = short.target_days if short is not None and short in ctx.preferences else None
        self.plan, self.ctx, self.max_moves, self.held, self.out_of_time = plan, ctx, max_moves, held, out_of_time
        self.moves_together = together
        self.wlate = short.weight if target is not None else 0
        self.rules = [r for r in ctx.rules if r is not waiting]
        self.prefs = [p for p in ctx.preferences if p is not short]
        gap_rule = rs.rule("registration_gap")
        self.gap_lo, self.gap_hi = (gap_rule.min_days, gap_rule.max_days) if gap_rule in ctx.rules else (None, None)
        self.liked = sorted({g for r in rs.all() if (g := r.hint_gap()) is not None} | ({self.gap_lo} - {None}))
        allowed = None
        for r in ctx.rules:
            days = r.allowed_days(ctx)
            if days is not None:
                allowed = set(days) if allowed is None else allowed & set(days)
        self.allowed = allowed
        self.queues = {sid: StreamQueue(sf, sorted(plan.stream(sid), key=lambda s: s.no), ctx.window[1], target, limit)
                       for sid, sf in ctx.demand.streams.items()}
        self.others = [s for s in plan.sessions if s.stream not in self.queues]
        self.pref_cost = sum(p.weight * p.cost(plan, ctx) for p in self.prefs)
        self.out = Outcome(plan, 0, 0)
        self.broken: list | None = None  # when collecting: (moves, violations, cost) of improving moves a rule refuses

    def run(self) -> Outcome:
        while not self.spent() and (self.one_at_a_time()
                                    or (self.moves_together and not self.spent() and self.together())):
            pass
        self.out.plan = self.plan.with_sessions([s for q in self.queues.values() for s in q.sessions] + self.others)
        self.out.overdue, self.out.cost = self.value()
        return self.out

    def value(self) -> tuple[int, int]:
        qs = self.queues.values()
        return (sum(q.overdue + q.disorder for q in qs), self.pref_cost + self.wlate * sum(q.late for q in qs))

    def ok_day(self, day: dt.date) -> bool:
        return self.allowed is None or day in self.allowed

    def spent(self) -> bool:
        out = self.out
        return out.moves >= self.max_moves or (out.moves % 256 == 0 and self.out_of_time())

    def attempt(self, moved: dict) -> bool:
        """Keep *moved* ({stream: {index: :class:`Moved`}}) when the plan keeps every rule and costs less."""
        out = self.out
        if out.moves >= self.max_moves:
            return False  # the budget is spent: priced no more
        out.moves += 1
        d_over = d_late = 0
        for sid, ch in moved.items():
            q = self.queues[sid]
            late, over = q.priced(ch)
            d_over += over - (q.overdue + q.disorder)
            d_late += late - q.late
        if d_over > 0 or (d_over == 0 and d_late >= 0):
            return False  # neither fewer overdue nor fewer late: the preferences alone would have to pay
        # only now are the moves made sessions: most moves end at the queue's verdict above
        sessions = {sid: list(q.sessions) for sid, q in self.queues.items()}
        for sid, ch in moved.items():
            for i, m in ch.items():
                sessions[sid][i] = m.applied(sessions[sid][i])
        trial = self.plan.with_sessions([s for ss in sessions.values() for s in ss] + self.others)
        cost = sum(p.weight * p.cost(trial, self.ctx) for p in self.prefs)
        delta = cost - self.pref_cost + self.wlate * d_late
        if d_over == 0 and delta >= 0:
            return False
        for r in self.rules:
            vs = r.check(trial, self.ctx)
            if vs:
                if self.broken is not None:
                    self.broken.append((moved, vs, (d_over, delta)))
                return False
        for sid in moved:
            self.queues[sid].set(sessions[sid])
        self.pref_cost = cost
        out.kept += 1
        return True

    def singles(self, s):
        """One session's moves, in order: its deadline alone (any gap the rules allow), or its exam day within
        DAY_REACH with its own gap or a liked one. Made as they are tried: the first one kept ends the session's
        turn, and the rest were never needed."""
        if s.key in self.held:
            return
        g = s.gap_days
        gaps = range(self.gap_lo, self.gap_hi + 1) if self.gap_lo is not None else ()
        yield from (_at(s, s.exam_date, x) for x in gaps if x != g)
        with_gaps = sorted({g, *self.liked})
        for d in (x for k in range(1, DAY_REACH + 1) for x in (k, -k)):
            day = s.exam_date + d * _DAY
            if self.ok_day(day):
                yield from (_at(s, day, x) for x in with_gaps)

    def shifted(self, s, d: int):
        if s.key in self.held:
            return None
        return Moved(s.institution, s.exam_date + d * _DAY, s.registration_deadline + d * _DAY)

    def shifts(self):
        """:meth:`shifted` by stream, index and days, None also where the exam day is not allowed; remembered for
        one pass of :meth:`blocks` or :meth:`pairs` (a pass ends when a move is kept), where the same session moved
        by the same days recurs in every block and pair that holds it."""
        memo: dict = {}

        def shift(sid, i: int, d: int):
            key = (sid, i, d)
            if key not in memo:
                m = self.shifted(self.queues[sid].sessions[i], d)
                memo[key] = m if m is not None and self.ok_day(m.exam_date) else None
            return memo[key]
        return shift

    def one_at_a_time(self) -> bool:
        """Every session's single moves; where a rule refuses all of them, its best refused ones with a move of
        a session the rule names."""
        found = False
        for sid, q in self.queues.items():
            for i in range(len(q.sessions)):
                self.broken = []
                done = any(self.attempt({sid: {i: m}}) for m in self.singles(q.sessions[i]))
                refused, self.broken = sorted(self.broken, key=lambda b: b[2])[:EJECT], None
                if not done:
                    done = self.ejections(refused)
                found = found or done
                if self.spent():
                    return found
        return found

    def ejections(self, refused: list) -> bool:
        """Each refused move again, with one move of each session its refusing rules name."""
        for moved, vs, _ in refused:
            taken = {(sid, self.queues[sid].sessions[j].no) for sid, ch in moved.items() for j in ch}
            named = sorted({(v.stream, v.no) for v in vs if v.stream in self.queues and v.no is not None} - taken)
            for sj, no in named:
                j = next(k for k, x in enumerate(self.queues[sj].sessions) if x.no == no)
                for m in self.singles(self.queues[sj].sessions[j]):
                    both = {k: dict(v) for k, v in moved.items()}
                    both.setdefault(sj, {})[j] = m
                    if self.attempt(both):
                        return True
                if self.spent():
                    return False
        return False

    def by_date(self) -> list:
        return sorted((s.exam_date, sid, i) for sid, q in self.queues.items() for i, s in enumerate(q.sessions))

    def together(self) -> bool:
        return self.blocks() or (not self.spent() and self.pairs())

    def blocks(self) -> bool:
        """BLOCKS sessions consecutive by date, shifted by the same days."""
        order, shift = self.by_date(), self.shifts()
        for size in BLOCKS:
            for a in range(len(order) - size + 1):
                for d in (x for k in range(1, BLOCK_REACH + 1) for x in (k, -k)):
                    block = [(sid, i, shift(sid, i, d)) for _, sid, i in order[a:a + size]]
                    if all(m is not None for _, _, m in block):
                        moved: dict = {}
                        for sid, i, m in block:
                            moved.setdefault(sid, {})[i] = m
                        if self.attempt(moved):
                            return True
                    if self.spent():
                        return False
        return False

    def pairs(self) -> bool:
        """A session and each of its next NEIGHBOURS by date, shifted by different days."""
        order, shift = self.by_date(), self.shifts()
        for a, (_, sa, ia) in enumerate(order):
            for _, sb, ib in order[a + 1:a + 1 + NEIGHBOURS]:
                for da in range(-PAIR_REACH, PAIR_REACH + 1):
                    ma = shift(sa, ia, da)
                    if ma is None:
                        continue
                    for db in range(-PAIR_REACH, PAIR_REACH + 1):
                        mb = shift(sb, ib, db)
                        if mb is None or da == db:
                            continue
                        moved = {sa: {ia: ma}}
                        moved.setdefault(sb, {})[ib] = mb
                        if self.attempt(moved):
                            return True
                    if self.spent():
                        return False
        return False


def _at(s, day: dt.date, gap: int) -> Moved:
    return Moved(s.institution, day, day - gap * _DAY)
