"""需求与考位 through Starlette's test client: the demand edited, refused in Chinese, saved as versions and exported;
the load of a plan under it (figures equal to the queue's own), the two charts, 需求 ± % in the scenario form, and
推荐场次 as a background job whose figures equal ``planner size``'s sizing.csv.

One workspace for the module, holding the published 2024 plan as a version (no solve) and a tiny rule set for
the sizing job (one managers' site, a hand-sized demand), so the module stays quick.
"""
from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pytest

# the test client (skipped without fastapi and httpx) and the 2024 plan stored as a version, as 修改一场 uses them
from test_web_edit import PLAN_CSV, TestClient

from planner.data import constraints_dir, load_catalogue, scenarios_dir
from planner.ruleset import read_toml
from planner.demand import LINES, demand_to_toml, load_demand, scale_candidates
from planner.queueing import evaluate
from planner.web import demands as D
from planner.web.app import create_app
from test_sizing import HAND_RULES  # one managers' site and a waiting limit


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    rules = tmp_path_factory.mktemp("rules") / "hand.toml"
    rules.write_text(HAND_RULES, encoding="utf-8")
    app = create_app(root, documents=False, warm=False)  # 发布 without LibreOffice's PDFs (seconds)
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None,
                                   parent=None, note="2024年通知", kind="upload")
    with TestClient(app) as client:
        yield app, client, vid, rules


def post(app, client, url, data, **kw):
    return client.post(url, data={"csrf": app.state.csrf, **data}, follow_redirects=False, **kw)


def estimate():
    return load_demand(None, load_catalogue())


def test_the_page_shows_the_estimate_and_a_plan_s_load_as_the_queue_computes_it(env):
    app, client, vid, _ = env
    r = client.get(f"/demand?v={vid}")
    assert r.status_code == 200
    assert "数据性质：<strong>估计</strong>" in r.text and "程序提供的估计" in r.text
    assert 'href="/demand"' in r.text and "需求与考位" in r.text  # the menu entry
    for name in ("电工作业", "焊接与热切割作业", "华安"):
        assert name in r.text
    plan, ctx = app.state.bench.plan_of(app.state.ws.version(vid))
    load = evaluate(plan, ctx.with_demand(estimate())).summary()
    assert f"全年预计考生{load['expected_candidates']}人（估计）" in r.text
    assert f"结转下年{load['unserved']}人；最长候考{load['max_wait_days']}天" in r.text
    # the waits are the seated candidates': the sentence must not claim them of all (the carried over are not in them)
    assert f"已安排的考生中95%不超过{load['p95_wait_days']}天" in r.text and "95%的考生" not in r.text
    assert 'id="chart-candidates"' in r.text and 'id="chart-waits"' in r.text


def test_bad_values_are_refused_in_chinese_field_by_field_and_nothing_is_saved(env):
    app, client, vid, _ = env
    before = D.numbers(app.state.ws)
    bad = {"c.special_ops.electrical.first_time": "-5", "c.managers.managers.renewal": "abc",
           "s.huaan.seats_per_day": "0", "s.juteng.days_per_session": "9", "c.special_ops.welding.retake": "2.5"}
    r = post(app, client, "/demand", bad)
    assert r.status_code == 400
    assert "表单有 5 处需要修改" in r.text
    assert 'id="err-c.special_ops.electrical.first_time">须在 0–2000000 之间' in r.text
    assert 'id="err-c.managers.managers.renewal">须为整数' in r.text
    assert 'id="err-s.huaan.seats_per_day">须在 1–100000 之间' in r.text
    assert 'id="err-s.juteng.days_per_session">须在 1–5 之间' in r.text  # against that site's most days
    assert 'id="err-c.special_ops.welding.retake">须为整数' in r.text
    assert 'value="abc"' in r.text  # what the planner typed stays in the form
    assert D.numbers(app.state.ws) == before


def test_edits_are_saved_as_versions_exported_and_restored_never_overwritten(env):
    app, client, vid, _ = env
    ws = app.state.ws
    r = post(app, client, "/demand", {"c.special_ops.electrical.first_time": "12000", "s.ruiyang.seats_per_day": "80",
                                      "status": "实际", "note": "3月报名", "v": str(vid)})
    assert r.status_code == 303
    first = D.numbers(ws)[-1]
    assert r.headers["location"] == f"/demand?d={first}&saved=1&v={vid}"
    saved = D.load(ws, first, load_catalogue())
    assert saved.streams["special_ops"].categories["electrical"].first_time == 12000
    assert saved.sites["ruiyang"].seats_per_day == 80 and saved.status == "实际"
    base = estimate()
    assert saved.streams["managers"] == base.streams["managers"]  # the rest as it was
    assert D.meta(ws, first)["note"] == "3月报名"
    page = client.get(r.headers["location"]).text
    assert f"已保存为第{first}版" in page and "数据性质：<strong>实际</strong>" in page
    exported = client.get(f"/demand/export.toml?d={first}")
    assert exported.status_code == 200 and exported.content == D.path(ws, first).read_bytes()
    assert tomllib.loads(exported.text)["streams"]["special_ops"]["categories"]["electrical"]["first_time"] == 12000
    text_first = D.path(ws, first).read_text(encoding="utf-8")
    post(app, client, "/demand", {"d": str(first), "c.special_ops.electrical.first_time": "1"})
    second = D.numbers(ws)[-1]
    assert second == first + 1 and D.path(ws, first).read_text(encoding="utf-8") == text_first
    r = post(app, client, "/demand/restore", {"d": str(first)})
    third = D.numbers(ws)[-1]
    assert r.status_code == 303 and third == second + 1
    again, was = D.load(ws, third, load_catalogue()), D.load(ws, first, load_catalogue())
    assert (again.streams, again.sites, again.status) == (was.streams, was.sites, was.status)
    post(app, client, "/demand/restore", {"d": "estimate"})
    assert D.load(ws, D.numbers(ws)[-1], load_catalogue()).streams == base.streams
    assert any(c["what"].startswith("save-demand") for c in ws.changes())
    assert client.get("/demand?d=999").status_code == 404
    assert client.get("/demand?d=../x").status_code == 404


