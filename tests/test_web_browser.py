"""The workbench in a real browser: Playwright driving Debian's Chromium against a live ``planner serve`` app.

One server (a free port, its own workspace) and one browser for the whole module; the tests run in
file order and build on each other like a planner's session: generate next year, close 聚腾 for a
quarter (infeasible, conflict named), relax and re-plan, pin a session, publish, download the zip,
upload an edited notice.xlsx. Each page is checked for horizontal scrolling at 1280 px and 390 px; with
``PLANNER_SCREENSHOTS=1`` screenshots of every page go to ``tests/artifacts/web/`` (git-ignored) for a person to look at.
"""
from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

CHROMIUM = shutil.which("chromium")  # on PATH only: .ci/without-tools hides it to prove the skip
if CHROMIUM is None:
    pytest.skip("no system Chromium (CI installs it: apt-get install -y chromium)", allow_module_level=True)

from planner.api import next_year  # noqa: E402
from planner.data import load_catalogue  # noqa: E402
from planner import read_plan  # noqa: E402
from planner.publish import wording as W  # noqa: E402
from planner.web.app import create_app  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--lang=zh-CN"]
YEAR = next_year()
QUARTER = (dt.date(YEAR, 4, 1), dt.date(YEAR, 6, 30))
JOB_WAIT_MS = 600_000  # wall-clock bound for one background solve on a busy 2-core machine (not a timing assert)
#: the infeasible job's time limit: its deterministic budget is far more than the explanation needs, and the
#: job's wall-clock backstop (8 s per unit) far more than a loaded machine takes, so load cannot change the verdict
EXPLAIN_LIMIT = "60"


#: what one test hands the next (the module is one planner's session, in file order)
STATE: dict = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(app):
    """*app* served by uvicorn on 127.0.0.1 and a free port, in a thread; yields its base address."""
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("ws"))
    with live_server(app) as base:
        yield app, base


@pytest.fixture(scope="module")
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        yield pg
        context.close()
        browser.close()


def go(page, server, path: str) -> None:
    page.goto(server[1] + path)


#: screenshots for a person to look at (``PLANNER_SCREENSHOTS=1``): no test reads them, and a full-page PNG of
#: each walk-through step costs the suite seconds that prove nothing
SCREENSHOTS = os.environ.get("PLANNER_SCREENSHOTS") == "1"


def save_shot(page, name: str) -> None:
    """``tests/artifacts/web/<name>.png``, the whole page, when screenshots are asked for."""
    if SCREENSHOTS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def shot(page, name: str) -> None:
    save_shot(page, name)


def boxes_that_scroll(page) -> list[str]:
    """The wide tables' boxes (``.scroll``) that hide part of their table: what a planner would have to scroll."""
    return page.evaluate("[...document.querySelectorAll('.scroll')].filter(e => e.scrollWidth > e.clientWidth + 1)"
                         ".map(e => (e.querySelector('table') || e).id || e.className)")


def versions(server) -> list:
    return server[0].state.ws.versions()


def plan_of(server, vid):
    return read_plan(server[0].state.ws.plan_csv_path(vid), load_catalogue(), year=YEAR)


def test_generate_next_year_shows_59_sessions(page, server):
    go(page, server, "/plan")
    assert page.input_value("input[name=year]") == str(YEAR)
    page.fill("input[name=time_limit]", "5")
    page.click("#generate")
    page.wait_for_url("**/plan?v=*", timeout=JOB_WAIT_MS)  # the polled status fragment redirects when done
    assert page.locator("#calendar .exam").count() == 59
    assert page.locator("#session-count").inner_text() == "59"
    first = plan_of(server, versions(server)[0].id).sessions[0]
    cell = page.locator(f'#calendar td[data-date="{first.exam_date.isoformat()}"] .exam')
    assert cell.count() == 1
    assert W.day_text(first.exam_date, YEAR) in page.locator("section.notice-table").first.inner_text()
    ctx = create_ctx(YEAR)
    assert (page.locator("#provisional").count() == 1) == (not ctx.calendar.is_official())
    shot(page, "plan-1280")


def create_ctx(year):
    from planner.api import make_context

    return make_context(year)


