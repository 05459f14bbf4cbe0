"""Large-neighbourhood search for the plan with candidates: a few sessions at a time, the rest held still.

Why: with candidates, CP-SAT's single-worker search spends most of its time in the LP of the queue (the ready
days of every session relax independently) and improves the plan slowly; on the 2026 estimate it stopped at a
cost of 1 130 where eight sessions moved at a time found 659 within less work (CHANGELOG.md). Each round frees the
decisions (day, deadline, site, kind, presence) of ``WINDOW`` sessions, consecutive by exam date or consecutive
among one site's sessions of a stream (the two kinds take turns, :func:`windows`), fixes every other session's,
starts from the best plan so far and keeps the result only when it costs strictly less. The windows move by half
their size; after a pass that improved nothing they double, and once one holds the whole year the search ends
(that is the whole-model search's job).

Deterministic like the rest: the windows follow the plan's dates, each round is bounded in CP-SAT's
deterministic units, and each round is also charged ``ROUND_OVERHEAD_UNITS`` for the loading and presolve
around it that CP-SAT's count barely sees, so that the number of rounds, not the machine, decides when the
search ends. The wall-clock backstop of the run's clock still applies.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from itertools import zip_longest

from ortools.sat.python import cp_model

#: sessions freed per round, consecutive by exam date, at first; the window moves by half its size from one
#: round to the next, and doubles after a pass through the year that improved nothing
WINDOW = 8
#: the most one round's search may take, in deterministic units
ROUND_UNITS = 0.3
#: charged per round for the work around CP-SAT's own count (loading the model, presolving away the fixed
#: sessions), which its deterministic count barely sees: a calibration of the reference machine, like
#: solver.DEMAND_UNITS_PER_SECOND. On the 2026 estimate 37 rounds took 11.9 s of wall clock for 1.31 units of
#: CP-SAT's count: 0.32 s a round, which 0.06 units more make about 0.4 s at 0.15 units a second.
ROUND_OVERHEAD_UNITS = 0.06


@dataclass
class Outcome:
    values: list[int]  # every variable's value in the best plan found (by proto index)
    cost: int
    rounds: int = 0
    improved: int = 0


def decisions(slot) -> list:
    """A session's own decisions: what a round frees or fixes."""
    out = [slot.x, slot.gap, slot.present, *slot.at.values()]
    if slot.kind is not None:
        out.append(slot.kind)
    return out


