#!/usr/bin/env python
"""Province scale by decomposition: C generated cities sharing a daily cap, objective and proven gap.

    python benchmarks/province.py --cities 4,8,11 --budget 10

The joint CP-SAT model of 8-11 cities does not close its gap (the LP bound stays far below), so
the province is solved the way its structure allows:

1. **each city alone** (its own rules, its own one-exam-a-day cap, no shared cap): its optimum is the
   city's part of the starting solution, and the sum of the cities' proven bounds is a lower bound
   of the province (the shared cap only removes plans);
2. **joint model only where the cap binds**: the joint model of all cities, every session fixed to
   its city's optimum except those within 3 days of a day where the cities together exceed the
   shared cap, hinted with the optima (time-boxed to 15 % of what is left): a province plan; if it
   finds none, a city-by-city repair: the fewest cities re-solved one at a time with the days
   already full closed to them;
3. **Lagrangian pricing of the shared cap, city by city**: each day gets a price lambda_d >= 0, every
   city is solved alone with that price on each of its exams that day, and
   L(lambda) = sum of the cities' bounds - cap * sum(lambda) is a lower bound; prices start at 2 on
   the days over the cap and follow the subgradient (Polyak step aimed halfway between the best
   bound and the best plan, measured better than aiming at the plan: 11 cities, 60 s, 4.3 % vs 4.9 %);
   each round's city plans are repaired the same way, for a better upper bound;
4. the joint model again, around every day at the cap in the best plan, for what time is left.

City solves (steps 1 and 3) can run on ``--workers`` processes (each worker builds the same
generated province once, inside the budget). On the shared 2-core machine two workers measured
slower than one process (11 cities alone: 11.1 s against 8.9 s, the pool's start-up included), so
the default is 1. Running the first Lagrangian round while the parent does step 2 was also tried
and measured worse.

Measured and not adopted (issue 11 item 3, second round; 11 cities, seed 2026 unless said):

* **Column generation does close the gap, but not in 10 s.** Each city's model built once and re-priced
  (objective and hint change only; one ``busy[d]`` literal per priced day), day prices from the duals of
  a restricted master LP over every city plan found so far (GLOP; overflow priced 20 a unit, duals
  smoothed halfway towards the prices of the best bound), and an upper bound from the best combination
  of known city plans under the shared cap (a small CP-SAT model over the columns, each column a plan
  that passed its city's solve): with no deadline a prototype reached a combination costing 1334 (not
  put through check_plan there) against a proven bound of 1333.5 after 8 rounds, at 55 s in one process;
  with check_plan in the loop and a helper process, 1336 against 1329.5 (0.49 %) at 13.4 s.
  Within 10 s the early rounds cost the budget: the master's duals are only its overflow penalty until
  the known plans can meet the cap, so round 1 prices too high (L fell to 1050), and every variant tried
  (penalty 8 or 20, a tatonnement step until the LP has no overflow, a trust region of 2 on each price,
  a first price of 1 or 3) ended at 10 s worse than this module on at least one of 4/8/11 cities or the
  second seed (e.g. 4 cities 2.9-4.6 % against 1.46 %, or no plan at all for 8 cities).
* **A priced city solve**: default search from the previous plan's hint, then core search only if it is
  not proven within 0.5 deterministic units: one priced round of 11 cities 5.5 s -> 2.0 s, but default
  search alone is far slower on the 8-city province (64 s against 13 s a round), so core stays here.
  Core search ignores the hint (same time with or without); presolve probing off saves ~15 %; no presolve,
  symmetry off and linearization 0/2 were slower or equal. Reusing one built model saves only its build
  (0.03-0.06 s a city against 0.1-1.5 s of solve).
* **Where it stops.** Each city's own solve costs 0.1-1.1 s (3-5 s for 11 cities, most of it presolve and the
  core search's proof), and a priced one 1.5-3x that, so at most one or two Lagrangian rounds fit in 10 s;
  the 11-city optimum is at least 1334 (the bound above, rounded up), 2 % above the sum of the city
  optima, so a 1 % gap needs a bound that several rounds reach. The 8-city province is much harder: its own optima crowd 15 days
  (Feb. 26-28, the first days of the window, and Oct. 12, the first working Saturday after National Day),
  the joint plan found costs 973-1075 against 614, and a priced round takes 9-13 s.

Every figure is measured against the wall clock from the start (budget in seconds, default 10):
the objective is that of a plan checked by ``planner.check_plan`` (every city against its own rule
set, the province's daily counts against the shared cap), the gap is (objective - best lower bound)
/ objective. Lower bounds come from CP-SAT's proven bounds only.

Models: a city's is ``planner.model.build_model(city_ctx)`` with the price terms added here; the
joint model builds every city into one CP-SAT model with the core's ``build_model(ctx, model=m,
prefix=…)`` and adds the shared cap as one cumulative. The check of a province plan is
``check_plan`` of each city, and of the province's rule set (every city's streams in one rule set
whose ``daily_cap`` is the shared cap, ``province_gen.province``) for the shared cap.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass, field

from common import cp_solver, log, md_table, preference_objective

SCALE = 4  # prices in quarters of a cost unit (CP-SAT objectives are integers)
INITIAL_PRICE = 2.0  # cost units per exam on a day over the cap: one day's move under even_spread (weight 2)


@dataclass
class CitySol:
    status: str
    cost: int  # preference cost of the plan (what the province minimises)
    bound: float  # proven lower bound of the priced objective, in cost units
    days: dict[tuple[str, int], dt.date]  # (stream, 期次) -> exam day
    values: dict[tuple[str, int], tuple]  # (stream, 期次) -> (exam, deadline, institution, kind) for the plan
    seconds: float = 0.0


def _hint_slot(mv, s, value: tuple, kinds: tuple[str, ...]) -> None:
    """Hint slot *s* with a session's (exam, deadline, institution, kind)."""
    exam, deadline, inst, kind = value
    m = mv.model
    m.add_hint(s.x, mv.day(exam))
    m.add_hint(s.gap, (exam - deadline).days)
    m.add_hint(s.present, 1)
    for i, lit in s.at.items():
        m.add_hint(lit, int(i == inst))
    if s.kind is not None:
        m.add_hint(s.kind, kinds.index(kind))


