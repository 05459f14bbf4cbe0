"""Scenario files: inheritance, every override kind, and every bad input as one line naming file and key."""
from __future__ import annotations

import datetime as dt

import pytest

from planner.api import next_year
from planner.cli import main
from planner.data import scenarios_dir
from planner.scenario import load_scenario

from scenario_fixtures import closure, tiny_scenario, write

SHIPPED = sorted(scenarios_dir().glob("*.toml"))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_load_and_say_their_question(path):
    sc = load_scenario(path)
    assert sc.question.startswith("Question:"), path
    assert sc.ctx.ruleset.rules


def test_shipped_set_is_complete():
    names = {p.stem for p in SHIPPED}
    assert {"reproduce_2024", "baseline_next_year", "site_closed_quarter", "site_eliminated_july",
            "fifth_rotation_site", "special_ops_plus25", "registration_window_7d", "on_demand_coverage",
            "calendar_2027_official", "midyear_replan"} <= names


def test_baseline_without_year_plans_next_year():
    assert load_scenario(scenarios_dir() / "baseline_next_year.toml").year == next_year()
    assert load_scenario(scenarios_dir() / "baseline_next_year.toml", year=2026).year == 2026


def test_inheritance_chain_later_files_win_and_lists_accumulate(tmp_path):
    base = tiny_scenario(tmp_path, body=closure("juteng", "2025-03-01", "2025-03-31"))
    mid = write(tmp_path, "mid.toml", 'extends = "tiny_base.toml"\n[sessions]\nmanagers = 4\n'
                + closure("ruiyang", "2025-04-01", "2025-04-30"))
    sub = tmp_path / "sub"
    sub.mkdir()
    leaf = write(sub, "leaf.toml", 'extends = "../mid.toml"\nyear = 2025\n[ruleset.rules.registration_gap]\n'
                 'min_days = 6\n')
    sc = load_scenario(leaf)
    assert [p.name for p in sc.chain] == [base.name, mid.name, leaf.name]
    assert sc.year == 2025 and sc.name == "leaf"
    rs = sc.ctx.ruleset
    assert rs.rule("session_count").sessions == {"managers": 4}
    assert (rs.rule("registration_gap").min_days, rs.rule("registration_gap").max_days) == (6, 14)
    assert set(sc.ctx.closed_sites()) == {"juteng", "ruiyang"}


def test_each_override_kind(tmp_path):
    tiny_scenario(tmp_path)
    sc = load_scenario(write(tmp_path, "all.toml", """
extends = "tiny_base.toml"
closed_days = ["2024-06-03", "2024-06-10..2024-06-11"]
[sessions]
special_ops = 5
[sites]
special_ops = ["juteng", "huaan"]
[coverage]
special_ops = ["electrical"]
[ruleset.rules.daily_cap]
max_exams_per_day = 2
[ruleset.rules.coverage]
max_days_between_opportunities = 90
[[new_institutions]]
id = "newsite"
name = "新机构（示例）"
short_name = "新"
address = "运城"
phones = ["0359-1"]
scope = ["elec_low", "weld_fusion"]
rotation = true
[calendar.2025]
source = "example"
days_off = ["2025-01-01", "2025-01-28..2025-02-04"]
makeup_workdays = ["2025-01-26"]
[[pins]]
stream = "managers"
no = 1
registration_deadline = 2024-03-01
exam_date = 2024-03-06
institution = "huaan"
"""))
    ctx = sc.ctx
    assert ctx.sites("special_ops") == ("juteng", "huaan", "newsite")
    assert ctx.catalogue.institutions["newsite"].scope == frozenset({"elec_low", "weld_fusion"})
    assert ctx.ruleset.rule("session_count").sessions == {"managers": 3, "special_ops": 5}
    assert ctx.ruleset.rule("daily_cap").max_exams_per_day == 2
    cov = ctx.ruleset.rule("coverage")
    assert cov.streams == {"special_ops": ["electrical"]} and cov.max_days_between_opportunities == 90
    cal = ctx.calendar
    assert not cal.is_exam_day(dt.date(2024, 6, 3)) and not cal.is_exam_day(dt.date(2024, 6, 11))
    assert cal.official[2025] and cal.is_working_day(dt.date(2025, 1, 26))
    assert [p.label() for p in sc.pins] == ["managers #1 (2024-03-06)"]
    assert sc.pins[0].kind == ctx.catalogue.streams["managers"].default_kind