def fill_closure(page, server, name: str, coverage: str = "") -> None:
    # a scenario that exists is edited on its own page: the 新建 form refuses a name already taken
    exists = name in server[0].state.ws.scenarios()
    go(page, server, f"/scenario?name={name}" if exists else "/scenario")
    page.fill("#scenario-form input[name=name]", name)
    page.fill("input[name=year]", str(YEAR))
    page.select_option("select[name=closure_institution_1]", "juteng")
    page.fill("input[name=closure_start_1]", QUARTER[0].isoformat())
    page.fill("input[name=closure_end_1]", QUARTER[1].isoformat())
    page.fill("input[name=closure_reason_1]", "停业整顿")
    if coverage:
        page.fill("input[name=coverage_days]", coverage)
    page.click("#save-scenario")
    page.wait_for_selector("#saved")


def test_close_juteng_for_a_quarter_names_the_conflict(page, server):
    # a bad field first: the message sits next to it and nothing is saved
    go(page, server, "/scenario")
    page.fill("input[name=name]", "聚腾停考")
    page.select_option("select[name=closure_institution_1]", "juteng")
    page.fill("input[name=closure_start_1]", QUARTER[1].isoformat())
    page.fill("input[name=closure_end_1]", QUARTER[0].isoformat())
    page.click("#save-scenario")
    assert "结束日期不能早于开始日期" in page.locator("#err-closure_end_1").inner_text()
    assert server[0].state.ws.scenarios() == []
    shot(page, "scenario-error-1280")

    fill_closure(page, server, "聚腾停考")
    go(page, server, "/plan")
    page.select_option("select[name=scenario]", "聚腾停考")
    page.fill("input[name=time_limit]", EXPLAIN_LIMIT)
    page.click("#generate")
    page.wait_for_selector('#job[data-state="infeasible"]', timeout=JOB_WAIT_MS)
    text = page.locator("#job-error").inner_text()
    assert "无可行方案" in page.locator("#job-state").inner_text()
    assert "以下规则无法同时满足" in text
    assert "停考期间该机构不安排考试（聚腾）" in text and "每个作业类别两次考试机会的最长间隔" in text
    assert len(versions(server)) == 1
    shot(page, "infeasible-1280")


def test_queue_position_and_cancel(page, server):
    """While one solve runs, a second waits with its place shown; 取消 stops either."""
    def submit(limit: str) -> str:
        go(page, server, "/plan")
        page.select_option("select[name=scenario]", "聚腾停考")  # infeasible: explaining it takes a while
        page.fill("input[name=time_limit]", limit)
        page.click("#generate")
        page.wait_for_url("**/job/*")
        return page.url

    first = submit("300")
    second = submit("300")
    page.wait_for_selector('#job[data-state="queued"]')
    assert "排在第1位" in page.locator("#job").inner_text()
    shot(page, "queued-1280")
    page.click("#cancel")
    page.wait_for_selector('#job[data-state="cancelled"]')
    page.goto(first)
    page.wait_for_selector('#job[data-state="running"]')
    page.click("#cancel")
    page.wait_for_selector('#job[data-state="cancelled"]')
    assert "已取消" in page.locator("#job-state").inner_text()
    assert len(versions(server)) == 1
    assert second != first


def test_relax_and_replan_keeps_sessions_before_the_date(page, server):
    fill_closure(page, server, "聚腾停考", coverage="120")
    base = versions(server)[-1].id
    go(page, server, f"/replan?v={base}")
    page.select_option("select[name=v]", str(base))
    page.fill("input[name=from_date]", QUARTER[0].isoformat())
    page.select_option("select[name=scenario]", "聚腾停考")
    page.fill("input[name=time_limit]", "5")
    page.click("#replan")
    page.wait_for_selector("#accept", timeout=JOB_WAIT_MS)
    assert f"{W.day_text(QUARTER[0], YEAR)}之前" in page.locator("#moves-summary").inner_text()
    assert page.locator("#changes tr.change").count() > 0
    assert "停考期间该机构不安排考试" in page.locator("#changes").inner_text()
    shot(page, "replan-moves-1280")
    STATE["moves"] = page.url.replace(server[1], "")
    page.fill("input[name=note]", "聚腾二季度停考")
    page.click("#accept")
    page.wait_for_url("**/plan?v=*")
    new = versions(server)[0]
    assert (new.parent, new.kind) == (base, "replan")
    old, cur = plan_of(server, base), plan_of(server, new.id)
    kept = [s for s in old.sessions if s.exam_date < QUARTER[0]]
    assert kept and all(s in cur.sessions for s in kept)
    assert not [s for s in cur.sessions if s.institution == "juteng" and QUARTER[0] <= s.exam_date <= QUARTER[1]]
    assert page.locator("#calendar .exam").count() == len(cur.sessions)


