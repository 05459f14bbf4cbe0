"""planner size: bounds too tight for the probes, plain-Python proofs of impossibility, the fast way under a short
time limit, candidates of a stream counted per site — each on a case worked out by hand."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from planner.check import check_plan
from planner.data import load_catalogue
from planner.demand import demand_from_dict
from planner.errors import PlannerError
from planner.sizing import size

from conftest import context_from_doc, tiny_doc
from test_sizing import HAND_RULES

#: a demand stream's facts as the shipped estimate states them (假设, constraints/demand_basis.csv)
WEEKLY = {"arrival_every_days": 7, "retake_lag_days": 30}

GAP = {"min_days": 4, "max_days": 14}


def batch(streams: dict, sites: dict):
    """A demand by hand: *streams* {stream: {category: candidates}}, everyone ready in February (one ready day, the
    window's first), everyone shows up and passes; *sites* {site: (seats a day, longest session)}."""
    doc = {"status": "估计",
           "streams": {sid: {"arrival_every_days": 31, "retake_lag_days": 30, "categories": {c: {
               "first_time": n, "profile": [0, 1] + [0] * 10, "show_rate": 1, "pass_rate": 1} for c, n in cats.items()}}
               for sid, cats in streams.items()},
           "sites": {site: {"seats_per_day": seats, "days_per_session": 1, "max_days": days}
                     for site, (seats, days) in sites.items()}}
    return demand_from_dict(doc, "hand.toml", load_catalogue())


def coverage_year(**rules):
    """Managers at 华安 with an exam at least every 100 days, window edges included: over the 2024 window of 344
    days two sessions leave 3 gaps of at most 100 days (300 < 344), three leave 4 — so 3 sessions at least, which
    only a model of the rules knows (the seats and the queue say 1 for 25 candidates at 50 seats)."""
    doc = tiny_doc(managers=2, special_ops=4, rules={
        "working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2}, "registration_gap": GAP,
        "coverage": {"max_days_between_opportunities": 100, "include_window_edges": True,
                     "streams": {"managers": "all"}},
        "waiting": {"max_wait_days": 200}, **rules})
    return context_from_doc(doc)


# -- 1. bounds the count probes prove too tight -------------------------------------------------------------------
def test_bounds_the_probes_rule_out_end_infeasible_naming_the_rules_that_bind():
    """managers 2…2 where coverage needs 3 (above): the probes prove 2 impossible and the stream's least count, 3,
    passes its bounds. The other stream (special_ops: 100 of 危险化学品, only at 华安, 50 seats a session: at least 2)
    was then probed with managers' range (3, 2), which the rule set refused, blaming the rules file (exit 2). Now
    INFEASIBLE, and the rules that bind explained: coverage of managers against its count."""
    ctx = coverage_year()
    demand = batch({"managers": {"managers": 25}, "special_ops": {"hazchem": 100}}, {"huaan": (50, 1)})
    sized = size(ctx, demand, bounds={"managers": (2, 2), "special_ops": (1, 8)}, time_limit=20)
    assert sized.status == "INFEASIBLE" and sized.result is None
    heads = [line.partition(" ")[0] for line in sized.conflict]
    assert any(h.startswith("coverage[managers") for h in heads), sized.conflict
    assert "session_count[managers]" in heads and "2…2 sessions" in sized.infeasible_message()
    # the same bounds one wider have a plan: 3 proven, as the probes say
    sized = size(ctx, demand, bounds={"managers": (2, 3), "special_ops": (1, 8)}, time_limit=20)
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3, "special_ops": 2}