def test_publish_adds_the_candidates_only_when_the_planner_asks(env):
    app, client, vid, _ = env
    ws = app.state.ws
    assert post(app, client, f"/publish/{vid}", {}).status_code == 303
    assert "charts/candidates_month.svg" not in ws.published_files(vid)
    assert "考生与考位" not in ws.published_file(vid, "report.html").read_text(encoding="utf-8")
    assert post(app, client, f"/publish/{vid}", {"with_demand": "1"}).status_code == 303
    files = ws.published_files(vid)
    assert {"charts/candidates_month.svg", "charts/waits.svg"} <= set(files)
    status = D.load(ws, D.chosen(ws, None), load_catalogue()).status
    assert f"考生与考位（{status}）" in ws.published_file(vid, "report.html").read_text(encoding="utf-8")


def test_a_pin_of_a_published_version_counts_the_candidates_it_moves(env):
    """固定一场 on a version published with its candidates: the proposal says, change by change, how many of the
    published set's expected candidates (plan.json) see their exam date or site change, and their sum, recomputed
    here from plan.json and the proposal's changes alone."""
    import datetime as dt
    import json

    from planner.planio import read_plan

    app, client, vid, _ = env
    ws = app.state.ws
    assert post(app, client, f"/publish/{vid}", {"with_demand": "1"}).status_code == 303
    doc = json.loads(ws.published_file(vid, "plan.json").read_text(encoding="utf-8"))
    expected = {(s["stream"], int(s["no"])): int(s.get("expected_candidates") or 0) for s in doc["sessions"]}
    plan, ctx = app.state.bench.plan_of(ws.version(vid))
    s = sorted(plan.stream("special_ops"), key=lambda x: x.no)[4]
    day = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(14, 21)) if ctx.calendar.is_working_day(d))
    r = post(app, client, "/pin", {"v": str(vid), "s": f"{s.stream}-{s.no}", "date": day.isoformat(),
                                   "time_limit": "5"})
    jid = r.headers["location"].rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    assert job.state == "done", job.outcome
    moved = [(c["stream"], c["no"]) for c in job.outcome["changes"] if c["new"] is None
             or (c["new"]["exam"], c["new"]["institution"]) != (c["old"]["exam"], c["old"]["institution"])]
    want = sum(expected[k] for k in moved)
    assert s.key in moved and want >= expected[s.key] > 0
    page = client.get(f"/job/{jid}").text
    assert "受影响考生" in page and f'id="affected">{want}</strong>' in page
    assert f"（按发布时的预计考生数，{doc['demand']['status']}）" in page  # an estimate says so
    assert read_plan(ws.plan_csv_path(vid), ctx.catalogue, year=2024).sessions == plan.sessions  # nothing stored
    ws.drop_pending(jid)  # the module's later tests expect no proposal waiting


def test_the_charts_are_png_of_the_plan_under_the_demand(env):
    app, client, vid, _ = env
    for stem in ("candidates_month", "waits"):
        r = client.get(f"/demand/chart/{stem}.png?v={vid}")
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG") and r.headers["content-type"] == "image/png"
    assert client.get(f"/demand/chart/calendar.png?v={vid}").status_code == 404
    assert client.get(f"/demand/chart/waits.png?v={vid}", headers={"sec-fetch-site": "cross-site"}).status_code == 403


def test_demand_percent_in_the_scenario_form_is_checked_in_chinese_and_scales_the_plan_s_figures(env):
    app, client, vid, _ = env
    ws = app.state.ws
    for raw, msg in (("abc", "需求 ± %须为整数"), ("501", "需求 ± %须在 -90–500 之间"), ("-91", "需求 ± %须在 -90–500 之间")):
        r = post(app, client, "/scenario", {"name": "plus", "demand_percent": raw})
        assert r.status_code == 400 and msg in r.text, raw
    assert "plus" not in ws.scenarios()
    r = post(app, client, "/scenario", {"name": "plus", "year": "2024", "demand_percent": "20"})
    assert r.status_code == 303
    assert "demand_percent = 20" in ws.scenario_path("plus").read_text(encoding="utf-8")
    assert 'name="demand_percent" value="20"' in client.get("/scenario?name=plus").text
    pv = ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario="plus", parent=None, note="", kind="upload")
    latest = D.chosen(ws, None)
    page = client.get(f"/demand?v={pv}&d={latest}").text
    plan, ctx = app.state.bench.plan_of(ws.version(pv))
    scaled = scale_candidates(D.load(ws, latest, ctx.catalogue), 20)
    load = evaluate(plan, ctx.with_demand(scaled)).summary()
    plain = evaluate(plan, ctx.with_demand(D.load(ws, latest, ctx.catalogue))).summary()
    assert load["expected_candidates"] > plain["expected_candidates"]
    assert "需求 +20%" in page and f"全年预计考生{load['expected_candidates']}人" in page


