"""planner size: the fewest sessions, then the fewest exam days — on instances worked out by hand, and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from planner.check import check_plan
from planner.data import load_catalogue
from planner.demand import demand_from_dict
from planner.sizing import size

from conftest import context_from_doc, tiny_doc


#: one managers' site, the hard rules a session needs and a waiting limit: the rule set of the hand-sized cases
HAND_RULES = """name = "hand"
[streams.managers]
sites = ["huaan"]
[rules.numbering]
[rules.kind]
[rules.working_day]
[rules.plan_window]
[rules.registration_gap]
min_days = 4
max_days = 14
[rules.session_count.sessions]
managers = 4
[rules.waiting]
max_wait_days = 200
"""


def one_batch(candidates: int, seats: int, max_days: int):
    """Every candidate ready on one day (all arrive in February, counted on the window's first ready day)."""
    doc = {"status": "估计",
           "streams": {"managers": {"arrival_every_days": 31, "retake_lag_days": 30, "categories": {"managers": {
               "first_time": candidates, "profile": [0, 1] + [0] * 10, "show_rate": 1, "pass_rate": 1}}}},
           "sites": {"huaan": {"seats_per_day": seats, "days_per_session": 1, "max_days": max_days}}}
    return demand_from_dict(doc, "hand.toml", load_catalogue())


@pytest.fixture(scope="module")
def year():
    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 200}})
    return context_from_doc(doc)


@pytest.mark.parametrize("max_days, sessions, exam_days", [
    (1, 3, 3),  # 25 candidates, 10 seats a day, one day a session: three sessions
    (2, 2, 4),  # two days a session: two sessions; every session at 华安 takes as many days, so 4 exam days
    (3, 1, 3),  # three days: one session of three days
])
def test_fewest_sessions_then_fewest_exam_days_worked_by_hand(year, max_days, sessions, exam_days):
    demand = one_batch(25, 10, max_days)
    sized = size(year, demand, bounds={"managers": (1, 5)}, time_limit=30)
    assert sized.status == "OPTIMAL" and sized.gap == 0
    assert sized.sessions == {"managers": sessions} and sized.exam_days == exam_days
    assert sized.days[("managers", "huaan")] == exam_days // sessions
    plan = sized.result.plan
    assert len(plan.sessions) == sessions
    assert check_plan(plan, sized.ctx).ok  # the sized plan passes check with the chosen days


def test_the_capacity_bound_is_the_seats_alone(year):
    from planner.sizing import capacity_bound

    ctx = year.with_demand(one_batch(25, 10, 2))
    assert capacity_bound(ctx.demand.streams["managers"], 200, ctx.window[1]) == 2  # 25 / (10 × 2) rounded up


def test_planner_size_writes_sizing_csv_and_the_chosen_days(tmp_path):
    from planner.demand import demand_to_toml

    d = tmp_path / "hand.toml"
    d.write_text(demand_to_toml(one_batch(25, 10, 2)), encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(HAND_RULES, encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "planner", "size", "--year", "2024", "--rules", str(rules), "--demand",
                        str(d), "--out", str(out), "--no-publish", "--time-limit", "30"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "proven optimal" in r.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sizing"]["sessions"] == {"managers": 2} and summary["sizing"]["gap"] == 0
    rows = (out / "sizing.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("考试计划,类别,预计考生") and rows[1].split(",")[3] == "2"
    assert "days_per_session = 2" in (out / "demand.toml").read_text(encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "planner", "check", str(out / "plan.csv"), "--scenario",
                        str(out / "sizing.toml"), "--demand", str(out / "demand.toml")], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def test_size_without_any_site_for_a_category_exits_3_naming_it(tmp_path):
    d = tmp_path / "coal.toml"
    d.write_text("""status = "估计"
[streams.special_ops]
arrival_every_days = 7
retake_lag_days = 30
[streams.special_ops.categories.coal_mine]
first_time = 500
[sites.huaan]
seats_per_day = 50
""", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "planner", "size", "--year", "2025", "--demand", str(d), "--out",
                        str(tmp_path / "out"), "--no-publish", "--time-limit", "20", "--rules",
                        str(__import__("planner.data", fromlist=["x"]).constraints_dir() / "yuncheng.toml")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 3, r.stderr
    assert "coal_mine" in r.stderr and not (tmp_path / "out").exists()


def three_batches():
    """15 candidates in three batches four months apart (February, June, October), 10 seats a session."""
    return demand_from_dict({
        "status": "估计",
        "streams": {"managers": {"arrival_every_days": 31, "retake_lag_days": 30, "categories": {"managers": {
            "first_time": 15, "profile": [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], "show_rate": 1, "pass_rate": 1}}}},
        "sites": {"huaan": {"seats_per_day": 10, "days_per_session": 1, "max_days": 1}}}, "hand.toml", load_catalogue())


def test_the_least_count_is_proven_where_the_seats_alone_say_less():
    """Three batches four months apart, 10 seats a session, a 60-day limit: the seats alone say 2 sessions, but
    no session can seat two batches in time, so 3 — the queue's timing says so before any model (queue_bound)."""
    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 60}})
    sized = size(context_from_doc(doc), three_batches(), bounds={"managers": (1, 5)}, time_limit=30)
    assert sized.capacity_bound == 2 and sized.queue_bound == 3 and sized.probe_bound == 3
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3} and sized.gap == 0
    assert check_plan(sized.result.plan, sized.ctx).ok


