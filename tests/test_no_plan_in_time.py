"""No plan within the time limit, with candidates: the error names what the plan without them breaks.

A hand instance: two managers' sessions at 华安, spread over the year by ``even_spread`` when nobody waits; 15
candidates all ready in February, 10 seats a session, nobody may wait more than 40 days. The plan without the
candidates puts a session months after February, so its second session is too late for five of them: the rule
instance it breaks is ``waiting[managers:managers]``, which is what the search with the candidates has to mend.
"""
from __future__ import annotations

import datetime as dt

import pytest

from planner.check import check_plan
from planner.data import load_catalogue
from planner.demand import demand_from_dict
from planner.errors import TimeLimitError

from conftest import context_from_doc, tiny_doc

BINDING = "waiting[managers:managers]"


@pytest.fixture(scope="module")
def ctx():
    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 40}},
                   prefs={"even_spread": {"weight": 1, "streams": ["managers"]}})
    plain = context_from_doc(doc)
    demand = demand_from_dict({
        "status": "估计",
        "streams": {"managers": {"arrival_every_days": 31, "retake_lag_days": 30, "categories": {"managers": {
            "first_time": 15, "profile": [0, 1] + [0] * 10, "show_rate": 1, "pass_rate": 1}}}},
        "sites": {"huaan": {"seats_per_day": 10, "days_per_session": 1}}}, "hand.toml", load_catalogue())
    return plain.with_demand(demand)


def test_the_plan_without_candidates_breaks_the_instance_the_model_names(ctx):
    """The check face's detail of each waiting violation is a key the model's face guards (its enforcement
    literal in an explanation), so the workbench and the CLI name it as a conflict names it."""
    from planner.model import build_model
    from planner.solver import _without_candidates

    plan, _, binding = _without_candidates(ctx, 0, 10.0, None)
    assert binding == [BINDING]
    report = check_plan(plan, ctx)
    details = {f"{v.rule}[{v.detail}]" for v in report.violations if v.hard}
    assert details == {BINDING}
    keys = set(build_model(ctx, explain=True).enforcement)
    assert details <= keys


def test_a_search_that_finds_nothing_names_the_binding_category_and_site(ctx, monkeypatch):
    """When the search with the candidates runs out of time, the result carries what the plan without them
    breaks, and the error says it: the category, its candidates and the one site that examines it."""
    import planner.solver as S

    real, started = S._without_candidates, []

    def plain_first(*a, **kw):
        out = real(*a, **kw)
        started.append(True)  # from here on, every solve is the search with the candidates
        return out

    make = S._Clock.solver

    def starved(self, seed, share=1.0):
        s = make(self, seed, share)
        if started:
            s.parameters.max_deterministic_time = 1e-9
        return s

    monkeypatch.setattr(S, "_without_candidates", plain_first)
    monkeypatch.setattr(S._Clock, "solver", starved)
    result = S.solve(ctx, time_limit=10, explain=False)
    assert not result.status.has_plan and result.binding == [BINDING]
    err = S.time_limit_error(result, ctx, 10, "; raise --time-limit")
    assert isinstance(err, TimeLimitError) and err.exit_code == 2 and err.field == "time-limit"
    text = str(err)
    assert "\n" not in text and BINDING in text and "only at 华安 (10 seats a session)" in text
    assert "15 candidates (估计) of" in text  # the demand's count, said to be an estimate
    assert text.startswith("field 'time-limit': no plan found within the time limit (10); raise --time-limit")


def test_without_a_binding_the_error_is_the_plain_one(ctx):
    from planner.solver import Result, Status, time_limit_error

    err = time_limit_error(Result(Status.UNKNOWN, None), ctx, 3)
    assert err.binding == [] and err.message == "no plan found within the time limit (3)"


def test_the_workbench_says_it_in_chinese_with_the_rule_and_the_category(ctx):
    from planner.solver import Result, Status, time_limit_error
    from planner.web import i18n
    from planner.web.jobs import _error

    err = time_limit_error(Result(Status.UNKNOWN, None, binding=[BINDING]), ctx, 10)
    view = i18n.error_view(_error(err), ctx.catalogue)
    assert view["headline"].startswith("求解时限内未找到方案。不考虑考生时的最优方案不满足以下规则")
    [item] = view["items"]
    # the stream and its one category share a name: said once
    assert item["title"] == "考生候考天数上限" and item["detail"] == "高危行业主要负责人和安全管理员"
    assert "增加考试场次或考位" in item["relax"]
    plain = i18n.error_view(_error(time_limit_error(Result(Status.UNKNOWN, None), ctx, 10)), ctx.catalogue)
    assert plain["headline"] == "求解时限内未找到方案，请加大“求解时限”" and plain["items"] == []