def test_recommended_counts_are_planner_size_s_figures(env):
    """推荐场次 runs in the job queue; its table is sizing.csv's rows for the same rules, demand and limit."""
    from planner.commands.size_cmd import sizing_csv
    from planner.scenario import load_scenario
    from planner.sizing import size

    app, client, vid, rules = env
    ws = app.state.ws
    ws.write_scenario("hand", f'name = "hand"\nyear = 2024\nrules = "{rules}"\n')
    zero = {D.category_key(sid, cid, k): "0" for sid, sd in estimate().streams.items() for cid in sd.categories
            for k in LINES}
    r = post(app, client, "/demand", {**zero, "c.managers.managers.first_time": "25", "s.huaan.seats_per_day": "10",
                                      "s.huaan.days_per_session": "1", "s.huaan.max_days": "2"})
    n = D.numbers(ws)[-1]
    assert r.status_code == 303
    r = post(app, client, "/demand/size", {"d": str(n), "scenario": "hand", "time_limit": "10"})
    assert r.status_code == 303
    jid = r.headers["location"].rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    assert job.state == "done", job.outcome
    page = client.get(f"/job/{jid}").text
    ctx = load_scenario(ws.scenario_path("hand")).ctx
    sized = size(ctx, D.load(ws, n, ctx.catalogue), time_limit=10)
    rows = list(csv.reader(io.StringIO(sizing_csv(sized).decode("utf-8-sig"))))[1:]
    assert [[str(x) for x in row] for row in job.outcome["rows"]] == rows
    assert f"共需 <strong>{sized.total}</strong> 场" in page and "推荐场次（估计）" in page
    for row in rows:
        assert "".join(f"<td>{x}</td>" for x in row) in page
    assert "已证明是最少场次" in page and sized.status == "OPTIMAL"
    assert ws.pending() == []  # a sizing is no proposal waiting for 接受: it never crowds one out of pending/
    r = post(app, client, f"/demand/size/{jid}/scenario", {})
    assert r.status_code == 303
    name = f"推荐场次-{jid}"
    kept = load_scenario(ws.scenario_path(name))
    assert kept.year == 2024 and {s: len(kept.ctx.streams[s].sites) and kept.ctx.streams[s].count
                                  for s in sized.sessions} == sized.sessions
    assert post(app, client, "/demand/size/000000000000/scenario", {}).status_code == 404
    r = post(app, client, "/demand/size", {"d": str(n), "scenario": "nope", "time_limit": "10"})
    assert r.status_code == 400 and "没有这个情景" in r.text
    r = post(app, client, "/demand/size", {"d": str(n), "year": "1900", "time_limit": "10"})
    assert r.status_code == 400 and "年度须为" in r.text


def test_a_site_s_days_are_judged_against_its_most_days_and_a_broken_file_is_said(env):
    app, client, vid, _ = env
    ws = app.state.ws
    assert post(app, client, "/demand", {"s.huaan.days_per_session": "5", "s.huaan.max_days": "5"}).status_code == 303
    r = post(app, client, "/demand", {"s.huaan.max_days": "3"})  # the saved 5 days a session no longer fit
    assert r.status_code == 400 and 'id="err-s.huaan.days_per_session">须在 1–3 之间' in r.text
    r = post(app, client, "/demand", {"s.huaan.max_days": "3", "s.huaan.days_per_session": "3"})
    assert r.status_code == 303
    n = D.numbers(ws)[-1]
    assert D.load(ws, n, load_catalogue()).sites["huaan"].max_days == 3
    broken = D.path(ws, n).with_name(f"{n + 1}.toml")
    broken.write_text('status = "猜的"\n', encoding="utf-8")  # a file edited by hand outside the workbench
    r = client.get("/demand")
    assert r.status_code == 200 and f"第{n + 1}版的需求文件 {n + 1}.toml 无法读取" in r.text
    assert "数据性质：<strong>估计</strong>" in r.text
    r = post(app, client, "/demand/restore", {"d": str(n)})
    assert r.status_code == 303 and D.numbers(ws)[-1] == n + 2 and broken.is_file()


def test_a_running_sizing_is_cancelled(env):
    """取消 stops 推荐场次 as it stops a solve (the shipped estimate under the full rules takes far longer)."""
    app, client, vid, _ = env
    app.state.ws.write_scenario("live", f'name = "live"\nrules = "{constraints_dir() / "yuncheng.toml"}"\n')
    post(app, client, "/demand/restore", {"d": "estimate"})
    r = post(app, client, "/demand/size", {"scenario": "live", "year": "2024", "time_limit": "300"})
    jid = r.headers["location"].rsplit("/", 1)[-1]
    r = post(app, client, f"/job/{jid}/cancel", {})
    assert r.status_code == 303
    assert app.state.jobs.wait(jid, timeout=60).state == "cancelled"


def test_scaling_is_each_line_times_the_factor_rounded_half_up():
    import random

    from planner.demand import PERCENT_RANGE, check_percent
    from planner.errors import PlannerError

    base = estimate()
    rng = random.Random(17)
    for percent in [PERCENT_RANGE[0], -50, -1, 0, 1, 20, 33, PERCENT_RANGE[1]] + rng.sample(range(-90, 501), 40):
        scaled = scale_candidates(base, percent)
        for sid, sd in base.streams.items():
            for cid, c in sd.categories.items():
                got = scaled.streams[sid].categories[cid]
                for k in LINES:
                    exact = getattr(c, k) * (100 + percent) / 100
                    assert abs(getattr(got, k) - exact) <= 0.5 and (getattr(got, k) - exact != -0.5), (percent, k)
                assert (got.profile, got.show_rate, got.pass_rate) == (c.profile, c.show_rate, c.pass_rate)
        assert scaled.sites == base.sites and scaled.status == base.status
    for bad in (-91, 501, 2.5, "10", True):
        with pytest.raises(PlannerError) as e:
            check_percent(bad, "s.toml")
        assert e.value.field == "demand_percent"