def test_a_count_of_zero_is_a_bound_like_any_other():
    """--sessions S=0:MAX is valid input (0 <= MIN): a stream with candidates at 0…0 is infeasible, named by its
    seats (25 candidates, 10 seats: 3 sessions); a stream without candidates sized 0…3 gets none, and the plan
    passes check."""
    ctx = context_from_doc(tiny_doc(managers=2, special_ops=4, rules={
        "working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2}, "registration_gap": GAP,
        "waiting": {"max_wait_days": 200}}))
    demand = batch({"managers": {"managers": 25}}, {"huaan": (10, 1)})
    sized = size(ctx, demand, bounds={"managers": (0, 0)}, time_limit=20)
    assert sized.status == "INFEASIBLE"
    assert [line.partition(" ")[0] for line in sized.conflict] == ["session_count[managers]",
                                                                   "waiting[managers:managers]"]
    assert "at least 3 sessions of managers are needed, the bounds allow at most 0" in sized.reason
    sized = size(ctx, demand, bounds={"managers": (1, 5), "special_ops": (0, 3)}, time_limit=20)
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3, "special_ops": 0}
    assert not sized.result.plan.stream("special_ops") and check_plan(sized.result.plan, sized.ctx).ok


#: the hand rule set of test_sizing with a second stream at two sites (special_ops, 2 sessions)
RULES = HAND_RULES.replace('sites = ["huaan"]\n', 'sites = ["huaan"]\n[streams.special_ops]\nsites = ["huaan", "juteng"]\n', 1) \
    .replace("managers = 4\n", "managers = 4\nspecial_ops = 2\n", 1)


def run_size(tmp_path, *args, demand=None):
    from planner.demand import demand_to_toml

    d = tmp_path / "hand.toml"
    d.write_text(demand_to_toml(demand or batch({"managers": {"managers": 25}}, {"huaan": (10, 1)})),
                 encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "planner", "size", "--year", "2024", "--rules", str(rules),
                           "--demand", str(d), "--out", str(tmp_path / "out"), "--no-publish", "--time-limit", "20",
                           *args], capture_output=True, text=True, timeout=600)


def test_cli_zero_bounds_exit_3_or_plan_never_blame_the_rules_file(tmp_path):
    """The command line: managers=0:0 exits 3 naming the category (it exited 2 blaming rules.toml); special_ops=0:3
    without candidates plans none, and the written sizing.toml states it so that check accepts the plan."""
    r = run_size(tmp_path, "--sessions", "managers=0:0")
    assert r.returncode == 3, r.stderr
    assert "waiting[managers:managers]" in r.stderr and "rules.toml" not in r.stderr
    r = run_size(tmp_path, "--sessions", "special_ops=0:3")
    assert r.returncode == 0, r.stderr
    assert "special_ops=0" in r.stdout and "proven optimal" in r.stdout
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "planner", "check", str(out / "plan.csv"), "--scenario",
                        str(out / "sizing.toml"), "--demand", str(out / "demand.toml")], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


# -- 2. and 5. impossible whatever the count, proven in plain Python -----------------------------------------------
def hand_year(**rules):
    return context_from_doc(tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {},
                                                        "registration_gap": GAP, **rules}))


@pytest.mark.parametrize("time_limit", [0.5, 20])
def test_a_waiting_limit_shorter_than_the_registration_gap_is_named_whatever_the_time_limit(time_limit):
    """A candidate takes a session whose registration closes on or after the day they are ready, at least 4 days
    before the exam; a 2-day limit then seats nobody in time, whatever the count. The plain bound knew
    (queue_bound: None) and threw it away; at a short limit the command ended "unexplained". Now INFEASIBLE at once,
    the same at half a second and at 20."""
    sized = size(hand_year(waiting={"max_wait_days": 2}), batch({"managers": {"managers": 25}}, {"huaan": (10, 1)}),
                 bounds={"managers": (1, 5)}, time_limit=time_limit)
    assert sized.status == "INFEASIBLE"
    assert [line.partition(" ")[0] for line in sized.conflict] == ["waiting[managers:managers]", "registration_gap"]
    assert "the waiting limit, 2 days, is shorter than the registration gap, at least 4 days" in sized.reason
    assert sized.reason in sized.infeasible_message() and sized.seconds < 60


