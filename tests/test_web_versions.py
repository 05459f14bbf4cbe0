"""A planner's changes to the versions (issue 21 (c), (d), (e)): restore, mark current with a warning before an
older one goes out again, delete with undo, who made each change, and the Excel exports."""
from __future__ import annotations

import io
import re
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.data import scenarios_dir  # noqa: E402
from planner.web.app import create_app  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")


@pytest.fixture()
def env(tmp_path):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    with TestClient(app) as client:
        ws = app.state.ws
        one = ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="", kind="upload")
        r = client.post("/edit", data={"csrf": app.state.csrf, "v": one, "s": "special_ops-2", "notes": "第二版"},
                        follow_redirects=False)
        assert r.status_code == 303
        two = ws.versions()[0].id
        yield app, client, one, two


def _post(app, client, path, **data):
    return client.post(path, data={"csrf": app.state.csrf, **data}, follow_redirects=False)


def test_republishing_an_older_version_asks_first(env):
    app, client, one, two = env
    assert _post(app, client, f"/publish/{one}").status_code == 303
    assert _post(app, client, f"/publish/{two}").status_code == 303
    assert app.state.ws.latest_published() == two
    r = _post(app, client, f"/publish/{one}")
    assert r.status_code == 409 and "比各考点正在订阅的版本" in r.text and 'name="confirm"' in r.text
    assert app.state.ws.latest_published() == two  # nothing switched
    r = _post(app, client, f"/version/{one}/current")
    assert r.status_code == 409 and app.state.ws.latest_published() == two
    assert _post(app, client, f"/version/{one}/current", confirm="1").status_code == 303
    assert app.state.ws.latest_published() == one
    assert "第二版" not in client.get("/ics/ruiyang.ics").text + client.get("/ics/huaan.ics").text
    assert _post(app, client, f"/version/{two}/current").status_code == 303  # newer: no question
    assert app.state.ws.latest_published() == two


def test_restore_makes_the_old_plan_the_newest_version(env):
    app, client, one, two = env
    r = _post(app, client, f"/version/{one}/restore")
    assert r.status_code == 303
    new = app.state.ws.versions()[0]
    assert (new.kind, new.parent) == ("restore", one) and new.id > two
    assert app.state.ws.plan_csv_path(new.id).read_bytes() == app.state.ws.plan_csv_path(one).read_bytes()


def test_delete_hides_a_version_keeps_its_files_and_undo_brings_it_back(env):
    app, client, one, two = env
    files = sorted(p.name for p in app.state.ws.version_dir(two).iterdir())
    r = _post(app, client, f"/version/{two}/delete")
    assert r.status_code == 303 and r.headers["location"] == f"/plan?deleted={two}"
    assert [v.id for v in app.state.ws.versions()] == [one]
    page = client.get(r.headers["location"]).text
    assert "撤销删除" in page and f"已删除版本{two}" in page
    assert sorted(p.name for p in app.state.ws.version_dir(two).iterdir()) == files
    assert _post(app, client, f"/version/{two}/undelete").status_code == 303
    assert [v.id for v in app.state.ws.versions()] == [two, one]


def test_the_current_published_version_cannot_be_deleted(env):
    app, client, one, two = env
    _post(app, client, f"/publish/{two}")
    r = _post(app, client, f"/version/{two}/delete")
    assert r.status_code == 400 and "不能删除" in r.text and app.state.ws.versions()[0].id == two


def test_each_change_records_who_made_it(env):
    app, client, one, two = env
    assert _post(app, client, "/who", who="李四", back="/plan").status_code == 303
    _post(app, client, f"/version/{one}/delete")
    _post(app, client, f"/version/{one}/undelete")
    log = app.state.ws.changes()
    assert [(c["who"], c["what"], c["version"]) for c in log[:2]] == [("李四", "undelete", one), ("李四", "delete", one)]
    page = client.get("/plan").text
    assert "李四" in page and "撤销删除" in page and "变更记录" in page


def test_who_cannot_redirect_elsewhere(env):
    app, client, _, _ = env
    for back in ("//evil.example/", "/\\evil.example/", "http://evil.example/", "https:evil.example"):
        assert _post(app, client, "/who", who="x", back=back).headers["location"] == "/plan"
    assert _post(app, client, "/who", who="x", back="/plan?v=1").headers["location"] == "/plan?v=1"


def test_excel_exports_of_plan_compare_and_check(env):
    from openpyxl import load_workbook

    app, client, one, two = env
    r = client.get(f"/plan/export.xlsx?v={one}")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert "附件2" in load_workbook(io.BytesIO(r.content)).sheetnames
    r = client.get(f"/compare/export.xlsx?a={one}&b={two}")
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb["变化"].iter_rows(values_only=True))
    shown = client.get(f"/compare?a={one}&b={two}").text.count('<tr class="change">')
    assert rows[0] == ("期次", "变化", f"版本{one}", f"版本{two}") and len(rows) == 1 + shown
    assert wb["指标"].cell(1, 2).value == f"场次（版本{one}）"
    # numbers a spreadsheet sorts and sums (as text, a negative difference would have to be escaped as '-1)
    cells = [c for row in wb["指标"].iter_rows(min_row=2, min_col=2, values_only=True) for c in row]
    assert cells and all(c in (None, "") or isinstance(c, (int, float)) for c in cells)
    page = client.get(f"/compare?a={one}&b={two}").text
    assert re.search(r"<td>[+-]\d", page) and "'" not in page.split('id="kpi-delta"')[1].split("</table>")[0]
    bad = PLAN_CSV.replace("2024-03-", "2024-02-", 1)
    r = client.post("/check/export.xlsx", data={"csrf": app.state.csrf, "plan_csv": bad})
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["违反规则之处", "逐条规则"] and wb["违反规则之处"].max_row >= 2