def _read_slot(solver, mv, s, kinds: tuple[str, ...]) -> tuple:
    """The solved slot *s* as (exam, deadline, institution, kind)."""
    exam = mv.date(solver.value(s.x))
    inst = next(i for i, lit in s.at.items() if solver.boolean_value(lit))
    kind = kinds[solver.value(s.kind)] if s.kind is not None else kinds[0]
    return exam, mv.date(solver.value(s.x) - solver.value(s.gap)), inst, kind


def _domain_days(mv, slot) -> set[int]:
    dom = list(slot.x.proto.domain)
    return {v for a, b in zip(dom[::2], dom[1::2]) for v in range(a, b + 1)}


def solve_city(ctx, *, prices: dict[dt.date, int] | None = None, blocked: set[dt.date] = frozenset(),
               hint: CitySol | None = None, det_limit: float = 20.0, time_limit: float | None = None) -> CitySol:
    """One city alone: its own rules and cap, *prices* (in 1/SCALE units) on exam days, *blocked* days closed."""
    from planner.model import build_model

    t0 = time.perf_counter()
    mv = build_model(ctx)
    m = mv.model
    pref = preference_objective(mv)
    terms = []
    doms = [_domain_days(mv, s) for s in mv.all_slots()] if (prices or blocked) else []
    for s, dom in zip(mv.all_slots(), doms):
        for d in blocked:
            if mv.day(d) in dom:
                m.add(s.x != mv.day(d)).only_enforce_if(s.present)
    # one literal per priced day, "the city holds an exam that day" (every slot's x != d unless it is set),
    # rather than one per (slot, day): measured 8 cities, one priced round 13.5 s -> 9.4 s, same optima. It
    # prices a day once however many exams it holds, which is exact under the city's own cap of one a day
    # and a smaller price otherwise, so L(lambda) stays a lower bound.
    for d, lam in (prices or {}).items():
        slots = [s for s, dom in zip(mv.all_slots(), doms) if mv.day(d) in dom]
        if lam > 0 and slots:
            busy = m.new_bool_var("")
            for s in slots:
                m.add(s.x != mv.day(d)).only_enforce_if(busy.negated())
            terms.append(lam * busy)
    m.minimize(SCALE * pref + sum(terms))
    if hint is not None:
        for s in mv.all_slots():
            if (s.stream, s.k) in hint.values:
                _hint_slot(mv, s, hint.values[(s.stream, s.k)], ctx.catalogue.streams[s.stream].kinds)
    # core-based search proves these city models fastest (measured: 11 cities 9.3 s against 31.7 s default);
    # one presolve pass shaves a little more (7.2 s)
    solver = cp_solver(time_limit=time_limit, det_limit=det_limit, optimize_with_core=True, max_presolve_iterations=1)
    st = solver.solve(m)
    name = solver.status_name(st)
    if name not in ("OPTIMAL", "FEASIBLE"):
        return CitySol(name, 0, solver.best_objective_bound / SCALE if name != "INFEASIBLE" else float("inf"), {}, {},
                       time.perf_counter() - t0)
    days, values = {}, {}
    for s in mv.all_slots():
        if not solver.boolean_value(s.present):
            continue
        values[(s.stream, s.k)] = _read_slot(solver, mv, s, ctx.catalogue.streams[s.stream].kinds)
        days[(s.stream, s.k)] = values[(s.stream, s.k)][0]
    return CitySol(name, int(round(solver.value(pref))), solver.best_objective_bound / SCALE, days, values,
                   time.perf_counter() - t0)