def test_a_scenario_s_demand_percent_reaches_the_cli_check(tmp_path):
    """`planner check --scenario S --demand F` judges the plan under F's candidates scaled by S's demand_percent."""
    import subprocess
    import sys

    from planner.check import check_plan
    from planner.commands.check_cmd import render_report
    from planner.scenario import load_scenario

    demand = tmp_path / "d.toml"
    demand.write_text(demand_to_toml(estimate()), encoding="utf-8")
    sc = tmp_path / "s.toml"
    live = constraints_dir() / "yuncheng.toml"  # the rule set with the waiting rules (the tests' copy has none)
    sc.write_text(f'name = "s"\nyear = 2024\nrules = "{live}"\ndemand_percent = -30\n', encoding="utf-8")
    path = scenarios_dir() / "plan_2024.csv"
    plan, ctx = load_plan(path), load_scenario(sc).ctx
    want = render_report(plan, check_plan(plan, ctx.with_demand(scale_candidates(estimate(), -30))))
    assert want != render_report(plan, check_plan(plan, ctx.with_demand(estimate())))  # the scaling shows
    r = subprocess.run([sys.executable, "-m", "planner", "check", str(path), "--scenario", str(sc), "--demand",
                        str(demand)], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    assert want in r.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\ndemand_percent = 900\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "planner", "check", str(path), "--scenario", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "demand_percent" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def load_plan(path):
    from planner import read_plan

    return read_plan(path, load_catalogue())


def test_size_with_a_scenario_s_percent_sizes_the_scaled_demand_and_checks_back(tmp_path):
    """25 candidates + 100 % = 50, 10 seats a day, at most 2 days a session: 3 sessions (worked by hand); the
    written sizing.toml does not scale the written demand.toml a second time, so `check` passes."""
    import json
    import subprocess
    import sys

    from test_sizing import one_batch

    (tmp_path / "rules.toml").write_text(HAND_RULES, encoding="utf-8")
    (tmp_path / "d.toml").write_text(demand_to_toml(one_batch(25, 10, 2)), encoding="utf-8")
    (tmp_path / "s.toml").write_text('name = "s"\nyear = 2024\nrules = "rules.toml"\ndemand_percent = 100\n',
                                     encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "planner", "size", "--scenario", str(tmp_path / "s.toml"), "--demand",
                        str(tmp_path / "d.toml"), "--out", str(out), "--no-publish", "--time-limit", "30"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sizing"]["sessions"] == {"managers": 3}
    assert summary["demand"]["expected_candidates"] == 50
    r = subprocess.run([sys.executable, "-m", "planner", "check", str(out / "plan.csv"), "--scenario",
                        str(out / "sizing.toml"), "--demand", str(out / "demand.toml")], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_year_s_returning_candidates_are_the_queue_s_under_that_year_s_regulation(env):
    """The table's 年内再次报考 for a plan version is the compiled line the queue uses (the retake limit of the
    year's regulation), not the file's unlimited series."""
    import re

    app, client, vid, _ = env
    r = client.get(f"/demand?v={vid}")
    assert "2024年内再次报考（估计）" in r.text
    plan, ctx = app.state.bench.plan_of(app.state.ws.version(vid))
    facts = ctx.with_demand(estimate()).demand
    cat, differs = load_catalogue(), 0
    for sid, sd in estimate().streams.items():
        for cid, c in sd.categories.items():
            lines = facts.streams[sid].lines.get(cid)
            if lines is None:
                continue
            row = re.search(rf'<td class="cat">{re.escape(cat.category_name(cid))}</td>.*?</tr>', r.text, re.S)
            cells = re.findall(r"<td>([^<]*)</td>", row.group(0))
            assert cells[1] == str(lines["returning"]), cid
            differs += lines["returning"] != c.returning
    assert differs  # the regulation's retake limit is what the page shows, not the unlimited series


def test_the_year_s_unconfirmed_regulation_is_listed_for_the_planner(env, monkeypatch):
    """The regulation's 待核定 facts of the plan version's year are on the page (none for 2024, whose Order No. 30
    facts are confirmed); what pending_items gives for the year is what the page lists, escaped."""
    from planner import regulation

    app, client, vid, _ = env
    assert 'id="regulation-pending"' not in client.get(f"/demand?v={vid}").text
    seen = []

    def pending(catalogue, window, demand=None):
        seen.append(window)
        return ["补考次数上限待核定：5 <b>", "附件3考试类别写法待核定"]

    monkeypatch.setattr(regulation, "pending_items", pending)
    r = client.get(f"/demand?v={vid}")
    assert seen and seen[0][0].year == 2024
    assert "2024年施行规定中有2项待核定" in r.text and "补考次数上限待核定：5 &lt;b&gt;" in r.text


def save_small_demand(app, client) -> int:
    """30 managers' candidates, 10 seats a day at 华安, nobody else, saved on 需求与考位: its version number."""
    zero = {D.category_key(sid, cid, k): "0" for sid, sd in estimate().streams.items() for cid in sd.categories
            for k in LINES}
    assert post(app, client, "/demand", {**zero, "c.managers.managers.first_time": "30",
                                         "s.huaan.seats_per_day": "10", "s.huaan.days_per_session": "1",
                                         "s.huaan.max_days": "1"}).status_code == 303
    return D.numbers(app.state.ws)[-1]


def test_generate_with_the_demand_plans_under_the_waiting_limit_and_says_so(env):
    """生成 with 按需求与考位: the newest saved demand joins the solve (a tiny rule set with a waiting limit), the
    version's summary carries the queue's figures, equal to the queue of the stored plan, and the plan page says
    the plan was made with them; without the box, a plan has no demand block."""
    from planner.check import check_plan
    from planner.planio import read_plan
    from planner.scenario import load_scenario

    app, client, _, rules = env
    ws = app.state.ws
    ws.write_scenario("hand", f'name = "hand"\nyear = 2024\nrules = "{rules}"\n')
    n = save_small_demand(app, client)
    made = {}
    for box in ("1", ""):
        r = post(app, client, "/generate", {"year": "2024", "scenario": "hand", "time_limit": "10",
                                            "with_demand": box})
        assert r.status_code == 303
        job = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[-1], timeout=300)
        assert job.state == "done" and job.version, job.outcome
        made[box] = job.version
    summary = ws.summary(made["1"])
    assert "demand" not in ws.summary(made[""]) and summary["demand_version"] == n
    ctx = load_scenario(ws.scenario_path("hand")).ctx.with_demand(D.load(ws, n, load_catalogue()))
    plan = read_plan(ws.plan_csv_path(made["1"]), ctx.catalogue, year=2024)
    load = evaluate(plan, ctx).summary()
    assert {k: summary["demand"][k] for k in load} == load and load["expected_candidates"] >= 30  # + retakes
    assert check_plan(plan, ctx).ok  # the waiting limit (200 days) held
    page = client.get(f"/plan?v={made['1']}").text
    assert 'id="planned-with-demand"' in page and f"需求版本{n}" in page
    assert f"预计考生 {load['expected_candidates']} 人" in page and f"结转下年 {load['unserved']} 人" in page
    assert 'id="planned-with-demand"' not in client.get(f"/plan?v={made['']}").text
    assert 'name="with_demand"' in client.get("/plan").text


def test_replan_with_the_demand_keeps_the_waiting_limit_and_counts_the_expected_candidates(env):
    """重新排期 with 按需求与考位 (as `planner replan --demand`): the newest saved demand joins the re-plan, the
    proposal keeps the waiting limit, and without uploaded registrations the candidates disturbed are the demand's
    expected ones (changes.csv's candidates columns filled)."""
    from planner.check import check_plan
    from planner.planio import read_plan
    from planner.scenario import load_scenario

    app, client, _, rules = env
    ws = app.state.ws
    ws.write_scenario("hand", f'name = "hand"\nyear = 2024\nrules = "{rules}"\n')
    assert 'name="with_demand"' in client.get("/replan").text
    n = save_small_demand(app, client)
    r = post(app, client, "/generate", {"year": "2024", "scenario": "hand", "time_limit": "10", "with_demand": "1"})
    base = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[-1], timeout=300).version
    r = post(app, client, "/replan", {"v": str(base), "from_date": "2024-06-01", "scenario": "hand",
                                      "time_limit": "10", "with_demand": "1"})
    assert r.status_code == 303
    jid = r.headers["location"].rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    assert job.state == "done", job.outcome
    assert job.outcome["summary"]["demand_version"] == n and "demand" in job.outcome["summary"]
    assert job.outcome["counted"]  # the demand's expected candidates were the first tier
    ctx = load_scenario(ws.scenario_path("hand")).ctx.with_demand(D.load(ws, n, load_catalogue()))
    page = client.get(f"/job/{jid}").text
    assert "按需求与考位" in page
    assert f"按需求与考位的预计考生数，{D.load(ws, n, load_catalogue()).status}" in page  # whose candidates, said
    assert post(app, client, f"/job/{jid}/accept", {}).status_code == 303  # the proposal becomes a version
    new = ws.versions()[0]
    assert new.parent == base and ws.summary(new.id)["demand_version"] == n
    plan = read_plan(ws.plan_csv_path(new.id), ctx.catalogue, year=2024)
    assert check_plan(plan, ctx.revising(read_plan(ws.plan_csv_path(base), ctx.catalogue, year=2024))).ok


def test_a_damaged_saved_demand_stops_replan_and_points_to_the_demand_page(env):
    """重新排期 with 按需求与考位 on a saved demand damaged on disk: as 生成, the job fails naming the field in
    Chinese, no proposal is kept, nothing is stored, and the page sends the planner to 需求与考位."""
    app, client, _, rules = env
    ws = app.state.ws
    ws.write_scenario("hand", f'name = "hand"\nyear = 2024\nrules = "{rules}"\n')
    r = post(app, client, "/generate", {"year": "2024", "scenario": "hand", "time_limit": "5"})
    base = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[-1], timeout=300).version
    n = D.save(ws, estimate(), who="测试")
    D.path(ws, n).write_text("[sites.huaan]\nseats_per_day = -3\n", encoding="utf-8")
    before = ([v.id for v in ws.versions()], sorted(p.name for p in ws.root.rglob("*") if "pending" in p.parts))
    r = post(app, client, "/replan", {"v": str(base), "from_date": "2024-06-01", "scenario": "hand",
                                      "time_limit": "5", "with_demand": "1"})
    jid = r.headers["location"].rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    assert job.state == "failed" and job.outcome["field"] == "sites.huaan.seats_per_day"
    assert ([v.id for v in ws.versions()], sorted(p.name for p in ws.root.rglob("*") if "pending" in p.parts)) == before
    page = client.get(f"/job/{jid}").text
    assert 'id="demand-at-fault"' in page and f'href="/demand?d={n}"' in page
    assert "“华安·每个考试日考位”不正确" in page and "sites.huaan" not in page.split("原文")[0]
    D.path(ws, n).unlink()  # the module's later tests read the newest saved demand