def test_pin_a_session_and_accept(page, server):
    base = versions(server)[-1].id
    plan = plan_of(server, base)
    target = plan.stream("special_ops")[10]
    go(page, server, f"/pin?v={base}")
    with page.expect_navigation():
        page.click("#pin-show")
    # choosing a session submits the form itself (onchange); a click on 查看可选日期 while that navigation is
    # under way raced it and read the options of a page still loading (CI saw an empty list once)
    with page.expect_navigation():
        page.select_option("#pin-session", f"special_ops-{target.no}")
    page.wait_for_selector("#pin-date option", state="attached")
    options = page.locator("#pin-date option")
    days = [options.nth(i).get_attribute("value") for i in range(options.count())]
    ctx = create_ctx(YEAR)
    assert days and all(ctx.calendar.is_working_day(dt.date.fromisoformat(d)) for d in days)
    new_day = next(d for d in days if d > target.exam_date.isoformat())
    page.select_option("#pin-date", new_day)
    page.fill("#pin-form input[name=time_limit]", "5")
    shot(page, "pin-date-1280")
    page.click("#pin")
    page.wait_for_selector("#accept", timeout=JOB_WAIT_MS)
    assert page.locator("#changes tr.change").count() >= 1
    page.click("#accept")
    page.wait_for_url("**/plan?v=*")
    new = versions(server)[0]
    assert (new.parent, new.kind) == (base, "pin")
    assert plan_of(server, new.id).by_key()[("special_ops", target.no)].exam_date.isoformat() == new_day


def test_publish_download_zip_and_read_notice_back(page, server, tmp_path):
    base = versions(server)[-1].id
    go(page, server, f"/publish?v={base}")
    page.click("#publish")
    page.wait_for_selector("#zip", timeout=120_000)
    assert "token" not in page.locator("#subscriptions").inner_text()  # no token set: plain addresses
    with page.expect_download() as d:
        page.click("#zip")
    path = tmp_path / "set.zip"
    d.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        (tmp_path / "notice.xlsx").write_bytes(z.read("notice.xlsx"))
        assert "ics/juteng.ics" in z.namelist()
    back = read_plan(tmp_path / "notice.xlsx", load_catalogue(), year=YEAR)
    assert back.sessions == plan_of(server, base).sessions
    shot(page, "publish-files-1280")
    STATE["notice"] = tmp_path / "notice.xlsx"


def test_upload_an_edited_notice_xlsx_and_see_the_violation(page, server, tmp_path):
    import openpyxl

    plan = plan_of(server, versions(server)[-1].id)
    ctx = create_ctx(YEAR)
    s = plan.stream("special_ops")[6]
    off = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(1, 10)) if not ctx.calendar.is_working_day(d))
    wb = openpyxl.load_workbook(STATE["notice"])
    hits = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            cells = [c.value for c in row]
            if len(cells) > 2 and cells[0] == s.no and cells[2] == W.day_text(s.exam_date, YEAR) \
                    and "特种" in str(cells[3] or ""):
                row[2].value = W.day_text(off, YEAR)  # as a planner would type it in WPS
                hits += 1
    assert hits == 1
    edited = tmp_path / "notice-edited.xlsx"
    wb.save(edited)
    go(page, server, "/check")
    page.set_input_files("input[name=plan]", str(edited))
    page.click("#check")
    page.wait_for_selector("#check-result")
    table = page.locator("#violations").inner_text()
    assert f"第{s.no}期" in table and "考试安排在法定工作日" in table
    assert f"{W.day_text(off, YEAR)}不是法定工作日" in table
    shot(page, "check-violations-1280")


def test_pages_fit_1280_and_390_without_horizontal_scrolling(page, server):
    vs = versions(server)
    first, last = vs[-1].id, vs[0].id
    s = plan_of(server, first).stream("special_ops")[2]
    pages = {"plan": f"/plan?v={last}", "scenario": "/scenario?name=聚腾停考", "replan": f"/replan?v={first}",
             "pin": f"/pin?v={first}&s=special_ops-{s.no}", "compare": f"/compare?a={first}&b={last}",
             "check": "/check", "publish": f"/publish?v={first}", "moves": STATE["moves"]}
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            go(page, server, path)  # goto waits for the load event: the page and its chart images are in
            sw, iw = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
            assert sw <= iw, f"{name} at {width}px scrolls sideways ({sw} > {iw})"
            if width == 1280:  # on a desktop every table shows whole: no column hidden in a box that scrolls
                assert not boxes_that_scroll(page), f"{name} at 1280px hides columns of {boxes_that_scroll(page)}"
            shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
