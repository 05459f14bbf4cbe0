"""The workbench's endpoints through Starlette's test client: pages, jobs, bad input, and the security points.

One workspace per module with one generated year (a real CP-SAT solve in the background worker);
every state-changing test checks that bad input leaves the workspace unchanged.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
import zipfile

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.api import next_year  # noqa: E402
from planner.data import load_catalogue  # noqa: E402
from planner import read_plan  # noqa: E402
from planner.plan import plan_to_csv  # noqa: E402
from planner.web import i18n  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.workspace import OutsideWorkspace, Workspace  # noqa: E402

LIMIT = "5"
YEAR = next_year()


def wait_job(app, resp):
    assert resp.status_code == 303, resp.text[:500]
    jid = resp.headers["location"].rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    return jid, job


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    app = create_app(root, warm=False)
    with TestClient(app) as client:
        r = client.post("/generate", data={"csrf": app.state.csrf, "year": str(YEAR), "time_limit": LIMIT},
                        follow_redirects=False)
        _, job = wait_job(app, r)
        assert job.state == "done", job.outcome
        yield app, client, job.version


def snapshot(ws: Workspace) -> tuple:
    files = sorted(p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*")
                   if p.is_file() and not p.name.startswith("workspace.db"))
    return files, [v.id for v in ws.versions()]


def csrf(app) -> dict:
    return {"csrf": app.state.csrf}


# -- pages ---------------------------------------------------------------------------------------------
def test_generated_year_is_a_version_with_59_sessions_on_the_calendar(env):
    app, client, vid = env
    v = app.state.ws.version(vid)
    assert (v.year, v.kind, v.parent) == (YEAR, "generate", None)
    plan = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    assert len(plan.sessions) == 59
    r = client.get(f"/plan?v={vid}")
    assert r.status_code == 200
    assert r.text.count('class="exam ') == 59
    first = plan.sessions[0]
    assert f"{first.exam_date.month}月{first.exam_date.day}日" in r.text  # the notice's date style
    assert "附件2" in r.text and "附件3" in r.text and "各考点指标" in r.text
    summary = app.state.ws.summary(vid)
    assert summary["sessions"] == 59 and summary["status"] in ("OPTIMAL", "TIME_LIMIT")


@pytest.mark.parametrize("path", ["/plan", "/scenario", "/replan", "/pin", "/compare", "/check", "/publish"])
def test_every_page_renders_in_chinese(env, path):
    _, client, vid = env
    r = client.get(path)
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text and "排考工作台" in r.text


def test_root_redirects_and_unknown_pages_are_chinese_404(env):
    _, client, _ = env
    assert client.get("/", follow_redirects=False).headers["location"] == "/plan"
    r = client.get("/plan?v=999")
    assert r.status_code == 404 and "没有这个版本" in r.text
    assert client.get("/no-such-page").status_code == 404


def test_a_broken_scenario_behind_a_version_is_a_chinese_message(env):
    app, client, _ = env
    app.state.ws.write_scenario("broken", "year = 2027\nunknown_key = 1\n")
    csv = app.state.ws.plan_csv_path(1).read_text(encoding="utf-8")
    vid = app.state.ws.add_version(csv, {}, year=YEAR, scenario="broken", parent=None, note="", kind="upload")
    r = client.get(f"/plan?v={vid}")
    assert r.status_code == 400 and "输入有误" in r.text and "broken.toml" in r.text and "Traceback" not in r.text
    app.state.ws.scenario_path("broken").unlink()  # the version falls back to the embedded rules
    assert client.get(f"/plan?v={vid}").status_code == 200


def test_a_plan_the_wall_clock_stopped_says_a_new_run_may_differ(env):
    """A plan whose search the wall clock ended (``stopped_by``) says so under its title: 生成 again may give
    another plan; one the deterministic limit ended, or a proven one, does not."""
    app, client, _ = env
    csv = app.state.ws.plan_csv_path(1).read_text(encoding="utf-8")
    said = {}
    for stopped in ("wall-clock limit", "deterministic limit", ""):
        summary = {"year": YEAR, "status": "TIME_LIMIT" if stopped else "OPTIMAL", "stopped_by": stopped}
        vid = app.state.ws.add_version(csv, summary, year=YEAR, scenario=None, parent=None, note="", kind="generate")
        page = client.get(f"/plan?v={vid}").text
        said[stopped] = "再次生成可能得到不同的方案" in page and 'id="stopped-by-wall"' in page
    assert said == {"wall-clock limit": True, "deterministic limit": False, "": False}


def test_a_replan_the_limit_stopped_before_a_tier_names_the_tier_in_chinese(env):
    """A re-plan whose time limit came before some of its objectives were searched (summary.json
    ``tiers_unsearched``) says which, in Chinese, and asks for a longer limit; a plan without them says nothing."""
    app, client, _ = env
    csv = app.state.ws.plan_csv_path(1).read_text(encoding="utf-8")
    pages = {}
    for unsearched in (["days_moved", "preferences"], []):
        summary = {"year": YEAR, "status": "TIME_LIMIT", "stopped_by": "deterministic limit",
                   "tiers_unsearched": unsearched}
        vid = app.state.ws.add_version(csv, summary, year=YEAR, scenario=None, parent=None, note="", kind="replan")
        pages[bool(unsearched)] = client.get(f"/plan?v={vid}").text
    assert 'id="unsearched"' in pages[True] and "考试日期移动的天数、各项偏好" in pages[True]
    assert "加大“求解时限”" in pages[True] and "days_moved" not in pages[True]
    assert 'id="unsearched"' not in pages[False]


def test_htmx_is_served_from_the_package(env):
    _, client, _ = env
    r = client.get("/static/htmx.min.js")
    assert r.status_code == 200 and len(r.content) > 10_000
    page = client.get("/plan").text
    # every script and stylesheet from this server (the page's random CSRF token may spell "cdn" by chance)
    sources = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"', page)
    assert "/static/htmx.min.js" in sources and all(u.startswith("/") and not u.startswith("//") for u in sources)


# -- generate: bad input, CSRF -------------------------------------------------------------------------
@pytest.mark.parametrize("data, field", [({"year": "abc"}, "年度须为"), ({"year": "1900"}, "年度须为"),
                                         ({"time_limit": "-1"}, "求解时限"), ({"scenario": "../x"}, "没有这个情景")])
def test_generate_bad_input_is_a_chinese_message_and_changes_nothing(env, data, field):
    app, client, _ = env
    before = snapshot(app.state.ws)
    form = {**csrf(app), "year": str(YEAR), "time_limit": LIMIT, **data}
    r = client.post("/generate", data=form, follow_redirects=False)
    assert r.status_code == 400 and field in r.text and "field-error" in r.text
    assert snapshot(app.state.ws) == before


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_post_without_the_csrf_token_is_refused(env, token):
    app, client, _ = env
    before = snapshot(app.state.ws)
    form = {"year": str(YEAR)} | ({"csrf": token} if token is not None else {})
    r = client.post("/generate", data=form, follow_redirects=False)
    assert r.status_code == 403 and "刷新页面" in r.text
    for path in ("/scenario", "/replan", "/pin", "/check", "/publish/1", "/job/x/cancel"):
        assert client.post(path, data=form).status_code == 403
    assert snapshot(app.state.ws) == before


def test_csrf_token_in_htmx_header_is_accepted(env):
    app, client, _ = env
    r = client.post("/generate", data={"year": "x"}, headers={"X-CSRF-Token": app.state.csrf})
    assert r.status_code == 400  # past the CSRF guard, stopped by the form check


def test_generate_and_replan_offer_the_command_line_s_time_limit(env):
    """The workbench's 生成 and 重新排期 forms start at ``--time-limit``'s default, so that a plan made here is the
    one ``planner plan`` writes for the same inputs; a blank field means that limit too."""
    import argparse

    from planner.commands.common import add_solver_options
    from planner.web.bench import Bench

    app, client, _ = env
    p = argparse.ArgumentParser()
    add_solver_options(p)
    cli = p.parse_args([]).time_limit
    for page in ("/plan", "/replan"):
        field = re.search(r'<input[^>]*name="time_limit"[^>]*>', client.get(page).text).group(0)
        assert float(re.search(r'value="([^"]*)"', field).group(1)) == cli, (page, field)
    errors: dict = {}
    assert Bench.time_limit({"time_limit": ""}, errors) == cli and not errors


# -- jobs: queue, cancel ------------------------------------------------------------------------------
def test_one_solve_at_a_time_queue_positions_and_real_cancel(env):
    import os

    app, client, _ = env
    jobs = app.state.jobs
    # an infeasible what-if with a generous limit: explaining it keeps CP-SAT busy for a long while
    app.state.ws.write_scenario("slow", f"""year = {YEAR}\n[[closures]]\ninstitution = "juteng"\n"""
                                        f"""start = {YEAR}-04-01\nend = {YEAR}-06-30\n""")
    before = snapshot(app.state.ws)
    spec = {"kind": "generate", "root": str(app.state.ws.root), "year": YEAR, "scenario": "slow", "time_limit": 300.0}
    first = jobs.submit(spec)
    second = jobs.submit(spec)
    assert jobs.position(second) >= 1 and second.state == "queued"
    r = client.get(f"/job/{second.id}")
    assert "排队中" in r.text and "排在第" in r.text  # its place (1 or 2: the first may just have started)
    for _ in range(600):  # wait for the first to be handed to the solver process
        if first.state == "running" and jobs._proc is not None:
            break
        jobs.wait(first.id, 0.1)
    assert first.state == "running"
    pid = jobs._proc.pid
    assert "正在求解" in client.get(f"/job/{first.id}").text
    for job in (second, first):
        assert client.post(f"/job/{job.id}/cancel", data=csrf(app), follow_redirects=False).status_code == 303
    assert jobs.wait(first.id, 60).state == "cancelled"
    assert jobs.wait(second.id, 60).state == "cancelled"
    with pytest.raises(ProcessLookupError):  # the solver process is gone, not left computing
        os.kill(pid, 0)
    assert "已取消" in client.get(f"/job/{first.id}").text
    assert snapshot(app.state.ws) == before
    assert client.get("/job/nope").status_code == 404
    (app.state.ws.scenario_path("slow")).unlink()


def test_status_fragment_redirects_htmx_to_the_new_version(env):
    app, client, _ = env
    r = client.post("/generate", data={**csrf(app), "year": str(YEAR), "time_limit": LIMIT, "note": "<b>第二版</b>"},
                    follow_redirects=False)
    jid, job = wait_job(app, r)
    frag = client.get(f"/job/{jid}/status")
    assert frag.headers.get("hx-redirect") == f"/plan?v={job.version}"
    page = client.get(f"/plan?v={job.version}").text
    assert "&lt;b&gt;第二版&lt;/b&gt;" in page and "<b>第二版</b>" not in page  # escaped


# -- scenario form ------------------------------------------------------------------------------------
def closure_form(app, name="q2", **kw):
    return {**csrf(app), "name": name, "year": str(YEAR), "closure_institution_1": "juteng",
            "closure_start_1": f"{YEAR}-04-01", "closure_end_1": f"{YEAR}-06-30", "closure_reason_1": "停业整顿", **kw}


@pytest.mark.parametrize("bad, field, message", [
    ({"closure_end_1": f"{YEAR}-03-01"}, "closure_end_1", "结束日期不能早于开始日期"),
    ({"closure_start_1": "not-a-date"}, "closure_start_1", "不是有效日期"),
    ({"closure_institution_1": "nowhere"}, "closure_institution_1", "请选择机构"),
    ({"name": "../../evil"}, "name", "名称只能由"),
    ({"name": ""}, "name", "请填写情景名称"),
    ({"gap_min": "9", "gap_max": "3"}, "gap_max", "“报名截止至考试 最多天数”不能小于“报名截止至考试 最少天数”"),
    ({"coverage_days": "zero"}, "coverage_days", "须为整数"),
    ({"closed_days": "2027-13-01"}, "closed_days", "第1行不是日期"),
    ({"sessions_special_ops": "0"}, "sessions_special_ops", "场次数须在"),
])
def test_scenario_form_errors_sit_next_to_the_field_and_write_nothing(env, bad, field, message):
    app, client, _ = env
    before = snapshot(app.state.ws)
    r = client.post("/scenario", data=closure_form(app, **bad))
    assert r.status_code == 400
    assert f'id="err-{field}"' in r.text and message in r.text
    assert snapshot(app.state.ws) == before


def test_scenario_refused_by_the_core_is_not_written(env, monkeypatch):
    """What the core's reader refuses (here: made to refuse the closure's end) lands next to that field."""
    import planner.scenario
    from planner.errors import PlannerError

    app, client, _ = env
    before = snapshot(app.state.ws)

    def refuse(path, *a, **kw):
        raise PlannerError("closure ends before it starts", file=path, field="closures[1].end")

    monkeypatch.setattr(planner.scenario, "load_scenario", refuse)
    r = client.post("/scenario", data=closure_form(app, name="refused"))
    assert r.status_code == 400
    assert 'id="err-closure_end_1"' in r.text and "输入有误" in r.text and "closure ends before it starts" in r.text
    assert snapshot(app.state.ws) == before


def test_scenario_saved_is_the_cli_toml_and_reloads_into_the_form(env):
    from planner.scenario import load_scenario

    app, client, _ = env
    r = client.post("/scenario", data=closure_form(app, name="聚腾二季度", coverage_days="120",
                                                   closed_days=f"{YEAR}-05-06\n{YEAR}-10-11..{YEAR}-10-12",
                                                   question='关闭 "聚腾" <一个季度>'), follow_redirects=False)
    assert r.status_code == 303
    path = app.state.ws.scenario_path("聚腾二季度")
    sc = load_scenario(path)
    assert sc.ctx.year == YEAR and not sc.ctx.is_open("juteng", dt.date(YEAR, 5, 1))
    assert sc.ctx.ruleset.rule("coverage").max_days_between_opportunities == 120
    page = client.get(r.headers["location"]).text
    assert "已保存" in page and 'value="120"' in page and f"{YEAR}-10-11..{YEAR}-10-12" in page
    assert "&lt;一个季度&gt;" in page


def test_license_field_says_when_the_core_lacks_it(env):
    from planner.web.scenario_form import licenses_supported

    app, client, _ = env
    page = client.get("/scenario").text
    assert 'name="license_category"' in page
    form = closure_form(app, name="lic", license_institution="ruiyang", license_category="electrical",
                        license_start=f"{YEAR}-04-01", license_end=f"{YEAR}-06-30")
    r = client.post("/scenario", data=form, follow_redirects=False)
    if licenses_supported():
        assert r.status_code == 303
        assert "[[licenses]]" in app.state.ws.scenario_path("lic").read_text(encoding="utf-8")
    else:
        assert "尚不支持" in page
        assert r.status_code == 400 and "尚不支持" in r.text
        assert not app.state.ws.scenario_path("lic").exists()


# -- replan, pin, accept, compare ---------------------------------------------------------------------
def test_replan_keeps_sessions_before_the_date_and_accepts_as_a_child_version(env):
    app, client, vid = env
    client.post("/scenario", data=closure_form(app, name="relaxed", coverage_days="120"))
    bad = client.post("/replan", data={**csrf(app), "v": str(vid), "from_date": "1999-01-01", "scenario": "relaxed"})
    assert bad.status_code == 400 and "计划区间内" in bad.text
    frm = f"{YEAR}-04-01"
    r = client.post("/replan", data={**csrf(app), "v": str(vid), "from_date": frm, "scenario": "relaxed",
                                     "time_limit": LIMIT}, follow_redirects=False)
    jid, job = wait_job(app, r)
    assert job.state == "done", job.outcome
    page = client.get(f"/job/{jid}").text
    assert "4月1日之前" in page and "接受为新版本" in page and "停考期间该机构不安排考试" in page
    # the job's page says which objectives the time limit left unsearched (none here; as a cut-short run has them)
    assert 'id="job-unsearched"' not in page and not job.outcome["summary"]["tiers_unsearched"]
    job.outcome["summary"]["tiers_unsearched"] = ["days_moved"]
    cut_short = client.get(f"/job/{jid}").text
    assert 'id="job-unsearched"' in cut_short and "未及全面优化" in cut_short and "考试日期移动的天数" in cut_short
    job.outcome["summary"]["tiers_unsearched"] = []
    assert job.outcome["changes"] and all(c["old"] is None or c["old"]["exam"] >= frm for c in job.outcome["changes"])
    r = client.post(f"/job/{jid}/accept", data={**csrf(app), "note": "聚腾停考"}, follow_redirects=False)
    new = int(r.headers["location"].split("=")[-1])
    v = app.state.ws.version(new)
    assert (v.parent, v.kind, v.scenario) == (vid, "replan", "relaxed")
    old = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    cur = read_plan(app.state.ws.plan_csv_path(new), load_catalogue())
    before = [s for s in old.sessions if s.exam_date < dt.date.fromisoformat(frm)]
    assert before and all(s in cur.sessions for s in before)
    assert not any(s.institution == "juteng" and dt.date(YEAR, 4, 1) <= s.exam_date <= dt.date(YEAR, 6, 30)
                   for s in cur.sessions)
    assert [c.id for c in app.state.ws.chain(new)] == [new, vid]
    # accepting twice does not add a second version
    again = client.post(f"/job/{jid}/accept", data=csrf(app), follow_redirects=False)
    assert again.headers["location"] == f"/plan?v={new}"
    cmp = client.get(f"/compare?a={vid}&b={new}")
    assert cmp.status_code == 200 and "各考点指标变化" in cmp.text and cmp.text.count('class="change"') == len(
        job.outcome["changes"])
    png = client.get(f"/compare/chart.png?a={vid}&b={new}")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_pin_offers_only_allowed_days_and_moves_the_session(env):
    app, client, vid = env
    plan = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    s = plan.stream("special_ops")[5]
    page = client.get(f"/pin?v={vid}&s=special_ops-{s.no}").text
    days = [dt.date.fromisoformat(x) for x in __import__("re").findall(r'<option value="(\d{4}-\d\d-\d\d)"', page)]
    assert days and all(d.weekday() < 5 or d.isoformat() in page for d in days)
    assert f'<option value="{s.exam_date.isoformat()}" selected>' in page  # the list opens on the session's date
    from planner.api import make_context

    ctx = make_context(YEAR)
    assert all(ctx.calendar.is_working_day(d) for d in days)
    sunday = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(1, 8)) if not ctx.calendar.is_working_day(d))
    before = snapshot(app.state.ws)
    bad = client.post("/pin", data={**csrf(app), "v": str(vid), "s": f"special_ops-{s.no}", "date": sunday.isoformat()})
    assert bad.status_code == 400 and "允许的日期" in bad.text and snapshot(app.state.ws) == before
    target = next(d for d in days if d != s.exam_date and abs((d - s.exam_date).days) <= 3)
    r = client.post("/pin", data={**csrf(app), "v": str(vid), "s": f"special_ops-{s.no}", "date": target.isoformat(),
                                  "time_limit": LIMIT}, follow_redirects=False)
    jid, job = wait_job(app, r)
    assert job.state == "done", job.outcome
    job_page = client.get(f"/job/{jid}").text
    assert "调整方案" in job_page
    row = next(r for r in job_page.split('<tr class="change">')[1:] if f"第{s.no}期" in r.split("</td>")[0])
    assert "按要求固定在新日期" in row and "连带调整" not in row  # the pinned session is not its own knock-on
    r = client.post(f"/job/{jid}/accept", data=csrf(app), follow_redirects=False)
    new = int(r.headers["location"].split("=")[-1])
    cur = read_plan(app.state.ws.plan_csv_path(new), load_catalogue())
    assert cur.by_key()[("special_ops", s.no)].exam_date == target
    assert app.state.ws.version(new).kind == "pin"


def _pin(app, client, vid, s, day):
    r = client.post("/pin", data={**csrf(app), "v": str(vid), "s": f"{s.stream}-{s.no}", "date": day.isoformat(),
                                  "time_limit": LIMIT}, follow_redirects=False)
    return wait_job(app, r)


def test_a_pin_s_knock_on_change_can_be_refused(env):
    """固定一场 proposes the knock-on changes it needs; each has 拒绝此调整 (the moved session has none). Refusing
    one solves again with that session kept as the version has it: a plan that keeps it, or the conflict that
    names it; either way the earlier proposal stays, and a refusal of the moved session itself is refused."""
    import re

    app, client, vid = env
    plan = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    ctx = app.state.bench.plan_of(app.state.ws.version(vid))[1]
    for s in sorted(plan.stream("special_ops"), key=lambda s: s.no)[3:9]:
        day = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(14, 21)) if ctx.calendar.is_working_day(d))
        jid, job = _pin(app, client, vid, s, day)
        assert job.state == "done", job.outcome
        page = client.get(f"/job/{jid}").text
        keys = re.findall(r'name="key" value="([a-z_]+-\d+)"', page)
        if keys:
            break
    else:
        pytest.fail("no pin 14-20 days later needed a knock-on change")
    knock_ons = {f"{c['stream']}-{c['no']}" for c in job.outcome["changes"] if c["old"] and c["new"]}
    rows = page.split('<tr class="change">')[1:]
    said = [d for r in rows for d in re.findall(r"<div>([^<]*)</div>", r.split("</tr>")[0])]
    assert said and not [d for d in said if re.search(r"[A-Za-z]", d)]  # every reason in Chinese
    assert set(keys) == knock_ons - {f"{s.stream}-{s.no}"} and f"{s.stream}-{s.no}" not in keys
    before = snapshot(app.state.ws)
    own = client.post(f"/job/{jid}/refuse", data={**csrf(app), "key": f"{s.stream}-{s.no}"})
    assert own.status_code == 400 and "不能拒绝" in own.text and snapshot(app.state.ws) == before
    r = client.post(f"/job/{jid}/refuse", data={**csrf(app), "key": keys[0]}, follow_redirects=False)
    new_id, new = wait_job(app, r)
    assert new.spec["refuse"] == [[keys[0].rpartition("-")[0], int(keys[0].rpartition("-")[2])]]
    page = client.get(f"/job/{new_id}").text
    assert f'href="/job/{jid}"' in page  # the way back to the proposal refused from
    refused = plan.by_key()[(keys[0].rpartition("-")[0], int(keys[0].rpartition("-")[2]))]
    if new.state == "done":  # a plan that keeps the refused session as it was, the pinned one where asked
        assert "已拒绝" in page
        moved = {(c["stream"], c["no"]): c for c in new.outcome["changes"]}
        assert refused.key not in moved and moved[s.key]["new"]["exam"] == day.isoformat()
    else:
        assert "后没有可行方案" in page and f"第{refused.no}期" in page
    assert client.get(f"/job/{jid}").status_code == 200 and app.state.jobs.get(jid).state == "done"


# -- check uploads --------------------------------------------------------------------------------------
def upload(client, app, name, data, ctype="text/csv"):
    return client.post("/check", data=csrf(app), files={"plan": (name, data, ctype)})


def test_check_clean_and_broken_csv(env):
    app, client, vid = env
    text = app.state.ws.plan_csv_path(vid).read_text(encoding="utf-8")
    r = upload(client, app, "plan.csv", text.encode())
    assert r.status_code == 200 and "没有违反任何规则" in r.text
    plan = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    s = plan.stream("special_ops")[3]
    from planner.api import make_context

    ctx = make_context(YEAR)
    off = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(1, 9)) if not ctx.calendar.is_working_day(d))
    edited = plan.with_sessions([x if x != s else x.__class__(x.stream, x.no, x.registration_deadline, off,
                                                                 x.institution, x.kind) for x in plan.sessions])
    r = upload(client, app, "edited.csv", plan_to_csv(edited).encode())
    assert r.status_code == 200 and 'class="violation"' in r.text
    assert "考试安排在法定工作日" in r.text and f"第{s.no}期" in r.text
    assert f"{off.month}月{off.day}日不是法定工作日" in r.text
    from planner.ruleset import load_ruleset

    for rule in [*load_ruleset(None, load_catalogue()).rules]:  # every hard rule has its Chinese wording
        assert i18n.rule_title(rule.name) != rule.name and i18n.rule_texts(rule.name)["broken"]


def test_a_checked_upload_becomes_a_version_and_a_broken_one_does_not(env):
    import html
    import re

    app, client, vid = env
    text = app.state.ws.plan_csv_path(vid).read_text(encoding="utf-8")
    page = upload(client, app, "published.csv", text.encode()).text
    assert 'id="import"' in page
    sent = html.unescape(re.search(r'name="plan_csv" value="([^"]*)"', page).group(1))
    assert sent == text
    before = snapshot(app.state.ws)
    from planner.api import make_context

    plan = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    s = plan.stream("special_ops")[4]
    cal = make_context(YEAR).calendar
    off = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(1, 9)) if not cal.is_working_day(d))
    broken = plan_to_csv(plan.with_sessions([x if x != s else x.__class__(x.stream, x.no, x.registration_deadline,
                                                                         off, x.institution, x.kind)
                                             for x in plan.sessions]))
    r = client.post("/import", data={**csrf(app), "plan_csv": broken})
    assert r.status_code == 400 and "不能保存为版本" in r.text
    assert client.post("/import", data={**csrf(app), "plan_csv": ""}).status_code == 400
    assert client.post("/import", data={**csrf(app), "plan_csv": "a,b\n1,2\n"}).status_code == 400
    assert snapshot(app.state.ws) == before
    r = client.post("/import", data={**csrf(app), "plan_csv": sent, "note": "已发布"}, follow_redirects=False)
    new = int(r.headers["location"].split("=")[-1])
    v = app.state.ws.version(new)
    assert (v.kind, v.note, v.parent) == ("upload", "已发布", None)
    assert app.state.ws.plan_csv_path(new).read_text(encoding="utf-8") == text


def test_check_against_a_workspace_scenario(env):
    app, client, vid = env
    plan = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    inside = [s for s in plan.sessions if s.institution == "juteng" and dt.date(YEAR, 4, 1) <= s.exam_date
              <= dt.date(YEAR, 6, 30)]
    assert inside
    client.post("/scenario", data=closure_form(app, name="closed_check"))
    r = client.post("/check", data={**csrf(app), "scenario": "closed_check"},
                    files={"plan": ("plan.csv", plan_to_csv(plan).encode(), "text/csv")})
    assert r.status_code == 200 and "处于停考期间" in r.text
    assert r.text.count('class="violation"') >= len(inside)
    assert 'id="import"' not in r.text


@pytest.mark.parametrize("name, data, message", [
    ("plan.txt", b"x", "只能上传"),
    ("plan.xlsx", b"not a zip", "不是有效的 Excel"),
    ("plan.csv", b"", "文件是空的"),
    ("plan.csv", b"a,b\n1,2\n", "输入有误"),
    ("plan.csv", b"\x00\x01\x02", "不是文本格式"),
    ("../../../etc/passwd.csv", b"a,b\n", "输入有误"),
])
def test_bad_uploads_get_a_chinese_message(env, name, data, message):
    app, client, _ = env
    before = snapshot(app.state.ws)
    r = upload(client, app, name, data)
    assert r.status_code == 400 and message in r.text
    assert snapshot(app.state.ws) == before


def test_uploads_over_5_mb_are_refused(env):
    app, client, _ = env
    before = snapshot(app.state.ws)
    r = upload(client, app, "big.csv", b"a" * (5 * 1024 * 1024 + 100_000))
    assert r.status_code in (400, 413) and ("5 MB" in r.text)
    r = upload(client, app, "big.csv", b"a" * (5 * 1024 * 1024 + 1))
    assert r.status_code in (400, 413) and "5 MB" in r.text
    assert snapshot(app.state.ws) == before


def test_check_without_a_file(env):
    app, client, _ = env
    r = client.post("/check", data=csrf(app))
    assert r.status_code == 400 and "请选择要检查的文件" in r.text


# -- publish, downloads, traversal --------------------------------------------------------------------------
def test_publish_zip_files_and_ics_subscription(env, tmp_path):
    app, client, vid = env
    assert client.get("/ics/huaan.ics").status_code in (200, 404)
    app.state.bench.documents = False  # the first set without LibreOffice's PDFs (seconds); the revision's has them
    try:
        r = client.post(f"/publish/{vid}", data=csrf(app), follow_redirects=False)
    finally:
        app.state.bench.documents = True
    assert r.status_code == 303
    page = client.get(f"/publish?v={vid}").text
    assert "notice.xlsx" in page and "/ics/juteng.ics" in page
    assert "通知附件1–4（Excel/WPS 表格）" in page and "机构日历：聚腾（日历订阅文件）" in page
    z = client.get(f"/zip/{vid}")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        names = zf.namelist()
        assert "notice.xlsx" in names and "report.html" in names and "ics/juteng.ics" in names
        assert "发布前核对.txt" not in names  # the planner's own checklist never goes out in the zip
        (tmp_path / "notice.xlsx").write_bytes(zf.read("notice.xlsx"))
    back = read_plan(tmp_path / "notice.xlsx", load_catalogue(), year=YEAR)
    assert back.sessions == read_plan(app.state.ws.plan_csv_path(vid), load_catalogue()).sessions
    f = client.get(f"/files/{vid}/notice.xlsx")
    assert f.status_code == 200 and f.content.startswith(b"PK")
    latest = app.state.ws.latest_published()
    ics = client.get("/ics/juteng.ics")
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content
    assert ics.content == app.state.ws.published_file(latest, "ics/juteng.ics").read_bytes()
    assert client.get("/ics/nowhere.ics").status_code == 404
    # publishing a revision: the subscription now serves it, changed events with a higher SEQUENCE
    rev = next((v for v in app.state.ws.versions() if v.parent == vid), None)
    if rev is None:  # run on its own (-k): make the revision here
        client.post("/scenario", data=closure_form(app, name="relaxed", coverage_days="120"))
        r = client.post("/replan", data={**csrf(app), "v": str(vid), "from_date": f"{YEAR}-04-01",
                                         "scenario": "relaxed", "time_limit": LIMIT}, follow_redirects=False)
        jid, _ = wait_job(app, r)
        client.post(f"/job/{jid}/accept", data=csrf(app))
        rev = next(v for v in app.state.ws.versions() if v.parent == vid)
    moved = {c.new.institution for c in __import__("planner.compare", fromlist=["x"]).diff_plans(
        read_plan(app.state.ws.plan_csv_path(vid), load_catalogue()),
        read_plan(app.state.ws.plan_csv_path(rev.id), load_catalogue())) if c.new is not None}
    assert moved
    r = client.post(f"/publish/{rev.id}", data=csrf(app), follow_redirects=False)
    assert r.status_code == 303, re.sub(r"<[^>]+>", " ", r.text)[-800:]
    assert app.state.ws.latest_published() == rev.id
    files = set(app.state.ws.published_files(rev.id))  # as `planner publish --revision-of` makes them
    assert {"revision.docx", "revision.xlsx", "calendar_a3.pdf"} <= files
    if __import__("shutil").which("soffice"):
        assert {"notice.pdf", "revision.pdf"} <= files
    _revision_as_the_cli_words_it(app, vid, rev.id)
    inst = sorted(moved)[0]
    revised = client.get(f"/ics/{inst}.ics").content
    assert revised == app.state.ws.published_file(rev.id, f"ics/{inst}.ics").read_bytes()
    assert b"SEQUENCE:1" in revised


def _revision_as_the_cli_words_it(app, vid, rid):
    """The 发布 page's 调整通知 gives each row the reason `planner replan` gives (``replan.reasons``) and cites the
    notice the institutions had by its exact title, as the 调整 page does."""
    import json

    import docx
    import openpyxl

    from planner.publish.revision import revision_rows
    from planner.replan import reasons

    ws = app.state.ws
    old, (new, ctx) = read_plan(ws.plan_csv_path(vid), load_catalogue()), app.state.bench.plan_of(ws.version(rid))
    want = [r[-1] for r in revision_rows(old, new, ctx, reasons(old, new, ctx))]
    # a reason beyond "what changed" where a rule or another change forced it; a single change no rule forces (a
    # pin moved by hand) is worded by what changed alone, as `planner publish --revision-of` words it
    assert want
    sheet = openpyxl.load_workbook(ws.published_file(rid, "revision.xlsx")).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert set(want) <= cells
    title = json.loads(ws.published_file(vid, "plan.json").read_text(encoding="utf-8"))["notice"]["title"]
    text = "\n".join(p.text for p in docx.Document(str(ws.published_file(rid, "revision.docx"))).paragraphs)
    assert title in text


@pytest.mark.parametrize("path", [
    "/files/1/../../workspace.db", "/files/1/%2e%2e/%2e%2e/workspace.db", "/files/1/..%2F..%2Fworkspace.db",
    "/files/1/%2e%2e%2fplan.csv", "/files/1//etc/passwd", "/files/..%2F..%2Fetc/passwd", "/zip/..%2F1",
    "/scenario?name=..%2F..%2Fworkspace", "/scenario?name=../x", "/ics/..%2F..%2Fworkspace.db.ics",
    "/ics/%2e%2e%2f%2e%2e%2fplan.ics", "/static/../workspace.py", "/static/..%2Fapp.py",
])
def test_no_path_leaves_the_workspace(env, path):
    _, client, _ = env
    r = client.get(path)
    assert r.status_code in (400, 404)
    assert b"SQLite" not in r.content and b"root:" not in r.content and b"def create_app" not in r.content


def test_workspace_refuses_paths_outside(tmp_path):
    ws = Workspace(tmp_path / "w")
    with pytest.raises(OutsideWorkspace):
        ws.inside("..", "x")
    with pytest.raises(OutsideWorkspace):
        ws.scenario_path("../x")
    with pytest.raises(OutsideWorkspace):
        ws.published_file(1, "../plan.csv")
    ws.version_dir(1).mkdir(parents=True)
    with pytest.raises(OutsideWorkspace):
        ws.write_published(1, {"../../escape.txt": b"x"})
    assert not (tmp_path / "w" / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()


def test_a_failed_write_leaves_no_version(tmp_path, monkeypatch):
    import planner.web.workspace as W

    ws = Workspace(tmp_path / "w")
    ws.add_version("a\n", {}, year=YEAR, scenario=None, parent=None, note="", kind="generate")

    def boom(path, text, encoding="utf-8"):
        raise OSError("disk full")

    monkeypatch.setattr(W, "atomic_write_text", boom)
    with pytest.raises(OSError):
        ws.add_version("b\n", {}, year=YEAR, scenario=None, parent=1, note="", kind="replan")
    assert [v.id for v in ws.versions()] == [1]
    assert sorted(p.name for p in (ws.root / "versions").iterdir()) == ["1"]
    with sqlite3.connect(ws.db_path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- token --------------------------------------------------------------------------------------------
def test_token_is_required_then_kept_in_a_cookie(tmp_path):
    app = create_app(tmp_path / "w", token="s3cret", warm=False)
    with TestClient(app) as client:
        r = client.get("/plan")
        assert r.status_code == 403 and "访问令牌" in r.text
        assert client.get("/static/htmx.min.js").status_code == 403
        assert client.get("/plan?token=wrong").status_code == 403
        assert client.post("/generate", data={"csrf": app.state.csrf, "year": "x"}).status_code == 403
        r = client.get("/plan?token=s3cret")
        assert r.status_code == 200 and "planner_token" in r.headers.get("set-cookie", "")
        assert client.get("/scenario").status_code == 200  # the cookie carries it now
        assert "还没有计划" in client.get("/publish").text
        from planner.data import scenarios_dir

        csv = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
        vid = app.state.ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="", kind="upload")
        page = client.get(f"/publish?v={vid}").text
        from planner.web.security import institution_token

        sub = institution_token(app.state.bench.sub_token, "huaan")  # the links carry a read-only token, never the planner's
        assert f"/ics/huaan.ics?token={sub}" in page and "s3cret" not in page
    with TestClient(app) as other:
        assert other.get("/ics/huaan.ics").status_code == 403
        assert other.get("/ics/huaan.ics?token=s3cret").status_code == 404  # allowed in, nothing published yet


def test_loopback_server_answers_only_loopback_host_names(tmp_path):
    app = create_app(tmp_path / "w", allowed_hosts={"127.0.0.1", "localhost", "::1"}, warm=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/plan").status_code == 200
        assert client.get("/plan", headers={"host": "[::1]:8765"}).status_code == 200
        r = client.get("/plan", headers={"host": "attacker.example:8765"})
        assert r.status_code == 403 and "地址不正确" in r.text


def test_serve_on_a_network_address_generates_a_token(monkeypatch, tmp_path, capsys):
    import socket

    import uvicorn

    from planner.cli import main

    def free() -> str:
        with socket.socket() as s_:
            s_.bind(("127.0.0.1", 0))
            return str(s_.getsockname()[1])

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    assert main(["serve", "--workspace", str(tmp_path / "w"), "--host", "0.0.0.0", "--port", free()]) == 0
    out = capsys.readouterr().out
    assert "generated access token" in out and seen["app"].state.token and seen["app"].state.token in out
    p2 = free()
    assert main(["serve", "--workspace", str(tmp_path / "w2"), "--port", p2]) == 0
    assert seen["app"].state.token is None and f"http://127.0.0.1:{p2}/" in capsys.readouterr().out
    assert main(["serve", "--workspace", str(tmp_path / "w3"), "--port", "0"]) == 2
    # the workspace of a running server cannot be served twice (one solve queue per workspace)
    capsys.readouterr()
    assert main(["serve", "--workspace", str(tmp_path / "w2"), "--port", free()]) == 2
    assert "in use by another planner serve (pid " in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--workspace", str(tmp_path / "w4"), "--port", str(port)]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert (tmp_path / "w2" / "workspace.db").is_file()


# -- the Chinese wording of core errors ----------------------------------------------------------------
def test_infeasible_conflict_is_said_in_chinese_with_rule_titles():
    cat = load_catalogue()
    conflict = ["coverage[special_ops:elec_cable] (each offered operation type at most max_days_between_opportunities "
                "apart; max_days_between_opportunities=60)", "institution_open[juteng] (no session at a closed "
                "institution)", "session_count[special_ops] (number of sessions per stream): 48 sessions",
                "pin[special_ops#12] (the session pinned by the scenario or kept as published)",
                "waiting[special_ops:hazchem] (no candidate waits longer than max_wait_days for a seat)"]
    view = i18n.error_view({"type": "infeasible", "conflict": conflict}, cat)
    assert view["headline"] == "以下规则无法同时满足："
    titles = [(i["title"], i["detail"]) for i in view["items"]]
    assert ("停考期间该机构不安排考试", "聚腾") in titles
    assert ("每个作业类别两次考试机会的最长间隔", "特种作业人员·电力电缆作业") in titles
    assert any(i["relax"] for i in view["items"])
    assert ("固定的场次（情景中固定，或重新排期时保持不变）", "特种作业人员 第12期") in titles
    # a category of the candidates' queue (sizing's exit 3, an explained infeasibility) by its notice name, no code
    assert ("考生候考天数上限", "特种作业人员·危险化学品安全作业") in titles
    inp = i18n.error_view({"type": "input", "message": "bad", "field": "closures[1].end", "row": 3}, cat)
    assert inp["headline"].startswith("输入有误：") and "停考" in inp["headline"] and "第3行" in inp["headline"]


def test_a_wall_clock_bound_always_ends_a_job(tmp_path, monkeypatch):
    """However long CP-SAT would go on, the job ends (state timeout) and its process is stopped."""
    import os

    import planner.web.jobs as J

    monkeypatch.setattr(J, "WALL_FLOOR", 1.0)
    monkeypatch.setattr(J, "WALL_PER_UNIT", 0.0)
    ws = Workspace(tmp_path / "w")
    ws.write_scenario("slow", f'year = {YEAR}\n[[closures]]\ninstitution = "juteng"\nstart = {YEAR}-04-01\n'
                              f'end = {YEAR}-06-30\n')
    queue = J.JobQueue()
    try:
        job = queue.submit({"kind": "generate", "root": str(ws.root), "year": YEAR, "scenario": "slow",
                            "time_limit": 300.0})
        for _ in range(600):
            if queue._proc is not None or job.state in J.FINISHED:
                break
            queue.wait(job.id, 0.05)
        pid = queue._proc.pid if queue._proc is not None else None
        assert queue.wait(job.id, 120).state == "timeout"
        if pid is not None:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        assert ws.versions() == []
    finally:
        queue.shutdown()


def test_published_file_labels_tell_the_notice_from_its_attachments():
    from planner.data import load_catalogue
    from planner.web.i18n import file_label

    cat = load_catalogue()
    assert file_label("notice.docx", cat).startswith("通知全文") and "Word" in file_label("notice.docx", cat)
    assert file_label("notice.xlsx", cat).startswith("通知附件1–4")
    assert file_label("revision.xlsx", cat).startswith("调整通知")
    assert file_label("ics/huaan.ics", cat) == "机构日历：华安（日历订阅文件）"


def test_serve_leaves_the_pdfs_out_with_planner_pdf_0_as_publish_does(monkeypatch, tmp_path, capsys):
    import socket

    import uvicorn

    from planner.cli import main

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    for value, documents in (("0", False), ("", True)):
        monkeypatch.setenv("PLANNER_PDF", value)
        with socket.socket() as s_:
            s_.bind(("127.0.0.1", 0))
            port = str(s_.getsockname()[1])
        assert main(["serve", "--workspace", str(tmp_path / f"w{value or 'x'}"), "--port", port]) == 0
        assert seen["app"].state.bench.documents is documents
    capsys.readouterr()
