"""The 调整 page in a real browser (Playwright and Debian's Chromium, against a live app on a free port).

The published 2024 plan, 华安 closed 15 July – 31 August, re-planned from 1 July (worked out by hand in
tests/test_revision.py): the planner sees the three changes with their candidates and reasons, refuses the
knock-on (infeasible: said, and the way back), returns, and publishes the 调整通知 with her own reason.
With ``PLANNER_SCREENSHOTS=1``, screenshots at 1280 px and 390 px go to ``tests/artifacts/web/`` (git-ignored); no page scrolls sideways.
"""
from __future__ import annotations

import shutil

import pytest

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")
if shutil.which("chromium") is None:
    pytest.skip("no system Chromium (CI installs it: apt-get install -y chromium)", allow_module_level=True)

from planner import read_plan  # noqa: E402
from planner.data import load_catalogue, scenarios_dir  # noqa: E402
from planner.web.app import create_app  # noqa: E402

from test_web_browser import JOB_WAIT_MS, live_server, page, save_shot  # noqa: E402,F401 - page: its fixture
from test_web_revision import SCENARIO  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("ws"), documents=False)
    ws = app.state.ws
    csv = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
    vid = ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="已发布", kind="upload")
    ws.write_scenario("华安整改", SCENARIO)
    with live_server(app) as base:
        yield app, base, vid


def fits(page, name: str) -> None:
    """Neither 1280 nor 390 px scrolls sideways (screenshots of both when asked for)."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_function("() => [...document.images].every(i => i.complete)")  # the charts are laid out
        sw, iw = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert sw <= iw, f"{name} at {width}px scrolls sideways ({sw} > {iw})"
        save_shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_replan_refuse_go_back_and_publish_the_notice(page, server, tmp_path):
    app, base, vid = server
    page.goto(f"{base}/publish?v={vid}")
    page.click("#publish")
    page.wait_for_selector("#zip", timeout=JOB_WAIT_MS)
    page.goto(f"{base}/replan?v={vid}")
    page.fill("input[name=from_date]", "2024-07-01")
    page.select_option("select[name=scenario]", "华安整改")
    page.fill("input[name=time_limit]", "20")
    regs = tmp_path / "报名人数.csv"
    published = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue())
    regs.write_text("stream,no,报名人数\n" + "".join(f"{s.stream},{s.no},10\n" for s in published.sessions
                                                    if s.exam_date.isoformat() >= "2024-07-01"), encoding="utf-8")
    page.set_input_files("input[name=registrations]", str(regs))
    page.click("#replan")
    page.wait_for_selector("#notice-form", timeout=JOB_WAIT_MS)
    proposal = page.url
    assert page.locator("#changes tr.change").count() == 3  # as worked out by hand (test_revision.py)
    assert page.locator("#affected").inner_text() == "30"
    assert page.locator("#changes button.refuse").count() == 1
    assert page.input_value("input[name=reason]") == "华安考点场地整改，自7月15日起暂停考试"
    fits(page, "revision")
    page.click("#changes button.refuse")
    page.wait_for_selector("#refusal", timeout=JOB_WAIT_MS)
    assert "没有可行方案" in page.locator("#refusal").inner_text()
    fits(page, "revision-refused")
    page.click("#back")
    assert page.url == proposal
    page.fill("input[name=reason]", "华安考点场地整改")
    page.click("#publish-revision")
    page.wait_for_selector("#revision-files", timeout=JOB_WAIT_MS)
    with page.expect_download() as d:
        page.click("#revision-files a[href$='revision.docx']")
    path = tmp_path / "revision.docx"
    d.value.save_as(path)
    import docx

    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "因华安考点场地整改，现对" in text
    page.locator("#notice").scroll_into_view_if_needed()
    fits(page, "revision-published")


def test_a_replan_the_limit_cut_short_says_so_on_its_page(page, server):
    """重新排期's result page, where a planner reviews a re-plan: when the time limit left objectives unsearched
    (summary.json ``tiers_unsearched``, set here on a finished job as a cut-short run sets it), the note names them in
    Chinese, in view, at 1280 and 390 px without sideways scrolling."""
    app, base, vid = server
    page.goto(f"{base}/replan?v={vid}")
    page.fill("input[name=from_date]", "2024-07-01")
    page.select_option("select[name=scenario]", "华安整改")
    page.fill("input[name=time_limit]", "20")
    page.click("#replan")
    page.wait_for_selector("#changes", timeout=JOB_WAIT_MS)
    jid = page.url.rsplit("/", 1)[-1]
    job = app.state.jobs.wait(jid, timeout=300)
    assert page.locator("#job-unsearched").count() == 0
    job.outcome["summary"]["tiers_unsearched"] = ["days_moved", "preferences"]
    page.reload()
    note = page.wait_for_selector("#job-unsearched")
    assert note.is_visible() and "考试日期移动的天数、各项偏好" in note.inner_text()
    fits(page, "revision-unsearched")
