"""Correctness gaps found in use: licences in scenarios, exam-free days, re-plans from before the window,
publishing against a scenario's catalogue, deadlines before 1 January, parameter ranges."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from planner.check import check_plan
from planner.cli import main
from planner.errors import PlannerError
from planner.scenario import load_scenario
from planner.solver import Status, solve

from conftest import context_from_doc, mutate, replaced
from scenario_fixtures import tiny_scenario, write

D = dt.date


def test_a_licence_moves_managers_to_a_site_that_keeps_its_identity(tmp_path):
    """华安 closed for six weeks, 瑞阳 licensed for managers then: the managers' sessions of that time sit
    at 瑞阳, and 瑞阳's spacing against its own special-ops sessions still holds (one site, one id)."""
    tiny_scenario(tmp_path)
    path = write(tmp_path, "lic.toml", """extends = "tiny_base.toml"
[sessions]
managers = 3
[ruleset.rules.site_spacing]
min_days = 3
[[closures]]
institution = "huaan"
start = 2024-01-01
end = 2025-12-31
[[licenses]]
institution = "ruiyang"
category = "managers"
start = 2024-06-01
end = 2024-06-30
""")
    sc = load_scenario(path)
    assert "ruiyang" in sc.ctx.sites("managers")
    r = solve(sc.ctx, time_limit=20)
    assert r.status.has_plan
    assert {s.institution for s in r.plan.stream("managers")} == {"ruiyang"}
    assert all(D(2024, 6, 1) <= s.exam_date <= D(2024, 6, 30) for s in r.plan.stream("managers"))
    # the same plan a day outside the licence breaks scope, and only scope
    s1 = r.plan.stream("managers")[0]
    moved = mutate(r.plan, s1.key, exam_date=D(2024, 5, 31), registration_deadline=D(2024, 5, 27))
    assert {v.rule for v in check_plan(moved, sc.ctx).violations if v.hard} >= {"scope"}


def test_licence_errors_name_file_and_key(tmp_path):
    tiny_scenario(tmp_path)
    for body, key in [('institution = "nobody"\ncategory = "managers"', "licenses[1].institution"),
                      ('institution = "ruiyang"\ncategory = "gardening"', "licenses[1].category"),
                      ('institution = "ruiyang"\ncategory = "managers"\nstart = 2024-07-01\nend = 2024-06-01',
                       "licenses[1].end"),
                      ('institution = "ruiyang"\ncategory = "managers"\nstart = 2019-07-01\nend = 2019-08-01',
                       "licenses[1]")]:
        path = write(tmp_path, "bad.toml", 'extends = "tiny_base.toml"\n[[licenses]]\n' + body + "\n")
        with pytest.raises(PlannerError) as e:
            load_scenario(path)
        assert e.value.field == key and str(path) in str(e.value), str(e.value)


def test_exam_free_days_do_not_move_the_window_or_registration(tmp_path):
    """An inspection week right after Spring Festival keeps exams off those days but is not a holiday."""
    tiny_scenario(tmp_path)
    plain = load_scenario(tmp_path / "tiny_base.toml")
    path = write(tmp_path, "closed.toml", 'extends = "tiny_base.toml"\n'
                 'closed_days = ["2024-02-18..2024-02-25"]\n')
    sc = load_scenario(path)
    assert sc.ctx.window == plain.ctx.window == (D(2024, 2, 18), D(2025, 1, 27))
    assert not sc.ctx.calendar.is_exam_day(D(2024, 2, 19)) and sc.ctx.calendar.is_working_day(D(2024, 2, 19))


def test_replan_from_before_the_window_lets_everything_move(tmp_path, capsys):
    tiny_scenario(tmp_path)
    base = tmp_path / "base"
    assert main(["plan", "--scenario", str(tmp_path / "tiny_base.toml"), "--out", str(base), "--no-publish"]) == 0
    out = tmp_path / "re"
    code = main(["replan", str(base / "plan.csv"), "--from", "2024-01-01", "--scenario",
                 str(tmp_path / "tiny_base.toml"), "--out", str(out), "--no-publish", "--draft"])
    assert code == 0, capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["kept"] == 0


def test_publish_reads_the_plan_against_the_scenarios_catalogue(tmp_path, capsys):
    tiny_scenario(tmp_path)
    path = write(tmp_path, "new.toml", """extends = "tiny_base.toml"
[sessions]
managers = 1
special_ops = 5
[ruleset.rules.rotation]
streams = ["special_ops"]
[[new_institutions]]
id = "newsite"
name = "示例安全培训有限公司"
short_name = "示例"
address = "运城市示例路1号"
scope = ["elec_low", "elec_high"]
rotation = true
""")
    out = tmp_path / "o"
    assert main(["plan", "--scenario", str(path), "--out", str(out), "--no-publish"]) == 0
    assert "newsite" in (out / "plan.csv").read_text(encoding="utf-8")
    code = main(["publish", str(out / "plan.csv"), "--scenario", str(path), "--out", str(tmp_path / "pub"),
                 "--no-charts"])
    assert code == 0, capsys.readouterr().err


