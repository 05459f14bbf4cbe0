"""What a planner sees (audit L), two defects reproduced twice in the workbench:

1. 年度计划's 附件2/附件3 tables wrote the year on every date of the next year ("2027年1月7日前", "2027年1月12日")
   where notice.docx, notice.xlsx, the CSVs and report.html write it once, where the column crosses into the next
   year (期次45 "2027年1月6日", 期次46 "1月12日"): the page said otherwise than the notice it shows;
2. after 导入报名数据 (the bureau's candidates on estimated seats) 年度计划 ("按需求与考位安排（实际，…）：… 考位 25440
   个"), 对比 ("考生与候考（同一批考生，实际）", its Excel and ``planner compare``'s 比较考生.csv) and 继续优化 called
   every figure 实际, while 需求与考位, report.html, sizing.csv and the charts of the same demand say
   "实际，考位和未过再报比例为估计".
"""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from planner.api import make_context  # noqa: E402
from planner.data import load_catalogue, scenarios_dir  # noqa: E402
from planner.demand import demand_origin, load_demand  # noqa: E402
from planner.planio import read_plan  # noqa: E402
from planner.publish import tables as T  # noqa: E402
from planner.web import views  # noqa: E402
from planner.web.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
MIXED = "实际，考位和未过再报比例为估计"


@pytest.fixture(scope="module")
def plan_ctx():
    cat = load_catalogue()
    plan = read_plan(scenarios_dir() / "plan_2024.csv", cat)
    return plan, make_context(plan.year, catalogue=cat)


@pytest.fixture(scope="module")
def mixed_ctx(plan_ctx, tmp_path_factory):
    """The 2024 plan under a demand of status 实际 whose seats keep the estimate's basis (what an import writes)."""
    plan, ctx = plan_ctx
    text = (ROOT / "constraints" / "demand.toml").read_text("utf-8")
    path = tmp_path_factory.mktemp("demand") / "bureau.toml"
    path.write_text(text.replace('\nstatus = "估计"\n', '\nstatus = "实际"\n', 1), "utf-8")
    mixed = ctx.with_demand(load_demand(path, ctx.catalogue))
    assert demand_origin(mixed.demand.demand)["label"] == MIXED  # the premise
    return plan, mixed


def test_the_plan_page_s_tables_name_the_next_year_once_as_the_notice_does(plan_ctx):
    plan, ctx = plan_ctx
    shown = views.notice_tables(plan, ctx)
    printed = T.attachments(plan, ctx)
    assert [len(t["sections"]) for t in shown] == [len(a.sections) for a in printed]
    for table, att in zip(shown, printed):
        for sec, psec in zip(table["sections"], att.sections):
            assert sec["rows"] == T.plan_rows(psec.sessions, plan.year, ctx)  # notice.docx/.xlsx, CSV, report.html
    rows = [r for t in shown for sec in t["sections"] for r in sec["rows"]]
    nxt = f"{plan.year + 1}年"
    crossing = [r for r in rows if r[2].startswith(nxt)]
    later = [s for s in plan.sessions if s.exam_date.year > plan.year]
    assert crossing and len(crossing) < len(later)  # the year once per table, not on each date of the next year


def test_the_plan_page_shows_the_tables_as_the_notice_words_them(plan_ctx, tmp_path):
    plan, ctx = plan_ctx
    app = create_app(tmp_path / "ws", documents=False, warm=False)
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None,
                                   parent=None, note="", kind="upload")
    with TestClient(app) as client:
        page = client.get(f"/plan?v={vid}").text
    att3 = next(a for a in T.attachments(plan, ctx) if len(a.sections[0].sessions) > 20)
    rows = T.plan_rows(att3.sections[0].sessions, plan.year, ctx)
    last = rows[-1]
    assert not last[2].startswith(f"{plan.year + 1}年")  # the premise: the notice's last row names no year
    assert f"<td>{last[0]}</td><td>{last[1]}</td><td>{last[2]}</td>" in page


def test_compare_s_candidates_say_the_seats_are_estimated(mixed_ctx):
    from planner.compare import people_table

    plan, ctx = mixed_ctx
    header, _ = people_table(plan, plan, ctx, ("版本1", "版本2"))
    assert header[0] == f"考生（{MIXED}）"


def test_the_summary_of_a_plan_with_candidates_carries_their_origin(mixed_ctx):
    from planner.queueing import evaluate

    plan, ctx = mixed_ctx
    out = evaluate(plan, ctx).report(ctx)
    assert out["status"] == "实际" and out["label"] == MIXED


def test_improve_says_the_seats_are_estimated(mixed_ctx):
    from planner.web.jobs import improvement

    plan, ctx = mixed_ctx
    out = improvement(plan, SimpleNamespace(plan=plan, objective=0, parts={}), ctx)
    assert out["status"] == MIXED


def _plan_page(tmp_path, demand: dict) -> str:
    app = create_app(tmp_path / "ws", documents=False, warm=False)
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "OPTIMAL", "demand": demand}, year=2024,
                                   scenario=None, parent=None, note="", kind="generate")
    with TestClient(app) as client:
        page = client.get(f"/plan?v={vid}").text
    return re.sub(r"\s+", " ", page.split('id="planned-with-demand">', 1)[1].split("</p>", 1)[0])


def test_the_plan_page_says_the_seats_are_estimated(tmp_path):
    figures = {"status": "实际", "estimated": False, "expected_candidates": 434, "seats": 25440, "seated": 434,
               "unserved": 0, "max_wait_days": 16}
    line = _plan_page(tmp_path, {**figures, "label": MIXED})
    assert line.startswith(f"按需求与考位安排（{MIXED}") and "考位 25440 个" in line
    # a version planned before the label was recorded still shows its status
    assert _plan_page(tmp_path / "old", figures).startswith("按需求与考位安排（实际")


def test_the_compare_page_says_the_seats_are_estimated(tmp_path):
    from test_web_demand import EXPORT

    app = create_app(tmp_path / "ws", documents=False, warm=False)
    ws = app.state.ws
    a = ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None, parent=None,
                       note="", kind="upload")
    b = ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None, parent=a,
                       note="", kind="upload")
    with TestClient(app) as client:
        r = client.post("/demand/import", data={"csrf": app.state.csrf}, follow_redirects=False,
                        files={"export": ("2024年报名.csv", EXPORT.encode(), "text/csv")})
        assert r.status_code == 303, r.text
        page = client.get(f"/compare?a={a}&b={b}").text
    assert f"考生与候考（同一批考生，{MIXED}）" in page
    assert f"<th>考生（{MIXED}）</th>" in page


def test_the_sites_mean_gap_has_one_decimal_in_every_row(plan_ctx, monkeypatch):
    """各考点指标's 平均间隔 said "29天" in one row and "28.5天" in the next: one decimal everywhere."""
    from planner.compare import ALL, SiteKPI

    plan, ctx = plan_ctx
    kpis = {"huaan": SiteKPI(13, 35, 29.0), "juteng": SiteKPI(12, 33, 28.5), "ruiyang": SiteKPI(1, None, None),
            ALL: SiteKPI(26, 20, 14.0)}
    monkeypatch.setattr(views, "site_kpis", lambda plan: kpis)
    assert [r["mean"] for r in views.kpis(plan, ctx)] == ["29.0天", "28.5天", "—", "14.0天"]