def test_a_demand_file_s_fields_are_named_as_the_demand_page_labels_them():
    """Every field a demand file can be refused on reads in Chinese, with the site or category it belongs to, in
    the words of the 需求与考位 page's columns (one table: messages.toml [demand_fields])."""
    from planner.web import i18n

    cat = load_catalogue()
    assert i18n.field_name("sites.huaan.seats_per_day", cat) == "华安·每个考试日考位"
    cid = next(iter(cat.streams["special_ops"].categories))
    assert i18n.field_name(f"streams.special_ops.categories.{cid}.pass_rate", cat) == f"{cat.category_name(cid)}·合格率"
    assert i18n.field_name("sites.nowhere.seats_per_day", cat) == "sites.nowhere.seats_per_day"  # unknown: as written
    doc = read_toml(constraints_dir() / "demand.toml")
    keys = {k for s in doc["sites"].values() for k in s} | {k for sd in doc["streams"].values()
                                                          for c in sd["categories"].values() for k in c}
    keys |= {k for sd in doc["streams"].values() for k in sd}
    assert keys <= set(i18n.table()["demand_fields"]), keys - set(i18n.table()["demand_fields"])
    page = Path(i18n.__file__).with_name("templates") / "demand.html"
    assert "首次参考" not in page.read_text(encoding="utf-8")  # the page takes its labels from the same table


