"""Comparing plans: added, removed and moved sessions with days, and per-site KPI deltas."""
from __future__ import annotations

import datetime as dt

from planner.cli import main
from planner.data import load_catalogue
from planner.compare import diff_plans, kpi_rows, moves, site_kpis
from planner.plan import Plan, Session, write_plan

from scenario_fixtures import KIND, tiny_plan

D = dt.date


def _variant(plan: Plan) -> Plan:
    s = plan.by_key()
    return plan.with_sessions([
        s[("managers", 1)],
        Session("managers", 2, D(2024, 5, 13), D(2024, 5, 17), "huaan", KIND),  # +2 days
        # 期次 3 removed; a special-ops session added
        Session("special_ops", 1, D(2024, 4, 1), D(2024, 4, 8), "juteng", "特种作业人员复训"),
    ])


def test_diff_counts_added_removed_moved(tmp_path):
    a, _ = tiny_plan(tmp_path)
    b = _variant(a)
    changes = diff_plans(a, b)
    assert [(c.what, c.label(), c.days) for c in changes] == [
        ("moved", "managers #2", 2), ("removed", "managers #3", 0), ("added", "special_ops #1", 0)]
    assert moves(changes) == (1, 2)
    assert diff_plans(a, a) == []


def test_site_kpis_and_deltas(tmp_path):
    a, _ = tiny_plan(tmp_path)
    k = site_kpis(a)
    assert k["huaan"].sessions == 3 and k["huaan"].longest_gap == (D(2024, 9, 11) - D(2024, 5, 15)).days
    rows = {r[0]: r for r in kpi_rows(a, _variant(a))}
    assert rows["huaan"][1:4] == ["3", "2", "-1"]
    assert rows["juteng"][1:4] == ["0", "1", "+1"]


def test_compare_cli_prints_and_writes_csv(capsys, tmp_path):
    a, pa = tiny_plan(tmp_path)
    pb = tmp_path / "b.csv"
    write_plan(_variant(a), pb)
    code = main(["compare", str(pa), str(pb), "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0 and "added 1, removed 1, moved 1" in out and "+2" in out
    sessions = (tmp_path / "o" / "compare_sessions.csv").read_text(encoding="utf-8-sig")
    assert "moved,managers,2,2024-05-15,2024-05-17,+2" in sessions
    assert (tmp_path / "o" / "compare_kpis.csv").exists()
    # the same changes in Chinese for Excel / WPS: one row per change, the notice's dates, no reason columns
    detail = (tmp_path / "o" / "比较明细.csv").read_text(encoding="utf-8-sig").splitlines()
    assert detail[0].split(",") == ["考试计划", "期次", "变化", "相差天数", "原考试时间", "原考点", "原报名时间", "调整后考试时间",
                                    "调整后考点", "调整后报名时间"]
    assert len(detail) == len(sessions.strip().splitlines())
    moved = next(line.split(",") for line in detail if line.split(",")[2] == "考试时间调整")
    assert moved[1:5] == ["2", "考试时间调整", "推迟2天", "5月15日"] and moved[7] == "5月17日"
    # the per-site table in Chinese: compare_kpis.csv's cells, the sites' short names, as the 对比 page shows them
    import csv

    kpis = list(csv.reader((tmp_path / "o" / "compare_kpis.csv").read_text(encoding="utf-8-sig").splitlines()))
    zh = list(csv.reader((tmp_path / "o" / "比较考点.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert zh[0][:4] == ["考点", "场次（方案A）", "场次（方案B）", "差"] and len(zh) == len(kpis)
    names = {i: x.short_name for i, x in load_catalogue().institutions.items()}
    assert [[names.get(r[0], "全部考点")] + [x if x == "" else float(x) for x in r[1:]] for r in kpis[1:]] \
        == [r[:1] + [x if x == "" else float(x) for x in r[1:]] for r in zh[1:]]
    assert "'" not in "".join(sum(zh, []))  # numbers, not text a spreadsheet must be kept from reading as formulas
    assert zh[-1][0] == "全部考点" and {r[0] for r in zh[1:-1]} <= set(names.values())


def test_compare_bad_plan_exit_2(capsys, tmp_path):
    _, pa = tiny_plan(tmp_path)
    assert main(["compare", str(pa), str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.csv" in capsys.readouterr().err


def test_compare_with_demand_writes_the_same_candidates_in_both_plans(capsys, tmp_path):
    """``compare --demand``: 比较考生.csv holds people_table's rows (the queue of each plan under one demand, B − A)
    as numbers; 候考超过30天 is what each plan's wait preference prices; without --demand there is no such file."""
    import csv

    from planner.api import make_context
    from planner.check import check_plan
    from planner.compare import PEOPLE_FILE, people_table
    from planner.data import constraints_dir, scenarios_dir
    from planner.planio import read_plan

    rules, demand = str(constraints_dir() / "yuncheng.toml"), str(constraints_dir() / "demand.toml")
    ctx = make_context(2024, rules, demand=demand)
    a = read_plan(scenarios_dir() / "plan_2024.csv", ctx.catalogue)
    # B: every third special-operations session a week later (a plan the waits tell apart from A)
    b = a.with_sessions([Session(s.stream, s.no, s.registration_deadline + dt.timedelta(days=7),
                                 s.exam_date + dt.timedelta(days=7), s.institution, s.kind)
                         if s.stream == "special_ops" and s.no % 3 == 0 else s for s in a.sessions])
    pa, pb = tmp_path / "a.csv", tmp_path / "b.csv"
    write_plan(a, pa)
    write_plan(b, pb)
    assert main(["compare", str(pa), str(pb), "--rules", rules, "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / PEOPLE_FILE).exists()
    assert main(["compare", str(pa), str(pb), "--rules", rules, "--demand", demand, "--out", str(tmp_path / "o")]) == 0
    assert "Candidates (估计" in capsys.readouterr().out
    got = list(csv.reader((tmp_path / "o" / PEOPLE_FILE).read_text(encoding="utf-8-sig").splitlines()))
    header, rows = people_table(a, b, ctx, ("A", "B"))
    assert got[0] == header and [r[0] for r in got[1:]] == [r[0] for r in rows]
    assert [[int(x) if x else "" for x in r[1:]] for r in got[1:]] == [r[1:] for r in rows]
    late = {r[0]: r[1:] for r in rows}["候考超过30天"]
    assert late[:2] == [check_plan(p, ctx).costs["short_wait"][1] for p in (a, b)] and late[2] == late[1] - late[0]
    assert late[0] != late[1]