@pytest.mark.parametrize("time_limit", [0.5, 20])
def test_too_few_seats_within_the_bounds_is_named_with_the_count_needed(time_limit):
    """25 candidates who must be seated within the year, 10 seats a session: 3 sessions at least, so managers 1…2
    is impossible: said with the numbers, at any time limit."""
    sized = size(hand_year(waiting={"max_wait_days": 200}), batch({"managers": {"managers": 25}}, {"huaan": (10, 1)}),
                 bounds={"managers": (1, 2)}, time_limit=time_limit)
    assert sized.status == "INFEASIBLE"
    assert [line.partition(" ")[0] for line in sized.conflict] == ["session_count[managers]",
                                                                   "waiting[managers:managers]"]
    assert sized.reason == ("25 candidates of 高危行业主要负责人、安全管理员 must be seated within the year and a session "
                            "at 华安 offers them at most 10 seats: at least 3 sessions of managers are needed, the "
                            "bounds allow at most 2")


def test_candidates_too_many_for_the_days_they_must_be_seated_in():
    """15 candidates ready on one day r, 10 seats a session, a 20-day limit, registration closing at least 4 days
    before the exam, two managers' sessions at one site at least 18 days apart: they must be seated by sessions
    from r + 4 to r + 20, where one session fits — 10 seats for 15, whatever the count (the seats alone say 2
    sessions, within the bounds 1…20). Both rules bind: without the registration gap two sessions fit (r, r + 18).
    The sizing used to search the models for it until its time limit."""
    sized = size(hand_year(waiting={"max_wait_days": 20}, stream_spacing={"min_days": {"managers": 18}}),
                 batch({"managers": {"managers": 15}}, {"huaan": (10, 1)}), bounds={"managers": (1, 20)},
                 time_limit=0.5)
    assert sized.status == "INFEASIBLE"
    assert [line.partition(" ")[0] for line in sized.conflict] == ["waiting[managers:managers]", "registration_gap",
                                                                   "stream_spacing[managers]"]
    assert "15 candidates of 高危行业主要负责人、安全管理员 ready " in sized.reason
    assert "where at most 1 of managers fit (registration_gap, stream_spacing), 10 seats for them at 华安" \
        in sized.reason
    # 10 days apart, two sessions fit (and the working days let them: the bound knows no calendar)
    sized = size(hand_year(waiting={"max_wait_days": 20}, stream_spacing={"min_days": {"managers": 10}}),
                 batch({"managers": {"managers": 15}}, {"huaan": (10, 1)}), bounds={"managers": (1, 20)},
                 time_limit=20)
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 2}


def test_crowding_worked_by_hand():
    """100 candidates ready every 10 days from day 0, 50 seats a session (25 a day, two days), a 30-day limit,
    registration closing at least 5 days before the exam, sessions at one site at least 20 days apart. Day 0's
    100 may take sessions from day 5 to day 30: 26 days, two sessions, 100 seats — enough. Days 0 and 10 (200) may
    take sessions from day 5 to day 40: 36 days, still two sessions — 100 seats for 200: the witness. With 10 a day
    nothing is crowded; without any spacing or daily cap nothing limits the sessions."""
    from planner.sizing import crowding
    from test_sizing import hand_facts

    day = dt.timedelta(days=1)
    facts, day0 = hand_facts(10, [100] * 10, {("a", "x"): 25}, {"a": 2})
    end = day0 + 365 * day
    found = crowding(facts, 30, end, 5, 20, None)
    assert (found.category, found.first, found.last, found.candidates) == ("x", day0, day0 + 10 * day, 200)
    assert (found.start, found.end, found.sessions, found.seats) == (day0 + 5 * day, day0 + 40 * day, 2, 100)
    # one exam a day instead of the spacing: 26 days hold 26 sessions
    assert crowding(facts, 30, end, 5, None, 1) is None
    assert crowding(facts, 30, end, 5, None, None) is None
    facts, _ = hand_facts(10, [10] * 10, {("a", "x"): 25}, {"a": 2})
    assert crowding(facts, 30, end, 5, 20, None) is None