def test_plan_with_scenario_keeps_pins_and_writes_summary(capsys, tmp_path):
    sc = tiny_scenario(tmp_path, body='[[pins]]\nstream = "managers"\nno = 2\nregistration_deadline = 2024-05-06\n'
                       'exam_date = 2024-05-16\ninstitution = "huaan"\n')
    code, out, _ = run(capsys, "plan", "--scenario", sc, "--out", tmp_path / "o")
    assert code == 0 and "Question: a tiny test case." in out
    text = (tmp_path / "o" / "plan.csv").read_text(encoding="utf-8")
    assert "managers,2,2024-05-06,2024-05-16,huaan," in text
    assert '"pinned": 1' in (tmp_path / "o" / "summary.json").read_text(encoding="utf-8")


def test_summary_facts_digest_tells_apart_what_the_data_files_do_not(tmp_path):
    """summary.json's ``facts_sha256`` changes with a scenario's own calendar override, closure, licence, pin or
    demand, where ``inputs_sha256`` (the data files) stays; the same scenario gives the same digest."""
    from planner.runinfo import facts_digest, inputs_digest

    base = load_scenario(tiny_scenario(tmp_path)).ctx
    same = load_scenario(tiny_scenario(tmp_path, name="same.toml")).ctx
    bodies = {
        "calendar": '[calendar.2024]\nsource = "x"\ndays_off = ["2024-06-03"]\nmakeup_workdays = ["2024-06-08"]\n',
        "closed_day": 'closed_days = ["2024-06-04"]\n',
        "closure": closure("juteng", "2024-03-01", "2024-03-31"),
        "licence": '[[licenses]]\ninstitution = "juteng"\ncategory = "metal_mine"\nstart = 2024-03-01\n'
                   'end = 2024-06-30\nreason = "x"\n',
        "pin": '[[pins]]\nstream = "managers"\nno = 2\nregistration_deadline = 2024-05-06\n'
               'exam_date = 2024-05-16\ninstitution = "huaan"\n',
    }
    digests = {facts_digest(base)}
    assert facts_digest(same) == facts_digest(base)
    for name, body in bodies.items():
        ctx = load_scenario(tiny_scenario(tmp_path, name=f"{name}.toml", body=body)).ctx
        assert inputs_digest(ctx) == inputs_digest(base), name
        digests.add(facts_digest(ctx))
    from planner.demand import load_demand
    from planner.data import constraints_dir

    with_demand = base.with_demand(load_demand(constraints_dir() / "demand.toml", base.catalogue))
    digests.add(facts_digest(with_demand))
    digests.add(facts_digest(base.with_demand(with_demand.demand.demand.scaled(candidates=1.2))))
    assert len(digests) == len(bodies) + 3


def test_infeasible_scenario_exit_3_names_conflict(capsys, tmp_path):
    sc = tiny_scenario(tmp_path, body=closure("huaan", "2024-01-01", "2025-12-31"))
    code, _, err = run(capsys, "plan", "--scenario", sc, "--out", tmp_path / "o")
    assert code == 3 and "institution_open[huaan]" in err and "session_count[managers]" in err