def test_the_least_count_is_proven_by_the_probes_where_no_plain_bound_sees_it():
    """25 candidates ready in February, 50 seats a session: the seats and the queue say one session. But an exam
    at least every 100 days, counted from the window's opening and to its end (coverage with its edges), over
    the 2024 window of 344 days needs 3: two sessions leave 3 gaps of at most 100 days, 300 < 344; three leave
    4, 400 >= 344. Only the count probes know the rule; they prove 1 and 2 impossible."""
    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "coverage": {"max_days_between_opportunities": 100,
                                                   "include_window_edges": True, "streams": {"managers": "all"}},
                                      "waiting": {"max_wait_days": 200}})
    ctx = context_from_doc(doc)
    assert (ctx.window[1] - ctx.window[0]).days == 344  # the hand calculation's premise
    sized = size(ctx, one_batch(25, 50, 1), bounds={"managers": (1, 5)}, time_limit=30)
    assert sized.queue_bound == 1 and sized.probe_bound == 3
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3} and sized.gap == 0
    assert check_plan(sized.result.plan, sized.ctx).ok


def test_the_tiers_way_finds_the_same_answer(year, monkeypatch):
    """When the fast way does not settle the counts (time, or least counts that do not fit together), the first
    fit and the tiers answer: the same fewest sessions and exam days on the hand-worked case."""
    import planner.sizing as sizing

    monkeypatch.setattr(sizing, "_settle", lambda *a, **k: (None, 0))
    sized = size(year, one_batch(25, 10, 2), bounds={"managers": (1, 5)}, time_limit=30)
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 2} and sized.exam_days == 4
    assert check_plan(sized.result.plan, sized.ctx).ok


def test_a_short_time_limit_fits_first_then_settles_the_counts(year):
    """Below FAST_FIRST the first fit goes first (a plan whatever the load), then the fast way proves the count."""
    from planner.sizing import FAST_FIRST

    assert 0.6 * 10 < FAST_FIRST
    sized = size(year, one_batch(25, 10, 2), bounds={"managers": (1, 5)}, time_limit=10)
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 2} and sized.exam_days == 4
    assert sized.probe_bound == 2 and check_plan(sized.result.plan, sized.ctx).ok


def hand_facts(ready_every: int, arrivals: list[int], quota: dict, max_days: dict):
    """A stream's queue inputs made by hand: one category per quota key's second part, ready every
    *ready_every* days from 2025-01-01 (day 0)."""
    import datetime as dt

    from planner.demand import StreamFacts

    day0 = dt.date(2025, 1, 1)
    cats = sorted({c for _, c in quota})
    return StreamFacts("hand", tuple(day0 + dt.timedelta(days=ready_every * i) for i in range(len(arrivals))),
                       {c: tuple(arrivals) for c in cats}, quota, dict(max_days), dict(max_days),
                       {site: 1 for site, _ in quota}), day0


def test_queue_bound_worked_by_hand():
    """10 candidates ready every 10 days from day 0 to day 90 (100 in all), 50 seats a session (25 a day, two
    days), a 30-day limit, registration closing at least 5 days before the exam. The first unseated is ready on
    day 0, so the first exam is by day 30 and seats those ready by day 25: 30. Then first unseated day 30: exam by
    day 60, ready by 55: 60 (50 seats, 30 new). Then 90, then 100: 4 sessions, where the seats alone say 2."""
    import datetime as dt

    from planner.sizing import capacity_bound, queue_bound

    facts, day0 = hand_facts(10, [10] * 10, {("a", "x"): 25}, {"a": 2})
    end = day0 + dt.timedelta(days=365)  # everyone must be seated within the year
    assert capacity_bound(facts, 30, end) == 2
    assert queue_bound(facts, 30, end, 5) == 4
    # without a registration deadline any session may seat anyone ready by then: 50, then 100 — the seats' 2
    assert queue_bound(facts, 30, end, None) == 2
    # a window ending on day 100: only those ready by day 100 − 31 = 69 must be seated (70): 30, 60, 90 → 3
    assert queue_bound(facts, 30, day0 + dt.timedelta(days=100), 5) == 3
    # a limit shorter than the registration gap seats nobody in time: no count does
    assert queue_bound(facts, 3, end, 5) is None


