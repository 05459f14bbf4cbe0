"""The province benchmark's parts agree with what they claim (benchmarks/province.py).

* ``combine`` (one known plan per city under the shared cap, hard or soft) finds the same optimum as
  enumerating every pick, on many small random instances;
* ``box_step``'s value is the cutting-plane model of L at the prices it returns, and no less than at
  the box's centre;
* ``City.lb`` never exceeds the priced optimum it bounds, on random plan sets and prices;
* ``greedy`` always returns one plan per city under the shared cap, re-solving a city only when none of its
  known plans fits the days already full;
* a city model solved with a closed day avoids it, priced days are paid once, and the helper process
  returns what this process computes (and, if it dies, this process solves its job).

No timing here (the machine is shared); ``python benchmarks/province.py`` measures.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path[:0] = [str(BENCH)]

import province as P

DAYS = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(6)]


def _col(cost: int, days: set[dt.date]) -> P.CitySol:
    keyed = {("s", i): d for i, d in enumerate(sorted(days))}
    return P.CitySol("OPTIMAL", cost, float(cost), keyed, {k: (d, d, "x", "k") for k, d in keyed.items()})


def _random_columns(rng: random.Random) -> list[list[P.CitySol]]:
    return [[_col(rng.randint(0, 20), set(rng.sample(DAYS, rng.randint(1, 3)))) for _ in range(rng.randint(1, 3))]
            for _ in range(rng.randint(2, 4))]


def _brute(columns, cap: int, soft: int | None) -> float | None:
    best = None
    for pick in itertools.product(*columns):
        load = P.counts(list(pick))
        excess = sum(max(0, n - cap) for n in load.values())
        if soft is None and excess:
            continue
        cost = sum(s.cost for s in pick) + (soft or 0) * excess
        best = cost if best is None else min(best, cost)
    return best


def test_combine_matches_enumeration():
    rng = random.Random(11)
    for _ in range(60):
        columns, cap = _random_columns(rng), rng.randint(1, 2)
        for soft in (None, 7):
            idx = P.combine(columns, cap, 5.0, soft=soft)
            want = _brute(columns, cap, soft)
            if want is None:
                assert idx is None
                continue
            pick = [cols[i] for cols, i in zip(columns, idx)]
            excess = sum(max(0, n - cap) for n in P.counts(pick).values())
            assert soft is not None or excess == 0
            assert sum(s.cost for s in pick) + (soft or 0) * excess == want


def _model_value(columns, cap: int, lam: dict[dt.date, float]) -> float:
    return sum(min(P.priced_cost(s, lam) for s in cols) for cols in columns) - cap * sum(lam.values())


def test_box_step_value_is_the_cutting_plane_model():
    rng = random.Random(5)
    for _ in range(60):
        columns, cap = _random_columns(rng), 1
        centre = {d: rng.choice([0.0, 0.5, 2.0]) for d in rng.sample(DAYS, 3)}
        half = rng.choice([0.25, 1.0, 3.0])
        got = P.box_step(columns, cap, centre, half)
        assert got is not None
        lam, value = got
        assert all(v >= -1e-9 and abs(v - centre.get(d, 0.0)) <= half + 1e-9 for d, v in lam.items())
        assert abs(value - _model_value(columns, cap, lam)) < 1e-6
        # the centre, restricted to the days the LP prices and clipped to the box, is feasible: no better
        inside = {d: min(max(0.0, centre.get(d, 0.0)), centre.get(d, 0.0) + half) for d in lam}
        assert value >= _model_value(columns, cap, inside) - 1e-6


def test_city_lb_never_exceeds_the_priced_optimum():
    rng = random.Random(3)
    for _ in range(200):
        plans = [_col(rng.randint(0, 30), set(rng.sample(DAYS, rng.randint(0, 3)))) for _ in range(6)]

        def optimum(lam, plans=plans):
            return min(P.priced_cost(s, lam) for s in plans)

        city = P.City()
        for _ in range(rng.randint(1, 3)):
            old = {d: rng.choice([0.0, 1.0, 2.5, 6.0]) for d in DAYS}
            city.hist.append((old, optimum(old)))
        for _ in range(5):
            lam = {d: rng.choice([0.0, 0.5, 2.0, 5.0]) for d in DAYS}
            assert city.lb(lam) <= optimum(lam) + 1e-9
        old, b = city.hist[0]
        assert city.lb(old) >= b - 1e-9


def _small_city():
    from planner import make_context
    from planner.ruleset import default_ruleset_path, read_toml, ruleset_from_dict

    doc = read_toml(default_ruleset_path())
    doc["rules"]["session_count"]["sessions"].update(managers=2, special_ops=8)
    del doc["rules"]["coverage"]
    return make_context(2025, ruleset_from_dict(doc, "<small>"))


def test_city_model_closes_and_prices_days_and_the_helper_agrees():
    from planner import check_plan
    from planner.plan import Plan, Session

    ctx = _small_city()
    cm = P.CityModel(ctx)
    own = cm.solve({}, None, 30.0)
    assert own.status == "OPTIMAL"
    d = min(own.dayset)
    closed = cm.solve({}, own.values, 30.0, closed=frozenset({d}))
    assert closed.status == "OPTIMAL" and d not in closed.dayset and closed.cost >= own.cost
    sessions = [Session(st, k, dl, ex, inst, kind) for (st, k), (ex, dl, inst, kind) in closed.values.items()]
    assert not [v for v in check_plan(Plan(ctx.year, tuple(sessions), "t"), ctx).violations if v.hard]
    # a price on d is paid once if the plan keeps d: the priced optimum is min(own + price, the closed plan)
    price = 3
    priced = cm.solve({d: price * P.SCALE}, own.values, 30.0)
    assert priced.bound == min(own.cost + price, closed.cost)
    # the assumption is gone afterwards: the city's own optimum again
    assert cm.solve({}, None, 30.0).cost == own.cost

    runner = P.Runner([ctx], time.perf_counter() + 60, helper=True)
    try:
        got: list[P.CitySol] = []
        job = (0, {}, own.values, frozenset({d}))
        runner.run([job, job], lambda j, s: got.append(s))
        assert runner.proc is not None and len(got) == 2
        assert all(s.values == closed.values and s.cost == closed.cost for s in got)
        # a helper that is gone costs only time: the job it would have solved is solved here
        runner.proc.kill()
        runner.proc.join()
        got.clear()
        runner.run([job, job], lambda j, s: got.append(s))
        assert runner.proc is None and len(got) == 2
        assert all(s.values == closed.values for s in got)
    finally:
        runner.close()
    assert runner.proc is None


def test_a_helper_that_dies_holding_a_job_costs_only_time(monkeypatch):
    import os

    ctx = _small_city()
    parent, solve_here = os.getpid(), P._solve_job

    def dies_in_the_helper(job, time_limit):
        if os.getpid() != parent:
            os._exit(1)
        return solve_here(job, time_limit)

    monkeypatch.setattr(P, "_solve_job", dies_in_the_helper)  # the forked helper inherits it
    runner = P.Runner([ctx], time.perf_counter() + 60, helper=True)
    try:
        got: list[P.CitySol] = []
        runner.run([(0, {}, None, frozenset()), (0, {}, None, frozenset())], lambda j, s: got.append(s))
        assert runner.proc is None and len(got) == 2
        assert got[0].values == got[1].values and got[0].status == "OPTIMAL"
    finally:
        runner.close()



class _FakeRunner:
    """Stands in for the city solves: a closed-day solve returns the city's first plan with each closed day
    moved to a day of its own (a fresh day no other plan uses), costing one unit per move."""

    def __init__(self) -> None:
        self.jobs: list[tuple] = []

    def run(self, jobs, record) -> int:
        for job in jobs:
            k, _, values, closed = job
            self.jobs.append(job)
            days = {key: (DAYS[-1] + dt.timedelta(days=100 * (k + 1) + i) if d in closed else d)
                    for i, (key, (d, *_)) in enumerate(sorted(values.items()))}
            moved = sum(d in closed for d, *_ in values.values())
            sol = P.CitySol("FEASIBLE", 0, 0.0, days, {key: (d, d, "x", "k") for key, d in days.items()})
            sol.cost = moved  # one unit per moved exam
            record(job, sol)
        return len(jobs)


def test_greedy_always_gives_a_plan_under_the_cap():
    rng = random.Random(5)
    for _ in range(80):
        columns, cap = _random_columns(rng), rng.randint(1, 2)
        cities = []
        for cols in columns:
            c = P.City()
            c.cols = sorted(cols, key=lambda s: s.cost)  # the first known plan is the city's own optimum
            cities.append(c)
        runner = _FakeRunner()
        idx = P.greedy(cities, cap, runner, lambda job, sol: cities[job[0]].record(job[1], sol, closed=True))
        assert idx is not None
        pick = [c.cols[i] for c, i in zip(cities, idx)]
        assert not P.over(pick, cap)
        # a city is solved again only when none of its known plans fits the days already full
        assert all(job[3] for job in runner.jobs)
        if not P.over([min(cols, key=lambda s: s.cost) for cols in columns], cap):
            assert runner.jobs == []  # nothing crowded: every city keeps a known plan
