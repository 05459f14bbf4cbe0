"""The plain-Python local search that starts the search with candidates (planner.descent): its queue agrees with the
check faces of ``waiting`` and ``short_wait``, a move is priced as a whole recomputation prices it, and the plan it
returns keeps every rule, costs what check says, never more than its start, keeps the pins and repeats."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

from planner import descent
from planner.check import check_plan
from planner.queueing import evaluate
from planner.rules.waiting import overdue_at_sessions

from test_lns import demand_year
from test_queueing import small_plan, small_year  # noqa: F401  (fixtures)


def queues(ctx, plan):
    waiting, short = ctx.ruleset.rule("waiting"), ctx.ruleset.rule("short_wait")
    return {sid: descent.StreamQueue(sf, sorted(plan.stream(sid), key=lambda s: s.no), ctx.window[1],
                                     short.target_days, waiting.max_wait_days)
            for sid, sf in ctx.demand.streams.items()}


def moved(plan, rng: random.Random, n: int):
    """*plan* with *n* sessions' exam days and deadlines moved at random (rules may break: the faces are compared
    on any plan)."""
    ss = list(plan.sessions)
    for i in rng.sample(range(len(ss)), n):
        s = ss[i]
        day = s.exam_date + dt.timedelta(days=rng.randint(-12, 12))
        ss[i] = dataclasses.replace(s, exam_date=day, registration_deadline=day - dt.timedelta(days=rng.randint(-2, 16)))
    return plan.with_sessions(ss)


def test_the_queue_counts_what_short_wait_and_waiting_count(small_year, small_plan):
    """On the hand-spread plan and random moves of it under three demands: the late candidates are short_wait's
    cost, and the overdue ones are what waiting's check face counts (at each session and at the window's end)."""
    rng = random.Random(3)
    short, waiting = small_year.ruleset.rule("short_wait"), small_year.ruleset.rule("waiting")
    seen = set()
    for seed in range(3):
        ctx = demand_year(small_year, seed)
        for plan in [small_plan] + [moved(small_plan, rng, rng.randint(1, 6)) for _ in range(15)]:
            qs = queues(ctx, plan)
            load = evaluate(plan, ctx)
            overdue = 0
            for cat in load.categories:
                late, carried = overdue_at_sessions(cat, ctx.demand.streams[cat.stream], plan.stream(cat.stream),
                                                    waiting.max_wait_days)
                overdue += sum(n for _, n in late) + carried
            assert sum(q.late for q in qs.values()) == short.cost(plan, ctx)
            assert sum(q.overdue for q in qs.values()) == overdue
            seen.add(overdue > 0)
    assert seen == {True, False}  # plans that keep the limit and plans that break it were compared


def test_a_move_is_priced_as_the_whole_queue_recomputed_prices_it(small_year, small_plan):
    rng = random.Random(7)
    ctx = demand_year(small_year, 1)
    for _ in range(40):
        plan = moved(small_plan, rng, 2)
        qs = queues(ctx, plan)
        sid = rng.choice(sorted(qs))
        q = qs[sid]
        idx = rng.sample(range(len(q.sessions)), min(len(q.sessions), rng.randint(1, 3)))
        change = {i: s for i, s in zip(idx, moved(plan.with_sessions([q.sessions[i] for i in idx]), rng,
                                                  len(idx)).sessions)}
        change = {i: dataclasses.replace(s, no=q.sessions[i].no) for i, s in change.items()}
        late, overdue = q.priced(change)
        whole = descent.StreamQueue(ctx.demand.streams[sid], [change.get(i, s) for i, s in enumerate(q.sessions)],
                                    ctx.window[1], q.target, q.limit)
        assert (late, overdue) == (whole.late, whole.overdue + whole.disorder)


def test_the_search_keeps_every_rule_costs_what_check_says_and_repeats(small_year, small_plan):
    tried = 0
    for seed in range(6):
        ctx = demand_year(small_year, seed)
        before = check_plan(small_plan, ctx)
        if not before.ok:
            continue  # a demand the hand-spread plan cannot seat in time: the last test's case
        tried += 1
        runs = [descent.improve(small_plan, ctx, 20_000) for _ in range(2)]
        out = runs[0]
        after = check_plan(out.plan, ctx)
        assert after.ok and out.overdue == 0
        assert after.objective == out.cost <= before.objective
        assert out.moves <= 20_000
        assert (runs[0].plan, runs[0].cost, runs[0].moves) == (runs[1].plan, runs[1].cost, runs[1].moves)
    assert tried >= 3
    assert out.kept >= 1 and out.cost < before.objective  # the hand-spread plan leaves candidates late


def test_the_search_stops_at_its_budget_and_leaves_pinned_sessions_where_they_are(small_year, small_plan):
    ctx = demand_year(small_year, 1)
    assert descent.improve(small_plan, ctx, 5).moves == 5
    free = descent.improve(small_plan, ctx, 20_000)
    changed = {s.key for s in free.plan.sessions} - {s.key for s in free.plan.sessions if s in small_plan.sessions}
    assert changed
    held = descent.improve(small_plan, ctx, 20_000, held=changed)
    by_key = held.plan.by_key()
    assert all(by_key[k] == small_plan.by_key()[k] for k in changed)
    assert check_plan(held.plan, ctx).ok


def test_a_plan_that_breaks_the_waiting_limit_comes_back_with_fewer_overdue(small_year, small_plan):
    """Under the demand of seed 0 the hand-spread plan leaves a candidate unseated past the limit at the year's end:
    the search first seats everyone in time (lexicographically before the cost), and its plan keeps every rule."""
    ctx = demand_year(small_year, 0)
    bad = small_plan
    report = check_plan(bad, ctx)
    assert not report.ok and {v.rule for v in report.violations if v.hard} == {"waiting"}
    start = sum(q.overdue + q.disorder for q in queues(ctx, bad).values())
    out = descent.improve(bad, ctx, 50_000)
    assert start > 0 and out.overdue == 0
    after = check_plan(out.plan, ctx)
    assert after.ok and after.objective == out.cost


def test_solve_with_candidates_starts_from_the_searched_plan(small_year, monkeypatch):
    """``solve`` runs the search on the plan without candidates, and its result costs no more than that plan."""
    from planner.solver import solve

    ctx = demand_year(small_year, 2)
    seen = []
    improve = descent.improve
    monkeypatch.setattr(descent, "improve", lambda *a, **kw: seen.append(improve(*a, **kw)) or seen[-1])
    r = solve(ctx, time_limit=3)
    assert len(seen) == 1 and r.report.ok
    assert r.objective <= seen[0].cost or seen[0].overdue