def test_seats_bound_counts_the_sites_a_category_may_use():
    """30 candidates of x examined only at a, 30 of y only at b, 10 seats a session each: the best site's seats
    say 3 sessions, but a session sits at one site, so 3 at a and 3 at b: 6. A site c seating 10 of each in
    one session brings it back to 3."""
    import datetime as dt

    from planner.sizing import capacity_bound, seats_bound

    facts, day0 = hand_facts(1, [30], {("a", "x"): 10, ("b", "y"): 10}, {"a": 1, "b": 1})
    end = day0 + dt.timedelta(days=365)
    assert capacity_bound(facts, 30, end) == 3 and seats_bound(facts, 30, end) == 6
    facts, _ = hand_facts(1, [30], {("a", "x"): 10, ("b", "y"): 10, ("c", "x"): 5, ("c", "y"): 5},
                          {"a": 1, "b": 1, "c": 2})
    assert seats_bound(facts, 30, end) == 3


def test_a_dated_licence_keeps_its_site_when_the_count_becomes_a_decision():
    """huaan_closed_ruiyang_licensed licenses 瑞阳 for the managers' exams while 华安 is closed, which adds 瑞阳 to
    that fixed-count stream's sites. Sizing makes the count a range: the stream keeps 瑞阳 (it used to lose it, and
    `planner size --scenario` then refused the licence as naming a site of no stream, where `planner plan` ran)."""
    from planner.data import scenarios_dir
    from planner.scenario import load_scenario
    from planner.sizing import _with_counts

    ctx = load_scenario(scenarios_dir() / "huaan_closed_ruiyang_licensed.toml").ctx
    assert "ruiyang" in ctx.streams["managers"].sites
    for counts in ({"managers": {"min": 1, "max": 22}}, {"managers": 5, "special_ops": {"min": 1, "max": 96}}):
        ranged = _with_counts(ctx, counts, None)
        assert {sid: s.sites for sid, s in ranged.streams.items()} == {sid: s.sites for sid, s in ctx.streams.items()}


def test_a_year_the_rules_alone_rule_out_is_infeasible_whatever_the_counts(monkeypatch):
    """juteng_closed_quarter closes the only site of some electrical types for a quarter: no count of sessions can
    help. When the sizing finds nothing in time (here: its searches made to find nothing at once), it asks the year
    without candidates, every count free within its bounds, and ends INFEASIBLE with the conflict, in the one line the
    command and the workbench print (it used to end "no sizing found within the time limit; raise --time-limit").
    A year that has a plan stays undecided."""
    import planner.sizing as Z
    from planner.data import scenarios_dir
    from planner.demand import load_demand
    from planner.scenario import load_scenario

    monkeypatch.setattr(Z, "_first_fit", lambda *a, **kw: None)
    monkeypatch.setattr(Z, "_settle", lambda *a, **kw: (None, 0))
    monkeypatch.setattr(Z, "_tiers", lambda *a, **kw: None)
    sized = {}
    for name in ("juteng_closed_quarter", "baseline_next_year"):
        ctx = load_scenario(scenarios_dir() / f"{name}.toml").ctx
        sized[name] = size(ctx, load_demand(None, ctx.catalogue), max_wait=60, time_limit=10)
        assert sized[name].result is None
    ok = sized["baseline_next_year"]
    assert ok.status == "UNKNOWN" and not ok.rules_alone and not ok.conflict
    sized = sized["juteng_closed_quarter"]
    assert sized.status == "INFEASIBLE" and sized.rules_alone
    assert sized.infeasible_message().startswith("no plan satisfies the rules together, whatever the session counts: ")
    assert [line.partition(" ")[0] for line in sized.conflict] == ["coverage[special_ops:elec_cable]",
                                                                    "institution_open[juteng]"], sized.conflict


def test_a_sizing_conflict_the_time_limit_left_unproven_says_so(monkeypatch):
    """When the time limit ends the explanation before it proves every item needed, the sizing's one line says the
    set is not proven minimal, as `planner plan`'s does (it used to read as a proven conflict), and the exception
    the command and the workbench raise carries it."""
    import planner.sizing as Z
    import planner.solver as S
    from planner.data import scenarios_dir
    from planner.demand import load_demand
    from planner.errors import InfeasibleError
    from planner.scenario import load_scenario

    monkeypatch.setattr(Z, "_first_fit", lambda *a, **kw: None)
    monkeypatch.setattr(Z, "_settle", lambda *a, **kw: (None, 0))
    monkeypatch.setattr(Z, "_tiers", lambda *a, **kw: None)
    explain = S.explain_infeasibility
    monkeypatch.setattr(S, "explain_infeasibility", lambda *a, **kw: (explain(*a, **kw)[0], False))
    ctx = load_scenario(scenarios_dir() / "juteng_closed_quarter.toml").ctx
    sized = size(ctx, load_demand(None, ctx.catalogue), max_wait=60, time_limit=10)
    assert sized.status == "INFEASIBLE" and not sized.conflict_minimal
    assert sized.infeasible_message().endswith(S.NOT_MINIMAL)
    monkeypatch.setattr(S, "explain_infeasibility", explain)
    sized = size(ctx, load_demand(None, ctx.catalogue), max_wait=60, time_limit=10)
    assert sized.conflict_minimal and S.NOT_MINIMAL not in sized.infeasible_message()
    assert InfeasibleError(sized.infeasible_message(), sized.conflict, sized.conflict_minimal).minimal
