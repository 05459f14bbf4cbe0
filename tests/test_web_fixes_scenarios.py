"""The workbench never overwrites a planner's work, and says what is wrong in Chinese (the audit's findings on
scenarios, two tabs, the 调整通知 form and error answers).

- 调整/情景: a new scenario never replaces one of the same name; 撤销删除 never replaces a scenario made since
  (the deleted one comes back under a free name); editing a scenario keeps every key the form does not show
  (each shipped scenario, e.g. ``extends`` and ``[[new_institutions]]``), so a version made with it still opens;
  a scenario saved in another tab meanwhile is not silently replaced.
- 需求与考位 and 修改一场 in two tabs: the older tab's save is sent back with links to the newer save; saving
  again is explicit; every save is kept.
- 发布调整通知 with a default reason over 40 characters: flagged before submit; the refusal is the form again, the
  planner's text kept, the message next to the field.
- 检查 with a wrong header says which columns; a long file name exports; an over-long 操作人 is named in Chinese;
  a page address missing a parameter is a Chinese page (400), not FastAPI's JSON.

Every test runs in-process (Starlette's test client); forms are read from the pages as a browser sends them.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import tomllib
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.data import load_catalogue, scenarios_dir  # noqa: E402
from planner.web.app import create_app  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
SHIPPED = sorted(p.name for p in scenarios_dir().glob("*.toml"))


@pytest.fixture()
def env(tmp_path):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    with TestClient(app) as client:
        yield app, client


def form_of(page: str, action: str) -> dict:
    """The fields a browser sends for the page's form posting to *action* (as shown, nothing changed)."""
    body = re.search(r'<form method="post" action="%s"[^>]*>(.*?)</form>' % re.escape(action), page, re.S).group(1)
    out = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and " disabled" not in tag and 'type="file"' not in tag and (
                'type="checkbox"' not in tag or " checked" in tag):
            out[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        out[name] = html.unescape(text)
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        out[name] = html.unescape(chosen.group(1)) if chosen else ""
    return out


def post(client, path, data, **kw):
    return client.post(path, data=data, headers={"Origin": "http://testserver"}, follow_redirects=False, **kw)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


CLOSURE = {"name": "聚腾停考", "question": "聚腾二季度停考", "year": "2027", "closure_institution_1": "juteng",
           "closure_start_1": "2027-04-01", "closure_end_1": "2027-06-30", "closure_reason_1": "整改"}


# -- 1 (a) a new scenario never replaces one of the same name ------------------------------------------------------
def test_a_new_scenario_under_a_taken_name_is_refused_and_the_old_file_stays(env):
    app, client = env
    blank = form_of(client.get("/scenario").text, "/scenario")
    assert post(client, "/scenario", {**blank, **CLOSURE}).status_code == 303
    path = app.state.ws.scenario_path("聚腾停考")
    before = path.read_bytes()
    blank = form_of(client.get("/scenario").text, "/scenario")  # 新建 again, the same name
    r = post(client, "/scenario", {**blank, "name": "聚腾停考", "year": "2028", "question": "另一个情景"})
    assert r.status_code == 400
    assert 'id="err-name"' in r.text and "已有名为“聚腾停考”的情景" in text_of(r.text)
    assert 'value="另一个情景"' in r.text  # what was typed is shown again
    assert 'id="delete-scenario"' not in r.text  # no action on the other scenario from the refused form
    assert path.read_bytes() == before
    # the scenario opened and saved is an edit of it, not a new one
    shown = form_of(client.get("/scenario?name=聚腾停考").text, "/scenario")
    assert post(client, "/scenario", {**shown, "closure_reason_1": "停业整顿"}).status_code == 303
    assert 'reason = "停业整顿"' in path.read_text(encoding="utf-8")


# -- 1 (b) 撤销删除 never replaces a scenario made since --------------------------------------------------------------
def test_undo_delete_keeps_the_scenario_made_since_and_brings_the_old_one_back_beside_it(env):
    app, client = env
    ws = app.state.ws
    csrf = {"csrf": app.state.csrf}
    blank = form_of(client.get("/scenario").text, "/scenario")
    assert post(client, "/scenario", {**blank, **CLOSURE}).status_code == 303
    old = ws.scenario_path("聚腾停考").read_bytes()
    assert post(client, "/scenario/delete", {**csrf, "name": "聚腾停考"}).status_code == 303
    blank = form_of(client.get("/scenario").text, "/scenario")
    assert post(client, "/scenario", {**blank, "name": "聚腾停考", "year": "2028", "question": "B 的新情景"}).status_code == 303
    newer = ws.scenario_path("聚腾停考").read_bytes()
    r = post(client, "/scenario/undelete", {**csrf, "name": "聚腾停考"})
    assert r.status_code == 303
    assert ws.scenario_path("聚腾停考").read_bytes() == newer  # not replaced
    assert ws.scenario_path("聚腾停考-恢复").read_bytes() == old  # the deleted one, back under a free name
    page = client.get(r.headers["location"]).text
    assert 'id="scenario-renamed"' in page and "聚腾停考-恢复" in page and "两个情景都保留" in page


def test_deleting_a_name_twice_keeps_both_deleted_files(env):
    app, client = env
    ws = app.state.ws
    ws.write_scenario("x", "year = 2027\n")
    ws.trash_scenario("x")
    ws.write_scenario("x", "year = 2028\n")
    ws.trash_scenario("x")
    kept = sorted(p.read_text(encoding="utf-8") for p in (ws.root / "scenarios" / ".trash").glob("x.*toml"))
    assert kept == ["year = 2027\n", "year = 2028\n"]
    ws.untrash_scenario("x")
    assert ws.scenario_path("x").read_text(encoding="utf-8") == "year = 2028\n"


# -- 1 (c) an edit keeps every key the form does not show -------------------------------------------------------------
def _shipped(app):
    folder = app.state.ws.root / "scenarios"
    for f in SHIPPED:
        shutil.copy(scenarios_dir() / f, folder / f)
    return folder


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_saved_as_shown_stays_as_written(env, name):
    """Its 说明 (the file's comments) is longer than the field: unchanged, it is no error, and nothing changes."""
    app, client = env
    folder = _shipped(app)
    stem = name.removesuffix(".toml")
    original = (folder / name).read_bytes()
    r = post(client, "/scenario", form_of(client.get(f"/scenario?name={stem}").text, "/scenario"))
    assert r.status_code == 303, text_of(r.text)[-600:]
    assert (folder / name).read_bytes() == original


@pytest.mark.parametrize("name", SHIPPED)
def test_editing_a_shipped_scenario_keeps_every_key_the_form_does_not_show(env, name):
    app, client = env
    folder = _shipped(app)
    stem = name.removesuffix(".toml")
    original = (folder / name).read_text(encoding="utf-8")
    r = post(client, "/scenario", {**form_of(client.get(f"/scenario?name={stem}").text, "/scenario"),
                                   "question": "计划员改写的说明"})
    assert r.status_code == 303, text_of(r.text)[-600:]
    saved = (folder / name).read_text(encoding="utf-8")
    assert saved.startswith("# 计划员改写的说明\n")
    assert tomllib.loads(saved) == tomllib.loads(original)
    kept = [p.read_text(encoding="utf-8") for p in (folder / ".previous").iterdir()]
    assert kept == [original]  # the hand-written text (its inline comments) kept aside


HAND = """# 手写的情景
name = "hand"
extends = "baseline_next_year.toml"
year = 2027

[sessions]
managers = 9
on_demand = 4

[ruleset.rules.coverage]
max_days_between_opportunities = 120
streams = { special_ops = ["electrical"] }

[ruleset.rules.daily_cap]
max_exams_per_day = 2

[[closures]]
institution = "juteng"
start = 2027-04-01
end = 2027-04-30
reason = "一"

[[closures]]
institution = "ruiyang"
start = 2027-05-01
end = 2027-05-31
reason = "二"

[[closures]]
institution = "xinshiji"
start = 2027-06-01
end = 2027-06-30
reason = "三"

[[closures]]
institution = "huaan"
start = 2027-07-01
end = 2027-07-10
reason = "第四个停考（表单只显示三个）"

[[licenses]]
institution = "ruiyang"
category = "managers"
start = 2027-07-01
end = 2027-07-10
reason = "一"

[[licenses]]
institution = "juteng"
category = "managers"
start = 2027-08-01
end = 2027-08-10
reason = "第二个资质（表单只显示一个）"

[[pins]]
stream = "managers"
no = 1
registration_deadline = 2027-03-01
exam_date = 2027-03-08
institution = "huaan"
"""


def test_an_edit_changes_only_what_it_shows(env):
    """A fourth closure, a second licence, a pin, another stream's sessions, another rule's parameter, another key
    of a rule the form shows: all kept; the fields edited are the form's."""
    app, client = env
    folder = _shipped(app)
    (folder / "hand.toml").write_text(HAND, encoding="utf-8")
    shown = form_of(client.get("/scenario?name=hand").text, "/scenario")
    assert shown["closure_reason_3"] == "三" and shown["sessions_managers"] == "9"
    r = post(client, "/scenario", {**shown, "closure_reason_1": "一（改）", "sessions_managers": "",
                                   "coverage_days": "100", "gap_min": "7"})
    assert r.status_code == 303, text_of(r.text)[-600:]
    want = tomllib.loads(HAND)
    want["closures"][0]["reason"] = "一（改）"
    want["sessions"] = {"on_demand": 4}
    want["ruleset"]["rules"]["coverage"]["max_days_between_opportunities"] = 100
    want["ruleset"]["rules"]["registration_gap"] = {"min_days": 7}
    assert tomllib.loads((folder / "hand.toml").read_text(encoding="utf-8")) == want


def test_a_version_made_with_a_new_institution_still_opens_after_its_scenario_is_edited(env):
    from planner.scenario import load_scenario

    app, client = env
    ws = app.state.ws
    folder = ws.root / "scenarios"
    for f in ("fifth_rotation_site.toml", "baseline_next_year.toml"):
        shutil.copy(scenarios_dir() / f, folder / f)
    lines = PLAN_CSV.splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if ln.startswith("special_ops,3,"))
    cells = lines[k].split(",")
    cells[4] = "hedong"  # a session at the scenario's new site
    lines[k] = ",".join(cells)
    vid = ws.add_version("".join(lines), {"year": 2024}, year=2024, scenario="fifth_rotation_site", parent=None,
                         note="", kind="upload")
    assert client.get(f"/plan?v={vid}").status_code == 200
    shown = form_of(client.get("/scenario?name=fifth_rotation_site").text, "/scenario")
    r = post(client, "/scenario", {**shown, "question": "第五个考点", "sessions_special_ops": "50"})
    assert r.status_code == 303, text_of(r.text)[-600:]
    doc = tomllib.loads(ws.scenario_path("fifth_rotation_site").read_text(encoding="utf-8"))
    assert doc["extends"] == "baseline_next_year.toml" and doc["new_institutions"][0]["id"] == "hedong"
    assert doc["sessions"] == {"special_ops": 50}
    assert "hedong" in load_scenario(ws.scenario_path("fifth_rotation_site")).ctx.catalogue.institutions
    page = client.get(f"/plan?v={vid}")
    assert page.status_code == 200 and "河东" in page.text