_WORKER: dict = {}


def _worker_init(cities: int, year: int, seed: int = 2026) -> None:
    """A worker process builds the same generated province once (contexts are not sent between processes)."""
    from province_gen import province

    _WORKER["ctxs"] = province(cities, year, seed)[0]


def _worker_solve(k: int, until: float, kw: dict) -> CitySol:
    return solve_city(_WORKER["ctxs"][k], time_limit=max(0.05, until - time.time()), **kw)


def solve_cities(pool, ctxs, jobs: list[dict], until: float) -> list[CitySol]:
    """Solve city k with keyword arguments jobs[k], in the worker pool if there is one; wall-clock deadline *until*
    (``time.time()``, comparable across processes)."""
    if pool is None:
        return [solve_city(c, time_limit=max(0.05, until - time.time()), **kw) for c, kw in zip(ctxs, jobs)]
    futures = [pool.submit(_worker_solve, k, until, kw) for k, kw in enumerate(jobs)]
    return [f.result() for f in futures]


def counts(sols: list[CitySol]) -> dict[dt.date, int]:
    out: dict[dt.date, int] = {}
    for s in sols:
        for d in s.days.values():
            out[d] = out.get(d, 0) + 1
    return out


def over(sols: list[CitySol], cap: int) -> dict[dt.date, int]:
    return {d: n for d, n in counts(sols).items() if n > cap}


@dataclass
class Run:
    cities: int
    cap: int
    sessions: int
    log: list[tuple[float, str, float, float]] = field(default_factory=list)  # (t, phase, best UB, best LB)
    best_ub: float = float("inf")
    best_lb: float = 0.0
    best: list[CitySol] | None = None
    city_opt_sum: float = 0.0
    unconstrained_over_days: int = 0
    verified: str = ""
    stopped: str = ""

    @property
    def gap(self) -> float:
        return (self.best_ub - self.best_lb) / max(1.0, self.best_ub) if self.best_ub < float("inf") else float("inf")