def test_a_damaged_saved_demand_stops_generate_and_points_to_the_demand_page(env):
    """生成 with 按需求与考位 whose saved figures no longer read (a seat count made negative on disk): the job fails
    with the file's field, no version is stored, and the page sends the planner to 需求与考位, not the scenario."""
    app, client, _, rules = env
    ws = app.state.ws
    ws.write_scenario("hand", f'name = "hand"\nyear = 2024\nrules = "{rules}"\n')
    n = D.save(ws, estimate(), who="测试")
    D.path(ws, n).write_text("[sites.huaan]\nseats_per_day = -3\n", encoding="utf-8")
    before = [v.id for v in ws.versions()]
    r = post(app, client, "/generate", {"year": "2024", "scenario": "hand", "time_limit": "5", "with_demand": "1"})
    jid = r.headers["location"].rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    assert job.state == "failed" and job.outcome["field"] == "sites.huaan.seats_per_day"
    assert [v.id for v in ws.versions()] == before
    page = client.get(f"/job/{jid}").text
    assert 'id="demand-at-fault"' in page and f'href="/demand?d={n}"' in page and f"需求版本{n}：须在 1–100000 之间" in page
    assert "“华安·每个考试日考位”不正确" in page and "sites.huaan" not in page.split("原文")[0]  # the field in Chinese
    D.path(ws, n).unlink()  # the module's later tests read the newest saved demand


def test_improve_continues_a_version_s_search_and_saves_only_a_better_plan(env):
    """继续优化 on a version the time limit stopped: the search continues from its plan with the same scenario and
    candidates; a cheaper plan becomes a new version whose parent is the one continued, with both costs and waits on
    the job's page, and a plan no search can better saves nothing and says so. A version proven optimal (or made
    by hand) has no such button, and a request for it is refused."""
    import dataclasses
    import datetime as dt

    from planner.check import check_plan
    from planner.plan import Plan, plan_to_csv
    from planner.planio import read_plan
    from planner.scenario import load_scenario

    app, client, uploaded, rules = env
    ws = app.state.ws
    wait_rules = Path(rules).with_name("hand_wait.toml")
    wait_rules.write_text(HAND_RULES + "[preferences.short_wait]\nweight = 1\ntarget_days = 30\n", encoding="utf-8")
    ws.write_scenario("handwait", f'name = "handwait"\nyear = 2024\nrules = "{wait_rules}"\n')
    n = save_small_demand(app, client)
    r = post(app, client, "/generate", {"year": "2024", "scenario": "handwait", "time_limit": "10", "with_demand": "1"})
    job = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[-1], timeout=300)
    assert job.state == "done" and job.version, job.outcome
    summary = ws.summary(job.version)
    assert summary["status"] == "OPTIMAL" and 'id="improve-form"' not in client.get(f"/plan?v={job.version}").text
    assert post(app, client, f"/version/{job.version}/improve", {"time_limit": "10"}).status_code == 400
    assert post(app, client, f"/version/{uploaded}/improve", {"time_limit": "10"}).status_code == 400
    ctx = load_scenario(ws.scenario_path("handwait")).ctx.with_demand(D.load(ws, n, load_catalogue()))
    best = read_plan(ws.plan_csv_path(job.version), ctx.catalogue, year=2024)
    cost = check_plan(best, ctx).objective
    # a plan that keeps every rule and seats candidates later: the best one a few weeks on (same weekdays)
    worse = None
    for weeks in range(1, 30):
        shift = dt.timedelta(weeks=weeks)
        p = Plan(2024, tuple(dataclasses.replace(s, exam_date=s.exam_date + shift,
                                                 registration_deadline=s.registration_deadline + shift)
                             for s in best.sessions))
        report = check_plan(p, ctx)
        if report.ok and report.objective > cost:
            worse = p
            break
    assert worse is not None
    stopped = {**summary, "status": "TIME_LIMIT"}  # as a run the time limit stopped would have saved them
    made = {}
    for name, plan in (("worse", worse), ("best", best)):
        made[name] = ws.add_version(plan_to_csv(plan), stopped, year=2024, scenario="handwait", parent=None,
                                    note=name, kind="generate")
        page = client.get(f"/plan?v={made[name]}").text
        assert 'id="improve-form"' in page and "继续优化" in page
    before = len(ws.versions())
    r = post(app, client, f"/version/{made['worse']}/improve", {"time_limit": "10"})
    job = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[-1], timeout=300)
    assert job.state == "done" and job.version, job.outcome
    new = ws.version(job.version)
    assert new.parent == made["worse"] and new.kind == "improve" and new.scenario == "handwait"
    better = read_plan(ws.plan_csv_path(job.version), ctx.catalogue, year=2024)
    im = job.outcome["improve"]
    assert im["improved"] and im["before"] == check_plan(worse, ctx).objective > im["after"]
    assert im["after"] == check_plan(better, ctx).objective and check_plan(better, ctx).ok
    assert ws.summary(job.version)["demand_version"] == n and ws.summary(job.version)["improved_from"] == made["worse"]
    page = client.get(f"/job/{job.id}").text
    assert f"比版本{made['worse']}更好" in page and f"{im['before']} → {im['after']}" in page
    assert f"（按需求与考位，{ctx.demand.status}）" in page  # an estimate's waits are said to be one
    assert f'href="/compare?a={made["worse"]}&b={job.version}"' in page  # what moved, one click away
    page = client.get(f"/plan?v={job.version}").text
    assert "继续优化" in page  # the version's kind, in the list
    assert f'候考超过30天 <span id="late-count">{im["late_after"]}</span> 人' in page  # what the preference priced
    assert len(ws.versions()) == before + 1
    r = post(app, client, f"/version/{made['best']}/improve", {"time_limit": "10"})
    job = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[-1], timeout=300)
    assert job.state == "done" and job.version is None and not job.outcome["improve"]["improved"]
    assert len(ws.versions()) == before + 1
    page = client.get(f"/job/{job.id}").text
    assert f"没有找到比版本{made['best']}更好的方案，未保存新版本" in page and f"{cost} → {cost}" in page