def test_a_scenario_saved_in_another_tab_is_not_silently_replaced(env):
    app, client = env
    ws = app.state.ws
    blank = form_of(client.get("/scenario").text, "/scenario")
    assert post(client, "/scenario", {**blank, **CLOSURE}).status_code == 303
    tab_a = form_of(client.get("/scenario?name=聚腾停考").text, "/scenario")
    tab_b = dict(tab_a)
    assert post(client, "/scenario", {**tab_a, "closure_reason_1": "甲的原因"}).status_code == 303
    a_text = ws.scenario_path("聚腾停考").read_text(encoding="utf-8")
    r = post(client, "/scenario", {**tab_b, "closure_reason_1": "乙的原因"})
    assert r.status_code == 409
    assert 'id="scenario-stale"' in r.text and 'href="/scenario?name=%E8%81%9A%E8%85%BE%E5%81%9C%E8%80%83"' in r.text
    assert ws.scenario_path("聚腾停考").read_text(encoding="utf-8") == a_text and 'value="乙的原因"' in r.text
    again = form_of(r.text, "/scenario")  # 仍然保存: the planner's explicit choice
    assert post(client, "/scenario", again).status_code == 303
    assert 'reason = "乙的原因"' in ws.scenario_path("聚腾停考").read_text(encoding="utf-8")
    assert a_text in [p.read_text(encoding="utf-8") for p in (ws.root / "scenarios" / ".previous").iterdir()]