def repair(ctxs, sols: list[CitySol], cap: int, deadline: float, det_limit: float) -> list[CitySol] | None:
    """Re-solve the fewest cities, one at a time, with the days already full closed: a feasible province plan."""
    sols = list(sols)
    load = counts(sols)
    move: list[int] = []
    excess = {d: n - cap for d, n in load.items() if n > cap}
    while excess:
        k = max((i for i in range(len(sols)) if i not in move),
                key=lambda i: (sum(1 for d in sols[i].days.values() if d in excess), -sols[i].cost))
        move.append(k)
        for d in sols[k].days.values():
            if d in excess:
                excess[d] -= 1
                if excess[d] <= 0:
                    del excess[d]
    for k in move:
        for d in sols[k].days.values():
            load[d] -= 1
    for k in move:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        full = {d for d, n in load.items() if n >= cap}
        s = solve_city(ctxs[k], blocked=full, hint=sols[k], det_limit=det_limit, time_limit=left)
        if s.status not in ("OPTIMAL", "FEASIBLE"):
            return None
        sols[k] = s
        for d in s.days.values():
            load[d] = load.get(d, 0) + 1
    return sols


def verify(ctxs, prov_ctx, sols: list[CitySol], cap: int) -> tuple[bool, int, str]:
    """Check the province plan with planner.check_plan: (ok, total cost, note)."""
    from planner import check_plan
    from planner.plan import Plan, Session

    total, all_sessions = 0, []
    for ctx, s in zip(ctxs, sols):
        sessions = [Session(st, k, dl, ex, inst, kind) for (st, k), (ex, dl, inst, kind) in s.values.items()]
        all_sessions += sessions
        rep = check_plan(Plan(ctx.year, tuple(sessions), "province"), ctx)
        hard = [v for v in rep.violations if v.hard]
        if hard:
            return False, 0, f"{ctx.ruleset.name}: {hard[0].rule}: {hard[0].message}"
        total += rep.objective
    prov_rep = check_plan(Plan(prov_ctx.year, tuple(all_sessions), "province"), prov_ctx)
    bad = [v for v in prov_rep.violations if v.hard]
    if bad:
        return False, total, f"province: {bad[0].rule}: {bad[0].message}"
    return True, total, f"checked: every city passes its rules, at most {cap} exams a day province-wide"


def joint_polish(ctxs, best: list[CitySol], cap: int, deadline: float, window: int = 3,
                 around: set[dt.date] | None = None, stop: float | None = None) -> list[CitySol] | None:
    """The joint model of all cities, every session fixed to *best* except those within *window* days of
    the days *around* (default: the days at the cap in *best*, which may itself exceed the cap there).

    Each city is built into one CP-SAT model by the core's ``build_model(ctx, model=…, prefix=…)`` with
    its own rules (its own cap included); the shared cap is one cumulative over every city's exams."""
    from ortools.sat.python import cp_model

    from planner.model import build_model

    m = cp_model.CpModel()
    mvs = [build_model(c, model=m, prefix=f"c{k}.") for k, c in enumerate(ctxs)]
    tight = around if around is not None else {d for d, n in counts(best).items() if n >= cap}
    exams = []
    for c, mv, sol in zip(ctxs, mvs, best):
        mine = {d for d in sol.days.values() if d in tight}
        near = {d + dt.timedelta(days=o) for d in mine for o in range(-window, window + 1)}
        for s in mv.all_slots():
            exams.append(m.new_optional_fixed_size_interval_var(s.x, 1, s.present, ""))
            v = sol.values.get((s.stream, s.k))
            if v is None:
                m.add(s.present == 0)
                continue
            _hint_slot(mv, s, v, c.catalogue.streams[s.stream].kinds)
            if v[0] not in near:  # free only this city's sessions near a tight day it takes part in
                m.add(s.x == mv.day(v[0]))
                m.add(s.gap == (v[0] - v[1]).days)
    m.add_cumulative(exams, [1] * len(exams), cap)  # the shared cap
    m.minimize(sum(preference_objective(mv) for mv in mvs))
    left = min(deadline, stop or deadline) - time.perf_counter()
    if left <= 0.2:
        return None
    solver = cp_solver(time_limit=left, repair_hint=True)
    st = solver.solve(m)
    if solver.status_name(st) not in ("OPTIMAL", "FEASIBLE"):
        return None
    out = []
    for c, mv in zip(ctxs, mvs):
        vals = {(s.stream, s.k): _read_slot(solver, mv, s, c.catalogue.streams[s.stream].kinds)
                for s in mv.all_slots() if solver.boolean_value(s.present)}
        out.append(CitySol("FEASIBLE", 0, 0.0, {k: v[0] for k, v in vals.items()}, vals))
    return out


