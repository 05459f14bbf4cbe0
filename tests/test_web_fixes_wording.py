"""Audit E, findings 5–11: what the workbench says and names (file labels, errors, timestamps, time limits, the
change log, 对比's default, downloads' names, dates typed as a planner types them, the favicon).

One workspace per module holding the published 2024 plan as two uploaded versions (no solve); quick.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.data import load_catalogue, scenarios_dir  # noqa: E402
from planner.web import i18n  # noqa: E402
from planner.web import scenario_form as SF  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.jobs import Job  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("wording"), warm=False, documents=False)
    ws = app.state.ws
    one = ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="", kind="upload")
    moved = PLAN_CSV.replace("managers,2,2024-04-03,2024-04-08,", "managers,2,2024-04-03,2024-04-09,", 1)
    assert moved != PLAN_CSV
    two = ws.add_version(moved, {"year": 2024}, year=2024, scenario=None, parent=one, note="", kind="edit")
    with TestClient(app) as client:
        yield app, client, one, two


def csrf(app) -> dict:
    return {"csrf": app.state.csrf}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- 5. 调整明细 is the Chinese file; changes.csv is the technical record ---------------------------------------------
def test_the_chinese_detail_file_is_called_调整明细_and_changes_csv_the_technical_record():
    cat = load_catalogue()
    assert i18n.file_label("调整明细.csv", cat).startswith("调整明细")
    technical = i18n.file_label("changes.csv", cat)
    assert technical.startswith("调整记录（技术格式") and "调整明细" not in technical


def test_the_adjustment_page_links_name_the_files_as_they_are():
    html = open(i18n.Path(i18n.__file__).with_name("templates") / "_revision.html", encoding="utf-8").read()
    assert "命令行" not in html and "planner replan" not in html
    link = re.search(r'id="changes-csv"[^>]*>([^<]+)<', html).group(1)
    assert "技术格式" in link


# -- 6. a wrong registrations file in 重新排期 ---------------------------------------------------------------------
def test_a_registrations_file_without_its_column_is_said_in_chinese_naming_it(env):
    app, client, one, _ = env
    bad = "期次,考试时间\n1,2024-03-19\n".encode("utf-8-sig")
    r = client.post("/replan", data={**csrf(app), "v": str(one), "from_date": "2024-07-01", "time_limit": "5"},
                    files={"registrations": ("报名.csv", bad, "text/csv")})
    assert r.status_code == 400
    said = re.search(r'id="err-registrations">(.*?)</p>', r.text, re.S).group(1)
    assert "缺少“考试计划”列" in said and "期次,考试时间" in said  # the missing column and the file's own header
    assert "stream" not in said  # the planner's header is Chinese: the page names its columns so
    assert "原文" not in said and "no column" not in said and "header:" not in said
    assert re.search(r"<details><summary>原文（供技术支持）</summary><code[^>]*>no column", r.text)


def test_a_registrations_row_naming_no_session_is_said_in_chinese(env):
    app, client, one, _ = env
    bad = "stream,no,报名人数\nspecial_ops,999,10\n".encode("utf-8")
    r = client.post("/replan", data={**csrf(app), "v": str(one), "from_date": "2024-07-01", "time_limit": "5"},
                    files={"registrations": ("people.csv", bad, "text/csv")})
    said = re.search(r'id="err-registrations">(.*?)</p>', r.text, re.S).group(1)
    assert "第2行" in said and "不在所选版本的计划中" in said and "not a session" not in said


# -- 7. 最多天数 and 最长间隔 are two fields ---------------------------------------------------------------------
def test_each_interval_field_is_named_by_its_own_label():
    cat = load_catalogue()
    over = SF.build({"name": "x", "gap_max": "200", "coverage_days": "500"}, cat).errors
    assert "报名截止至考试 最多天数" in over["gap_max"]
    assert "两次考试机会最长间隔" in over["coverage_days"]
    assert "最长间隔" not in over["gap_max"]
    crossed = SF.build({"name": "x", "gap_min": "30", "gap_max": "10"}, cat).errors["gap_max"]
    assert "最多天数" in crossed and "最少天数" in crossed and "最长间隔" not in crossed
    assert "每个作业类别两次考试机会最长间隔" in i18n.rule_texts("coverage")["relax"]
    assert "最长间隔天数" not in i18n.rule_texts("coverage")["relax"]


# -- 8. scenario saves are in 变更记录 -------------------------------------------------------------------------------
def test_creating_and_editing_a_scenario_is_in_the_change_log_with_who(env):
    app, client, *_ = env
    client.cookies.set("planner_who", "%E5%BC%A0%E4%B8%89")  # 张三
    form = {**csrf(app), "name": "聚腾停考", "year": "2024", "closure_institution_1": "juteng",
            "closure_start_1": "2024-04-01", "closure_end_1": "2024-04-30", "closure_reason_1": "整改"}
    assert client.post("/scenario", data=form, follow_redirects=False).status_code == 303
    base = re.search(r'name="base" value="([^"]*)"', client.get("/scenario?name=聚腾停考").text).group(1)
    edit = {**form, "original": "聚腾停考", "base": base, "closure_end_1": "2024-05-15"}
    assert client.post("/scenario", data=edit, follow_redirects=False).status_code == 303
    client.cookies.clear()
    log = [json.loads(x) for x in app.state.ws.log_path.read_text(encoding="utf-8").splitlines()]
    whats = [(e.get("what"), e.get("who")) for e in log]
    assert ("add-scenario:聚腾停考", "张三") in whats and ("save-scenario:聚腾停考", "张三") in whats
    page = text_of(client.get("/plan").text)
    assert "新建情景“聚腾停考”" in page and "修改情景“聚腾停考”" in page


# -- 9. timestamps as the other pages say them -------------------------------------------------------------------------
def test_when_says_a_time_as_the_pages_do():
    today = dt.date(2026, 12, 5)
    assert i18n.when("2026-12-05 10:45:32", today) == "12月5日 10:45"
    assert i18n.when("2025-03-01 08:05:00", today) == "2025年3月1日 08:05"
    assert i18n.when("", today) == "" and i18n.when("not a time", today) == "not a time"


def test_the_plan_page_shows_no_iso_timestamps(env):
    app, client, _, two = env
    html = client.get(f"/plan?v={two}").text
    assert not ISO_STAMP.search(text_of(html))
    created = app.state.ws.version(two).created
    assert i18n.when(created) in html


# -- 10. the time limit in whole seconds -------------------------------------------------------------------------------
def test_the_job_page_says_the_time_limit_in_whole_seconds(env):
    app, client, *_ = env
    job = Job("a1b2c3d4e5f6", {"kind": "generate", "year": 2024, "time_limit": 120.0}, state="running",
              started=time.monotonic())
    app.state.jobs.adopt(job)
    page = text_of(client.get(f"/job/{job.id}").text)
    assert "时限 120 秒" in page and "120.0" not in page
    assert i18n.seconds(45.0) == "45 秒" and i18n.seconds(0.5) == "0.5 秒"


# -- 11. the smaller items ---------------------------------------------------------------------------------------------
def test_compare_opens_on_the_newest_against_its_parent(env):
    app, client, one, two = env
    html = client.get("/compare").text
    assert f"版本{one} → 版本{two}" in html
    assert re.search(rf'<select name="a">.*?<option value="{one}" selected', html, re.S)
    assert re.search(rf'<select name="b">\s*<option value="{two}" selected', html, re.S)


def test_the_change_tables_use_the_adjustment_notices_words(env):
    app, client, one, two = env
    html = client.get(f"/compare?a={one}&b={two}").text
    head = re.search(r'<table class="changes cards" id="changes">\s*<thead>(.*?)</thead>', html, re.S).group(1)
    assert re.findall(r"<th>(.*?)</th>", head)[:4] == ["期次", "变化", "原安排", "调整后"]
    assert "考试时间调整" in html and "改期" not in text_of(html).split("对比两个版本")[1].split("对比图")[0]
    assert i18n.detail("special_ops#12", load_catalogue()) == "特种作业人员 第12期"


def test_no_key_names_on_the_scenario_page(env):
    app, client, *_ = env
    html = client.get("/scenario?name=聚腾停考").text
    assert "extends" not in html


def test_downloads_have_chinese_names_with_an_ascii_fallback(env):
    app, client, one, two = env
    r = client.get(f"/plan/export.xlsx?v={two}")
    cd = r.headers["content-disposition"]
    assert 'filename="plan-2024-v2.xlsx"' in cd and "filename*=UTF-8''" in cd and "%E8%BF%90" in cd  # 运
    cd = client.get(f"/compare/export.xlsx?a={one}&b={two}").headers["content-disposition"]
    assert cd.startswith('attachment; filename="compare-v1-v2.xlsx"; filename*=UTF-8\'\'')
    assert i18n.download_name("notice.docx", 2027) == "运城市2027年安全生产培训考试计划通知.docx"
    assert i18n.download_name("ics/juteng.ics", 2027, load_catalogue()).endswith("2027年考试日历.ics")
    assert i18n.disposition("运城市2027年考试计划-版本3.zip").startswith('attachment; filename="2027-3.zip"')


def test_the_compare_chart_fits_and_says_months_as_the_notice_does():
    from planner.charts.compare import month_label

    assert month_label(dt.date(2027, 3, 1), 2027) == "3月"
    assert month_label(dt.date(2028, 1, 1), 2027) == "2028年1月"
    html = open(i18n.Path(i18n.__file__).with_name("templates") / "compare.html", encoding="utf-8").read()
    assert 'class="chart-box fit"' in html
    css = open(i18n.Path(i18n.__file__).with_name("static") / "app.css", encoding="utf-8").read()
    assert ".chart-box.fit img.chart { max-width: 100%; width: 100%" in css


@pytest.mark.parametrize("typed, want", [
    ("2027-05-06", "2027-05-06"), ("2027/5/6", "2027-05-06"), ("2027年5月6日", "2027-05-06"),
    ("5月6日", "2027-05-06"), ("5月6日至5月12日", "2027-05-06..2027-05-12"),
    ("2027-10-11..2027-10-15", "2027-10-11..2027-10-15"), ("2027/10/11..10/15", "2027-10-11..2027-10-15"),
])
def test_closed_days_take_dates_as_a_planner_types_them(typed, want):
    res = SF.build({"name": "x", "year": "2027", "closed_days": typed}, load_catalogue())
    assert not res.errors, res.errors
    assert f'closed_days = ["{want}"]' in res.toml


def test_every_bad_closed_day_line_is_named():
    err = SF.build({"name": "x", "year": "2027", "closed_days": "5月6日\n昨天\n2027-13-01\n"},
                   load_catalogue()).errors["closed_days"]
    assert "第2行、第3行" in err


def test_the_time_limit_message_says_the_range_it_accepts(env):
    app, client, *_ = env
    r = client.post("/generate", data={**csrf(app), "year": "2024", "time_limit": "0"})
    said = re.search(r'id="err-time_limit">(.*?)</p>', r.text).group(1)
    assert r.status_code == 400 and "大于 0" in said and "0–600" not in said


def test_a_cancelled_job_links_back(env):
    app, client, *_ = env
    job = Job("0a1b2c3d4e5f", {"kind": "generate", "year": 2024, "time_limit": 30, "note": "试排"},
              state="cancelled", started=time.monotonic(), finished=time.monotonic())
    app.state.jobs.adopt(job)
    html = client.get(f"/job/{job.id}").text
    link = re.search(r'<a href="([^"]+)" id="back-after-cancel">', html)
    assert link and link.group(1).startswith("/plan") and "试排" in html


def test_there_is_a_favicon(env):
    app, client, *_ = env
    html = client.get("/plan").text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert client.get(icon).status_code == 200


def test_compare_defaults_to_the_previous_version_of_the_same_year_when_there_is_no_parent():
    from types import SimpleNamespace as V

    from planner.web.routes.compare import default_pair

    vs = [V(id=4, parent=None, year=2027), V(id=3, parent=None, year=2024), V(id=2, parent=None, year=2027)]
    assert default_pair(vs, None, None) == ("2", "4")
    assert default_pair(vs[1:], None, None) == ("2", "3")
    assert default_pair(vs[:1], None, None) == ("", "")