def test_a_wall_factor_that_is_not_a_number_from_1_to_1000_is_refused(tmp_path, monkeypatch):
    """PLANNER_WALL_FACTOR makes runs repeat (README): a typo must not quietly fall back to 1. One line naming it,
    exit 2, nothing written."""
    import os
    import subprocess
    import sys

    from planner.errors import PlannerError
    from planner.solver import wall_factor

    for bad in ("5s", "0.5", "inf", "nan", "2000"):
        monkeypatch.setenv("PLANNER_WALL_FACTOR", bad)
        with pytest.raises(PlannerError) as e:
            wall_factor()
        assert e.value.field == "PLANNER_WALL_FACTOR" and repr(bad) in str(e.value)
    for good, f in (("", 1.0), ("5", 5.0), (" 20 ", 20.0)):
        monkeypatch.setenv("PLANNER_WALL_FACTOR", good)
        assert wall_factor() == f
    out = tmp_path / "out"
    env = dict(os.environ, PLANNER_WALL_FACTOR="5s")
    r = subprocess.run([sys.executable, "-m", "planner", "plan", "--year", "2025", "--no-publish", "--out", str(out)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "PLANNER_WALL_FACTOR='5s'" in r.stderr
    assert not out.exists()
    from planner.web import i18n  # the workbench's job says which setting, in Chinese

    assert "PLANNER_WALL_FACTOR（须为 1–1000 之间的数）" in i18n.input_error("PLANNER_WALL_FACTOR", None, catalogue=None)


@pytest.fixture
def clocks(monkeypatch):
    """Every run clock ``solve`` makes, in order."""
    import planner.solver as S

    made = []
    init = S._Clock.__init__

    def spy(self, *a, **kw):
        init(self, *a, **kw)
        made.append(self)

    monkeypatch.setattr(S._Clock, "__init__", spy)
    return made


def test_the_candidates_search_gets_its_calibrated_share_of_deterministic_units(ctx, clocks):
    """With candidates the search's deterministic budget is DEMAND_UNITS_PER_SECOND per second of the limit, so
    that the deterministic limit, not the wall clock, ends it on the reference machine and the plan repeats; the
    wall-clock backstop stays the limit itself. Without candidates a second is one unit, as before."""
    import planner.solver as S

    limit = 5.0
    S.solve(ctx, time_limit=limit, explain=False)
    plain, main = clocks[0], clocks[-1]
    # the year planned without candidates first: a quarter of the limit in units, half of it on the wall clock
    assert plain.limit == pytest.approx(limit / 4) and plain.wall == pytest.approx(limit / 2 * S.wall_factor())
    assert main.limit == pytest.approx(limit * S.DEMAND_UNITS_PER_SECOND)
    assert main.wall == pytest.approx(limit * S.wall_factor())
    assert main.det_used <= main.limit * 1.05  # CP-SAT stops within a sliver of its budget
    clocks.clear()
    S.solve(ctx.with_demand(None), time_limit=limit, explain=False)
    assert [c.limit for c in clocks] == [limit]


def test_the_wall_clock_backstop_counts_the_plan_without_candidates_too(ctx, clocks, monkeypatch):
    """The time limit is the whole run's: the main search's wall-clock budget starts before the year is planned
    without its candidates (at 240 sessions that phase and the spans took 6-10 s, and a 30 s run took 38 s)."""
    import time

    import planner.solver as S

    entered = []
    plain = S._without_candidates

    def first(*a, **kw):
        entered.append(time.perf_counter())
        return plain(*a, **kw)

    monkeypatch.setattr(S, "_without_candidates", first)
    S.solve(ctx, time_limit=5.0, explain=False)
    assert len(entered) == 1 and clocks[-1].start <= entered[0]


def _broken_reference(ctx):
    """The hand instance without candidates, and its best plan with the first session moved to a weekend day, so
    that a re-plan must change it."""
    import dataclasses

    import planner.solver as S

    plain = ctx.with_demand(None)
    best = S.solve(plain, time_limit=10, explain=False).plan
    first = min(best.sessions, key=lambda s: s.exam_date)
    day = next(first.exam_date + dt.timedelta(days=k) for k in range(1, 8)
               if not plain.calendar.is_working_day(first.exam_date + dt.timedelta(days=k)))
    moved = dataclasses.replace(first, exam_date=day, registration_deadline=day - dt.timedelta(days=5))
    reference = dataclasses.replace(best, sessions=tuple(moved if s is first else s for s in best.sessions))
    assert not check_plan(reference, plain).ok
    return plain, reference


def _against(plan, reference) -> tuple[int, int]:
    """(sessions changed, days moved) of *plan* against *reference*, counted by hand: a session is changed when its
    exam day, deadline, site or kind differs."""
    ref = reference.by_key()
    changed = sum((s.exam_date, s.registration_deadline, s.institution, s.kind) !=
                  (ref[s.key].exam_date, ref[s.key].registration_deadline, ref[s.key].institution, ref[s.key].kind)
                  for s in plan.sessions)
    return changed, sum(abs((s.exam_date - ref[s.key].exam_date).days) for s in plan.sessions)


def test_a_tier_the_limit_stopped_is_reported_as_its_plan_has_it(ctx, monkeypatch):
    """The second tier's search (days moved) comes back unproven, as when the limit stops it, and the third runs in
    full: the result is TIME_LIMIT, its plan keeps every rule, and its cost and the tiers it reports, after the
    search over the deadlines from that tier on, are those counted on the plan."""
    from ortools.sat.python import cp_model

    import planner.solver as S

    plain, reference = _broken_reference(ctx)
    real, calls = S.confirm_infeasible, []

    def unproven_second(m, clock, solver, status):
        solver, status = real(m, clock, solver, status)
        calls.append(status)
        return solver, (cp_model.FEASIBLE if len(calls) == 2 and status == cp_model.OPTIMAL else status)

    monkeypatch.setattr(S, "confirm_infeasible", unproven_second)
    monkeypatch.setattr(S, "_first_plan", lambda *a: True)  # one solve per tier (the start is tested on its own)
    result = S.solve(plain, reference=reference, time_limit=10, explain=False)
    assert len(calls) == 3 and result.status == S.Status.TIME_LIMIT and result.unsearched == []
    assert check_plan(result.plan, plain).ok and result.objective == check_plan(result.plan, plain).objective
    changed, moved_days = _against(result.plan, reference)
    assert result.tiers == {"sessions_changed": changed, "days_moved": moved_days}


def _starve_after_first_solve(monkeypatch):
    """Every CP-SAT search after the first gets no time: the limit ends the run right after the first tier."""
    import planner.solver as S

    make, calls = S._Clock.solver, []

    def starved(self, seed, share=1.0):
        s = make(self, seed, share)
        if calls:
            s.parameters.max_deterministic_time = 1e-9
        calls.append(True)
        return s

    monkeypatch.setattr(S._Clock, "solver", starved)
    return calls


@pytest.mark.parametrize("way", ["later tier finds nothing", "no time left"])
def test_a_plan_in_hand_is_returned_when_the_limit_ends_a_later_tier(ctx, monkeypatch, way):
    """A re-plan's first tier (fewest sessions changed) finds a plan and the limit then ends the run: the result is
    that plan, not "no plan found" (a re-plan with +20 % candidates reported none after finding one). Its later
    tiers are read off the plan itself, its status says the limit stopped it, and it keeps every rule."""
    import dataclasses

    import planner.solver as S

    plain, reference = _broken_reference(ctx)
    monkeypatch.setattr(S, "_first_plan", lambda *a: True)  # the first solve is the first tier's
    if way == "later tier finds nothing":
        _starve_after_first_solve(monkeypatch)
    else:
        account = S._Clock.account

        def spent(self, solver, status):  # the first tier's search uses the whole limit
            account(self, solver, status)
            self.det_used = self.limit
        monkeypatch.setattr(S._Clock, "account", spent)
    result = S.solve(plain, reference=reference, time_limit=10, explain=False)
    assert result.status == S.Status.TIME_LIMIT and result.plan is not None
    assert result.stopped_by == "deterministic limit"
    assert check_plan(result.plan, plain).ok
    changed, moved_days = _against(result.plan, reference)
    assert result.tiers == {"sessions_changed": changed, "days_moved": moved_days} and changed >= 1
    assert result.unsearched == ["days_moved", "preferences"]  # read off the plan, and said so
    assert "days_moved: %d (only the deadlines searched" % moved_days in result.summary()
    assert result.objective == check_plan(result.plan, plain).objective
    assert result.bound is not None and 0 <= result.bound <= result.objective


def test_the_deadlines_of_a_plan_in_hand_are_searched_with_everything_else_held():
    """The search over the deadlines alone (what a re-plan the limit stopped early still gets): three managers'
    sessions whose deadlines sit 12 days before the exam, where 5 is preferred and 4 to 14 allowed. Holding the
    days, sites and kinds, the best deadlines are 5 days before each exam (a cost of 0, worked out by hand), and
    nothing else of the plan moves."""
    import planner.solver as S
    from planner.lns import load
    from planner.model import build_model

    doc = tiny_doc(managers=3, rules={"working_day": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14}},
                   prefs={"preferred_gap": {"weight": 3, "days": 5}})
    ctx = context_from_doc(doc)
    plan = S.solve(ctx, time_limit=10, explain=False).plan
    far = dataclasses_replace_deadlines(plan, 12)
    assert check_plan(far, ctx).ok and check_plan(far, ctx).objective == 3 * 7 * 3
    mv = build_model(ctx)
    S._hint(mv, far)
    clock = S._Clock(10)
    assert S._complete_hint(mv, clock, 0)
    held = load(mv.model, S._hinted_values(mv.model), clock, 0)
    pref = mv.objective_expr()
    best = S._deadlines_only(mv, [("preferences", pref)], held, clock, 0)
    out = S._extract(mv, best, ctx, None)
    assert S.objective_at(best, pref) == 0 == check_plan(out, ctx).objective
    assert [(s.exam_date, s.institution, s.kind) for s in out.sessions] == \
        [(s.exam_date, s.institution, s.kind) for s in far.sessions]
    assert all((s.exam_date - s.registration_deadline).days == 5 for s in out.sessions)


def dataclasses_replace_deadlines(plan, days):
    import dataclasses

    return dataclasses.replace(plan, sessions=tuple(
        dataclasses.replace(s, registration_deadline=s.exam_date - dt.timedelta(days=days)) for s in plan.sessions))


def test_the_start_nearest_by_days_moved_changes_no_tier(ctx, monkeypatch):
    """A re-plan without candidates whose search finds no first plan at once starts from the plan that moves the
    fewest days (``_warm_start``; forced here): on references broken in different ways (each session in turn moved
    to a weekend day), the tiers and the cost, each proven, are those of the search from the reference."""
    import dataclasses

    import planner.solver as S

    plain, _ = _broken_reference(ctx)
    best = S.solve(plain, time_limit=10, explain=False).plan
    seen = 0
    for s in sorted(best.sessions, key=lambda s: s.exam_date):
        day = next(s.exam_date + dt.timedelta(days=k) for k in range(1, 8)
                   if not plain.calendar.is_working_day(s.exam_date + dt.timedelta(days=k)))
        moved = dataclasses.replace(s, exam_date=day, registration_deadline=day - dt.timedelta(days=5))
        reference = dataclasses.replace(best, sessions=tuple(moved if x is s else x for x in best.sessions))
        with monkeypatch.context() as mp:
            mp.setattr(S, "_first_plan", lambda *a: False)
            with_start = S.solve(plain, reference=reference, time_limit=10, explain=False)
        with monkeypatch.context() as mp:
            mp.setattr(S, "_first_plan", lambda *a: True)
            without = S.solve(plain, reference=reference, time_limit=10, explain=False)
        assert with_start.status == without.status == S.Status.OPTIMAL
        assert (with_start.tiers, with_start.objective) == (without.tiers, without.objective)
        assert check_plan(with_start.plan, plain).ok
        seen += 1
    assert seen == len(best.sessions) >= 2