def test_a_deadline_before_1_january_is_plan_windows_to_report(plan2024, ctx2024):
    s = plan2024.by_key()[("managers", 1)]
    bad = mutate(plan2024, s.key, registration_deadline=D(2023, 12, 28), exam_date=D(2024, 1, 2))
    rules = {v.rule for v in check_plan(bad, ctx2024).violations}
    assert "plan_window" in rules


@pytest.mark.parametrize("rule, key, value, text", [
    ("registration_gap", "max_days", 10 ** 6, "out of range [0, 366]"),
    ("daily_cap", "max_exams_per_day", 0, "out of range [1, 50]"),
    ("coverage", "max_days_between_opportunities", 400, "out of range [1, 366]"),
    ("site_spacing", "min_days", -3, "out of range [1, 366]"),
])
def test_every_number_has_a_range(default_doc, rule, key, value, text):
    import copy

    doc = copy.deepcopy(default_doc)
    doc["rules"][rule][key] = value
    with pytest.raises(PlannerError) as e:
        context_from_doc(doc)
    assert e.value.field == f"rules.{rule}.{key}" and text in e.value.message


def test_position_and_weights_and_sizes_are_bounded(default_doc):
    for path, value, field in [(("preferences", "even_spread", "position", "managers"), 1.0,
                                "preferences.even_spread.position.managers"),
                               (("preferences", "preferred_gap", "weight"), 10 ** 9, "preferences.preferred_gap.weight"),
                               (("rules", "session_count", "sessions", "special_ops"), 10_000,
                                "rules.session_count.sessions.special_ops")]:
        with pytest.raises(PlannerError) as e:
            context_from_doc(replaced(default_doc, path, value))
        assert e.value.field == field, str(e.value)


def test_the_time_limit_bounds_the_whole_run(default_doc):
    """A limit far too short still returns (UNKNOWN or a plan) and says what stopped it."""
    import copy

    doc = copy.deepcopy(default_doc)
    doc["rules"]["session_count"]["sessions"]["special_ops"] = 100
    r = solve(context_from_doc(doc), time_limit=0.05)
    assert r.status in (Status.UNKNOWN, Status.TIME_LIMIT) and r.stopped_by


def test_materials_are_per_year_and_marked_until_confirmed(tmp_path):
    """2024's 附件1 list is confirmed; a later year carries it over, marked 待核定 on the planner's checklist (never
    on what is published, issue 19), until a planner confirms a list (and, with the revised regulation, new exam kinds) for that year."""
    import shutil

    from openpyxl import load_workbook

    from planner.api import make_context
    from planner.data import constraints_dir, load_catalogue
    from planner.publish.xlsx import notice_xlsx_bytes

    assert make_context(2024).catalogue.materials_review == ""
    ctx27 = make_context(2027)
    assert "待核定" in ctx27.catalogue.materials_review and ctx27.catalogue.materials_year == 2024
    plan = solve(make_context(2024), time_limit=20).plan
    (tmp_path / "n.xlsx").write_bytes(notice_xlsx_bytes(plan.with_sessions(plan.sessions), ctx27))
    cells = [c for row in load_workbook(tmp_path / "n.xlsx")["附件1"].iter_rows(values_only=True) for c in row if c]
    assert cells and not any("待核定" in str(c) for c in cells)
    from planner.publish.checklist import checklist_items

    assert any("待核定" in item for item in checklist_items(plan, ctx27))
    # a planner confirms 2027 with the revised regulation's kinds
    d = tmp_path / "constraints"
    shutil.copytree(constraints_dir(), d)
    text = (d / "materials" / "2024.toml").read_text(encoding="utf-8").replace("year = 2024", "year = 2027")
    text += '\n[kinds]\nspecial_ops = ["特种作业人员初训、换证", "特种作业人员换证"]\n'
    (d / "materials" / "2027.toml").write_text(text, encoding="utf-8")
    cat = load_catalogue(d).for_year(2027)
    assert cat.materials_review == "" and cat.streams["special_ops"].kinds[0] == "特种作业人员初训、换证"
    assert load_catalogue(d).for_year(2026).materials_review  # 2026 still carries 2024's, marked