# -- 2 two tabs on 需求与考位 and 修改一场 -------------------------------------------------------------------------------
def test_demand_saved_in_another_tab_is_not_silently_superseded(env):
    from planner.web import demands as D

    app, client = env
    tab_a = form_of(client.get("/demand").text, "/demand")
    tab_b = dict(tab_a)
    k1, k2 = "c.managers.managers.first_time", "c.special_ops.electrical.first_time"
    tab_a[k1] = str(int(tab_a[k1]) + 111)
    r = post(client, "/demand", tab_a)
    assert r.status_code == 303
    first = D.numbers(app.state.ws)[-1]
    tab_b[k2] = str(int(tab_b[k2]) + 222)
    tab_b["note"] = "乙的修改"
    r = post(client, "/demand", tab_b)
    assert r.status_code == 409
    assert D.numbers(app.state.ws) == [first]  # nothing saved over it
    assert 'id="demand-stale"' in r.text and f'href="/demand?d={first}"' in r.text
    again = form_of(r.text, "/demand")  # the planner's figures, shown again
    assert again[k2] == tab_b[k2] and again["note"] == "乙的修改" and again["d"] == "estimate"
    r = post(client, "/demand", again)  # 仍然保存为新版本
    assert r.status_code == 303
    second = D.numbers(app.state.ws)[-1]
    assert second == first + 1
    cat = load_catalogue()
    saved = D.values_of(D.load(app.state.ws, second, cat))
    assert saved[k2] == tab_b[k2] and saved[k1] == tab_b[k1]  # based on what tab B showed
    assert D.values_of(D.load(app.state.ws, first, cat))[k1] == tab_a[k1]  # tab A's save kept