def windows(mv, values: list[int], size: int = WINDOW) -> list[list]:
    """The rounds' free sets, in order: *size* present sessions consecutive by exam date, every ``size // 2``,
    taking turns with the same over each stream's sessions at one site (a whole group when it has no more than
    *size*). A site's sessions hold the seats of the categories only it examines (危险化学品 at 华安), and a window
    by date frees two or three of them at most: moving such a category's seats through the year needs them freed
    together. Against windows by date alone (25 runs: the estimates of 2025–2028 ×0.8, ×1 and ×1.2 and 240 sessions,
    30 s, seeds 0–3): cheaper in 10 (2027: 364 → 337 with every seed), dearer in 5 (2025: 1 851 → 1 963 with three
    seeds; 240 sessions: 3 611 → 3 815), the same in 10; 1.9 % cheaper on average (CHANGELOG.md). A window
    that frees the same sessions as an earlier one is dropped; once one by date holds the whole year it is the
    only one."""
    present = [s for s in mv.all_slots() if values[s.present.index]]
    order = sorted(present, key=lambda s: (values[s.x.index], s.stream, s.k))
    by_date = _sliding(order, size)
    if len(by_date) == 1:
        return by_date
    groups: dict[tuple[str, str], list] = {}
    for s in order:
        site = next(i for i, lit in s.at.items() if values[lit.index])
        groups.setdefault((s.stream, site), []).append(s)
    by_site = [w for key in sorted(groups) for w in _sliding(groups[key], size)]
    out, seen = [], set()
    for w in (w for pair in zip_longest(by_date, by_site) for w in pair if w is not None):
        key = frozenset(s.key for s in w)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def _sliding(order: list, size: int) -> list[list]:
    """*size* consecutive items of *order*, every ``size // 2``, the last window flush with its end."""
    if len(order) <= size:
        return [order]
    step = max(1, size // 2)
    starts = list(range(0, len(order) - size + 1, step))
    if starts[-1] != len(order) - size:
        starts.append(len(order) - size)
    return [order[i:i + size] for i in starts]


def improve(mv, expr, values: list[int], cost: int, clock, seed: int, configure=lambda solver: None,
            floor: int | None = None) -> Outcome:
    """Rounds of the search above from the plan *values* (which costs *cost* by *expr*, the model's objective)
    until *clock* (``planner.solver``'s: ``solver(seed)``, ``account``, ``det_used``, ``limit``, ``left``) has
    less than a round left, or the plan costs no more than *floor* (a proven lower bound); *configure* sets a
    round's solver as the caller's own searches are set. Returns the best plan found, *values* itself when no
    round improved it."""
    out = Outcome(list(values), cost)
    model = mv.model
    hint_all(model, out.values)
    size = WINDOW
    all_windows = windows(mv, out.values, size)
    at, stale = 0, 0  # the next window; rounds since the last improvement
    while clock.limit - clock.det_used >= ROUND_OVERHEAD_UNITS + 0.05 and clock.left > 0 and (
            floor is None or out.cost > floor):
        if stale >= len(all_windows):  # a pass without an improvement: every window is as good as it gets
            if len(all_windows) == 1:
                break  # the window is the whole year (the whole-model search's job)
            size *= 2
            all_windows, at, stale = windows(mv, out.values, size), 0, 0
        free = all_windows[at % len(all_windows)]
        at += 1
        free_idx = {v.index for s in free for v in decisions(s)}
        fixed = [(v.index, out.values[v.index]) for s in mv.all_slots() for v in decisions(s) if v.index not in free_idx]
        solver = clock.solver(seed, 1.0)
        solver.parameters.max_deterministic_time = min(solver.parameters.max_deterministic_time,
                                                       ROUND_UNITS)
        configure(solver)
        with _held(model, fixed):
            status = solver.solve(model)
        clock.account(solver, status)
        clock.det_used += ROUND_OVERHEAD_UNITS
        out.rounds += 1
        stale += 1
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            new = int(solver.value(expr))  # the plan in hand's cost (solver.objective_value can differ)
            if new < out.cost:
                out.values, out.cost = list(solver.response_proto.solution), new
                out.improved += 1
                stale = 0
                all_windows = windows(mv, out.values, size)  # the dates moved: the windows follow them
                hint_all(model, out.values)
    return out


@contextmanager
def _held(model: cp_model.CpModel, fixed: list[tuple[int, int]]):
    """The model with the variables *fixed* (index, value) held at their values, in place: a copy of the model
    per round kept about 30 MiB a round alive at 240 sessions."""
    saved = []
    for idx, val in fixed:
        dom = model.proto.variables[idx].domain
        saved.append((dom, list(dom)))
        dom.clear()
        dom.extend([val, val])
    try:
        yield model
    finally:
        for dom, old in saved:
            dom.clear()
            dom.extend(old)


def hint_all(model: cp_model.CpModel, values: list[int]) -> None:
    """Hint every variable of *model* with *values* (by proto index): the one way a whole plan is hinted (the
    solver's searches hint theirs through it too)."""
    model.clear_hints()
    model.proto.solution_hint.vars.extend(range(len(values)))
    model.proto.solution_hint.values.extend(values)


def load(model: cp_model.CpModel, values: list[int], clock, seed: int) -> cp_model.CpSolver:
    """A solver whose solution is *values*: the model with every variable hinted and fixed to it, which CP-SAT
    confirms without a search. The caller extracts the plan from it as from any solve."""
    hint_all(model, values)
    solver = clock.solver(seed, 1.0)
    solver.parameters.fix_variables_to_their_hinted_value = True
    # a confirmation, not a search: it needs no more than the time it takes, even when the clock has run out
    solver.parameters.max_deterministic_time = max(solver.parameters.max_deterministic_time, 1.0)
    solver.parameters.max_time_in_seconds = max(solver.parameters.max_time_in_seconds, 60.0)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        from .errors import InternalError

        raise InternalError("the best plan of the neighbourhood search does not satisfy the model it came from; "
                            "please report it with the inputs")
    return solver
