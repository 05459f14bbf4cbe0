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
           "streams": {"managers": {"arrival_every_days": 31, "categories": {"managers": {
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


def test_the_least_count_is_proven_where_the_seats_alone_say_less():
    """15 candidates in three batches four months apart (February, June, October), 10 seats a session, a 60-day
    limit: the seats alone say 2 sessions, but no session can seat two batches in time, so 3 — proven by the
    count probes (2 is impossible), not found by search."""
    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 60}})
    ctx = context_from_doc(doc)
    demand = demand_from_dict({
        "status": "估计",
        "streams": {"managers": {"arrival_every_days": 31, "categories": {"managers": {
            "first_time": 15, "profile": [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], "show_rate": 1, "pass_rate": 1}}}},
        "sites": {"huaan": {"seats_per_day": 10, "days_per_session": 1, "max_days": 1}}}, "hand.toml", load_catalogue())
    sized = size(ctx, demand, bounds={"managers": (1, 5)}, time_limit=30)
    assert sized.capacity_bound == 2 and sized.probe_bound == 3
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3} and sized.gap == 0
    assert check_plan(sized.result.plan, sized.ctx).ok