def decompose(cities: int, year: int, budget: float, det_limit: float = 20.0, workers: int = 1,
              seed: int = 2026) -> Run:
    """Solve the generated province within *budget* wall seconds; city solves on *workers* processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from province_gen import province

    ctxs, prov_ctx, cap, confs = province(cities, year, seed)
    t0 = time.perf_counter()
    deadline = t0 + budget
    until = time.time() + budget
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
                               initargs=(cities, year, seed)) if workers > 1 else None
    try:
        return _decompose(ctxs, prov_ctx, cap, confs, t0, deadline, until, pool, det_limit)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _decompose(ctxs, prov_ctx, cap, confs, t0, deadline, until, pool, det_limit) -> Run:
    cities = len(ctxs)
    run = Run(cities, cap, sum(c.managers + c.special_ops for c in confs))

    def note(phase: str) -> None:
        run.log.append((time.perf_counter() - t0, phase, run.best_ub, run.best_lb))

    def offer(sols: list[CitySol] | None, phase: str) -> None:
        if sols is None or over(sols, cap):
            return
        ok, total, why = verify(ctxs, prov_ctx, sols, cap)
        if ok and total < run.best_ub:
            run.best_ub, run.best, run.verified = total, sols, why
        elif not ok:
            log(f"  province: a {phase} plan fails check ({why}); not counted")

    # 1. every city alone
    own = solve_cities(pool, ctxs, [{"det_limit": det_limit}] * cities, until)
    if any(s.status not in ("OPTIMAL", "FEASIBLE") for s in own):
        run.stopped = "a city has no plan of its own within the budget"
        note("cities alone")
        return run
    run.city_opt_sum = sum(s.cost for s in own)
    run.best_lb = sum(s.bound for s in own)
    run.unconstrained_over_days = len(over(own, cap))
    offer(own, "own")
    note("cities alone")
    if run.gap <= 0:
        return run
    # 2. the joint model only around the days where the cities' own optima exceed the shared cap
    box = time.perf_counter() + max(0.8, 0.15 * (deadline - time.perf_counter()))
    offer(joint_polish(ctxs, own, cap, deadline, around=set(over(own, cap)), stop=box), "joint")
    note("joint model around the days over the cap")
    if run.best is None and time.perf_counter() < deadline:
        offer(repair(ctxs, own, cap, deadline, det_limit), "repair")
        note("repair city by city")
    # 3. Lagrangian pricing of the shared cap, day by day (prices in cost units, rounded to 1/SCALE)
    lam: dict[dt.date, float] = {d: INITIAL_PRICE for d in over(own, cap)}
    theta, last = 1.0, own
    while run.gap > 0.0 and time.perf_counter() < deadline:
        prices = {d: int(round(SCALE * v)) for d, v in lam.items() if v > 0}
        sols = solve_cities(pool, ctxs, [{"prices": prices, "hint": prev, "det_limit": det_limit} for prev in last],
                            until)
        # a city cut by the deadline still has CP-SAT's proven bound: the round's L stays a valid bound
        L = sum(sol.bound for sol in sols) - cap * sum(prices.values()) / SCALE
        if L > run.best_lb:
            run.best_lb = L
        else:
            theta /= 2
        if any(sol.status not in ("OPTIMAL", "FEASIBLE") for sol in sols):
            note(f"Lagrangian round cut by the deadline ({len(prices)} priced days, L = {L:.1f})")
            break
        last = sols
        offer(sols, "lagrangian")
        note(f"Lagrangian round ({len(prices)} priced days, L = {L:.1f})")
        if over(sols, cap) and run.gap > 0 and time.perf_counter() < deadline:
            offer(repair(ctxs, sols, cap, deadline, det_limit), "repair")
            note("repair of the round")
        g = {d: n - cap for d, n in counts(sols).items()}
        days = set(lam) | {d for d, v in g.items() if v > 0}
        norm = sum(g.get(d, -cap) ** 2 for d in days if g.get(d, -cap) > 0 or lam.get(d, 0) > 0)
        if norm == 0:
            break
        target = run.best_lb + 0.5 * (run.best_ub - run.best_lb)  # aim halfway: the best plan may be far from optimal
        step = max(1.0 / SCALE, theta * (target - L) / norm) if run.best_ub < float("inf") else INITIAL_PRICE
        lam = {d: max(0.0, lam.get(d, 0.0) + step * g.get(d, -cap)) for d in days}
    # 4. the joint model again, around every day at the cap in the best plan, for the time left
    if run.best is not None and run.gap > 0 and time.perf_counter() < deadline - 0.5:
        offer(joint_polish(ctxs, run.best, cap, deadline), "joint")
        note("joint model around days at the cap")
    return run


def summarize(entries: list[tuple[float, str, float, float]]) -> str:
    """The phases that moved the objective or the bound (and the last one), with how many rounds ran."""
    out, prev = [], None
    rounds = sum(1 for _, p, _, _ in entries if p.startswith("Lagrangian round ("))
    for i, (t, p, ub, lb) in enumerate(entries):
        if (ub, lb) != prev or i == len(entries) - 1:
            out.append(f"{p} {t:.1f}s ({'-' if ub == float('inf') else f'{ub:.0f}'}/{lb:.1f})")
        prev = (ub, lb)
    return "; ".join(out) + (f" [{rounds} complete Lagrangian round{'s' if rounds != 1 else ''}]" if entries else "")


def table(city_counts: list[int], year: int, budgets: list[float], workers: int = 1,
          seed: int = 2026) -> tuple[str, list[Run]]:
    rows, raw = [], []
    for C in city_counts:
        for b in budgets:
            r = decompose(C, year, b, workers=workers, seed=seed)
            raw.append(r)
            phases = summarize(r.log)
            gap = "-" if r.gap == float("inf") else f"{100 * r.gap:.2f} %"
            rows.append([C, r.sessions, r.cap, f"{b:g}", f"{r.city_opt_sum:.0f}", r.unconstrained_over_days,
                         "-" if r.best_ub == float("inf") else f"{r.best_ub:.0f}", f"{r.best_lb:.1f}", gap,
                         phases or r.stopped])
            log(f"  province C={C} budget {b:g}s: UB {r.best_ub} LB {r.best_lb:.1f} gap {gap}")
    return md_table(["cities", "sessions", "shared cap / day", "budget s", "sum of city optima",
                     "days over the cap (cities alone)", "objective (checked)", "lower bound", "proven gap",
                     "phases that moved a bound: time (objective / bound)"], rows), raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cities", default="4,8,11")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--budget", default="10", help="comma list of wall-clock budgets, seconds [10]")
    ap.add_argument("--workers", type=int, default=1, help="processes for the city solves (1: serial) [1]")
    ap.add_argument("--seed", type=int, default=2026, help="seed of the generated provinces [2026]")
    a = ap.parse_args(argv)
    print(table([int(c) for c in a.cities.split(",")], a.year, [float(b) for b in a.budget.split(",")],
                a.workers, a.seed)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