def test_crowding_never_rules_out_a_plan_that_keeps_every_wait():
    """The bound is a theorem about every plan: on the sized hand case (25 candidates, 10 seats, 3 sessions) under
    every rule the bound reads, it finds nothing, and the plan found keeps every wait."""
    ctx = hand_year(waiting={"max_wait_days": 60}, stream_spacing={"min_days": {"managers": 20}},
                    daily_cap={"max_exams_per_day": 1}, site_spacing={"min_days": 2})
    sized = size(ctx, batch({"managers": {"managers": 25}}, {"huaan": (10, 1)}), bounds={"managers": (1, 5)},
                 time_limit=20)
    assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3}
    assert check_plan(sized.result.plan, sized.ctx).ok


# -- 3. a short time limit: the fast way runs whatever the first fit took ------------------------------------------
def test_the_fast_way_runs_after_a_first_fit_that_took_the_whole_clock(monkeypatch):
    """Below FAST_FIRST the first fit goes first. It used to leave the fast way nothing when it took more than half
    the clock (wall or deterministic), so the answer depended on the machine: on the coverage case (3 sessions, which
    only the probes prove) a first fit that takes the whole clock here still ends with 3 proven, as a fast one does.
    (Without managers' coverage the special_ops stream has no rule but its 100 candidates: 2.)"""
    import planner.sizing as Z

    ctx = coverage_year()
    demand = batch({"managers": {"managers": 25}}, {"huaan": (50, 1)})
    quick = size(ctx, demand, bounds={"managers": (1, 5)}, time_limit=10)
    real = Z._first_fit

    def slow(*args):
        plan = real(*args)
        clock = args[5]
        clock.det_used = clock.limit  # as if it had taken the whole clock, in units and in wall seconds
        clock.start -= clock.wall
        return plan

    monkeypatch.setattr(Z, "_first_fit", slow)
    late = size(ctx, demand, bounds={"managers": (1, 5)}, time_limit=10)
    for sized in (quick, late):
        assert 0.6 * 10 < Z.FAST_FIRST
        assert sized.status == "OPTIMAL" and sized.sessions == {"managers": 3} and sized.probe_bound == 3
        assert sized.gap == 0 and check_plan(sized.result.plan, sized.ctx).ok
    assert late.exam_days == quick.exam_days and late.days == quick.days


# -- 4. candidates of a stream counted per site ---------------------------------------------------------------------
def test_candidates_of_an_on_demand_stream_without_sessions_are_named():
    """The shipped rules give on_demand 0 … 0 sessions at each of its sites, and sizing sizes a stream counted per
    site only when --sessions bounds it. 300 of 煤矿安全作业 (only 运城职大, an on-demand site) used to end "the demand
    file expects no candidates in any stream this rule set plans"; now INFEASIBLE naming the category, the site's
    count and the option that sizes it."""
    from planner.api import make_context

    ctx = make_context(2025)
    demand = demand_from_dict({"status": "实际", "streams": {"on_demand": {**WEEKLY, "categories": {"coal_mine": {
        "first_time": 300}}}}, "sites": {"yvu": {"seats_per_day": 100}}}, "coal.toml", ctx.catalogue)
    sized = size(ctx, demand, max_wait=60, time_limit=10)
    assert sized.status == "INFEASIBLE"
    assert [line.partition(" ")[0] for line in sized.conflict] == ["session_count[on_demand@yvu]",
                                                                   "waiting[on_demand:coal_mine]"]
    assert "0…0 sessions" in sized.conflict[0]
    assert "the rule set gives on_demand no session" in sized.reason and "--sessions on_demand=MIN:MAX" in sized.reason