def test_pages_name_versions_not_letters_and_show_no_hex_or_english_expanders(env):
    app, client, one, two = env
    page = client.get(f"/compare?a={one}&b={two}").text
    assert "版本 A" not in page and "场次 A" not in page and f"场次（版本{one}）" in page
    plan = client.get(f"/plan?v={one}").text
    assert "校验码" not in plan and not re.search(r"\b[0-9a-f]{12}\b", plan)
    assert "原文" not in plan + page + client.get("/check").text


def test_a_replan_not_yet_accepted_survives_a_restart(env, tmp_path):
    from planner.web.jobs import DONE, Job

    app, client, one, _ = env
    outcome = {"ok": True, "plan_csv": PLAN_CSV, "year": 2024, "changes": [],
               "summary": {"status": "OPTIMAL", "kept": 10, "year": 2024}}
    job = Job("0123456789ab", {"kind": "replan", "root": str(app.state.ws.root), "base": one, "scenario": None,
                               "from_date": "2024-06-01", "time_limit": 5}, state=DONE, outcome=outcome)
    app.state.bench._stored(job)  # what the queue does when the solve ends
    again = create_app(app.state.ws.root, documents=False, warm=False)  # the server restarted
    with TestClient(again) as other:
        page = other.get(f"/job/{job.id}")
        assert page.status_code == 200 and "调整方案" in page.text and 'id="accept"' in page.text
        r = other.post(f"/job/{job.id}/accept", data={"csrf": again.state.csrf}, follow_redirects=False)
        assert r.status_code == 303
        new = again.state.ws.versions()[0]
        assert (new.kind, new.parent) == ("replan", one)
    assert not again.state.ws.pending()  # accepted: no longer kept


def test_scenario_links_delete_and_undo(env):
    app, client, _, _ = env
    app.state.ws.write_scenario("聚腾停考", "year = 2024\n")
    page = client.get("/scenario?name=聚腾停考").text
    assert "/plan?scenario=%E8%81%9A%E8%85%BE%E5%81%9C%E8%80%83" in page and "用此情景重新排期" in page
    plan = client.get("/plan?scenario=聚腾停考&year=2024").text
    assert '<option value="聚腾停考" selected>' in plan
    r = _post(app, client, "/scenario/delete", name="聚腾停考")
    assert r.status_code == 303 and "聚腾停考" not in app.state.ws.scenarios()
    assert "撤销删除" in client.get(r.headers["location"]).text
    assert _post(app, client, "/scenario/undelete", name="聚腾停考").status_code == 303
    assert "聚腾停考" in app.state.ws.scenarios()
    assert _post(app, client, "/scenario/undelete", name="../x").status_code == 404


def test_an_infeasible_result_links_to_its_scenario(env):
    from planner.web.jobs import INFEASIBLE, Job

    app, client, _, _ = env
    app.state.ws.write_scenario("全关", "year = 2024\n")
    job = Job("abcdefabcdef", {"kind": "generate", "root": str(app.state.ws.root), "year": 2024, "scenario": "全关",
                               "time_limit": 5}, state=INFEASIBLE,
              outcome={"ok": False, "type": "infeasible", "conflict": ["institution_open[juteng]"],
                       "message": "no plan satisfies the rules together"})
    app.state.jobs.adopt(job)
    page = client.get(f"/job/{job.id}").text
    assert 'id="edit-scenario"' in page and "/scenario?name=%E5%85%A8%E5%85%B3" in page
    assert "/plan?scenario=%E5%85%A8%E5%85%B3&year=2024" in page


def test_calendar_marks_moved_sessions_and_closures(env):
    import datetime as dt

    app, client, one, _ = env
    lines = PLAN_CSV.splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if ln.startswith("managers,2,"))
    cells = lines[k].split(",")
    cells[3] = (dt.date.fromisoformat(cells[3]) + dt.timedelta(days=2)).isoformat()  # two days later
    lines[k] = ",".join(cells)
    text = "".join(lines)
    app.state.ws.write_scenario("聚腾二季度", 'year = 2024\n[[closures]]\ninstitution = "juteng"\n'
                                              'start = 2024-04-01\nend = 2024-06-30\nreason = "整改"\n')
    vid = app.state.ws.add_version(text, {}, year=2024, scenario="聚腾二季度", parent=one, note="",
                                   kind="edit")
    page = client.get(f"/plan?v={vid}").text
    assert page.count('class="exam special_ops moved"') + page.count('class="exam managers moved"') == 1
    assert "调整" in page and "比上一版调整过的场次" in page
    assert len(re.findall(r'<td class="[^"]*\bclosure\b', page)) == 91 and page.count(">聚腾停考<") == 3  # named monthly
    plain = client.get(f"/plan?v={one}").text
    assert " moved\"" not in plain and "聚腾停考" not in plain