BAD = [
    # (file name, text, the key the message must name)
    ("self.toml", 'extends = "self.toml"\n', "field 'extends'"),
    ("missing.toml", 'extends = "nowhere.toml"\n', "field 'extends'"),
    ("unknown.toml", 'extends = "tiny_base.toml"\nyaer = 2024\n', "field 'yaer'"),
    ("badyear.toml", 'extends = "tiny_base.toml"\nyear = "2024"\n', "field 'year'"),
    ("closure.toml", 'extends = "tiny_base.toml"\n' + closure("ruiyang", "2024-05-01", "2024-04-01"),
     "field 'closures[1].end'"),
    ("closurekey.toml", 'extends = "tiny_base.toml"\n[[closures]]\ninstitution = "ruiyang"\nfrom = 2024-05-01\n',
     "field 'closures[1].from'"),
    ("closureinst.toml", 'extends = "tiny_base.toml"\n' + closure("nobody", "2024-05-01", "2024-06-01"),
     "field 'closures[1].institution'"),
    ("noscope.toml", 'extends = "tiny_base.toml"\n[[new_institutions]]\nid = "x"\nname = "X"\nshort_name = "X"\n'
     'address = "A"\n', "field 'new_institutions[1].scope'"),
    ("badscope.toml", 'extends = "tiny_base.toml"\n[[new_institutions]]\nid = "x"\nname = "X"\nshort_name = "X"\n'
     'address = "A"\nscope = ["no_such_op"]\n', "field 'new_institutions[1].scope'"),
    ("rulekey.toml", 'extends = "tiny_base.toml"\n[ruleset.rules.registration_gap]\nmin_dayz = 7\n',
     "field 'ruleset.rules.registration_gap.min_dayz'"),
    ("rulevalue.toml", 'extends = "tiny_base.toml"\n[ruleset.rules.registration_gap]\nmin_days = 30\n',
     "field 'ruleset.rules.registration_gap.max_days'"),
    ("sessions.toml", 'extends = "tiny_base.toml"\n[sessions]\nmanagers = 0\n', "field 'sessions.managers'"),
    ("sites.toml", 'extends = "tiny_base.toml"\n[sites]\nbosses = ["huaan"]\n', "field 'sites.bosses'"),
    ("calendar.toml", 'extends = "tiny_base.toml"\n[calendar.2025]\nholidays = ["2025-01-01"]\n',
     "field 'calendar.2025.holidays'"),
    ("calyear.toml", 'extends = "tiny_base.toml"\n[calendar.2025]\ndays_off = ["2024-01-01"]\n',
     "field 'calendar.2025.days_off'"),
    # a closed day the plan year never reaches is a typo (as a closure there is), not a silent no-op
    ("closedday.toml", 'extends = "tiny_base.toml"\nclosed_days = ["2024-05-06", "2031-05-06"]\n',
     "field 'closed_days'"),
    ("calclosed.toml", 'extends = "tiny_base.toml"\n[calendar.2031]\nclosed_days = ["2031-05-06"]\n',
     "field 'calendar.2031.closed_days'"),
    # a string where a number belongs: the rule set's own check, before anything reads it (it exited 70)
    ("position.toml", 'extends = "tiny_base.toml"\n[ruleset.preferences.even_spread]\nweight = 1\n'
     '[ruleset.preferences.even_spread.position]\nmanagers = "x"\n',
     "field 'ruleset.preferences.even_spread.position.managers'"),
    ("pinkey.toml", 'extends = "tiny_base.toml"\n[[pins]]\nstream = "managers"\nnumber = 1\n', "field 'pins[1].number'"),
    ("pindate.toml", 'extends = "tiny_base.toml"\n[[pins]]\nstream = "managers"\nno = 1\nregistration_deadline = '
     '"2024-03-01"\nexam_date = "2024-3-6"\ninstitution = "huaan"\n', "field 'pins[1].exam_date'"),
    # a pinned session on a Sunday breaks working_day: bad input, not an infeasible plan
    ("pinrule.toml", 'extends = "tiny_base.toml"\n[[pins]]\nstream = "managers"\nno = 1\nregistration_deadline = '
     '2024-03-01\nexam_date = 2024-03-10\ninstitution = "huaan"\n', "field 'pins[1]'"),
    ("pinsite.toml", 'extends = "tiny_base.toml"\n[[pins]]\nstream = "managers"\nno = 1\nregistration_deadline = '
     '2024-03-01\nexam_date = 2024-03-06\ninstitution = "juteng"\n', "field 'pins[1]'"),
]


@pytest.mark.parametrize("name, text, key", BAD, ids=[b[0] for b in BAD])
def test_bad_scenarios_one_line_exit_2(capsys, tmp_path, name, text, key):
    tiny_scenario(tmp_path)
    path = write(tmp_path, name, text)
    code, out, err = run(capsys, "plan", "--scenario", path, "--out", tmp_path / "o")
    line = err.strip()
    assert code == 2, err
    assert "\n" not in line and "Traceback" not in line
    assert name in line and key in line, line


def test_cycle_names_the_file_that_closes_it(capsys, tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    code, _, err = run(capsys, "plan", "--scenario", tmp_path / "a.toml", "--out", tmp_path / "o")
    assert code == 2 and "b.toml, field 'extends'" in err and "a.toml -> b.toml -> a.toml" in err


def test_error_in_a_parent_names_the_parent(capsys, tmp_path):
    tiny_scenario(tmp_path)
    write(tmp_path, "parent.toml", 'extends = "tiny_base.toml"\n[sessions]\nmanagers = -1\n')
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n')
    code, _, err = run(capsys, "plan", "--scenario", child, "--out", tmp_path / "o")
    assert code == 2 and "parent.toml, field 'sessions.managers'" in err


def test_rules_and_scenario_together_is_an_error(capsys, tmp_path):
    sc = tiny_scenario(tmp_path)
    code, _, err = run(capsys, "plan", "--scenario", sc, "--rules", tmp_path / "tiny.toml", "--out", tmp_path / "o")
    assert code == 2 and "--scenario" in err


def test_missing_scenario_file(capsys, tmp_path):
    code, _, err = run(capsys, "plan", "--scenario", tmp_path / "nope.toml", "--out", tmp_path / "o")
    assert code == 2 and "nope.toml" in err and "not found" in err