EXPORT = ("期次,考试日期,类别,报名人数,参考人数,合格人数\n"
          "1,2024-03-06,电工作业,200,180,162\n2,2024-03-20,低压电工作业,100,90,81\n"
          "3,2024-07-08,焊接与热切割作业,50,50,45\n")


def _xlsx(text: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in csv.reader(io.StringIO(text)):
        wb.active.append([int(c) if c.isdigit() else c for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_registration_export_uploaded_on_the_page_is_the_command_line_s_import_saved_as_a_version(env, tmp_path,
                                                                                                    suffix):
    """导入报名数据 saves what ``planner demand import EXPORT --base <the version shown>`` writes: the same streams,
    candidates, rates and seats, status 实际, the file's own name as its source; the page then shows it. The shown
    version is the shipped estimate restored as the newest, which has the managers' stream the export lacks."""
    import subprocess
    import sys

    app, client, vid, _ = env
    assert post(app, client, "/demand/restore", {"d": "estimate"}).status_code == 303
    shown = D.numbers(app.state.ws)[-1]
    data = EXPORT.encode("utf-8") if suffix == ".csv" else _xlsx(EXPORT)
    r = post(app, client, "/demand/import", {"d": str(shown)},
             files={"export": (f"2024年报名{suffix}", data, "application/octet-stream")})
    assert r.status_code == 303, r.text
    new = D.numbers(app.state.ws)[-1]
    assert r.headers["location"] == f"/demand?d={new}&saved=1"
    saved = D.load(app.state.ws, new, load_catalogue())
    export = tmp_path / f"2024年报名{suffix}"
    export.write_bytes(data)
    out = tmp_path / "cli.toml"
    cli = subprocess.run([sys.executable, "-m", "planner", "demand", "import", str(export), "--out", str(out),
                          "--base", str(D.path(app.state.ws, shown))], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    by_cli = load_demand(out, load_catalogue())
    assert saved.status == "实际" and saved.source == export.name and saved.name == export.stem
    assert saved.streams == by_cli.streams and saved.sites == by_cli.sites
    assert D.meta(app.state.ws, new)["note"].startswith(f"导入报名数据 {export.name}")
    assert "高危行业主要负责人和安全管理员的场次，本版该类考生为0" in D.meta(app.state.ws, new)["note"]
    page = client.get(f"/demand?d={new}").text
    assert "数据性质：<strong>实际</strong>" in page and "导入报名数据 2024年报名" in page


@pytest.mark.parametrize("name,data,said", [
    ("报名.csv", EXPORT.replace("2024-07-08", "2024-02-30").encode(), "输入有误：第4行，“考试日期”不是日期（请写成 2024-03-06）"),
    ("报名.csv", EXPORT.replace("200,180", "200,280").encode(), "输入有误：第2行，“参考人数”须满足 合格人数 ≤ 参考人数 ≤ 报名人数"),
    ("报名.csv", EXPORT.replace("电工作业,200", "烟花爆竹作业,200").encode(), "输入有误：第2行，“类别”不是附件4中的作业类别"),
    ("报名.csv", EXPORT.replace("合格人数", "及格").encode(), "输入有误：第1行，“合格人数”这一列缺失"),
    ("报名.csv", EXPORT.splitlines()[0].encode(), "无法读取这个文件：文件中只有表头，没有场次数据行。"),
    ("报名.csv", b"", "文件是空的"),
    ("报名.txt", EXPORT.encode(), "只能上传报名数据 CSV 文件或 Excel 文件（.xlsx）"),
    ("报名.xlsx", EXPORT.encode(), "这不是有效的 Excel（.xlsx）文件"),
])
def test_a_bad_export_is_said_in_one_chinese_line_and_nothing_is_saved(env, name, data, said):
    app, client, _, _ = env
    before = D.numbers(app.state.ws)
    r = post(app, client, "/demand/import", {}, files={"export": (name, data, "application/octet-stream")})
    assert r.status_code == 400
    assert f'id="err-export">{said}' in r.text
    assert D.numbers(app.state.ws) == before


def test_an_import_without_a_file_is_refused_and_the_file_s_name_is_escaped(env):
    app, client, _, _ = env
    before = D.numbers(app.state.ws)
    r = post(app, client, "/demand/import", {})
    assert r.status_code == 400 and 'id="err-export">请选择考试系统导出的报名数据文件' in r.text
    assert D.numbers(app.state.ws) == before
    r = post(app, client, "/demand/import", {}, files={"export": ('<img src=x onerror="alert(1)">.csv', EXPORT.encode(), "text/csv")})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "<img src=x" not in page and "导入报名数据 &lt;img src=x onerror=" in page


def test_an_export_numbered_by_session_is_dated_by_the_plan_version_chosen(env, tmp_path):
    """Without 考试日期 the export's 期次 are dated by the plan version chosen on the form, as ``--plan`` does on
    the command line; with none chosen the page says which column is missing and what to choose."""
    import subprocess
    import sys

    app, client, vid, _ = env
    text = "期次,类别,报名人数,参考人数,合格人数\n第1期,电工作业,200,180,162\n第2期,高危行业主要负责人、安全管理员,40,36,30\n"
    before = D.numbers(app.state.ws)
    r = post(app, client, "/demand/import", {}, files={"export": ("报名.csv", text.encode(), "text/csv")})
    assert r.status_code == 400 and D.numbers(app.state.ws) == before
    assert 'id="err-export">输入有误：第1行，“考试日期”这一列缺失：导出文件只有期次' in r.text
    assert post(app, client, "/demand/restore", {"d": "estimate"}).status_code == 303
    shown = D.numbers(app.state.ws)[-1]
    r = post(app, client, "/demand/import", {"d": str(shown), "v": str(vid)},
             files={"export": ("报名.csv", text.encode(), "text/csv")})
    assert r.status_code == 303, r.text
    export, plan = tmp_path / "报名.csv", tmp_path / "plan.csv"
    export.write_text(text, encoding="utf-8")
    plan.write_bytes(app.state.ws.plan_csv_path(vid).read_bytes())
    out = tmp_path / "cli.toml"
    cli = subprocess.run([sys.executable, "-m", "planner", "demand", "import", str(export), "--out", str(out),
                          "--base", str(D.path(app.state.ws, shown)), "--plan", str(plan)], capture_output=True,
                         text=True)
    assert cli.returncode == 0, cli.stderr
    saved = D.load(app.state.ws, D.numbers(app.state.ws)[-1], load_catalogue())
    assert saved.streams == load_demand(out, load_catalogue()).streams
    assert saved.streams["managers"].categories["managers"].profile[3] == 40  # 第2期 of 2024: April


def test_compare_shows_the_same_candidates_in_both_versions(env):
    """对比 of two versions: the candidates' table is compare.people_table under 需求与考位's newest demand, in the
    page and in its Excel export (sheet 考生)."""
    import datetime as dt

    from openpyxl import load_workbook

    from planner.compare import people_table
    from planner.plan import Session, plan_to_csv

    app, client, vid, _ = env
    ws, bench = app.state.ws, app.state.bench
    assert post(app, client, "/demand/restore", {"d": "estimate"}).status_code == 303  # managers have candidates
    plan, ctx = bench.plan_of(ws.version(vid))
    later = plan.with_sessions([Session(s.stream, s.no, s.registration_deadline + dt.timedelta(days=7),
                                        s.exam_date + dt.timedelta(days=7), s.institution, s.kind)
                                if s.stream == "managers" else s for s in plan.sessions])
    other = ws.add_version(plan_to_csv(later), {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None,
                           parent=vid, note="晚一周", kind="upload")
    r = client.get(f"/compare?a={vid}&b={other}")
    assert r.status_code == 200 and 'id="people-delta"' in r.text
    n = D.chosen(ws, None)
    header, rows = people_table(plan, later, ctx.with_demand(D.load(ws, n, load_catalogue())),
                                (f"版本{vid}", f"版本{other}"))
    for row in rows:  # each row as the page shows it: the difference signed
        cells = "".join(f"<td>{c}</td>" for c in row[:-1]) + (f"<td>{row[-1]:+g}</td>" if row[-1] != "" else "<td></td>")
        assert f"<tr>{cells}</tr>" in r.text, row
    assert any(row[-1] for row in rows)  # the week's delay shows in people
    x = client.get(f"/compare/export.xlsx?a={vid}&b={other}")
    sheet = load_workbook(io.BytesIO(x.content))["考生"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [header] + [
        [c if c != "" else None for c in r] for r in rows]


def test_a_quick_answer_says_so_and_offers_to_search_on(env):
    """A version that is the quick answer (summary.json's stopped_by, :data:`planner.solver.QUICK_STOP`) is called
    快速方案 on its page, with 继续优化 explained as the search with the candidates; one the time limit stopped keeps
    its own wording."""
    from planner.plan import plan_to_csv
    from planner.planio import read_plan
    from planner.solver import QUICK_STOP

    app, client, uploaded, _ = env
    ws = app.state.ws
    plan = read_plan(ws.plan_csv_path(uploaded), load_catalogue(), year=2024)
    made = {}
    for name, stopped in (("quick", QUICK_STOP), ("limit", "deterministic limit")):
        made[name] = ws.add_version(plan_to_csv(plan), {"status": "TIME_LIMIT", "stopped_by": stopped}, year=2024,
                                    scenario="", parent=None, note=name, kind="generate")
    page = client.get(f"/plan?v={made['quick']}").text
    assert 'id="quick-status"' in page and "快速方案（未证明最优）" in page and "时限内未证明最优" not in page
    assert 'id="improve-form"' in page and "这是快速方案" in page
    page = client.get(f"/plan?v={made['limit']}").text
    assert 'id="quick-status"' not in page and "时限内未证明最优" in page and "这是快速方案" not in page
