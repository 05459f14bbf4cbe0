"""The planner's new abilities in a real browser (Debian's Chromium via Playwright) at 1280 and 390 px:
修改一场 with the live verdict, restore / delete and undo, the change log, the print view, the Chinese file
picker. Every page is checked for horizontal scrolling; screenshots go to ``tests/artifacts/web/`` (git-ignored)
with ``PLANNER_SCREENSHOTS=1``. No solve: the workspace starts with the 2024 plan stored as a version.
"""
from __future__ import annotations

import datetime as dt

import pytest

playwright = pytest.importorskip("playwright.sync_api")
# the browser, the artifacts folder and the live server of the walk-through (which skips without Chromium)
from test_web_browser import ARGS, ARTIFACTS, CHROMIUM, SCREENSHOTS, boxes_that_scroll, live_server, save_shot  # noqa: E402

from planner.data import scenarios_dir  # noqa: E402
from planner.web.app import create_app  # noqa: E402

#: an English browser: the page must bring its own Chinese words (file picker, dates)
ENGLISH = [a for a in ARGS if not a.startswith("--lang=")] + ["--lang=en-US"]
PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("ws"), warm=False)  # only 继续优化 solves (2024, no candidates)
    app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None, parent=None,
                             note="2024年通知", kind="upload")
    with live_server(app) as base:
        yield app, base


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ENGLISH)
        yield b
        b.close()


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda w: f"{w}px")
def page(request, browser):
    """One page per width for the module's tests, each of which starts at its own address: a context per test
    started a renderer process each, most of a short test's time."""
    context = browser.new_context(viewport={"width": request.param, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.width = request.param
    yield pg
    context.close()


def fits(page) -> None:
    """No page scrolls sideways; at 1280 px no table hides columns in its scrolling box either."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
    if page.width >= 1280:
        assert not boxes_that_scroll(page), f"{page.url} at {page.width}px hides columns of {boxes_that_scroll(page)}"


def shot(page, name: str) -> None:
    save_shot(page, f"{name}-{page.width}")


def first_version(server) -> int:
    return min(v.id for v in server[0].state.ws.versions())


def test_edit_a_session_and_see_the_verdict_before_saving(page, server):
    app, base = server
    vid = first_version(server)
    page.goto(f"{base}/plan?v={vid}")
    page.click('#calendar a.exam[data-session="special_ops-5"]')
    page.wait_for_url("**/edit?*")
    fits(page)
    plan, ctx = app.state.bench.plan_of(app.state.ws.version(vid))
    s = plan.by_key()[("special_ops", 5)]
    off = next(s.exam_date + dt.timedelta(n) for n in range(1, 9)
               if not ctx.calendar.is_working_day(s.exam_date + dt.timedelta(n)))
    page.fill("#edit-exam", off.isoformat())
    page.dispatch_event("#edit-exam", "change")
    page.wait_for_selector("#verdict .verdict-bad")
    text = page.inner_text("#verdict")
    assert "法定工作日" in text and f"{off.month}月{off.day}日" in text
    # the deadline moved with the exam (the same gap)
    assert page.input_value("#edit-deadline") == (s.registration_deadline + (off - s.exam_date)).isoformat()
    shot(page, "edit-verdict")
    page.fill("#edit-exam", s.exam_date.isoformat())
    page.fill("#edit-deadline", s.registration_deadline.isoformat())
    page.fill("#edit-notes", f"携带身份证（{page.width}）")
    page.dispatch_event("#edit-exam", "change")
    page.wait_for_selector("#verdict .verdict-ok")
    before = len(app.state.ws.versions())
    page.click("#edit-save")
    page.wait_for_url("**/plan?v=*")
    assert len(app.state.ws.versions()) == before + 1
    assert "手工修改" in page.inner_text("#version-title")
    fits(page)


def test_delete_then_undo_and_restore(page, server):
    app, base = server
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="副本",
                                   kind="upload")
    page.goto(f"{base}/plan?v={vid}")
    page.fill("#who", "王计划员")
    page.click("#who-save")
    page.wait_for_load_state()
    page.click("#delete-version")
    page.wait_for_selector("#deleted-note")
    shot(page, "deleted-undo")
    fits(page)
    page.click("#undo-delete")
    page.wait_for_url(f"**/plan?v={vid}")
    assert vid in [v.id for v in app.state.ws.versions()]
    log = page.inner_text("#changes-log")
    assert "王计划员" in log and "删除" in log and "撤销删除" in log
    page.goto(f"{base}/plan?v={first_version(server)}")
    page.click("#restore-version")
    page.wait_for_url("**/plan?v=*")
    assert "恢复旧版本" in page.inner_text("#version-title")


def test_print_view_keeps_site_colours_and_hides_the_menu(page, server, request):
    _, base = server
    page.goto(f"{base}/plan?v={first_version(server)}")
    page.emulate_media(media="print")
    request.addfinalizer(lambda: page.emulate_media(media="screen"))  # the next test shares the page
    assert not page.is_visible("header.top") and not page.is_visible("#generate-form")
    chip = page.locator("#calendar a.exam").first
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert chip.evaluate("e => getComputedStyle(e).printColorAdjust || getComputedStyle(e).webkitPrintColorAdjust") \
        == "exact"
    shot(page, "plan-print")
    pdf = page.pdf(format="A4") if page.width == 1280 else b"%PDF"
    assert pdf.startswith(b"%PDF")


def test_check_page_speaks_chinese_in_an_english_browser(page, server):
    _, base = server
    page.goto(f"{base}/check")
    assert page.inner_text(".file-pick") .replace("\n", "") .startswith("选择文件")
    page.set_input_files("#plan-file", files=[{"name": "plan.csv", "mimeType": "text/csv",
                                               "buffer": PLAN_CSV.encode("utf-8")}])
    assert page.inner_text("#plan-file-name") == "plan.csv"
    page.click("#check")
    page.wait_for_selector("#check-result")
    assert page.is_visible("#export-check")
    fits(page)
    shot(page, "check-result")


def test_compare_names_versions_and_fits(page, server):
    app, base = server
    ids = sorted(v.id for v in app.state.ws.versions())
    page.goto(f"{base}/compare?a={ids[0]}&b={ids[-1]}")
    head = page.inner_text("#kpi-delta thead")
    assert f"版本{ids[0]}" in head and " A" not in head
    fits(page)
    shot(page, "compare")


def test_calendar_shows_closures_and_moved_sessions(page, server):
    app, base = server
    ws = app.state.ws
    if "聚腾二季度" not in ws.scenarios():
        ws.write_scenario("聚腾二季度", 'year = 2024\n[[closures]]\ninstitution = "juteng"\n'
                                        'start = 2024-04-01\nend = 2024-06-30\nreason = "整改"\n')
    lines = PLAN_CSV.splitlines(keepends=True)
    k = next(i for i, ln in enumerate(lines) if ln.startswith("managers,2,"))
    cells = lines[k].split(",")
    cells[3] = (dt.date.fromisoformat(cells[3]) + dt.timedelta(days=2)).isoformat()
    lines[k] = ",".join(cells)
    vid = ws.add_version("".join(lines), {}, year=2024, scenario="聚腾二季度", parent=first_version(server), note="",
                         kind="edit")
    page.goto(f"{base}/plan?v={vid}")
    assert page.locator("#calendar a.exam.moved").count() == 1
    assert page.locator("#calendar td.closure").count() == 91
    assert "由4月8日调整" in page.get_attribute("#calendar a.exam.moved", "title")
    fits(page)
    if SCREENSHOTS:
        page.locator("#calendar").screenshot(path=str(ARTIFACTS / f"calendar-marks-{page.width}.png"))


def test_scenario_form_one_field_a_line_on_a_phone(page, server):
    _, base = server
    page.goto(f"{base}/scenario")
    fits(page)
    if page.width == 390:  # no two labels share a line
        tops = page.eval_on_selector_all("form label", "ls => ls.filter(l => l.offsetParent).map(l => l.getBoundingClientRect().top)")
        assert len(tops) == len(set(round(t) for t in tops))
    shot(page, "scenario-form")


def test_improve_a_version_the_time_limit_stopped(page, server):
    """继续优化 on a generated version saved as stopped by its time limit: the form on the plan page, then the job's
    page with both costs and the new version (the 2024 plan, continued under the 2024 rules, gets cheaper)."""
    app, base = server
    ws = app.state.ws
    vid = ws.add_version(PLAN_CSV, {"year": 2024, "status": "TIME_LIMIT"}, year=2024, scenario=None, parent=None,
                         note="时限内", kind="generate")
    page.goto(f"{base}/plan?v={vid}")
    page.wait_for_selector("#improve-form")
    fits(page)
    shot(page, "improve-form")
    page.fill('#improve-form input[name="time_limit"]', "10")
    page.click("#improve")
    page.wait_for_selector("#improve-result", timeout=120_000)
    fits(page)
    shot(page, "improve-done")
    text = page.inner_text("#improve-result")
    assert f"比版本{vid}更好" in text and "→" in text, text
    page.click("#improve-result a")
    page.wait_for_url("**/plan?v=*")
    assert "继续优化" in page.inner_text("#version-title")


def test_a_replan_the_limit_stopped_early_says_what_it_did_not_optimise(page, server):
    """A re-plan whose time limit ended its first tier: the plan page names, in Chinese and in view under the
    title, the objectives it did not search, at both widths without scrolling sideways."""
    app, base = server
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "TIME_LIMIT", "stopped_by": "deterministic limit",
                                              "tiers_unsearched": ["sessions_changed", "days_moved", "preferences"]},
                                   year=2024, scenario=None, parent=None, note="重新排期", kind="replan")
    page.goto(f"{base}/plan?v={vid}")
    note = page.wait_for_selector("#unsearched")
    assert note.is_visible()
    text = note.inner_text()
    assert "调整的场次数、考试日期移动的天数、各项偏好" in text and "求解时限" in text, text
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.width + 1
    fits(page)
    shot(page, "replan-unsearched")
