"""Re-planning: kept sessions do not move, and the fewest sessions then the fewest days change."""
from __future__ import annotations

import datetime as dt

import pytest

from planner.cli import main
from planner.compare import moves
from planner.data import load_catalogue, scenarios_dir
from planner.planio import read_plan
from planner.replan import replan
from planner.scenario import load_scenario

from scenario_fixtures import closure, tiny_plan, tiny_scenario

D = dt.date


def test_closing_the_site_for_four_days_moves_one_session_two_days(tmp_path):
    # 华安 closed Mon 13 – Thu 16 May 2024 hits 期次 2 (Wed 15 May). The nearest open working days are
    # Sat 11 May (a 调休 make-up day, 4 days earlier) and Fri 17 May (2 days later): one move of 2 days.
    plan, _ = tiny_plan(tmp_path)
    sc = load_scenario(tiny_scenario(tmp_path, body=closure("huaan", "2024-05-13", "2024-05-16")))
    rp = replan(plan, sc.ctx, D(2024, 4, 1), scenario=sc)
    assert rp.result.tiers == {"sessions_changed": 1, "days_moved": 2}
    new = rp.result.plan.by_key()
    assert new[("managers", 2)].exam_date == D(2024, 5, 17)
    assert new[("managers", 1)] == plan.by_key()[("managers", 1)]  # kept
    assert new[("managers", 3)].exam_date == plan.by_key()[("managers", 3)].exam_date
    assert [c.label() for c in rp.changes if c.what == "moved"] == ["managers #2"]
    assert rp.reasons[("managers", 2)].rule == "institution_open" and rp.reasons[("managers", 2)].own


def published_tiny(tmp_path):
    """The tiny plan published (notice.xlsx and plan.json in a set): what a revision starts from."""
    _, path = tiny_plan(tmp_path)
    base = tiny_scenario(tmp_path)
    assert main(["publish", str(path), "--scenario", str(base), "--out", str(tmp_path / "pub"), "--no-charts",
                 "--no-pdf"]) == 0
    return tmp_path / "pub" / "notice.xlsx"


