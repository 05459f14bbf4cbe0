"""需求与考位 in a real browser (Debian's Chromium via Playwright) at 1280 and 390 px: a bad number refused next
to its field, the edit saved as a version, the two charts shown, 推荐场次 run from the page to its result.
With ``PLANNER_SCREENSHOTS=1`` screenshots go to ``tests/artifacts/web/`` (git-ignored); every page is checked for horizontal scrolling.
The workspace holds the 2024 plan as a version (no solve) and a tiny rule set for the sizing job.
"""
from __future__ import annotations

import pytest

playwright = pytest.importorskip("playwright.sync_api")
# the live server and job bound of the walk-through (which skips without Chromium)
from test_web_browser import JOB_WAIT_MS, live_server  # noqa: E402
from test_web_demand import HAND_RULES, PLAN_CSV  # noqa: E402
# the browser at 1280 and 390 px, its page, and the width and screenshot checks of the other feature walk-through
from test_web_features_browser import browser, fits, page, shot  # noqa: E402,F401

from planner.web import demands as D  # noqa: E402
from planner.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("ws"))
    app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None, parent=None,
                             note="2024年通知", kind="upload")
    rules = tmp_path_factory.mktemp("rules") / "hand.toml"
    rules.write_text(HAND_RULES, encoding="utf-8")
    app.state.ws.write_scenario("hand", f'name = "hand"\nyear = 2024\nrules = "{rules}"\n')
    with live_server(app) as base:
        yield app, base


#: the tables of people: on a phone they scroll inside their box, so no column needs to squeeze (audit L: the
#: 数据 column "实际，考位和未过再报比例为估计" was 37 px wide, two characters a line and each row 175 px tall)
PEOPLE_TABLES = ("#demand-categories", "#load-categories", "#sizing-table")


def squeezed_cells(page) -> list[str]:
    """Cells of the people's tables whose text takes more than four lines: a column squeezed to a few characters."""
    return page.evaluate("""sels => sels.flatMap(s => [...document.querySelectorAll(s + ' td')]).filter(td => {
        const r = document.createRange(); r.selectNodeContents(td);
        return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 4;
    }).map(td => td.closest('table').id + ': ' + td.innerText.slice(0, 20))""", list(PEOPLE_TABLES))


def loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_edit_refuse_save_and_see_the_charts(page, server):
    app, base = server
    page.goto(f"{base}/demand")
    assert "估计" in page.inner_text("#demand-status")
    page.wait_for_function("() => [...document.querySelectorAll('img.chart')].every(i => i.complete)")
    assert loaded(page, "#chart-candidates") and loaded(page, "#chart-waits")
    fits(page)
    shot(page, "demand")
    field = 'input[name="s.huaan.seats_per_day"]'
    page.fill(field, "0")
    page.click("#save-demand")
    page.wait_for_selector("#form-errors")
    assert "须在 1–100000 之间" in page.inner_text("#err-s\\.huaan\\.seats_per_day")
    fits(page)
    shot(page, "demand-error")
    before = D.numbers(app.state.ws)
    page.fill(field, "120")
    page.fill('input[name="c.special_ops.welding.first_time"]', "10000")
    page.click("#save-demand")
    page.wait_for_selector("#saved")
    assert D.numbers(app.state.ws) == before + [(before or [0])[-1] + 1]
    assert page.input_value(field) == "120"
    assert "各考点每月安排考生/考位" in page.inner_text("#load")


def test_recommended_counts_from_the_page(page, server):
    app, base = server
    page.goto(f"{base}/demand")
    page.select_option('#size-form select[name="scenario"]', "hand")
    page.fill('#size-form input[name="time_limit"]', "5")
    page.click("#size-run")
    page.wait_for_url("**/job/*")
    page.wait_for_selector("#sizing-result", timeout=JOB_WAIT_MS)
    text = page.inner_text("#sizing-result")
    assert "推荐场次（估计）" in text and "共需" in text and "最长候考" in text
    fits(page)
    assert not squeezed_cells(page), squeezed_cells(page)
    shot(page, "demand-sizing")
    page.click("#sizing-as-scenario")
    page.wait_for_url("**/scenario?name=*")
    assert "已保存" in page.inner_text("#saved")
    assert page.input_value('input[name="sessions_managers"]')  # the recommended count, ready to plan with
    page.fill('input[name="demand_percent"]', "600")
    page.click("#save-scenario")
    page.wait_for_selector("#err-demand_percent")
    assert "需求 ± %须在 -90–500 之间" in page.inner_text("#err-demand_percent")
    fits(page)
    shot(page, "scenario-demand-percent")


def test_publish_offers_the_candidates(page, server):
    app, base = server
    page.goto(f"{base}/publish")
    assert "附上考生与考位" in page.inner_text("main")
    assert not page.is_checked("#with-demand")  # an estimate leaves the office only when the planner asks
    fits(page)
    shot(page, "publish-with-demand")


def test_import_a_registration_export_from_the_page(page, server, tmp_path):
    """导入报名数据: a row the importer refuses is said under the file field, nothing saved; a good export becomes
    the newest version, shown as 实际."""
    from test_web_demand import EXPORT

    app, base = server
    bad, good = tmp_path / "报名-错.csv", tmp_path / "2024年报名.csv"
    bad.write_text(EXPORT.replace("2024-07-08", "2024-02-30"), encoding="utf-8")
    good.write_text(EXPORT, encoding="utf-8")
    before = D.numbers(app.state.ws)
    page.goto(f"{base}/demand")
    page.set_input_files("#export-file", str(bad))
    assert page.inner_text("#export-file-name") == bad.name
    page.click("#import-run")
    page.wait_for_selector("#err-export")
    assert "第4行，“考试日期”不是日期" in page.inner_text("#err-export")
    # the page opens at the import form, its error in view, not at the top of a long page
    assert page.evaluate("(() => { const r = document.getElementById('err-export').getBoundingClientRect();"
                         " return r.top >= 0 && r.bottom <= innerHeight; })()")
    assert D.numbers(app.state.ws) == before
    fits(page)
    shot(page, "demand-import-error")
    page.set_input_files("#export-file", str(good))
    page.click("#import-run")
    page.wait_for_selector("#saved")
    assert "实际" in page.inner_text("#demand-status") and len(D.numbers(app.state.ws)) == len(before) + 1
    assert "导入报名数据 2024年报名.csv" in page.inner_text("#demand-versions")
    fits(page)
    assert "考位和未过再报比例为估计" in page.inner_text("#load-categories")  # the longest 数据 there is
    assert not squeezed_cells(page), squeezed_cells(page)
    shot(page, "demand-imported")
    page.click("#restore-estimate")  # the estimate back as the newest, as the module's other tests expect it
    page.wait_for_selector("#saved")
    assert "估计" in page.inner_text("#demand-status")
