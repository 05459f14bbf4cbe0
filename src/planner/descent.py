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
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .queueing import fill, ready_before, ready_longer_than

#: moves priced per deterministic unit charged to the run's clock: a calibration of the reference machine, like
#: ``solver.DEMAND_UNITS_PER_SECOND`` (about 27 µs a move there, at 0.15 units a second)
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
    ``waiting`` counts overdue, kept per session so that a move is priced from the moved session on."""

    def __init__(self, facts, sessions, window_end: dt.date, target: int | None, limit: int | None) -> None:
        self.facts = facts
        self.cats = facts.categories
        self.cums = [facts.cumulative(c) for c in self.cats]
        self.target, self.limit = target, limit
        self._info: dict = {}
        self.end_late = [cum[ready_longer_than(facts, window_end, target)] if target is not None else 0
                         for cum in self.cums]
        self.end_over = [cum[ready_longer_than(facts, window_end, limit)] if limit is not None else 0
                         for cum in self.cums]
        self.set(sessions)

    def info(self, s) -> tuple:
        key = (s.institution, s.exam_date, s.registration_deadline)
        out = self._info.get(key)
        if out is None:
            f = self.facts
            a = ready_before(f, s.registration_deadline)
            late = ready_longer_than(f, s.exam_date, self.target) if self.target is not None else 0
            over = ready_longer_than(f, s.exam_date, self.limit) if self.limit is not None else 0
            out = self._info[key] = tuple((cum[a], cum[late], cum[over], self.facts.seats(s.institution, c, s.exam_date))
                                          for c, cum in zip(self.cats, self.cums))
        return out

    @staticmethod
    def step(state: tuple, info: tuple) -> tuple[tuple, int, int]:
        late = over = 0
        out = []
        for done, (ready, due, overdue_by, cap) in zip(state, info):
            if overdue_by > done:
                over += overdue_by - done
            now = fill(done, cap, ready)
            x = min(now, due) - done
            if x > 0:
                late += x
            out.append(now)
        return tuple(out), late, over

    def _end(self, state: tuple) -> tuple[int, int]:
        return (sum(max(0, e - s) for e, s in zip(self.end_late, state)),
                sum(max(0, e - s) for e, s in zip(self.end_over, state)))

    def set(self, sessions) -> None:
        self.sessions = list(sessions)
        state = tuple(0 for _ in self.cats)
        self.before, late, over = [state], [], []
        for s in self.sessions:
            state, lt, ov = self.step(state, self.info(s))
            self.before.append(state)
            late.append(lt)
            over.append(ov)
        self.end = self._end(state)
        n = len(self.sessions)
        self.late_from, self.over_from = [0] * (n + 1), [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            self.late_from[k] = self.late_from[k + 1] + late[k]
            self.over_from[k] = self.over_from[k + 1] + over[k]
        self.disorder = sum(b.registration_deadline < a.registration_deadline
                            for a, b in zip(self.sessions, self.sessions[1:]))
        self.late = self.late_from[0] + self.end[0]
        self.overdue = self.over_from[0] + self.end[1]

    def priced(self, moved: dict) -> tuple[int, int]:
        """(candidates late, candidates overdue + deadlines out of 期次 order) with the sessions *moved*
        (index -> session) in place: recomputed from the first moved one until the queue is back where it was."""
        first, last = min(moved), max(moved)
        n = len(self.sessions)
        state = self.before[first]
        late = self.late_from[0] - self.late_from[first]
        over = self.over_from[0] - self.over_from[first]
        k = first
        while True:
            if k > last and state == self.before[k]:
                late += self.late_from[k] + self.end[0]
                over += self.over_from[k] + self.end[1]
                break
            if k == n:
                lt, ov = self._end(state)
                late, over = late + lt, over + ov
                break
            state, lt, ov = self.step(state, self.info(moved[k]) if k in moved else self.info(self.sessions[k]))
            late, over = late + lt, over + ov
            k += 1
        disorder = self.disorder
        ss = self.sessions
        for a in {j for i in moved for j in (i - 1, i)}:
            if 0 <= a < n - 1:
                disorder += ((moved.get(a + 1, ss[a + 1]).registration_deadline
                              < moved.get(a, ss[a]).registration_deadline)
                             - (ss[a + 1].registration_deadline < ss[a].registration_deadline))
        return late, over + disorder


@dataclass
class Outcome:
    plan: object
    cost: int  # the plan's preferences' cost (check face), when it keeps every rule
    overdue: int  # candidates overdue + deadlines out of order (0: the plan keeps ``waiting``)
    moves: int = 0  # moves priced
    kept: int = 0  # moves kept


def improve(plan, ctx, max_moves: int, held=frozenset(), out_of_time=lambda: False) -> Outcome:
    """The plan after a first-improvement local search of at most *max_moves* priced moves (see the module
    docstring); the sessions whose keys are *held* (pins) stay as they are; *out_of_time* is asked every few
    hundred moves (the run's wall-clock backstop)."""
    return _Search(plan, ctx, max_moves, held, out_of_time).run()


class _Search:
    """One run of :func:`improve`: the plan's queues, its other preferences' cost, and the moves tried."""

    def __init__(self, plan, ctx, max_moves: int, held, out_of_time) -> None:
        rs = ctx.ruleset
        waiting, short = rs.rule("waiting"), rs.rule("short_wait")
        limit = waiting.max_wait_days if waiting is not None and waiting in ctx.rules else None
        target = short.target_days if short is not None and short in ctx.preferences else None
        self.plan, self.ctx, self.max_moves, self.held, self.out_of_time = plan, ctx, max_moves, held, out_of_time
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
        while not self.spent() and (self.one_at_a_time() or (not self.spent() and self.together())):
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
        """Keep *moved* ({stream: {index: session}}) when the plan keeps every rule and costs less."""
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
        sessions = {sid: [moved.get(sid, {}).get(i, s) for i, s in enumerate(q.sessions)]
                    for sid, q in self.queues.items()}
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

    def singles(self, s) -> list:
        """One session's moves: its deadline alone (any gap the rules allow), or its exam day within DAY_REACH
        with its own gap or a liked one."""
        if s.key in self.held:
            return []
        g = s.gap_days
        gaps = range(self.gap_lo, self.gap_hi + 1) if self.gap_lo is not None else ()
        moves = [_at(s, s.exam_date, x) for x in gaps if x != g]
        for d in (x for k in range(1, DAY_REACH + 1) for x in (k, -k)):
            day = s.exam_date + d * _DAY
            if self.ok_day(day):
                moves += [_at(s, day, x) for x in sorted({g, *self.liked})]
        return moves

    def shifted(self, s, d: int):
        if s.key in self.held:
            return None
        return replace(s, exam_date=s.exam_date + d * _DAY, registration_deadline=s.registration_deadline + d * _DAY)

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
        order = self.by_date()
        for size in BLOCKS:
            for a in range(len(order) - size + 1):
                for d in (x for k in range(1, BLOCK_REACH + 1) for x in (k, -k)):
                    moved: dict = {}
                    for _, sid, i in order[a:a + size]:
                        moved.setdefault(sid, {})[i] = self.shifted(self.queues[sid].sessions[i], d)
                    if all(m is not None and self.ok_day(m.exam_date) for ch in moved.values() for m in ch.values()) \
                            and self.attempt(moved):
                        return True
                    if self.spent():
                        return False
        return False

    def pairs(self) -> bool:
        """A session and each of its next NEIGHBOURS by date, shifted by different days."""
        order = self.by_date()
        for a, (_, sa, ia) in enumerate(order):
            for _, sb, ib in order[a + 1:a + 1 + NEIGHBOURS]:
                for da in range(-PAIR_REACH, PAIR_REACH + 1):
                    ma = self.shifted(self.queues[sa].sessions[ia], da)
                    if ma is None or not self.ok_day(ma.exam_date):
                        continue
                    for db in range(-PAIR_REACH, PAIR_REACH + 1):
                        mb = self.shifted(self.queues[sb].sessions[ib], db)
                        if mb is None or da == db or not self.ok_day(mb.exam_date):
                            continue
                        moved = {sa: {ia: ma}}
                        moved.setdefault(sb, {})[ib] = mb
                        if self.attempt(moved):
                            return True
                    if self.spent():
                        return False
        return False


def _at(s, day: dt.date, gap: int):
    return replace(s, exam_date=day, registration_deadline=day - gap * _DAY)