def test_replan_cli_writes_plan_and_changes(capsys, tmp_path):
    path = published_tiny(tmp_path)
    sc = tiny_scenario(tmp_path, body=closure("huaan", "2024-05-13", "2024-05-16"))
    code = main(["replan", str(path), "--from", "2024-04-01", "--scenario", str(sc), "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0 and "1 session(s) changed (0 at another site), 2 days moved" in out
    changes = (tmp_path / "o" / "changes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(changes) == 2 and changes[1].startswith("moved,managers,2,2024-05-15,2024-05-17,+2,huaan,huaan")
    assert ",,,institution_open,institution_open: huaan is closed" in changes[1]  # no counts given: blank
    # the same change in Chinese, for Excel / WPS: the notice's dates and words, no basis when nothing is counted
    detail = (tmp_path / "o" / "调整明细.csv").read_text(encoding="utf-8-sig").splitlines()
    assert detail[0].split(",")[10] == "受影响考生" and len(detail) == 2
    huaan = "运城华安应急安全服务有限公司"
    assert detail[1].split(",")[1:10] == ["2", "考试时间调整", "推迟2天", "5月15日", huaan, "5月10日前", "5月17日", huaan,
                                          "5月13日前"]
    assert detail[1].split(",")[10:12] == ["", "华安考点暂停考试"]


def test_kept_session_that_breaks_the_new_rules_is_bad_input(capsys, tmp_path):
    path = published_tiny(tmp_path)
    sc = tiny_scenario(tmp_path, body=closure("huaan", "2024-05-13", "2024-05-16"))
    code = main(["replan", str(path), "--from", "2024-06-01", "--scenario", str(sc), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "notice.xlsx" in err and "managers #2" in err and "institution_open" in err


def test_bad_from_date(capsys, tmp_path):
    _, path = tiny_plan(tmp_path)
    assert main(["replan", str(path), "--from", "2024-13-01", "--out", str(tmp_path / "o")]) == 2
    assert "field 'from'" in capsys.readouterr().err


def test_midyear_replan_keeps_everything_before_the_date(tmp_path):
    cat = load_catalogue()
    published = read_plan(scenarios_dir() / "plan_2024.csv", cat)
    sc = load_scenario(scenarios_dir() / "midyear_replan.toml")
    cut = D(2024, 6, 17)
    rp = replan(published, sc.ctx, cut, scenario=sc)
    assert rp.result.plan is not None
    new = rp.result.plan.by_key()
    before = [s for s in published.sessions if s.exam_date < cut]
    assert before and all(new[s.key] == s for s in before)
    assert not [s for s in rp.result.plan.sessions if s.institution == "xinshiji" and s.exam_date >= D(2024, 7, 1)]
    changed, days = moves(rp.changes)
    assert (changed, days) == (rp.result.tiers["sessions_changed"], rp.result.tiers["days_moved"])
    assert all(rp.reasons[(c.stream, c.no)] for c in rp.changes)


def test_refusing_a_change_the_new_facts_force_is_told_so(monkeypatch):
    """--keep (拒绝此调整) of a change the scenario itself forces got the advice for sessions before the re-plan's
    day ("start the re-plan earlier"); it now says the change cannot be refused."""
    import planner.scenario as sc
    from planner.errors import PlannerError
    from planner.replan import check_kept

    def broken(pins, ctx, where):
        raise PlannerError("pinned session special_ops #11 breaks institution_open", file="p.csv",
                           field=next(iter(where.values()))[1])

    monkeypatch.setattr(sc, "check_pins", broken)
    with pytest.raises(PlannerError, match="cannot be refused"):
        check_kept([], None, {("special_ops", 11): ("p.csv", "special_ops #11 (change refused, kept as published)")})
    with pytest.raises(PlannerError, match="start the re-plan earlier"):
        check_kept([], None, {("special_ops", 3): ("p.csv", "special_ops #3 (before 2027-03-15, kept)")})


def test_registrations_with_the_chinese_header_read_as_the_short_form(tmp_path, plan2024, catalogue):
    """A planner types the short form in Excel with the header 考试计划,期次,报名人数 (the page says so): it reads
    as stream,no,报名人数 does, and a missing column is named in the header's own language."""
    from planner.errors import PlannerError
    from planner.replan import read_people

    rows = [("special_ops", 3, 41), ("managers", 2, 17)]
    en = tmp_path / "en.csv"
    en.write_text("stream,no,报名人数\n" + "".join(f"{s},{n},{k}\n" for s, n, k in rows), encoding="utf-8")
    name = {sid: st.name for sid, st in catalogue.streams.items()}
    zh = tmp_path / "zh.csv"
    zh.write_text("考试计划,期次,报名人数\n" + "".join(f"{name[s]},{n},{k}\n" for s, n, k in rows),
                  encoding="utf-8-sig")
    assert read_people(zh, plan2024, catalogue) == read_people(en, plan2024, catalogue) == {
        ("special_ops", 3): 41, ("managers", 2): 17}
    bad = tmp_path / "bad.csv"
    bad.write_text("期次,报名人数\n3,41\n", encoding="utf-8")
    with pytest.raises(PlannerError, match="no column '考试计划'"):
        read_people(bad, plan2024, catalogue)


def test_the_short_form_reads_a_session_number_as_the_export_writes_it(tmp_path, plan2024, catalogue):
    from planner.errors import PlannerError
    from planner.replan import read_people

    f = tmp_path / "r.csv"
    f.write_text("考试计划,期次,报名人数\n特种作业人员,第3期,41\n特种作业人员,2024年第4期,5\n", encoding="utf-8")
    assert read_people(f, plan2024, catalogue) == {("special_ops", 3): 41, ("special_ops", 4): 5}
    f.write_text("考试计划,期次,报名人数\n特种作业人员,三,41\n", encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        read_people(f, plan2024, catalogue)
    assert (err.value.row, err.value.field) == (2, "no")