def test_candidates_only_in_a_stream_counted_per_site_with_sessions_ask_for_its_bounds():
    """A rule set that gives on_demand up to 2 sessions at 运城职大, and candidates in it alone: nothing is sized by
    default, and the error says to bound it with --sessions (it said the demand had no candidates)."""
    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "registration_gap": GAP,
                                      "waiting": {"max_wait_days": 60}})
    doc["streams"]["on_demand"] = {"sites": ["yvu"]}
    doc["rules"]["session_count"]["sessions"]["on_demand"] = {"yvu": {"min": 0, "max": 2}}
    ctx = context_from_doc(doc)
    demand = demand_from_dict({"status": "实际", "streams": {"on_demand": {**WEEKLY, "categories": {"coal_mine": {
        "first_time": 30}}}}, "sites": {"yvu": {"seats_per_day": 100}}}, "coal.toml", ctx.catalogue)
    with pytest.raises(PlannerError) as err:
        size(ctx, demand, time_limit=10)
    assert err.value.field == "sessions" and "--sessions on_demand=MIN:MAX" in err.value.message


def test_the_workbench_s_recommended_counts_state_a_zero_count_as_the_command_line_does(tmp_path):
    """推荐场次 → 情景 wrote `on_demand = 0`, which the rule refuses (a count from 1, or none per site); it now states
    every count as sizing.toml does (sizing.count_toml), and the scenario loads."""
    from types import SimpleNamespace

    from planner.api import make_context
    from planner.scenario import load_scenario
    from planner.sizing import count_toml
    from planner.web.demands import sizing_scenario

    ctx = make_context(2027)
    counts = {"managers": 6, "special_ops": 45, "on_demand": 0}
    job = SimpleNamespace(spec={}, outcome={"year": 2027, "demand_status": "估计", "counts": counts,
                                            "count_toml": {s: count_toml(ctx, s, n) for s, n in counts.items()}})
    path = tmp_path / "推荐.toml"
    path.write_text(sizing_scenario("推荐", job), encoding="utf-8")
    sc = load_scenario(path, year=2027)
    assert sc.ctx.streams["special_ops"].count == 45
    assert "on_demand = 0" not in path.read_text(encoding="utf-8")


def test_the_final_plan_s_budget_does_not_depend_on_the_wall_clock(monkeypatch):
    """The final plan (every preference) got the wall clock's rest of the time limit as its deterministic budget:
    four identical `planner size` runs gave three plans (audit 2026-12-05). The budget is now what the sizing's
    deterministic clock left: a machine that stalls before the final plan gives it the same budget."""
    from test_sizing import one_batch

    from planner import solver as S

    doc = tiny_doc(managers=2, rules={"working_day": {}, "plan_window": {}, "site_spacing": {"min_days": 2},
                                      "registration_gap": {"min_days": 4, "max_days": 14},
                                      "waiting": {"max_wait_days": 200}})
    ctx = context_from_doc(doc)
    budgets = []
    real_solve = S.solve

    def recorded(*a, **k):
        budgets.append(k["time_limit"])
        return real_solve(*a, **k)

    monkeypatch.setattr(S, "solve", recorded)
    real, offset = S.time.perf_counter, {"s": 0.0}
    monkeypatch.setattr(S.time, "perf_counter", lambda: real() + offset["s"])
    first = size(ctx, one_batch(25, 10, 1), time_limit=20)
    import planner.sizing as Z

    final = Z._final

    def stalled(*a, **k):
        offset["s"] = 9.0  # the machine stalls 9 s just before the final plan
        return final(*a, **k)

    monkeypatch.setattr(Z, "_final", stalled)
    second = size(ctx, one_batch(25, 10, 1), time_limit=20)
    assert len(budgets) == 2 and budgets[0] == budgets[1], budgets
    assert first.result.plan.sessions == second.result.plan.sessions