def test_an_edit_saved_in_another_tab_is_not_silently_superseded(env):
    app, client = env
    ws = app.state.ws
    one = ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="", kind="upload")
    tab_a = form_of(client.get(f"/edit?v={one}&s=special_ops-2").text, "/edit")
    tab_b = dict(tab_a)
    r = post(client, "/edit", {**tab_a, "notes": "甲的备注"})
    assert r.status_code == 303
    two = ws.versions()[0].id
    r = post(client, "/edit", {**tab_b, "notes": "乙的备注", "note": "乙改期"})
    assert r.status_code == 409
    assert [v.id for v in ws.versions()] == [two, one]
    assert 'id="edit-stale"' in r.text and f'href="/plan?v={two}"' in r.text
    again = form_of(r.text, "/edit")
    assert again["notes"] == "乙的备注" and again["note"] == "乙改期" and again["v"] == str(one)
    r = post(client, "/edit", again)  # 仍然保存为新版本
    assert r.status_code == 303
    three = ws.versions()[0]
    assert (three.parent, three.note) == (one, "乙改期") and [v.id for v in ws.versions()][1:] == [two, one]


# -- 3 the 调整通知 form keeps the planner's text ------------------------------------------------------------------------
LONG_REASON = "考点消防设施改造及考务系统升级需要停止组织各类考试约六周时间"  # 31 characters: the default exceeds 40


@pytest.fixture(scope="module")
def revision(tmp_path_factory):
    """A published 2024 version and a finished re-plan of it whose closure gives a default reason over 40."""
    app = create_app(tmp_path_factory.mktemp("rev"), documents=False, warm=False)
    with TestClient(app) as client:
        ws = app.state.ws
        vid = ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="", kind="upload")
        assert post(client, f"/publish/{vid}", {"csrf": app.state.csrf}).status_code == 303
        ws.write_scenario("华安改造", 'year = 2024\n[[closures]]\ninstitution = "huaan"\nstart = 2024-07-15\n'
                                   f'end = 2024-08-31\nreason = "{LONG_REASON}"\n')
        r = post(client, "/replan", {"csrf": app.state.csrf, "v": str(vid), "from_date": "2024-07-01",
                                     "scenario": "华安改造", "time_limit": "20"})
        assert r.status_code == 303
        jid = r.headers["location"].rsplit("/", 1)[-1]
        assert app.state.jobs.wait(jid, timeout=600).state == "done"
        yield app, client, vid, jid


def test_the_default_reason_fits_the_field_and_is_not_flagged(revision):
    """The default used to run past the field's 40 characters (a long closure reason): it is now cut to what fits
    (publish.revision._within_limit), so 发布调整通知 pressed unchanged is accepted."""
    _, client, _, jid = revision
    page = client.get(f"/job/{jid}").text
    shown = form_of(page, f"/job/{jid}/publish")
    assert 0 < len(shown["reason"]) <= 40  # the default, as the page fills it in
    assert not re.search(r'id="err-reason">[^<]*超过 40 字', page)


def test_refusing_an_over_long_reason_shows_the_form_again_with_the_planner_s_text(revision):
    app, client, vid, jid = revision
    ws = app.state.ws
    shown = form_of(client.get(f"/job/{jid}").text, f"/job/{jid}/publish")
    before = ws.published_files(vid), [v.id for v in ws.versions()]
    advice = shown["advice"] + "另：计划员补充的说明。"
    reason = shown["reason"] + "，另因考点设备检修及消防改造须调整部分期次的考试时间和地点"  # past 40 characters
    assert len(reason) > 40
    r = post(client, f"/job/{jid}/publish", {**shown, "reason": reason, "advice": advice})
    assert r.status_code == 400 and 'id="notice-form"' in r.text  # the 调整 page, not a bare message
    again = form_of(r.text, f"/job/{jid}/publish")  # the form again, with what was sent
    assert again["reason"] == reason and again["advice"] == advice
    assert re.search(r'id="err-reason">[^<]*现有 %d 个字' % len(reason), r.text)
    assert (ws.published_files(vid), [v.id for v in ws.versions()]) == before  # nothing written
    r = post(client, f"/job/{jid}/publish", {**again, "reason": "华安考点改造"})
    assert r.status_code == 303
    assert "revision.docx" in ws.published_files(ws.versions()[0].id)


# -- 4 error answers ---------------------------------------------------------------------------------------------------
def test_a_wrong_header_says_which_columns_a_plan_csv_needs(env):
    app, client = env
    r = post(client, "/check", {"csrf": app.state.csrf}, files={"plan": ("w.csv", b"a,b,c\n1,2,3\n", "text/csv")})
    assert r.status_code == 400
    said = re.search(r'id="err-plan">([^<]*)', r.text).group(1)
    assert "stream,no,registration_deadline,exam_date,institution,kind,notes" in said and "a,b,c" in said
    assert "表头" in said and "考试时间" in said


def test_a_long_file_name_exports_to_excel(env):
    app, client = env
    name = "运城市" + "很长的文件名" * 25 + ".csv"
    r = post(client, "/check", {"csrf": app.state.csrf}, files={"plan": (name, PLAN_CSV.encode(), "text/csv")})
    assert r.status_code == 200
    export = form_of(r.text, "/check/export.xlsx")
    r = post(client, "/check/export.xlsx", export)
    assert r.status_code == 200 and r.content.startswith(b"PK")


def test_an_over_long_operator_is_named_in_chinese(env):
    app, client = env
    r = post(client, "/who", {"csrf": app.state.csrf, "who": "张" * 30, "back": "/plan"})
    assert r.status_code == 400 and "“操作人”" in r.text and "“who”" not in r.text


@pytest.mark.parametrize("url, said", [("/edit?v=1", "考试场次"), ("/plan/export.xlsx", "版本"),
                                       ("/compare/chart.png", "对比的第一个版本"), ("/demand/chart/waits.png", "版本")])
def test_a_missing_parameter_is_a_chinese_page(env, url, said):
    _, client = env
    r = client.get(url)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    message = re.search(r'class="error">([^<]*)', r.text).group(1)
    assert "网址缺少" in message and f"“{said}”" in message
