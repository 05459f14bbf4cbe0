"""The 发布 page's 发文字号 and 成文日期 (``planner publish --doc-number/--issued`` in the workbench).

The values reach notice.docx as the command line's do; bad ones (a control character, a line break, a future
day, a day before 2000, an over-long 字号, not a date) are said next to their field with what was typed, status
400, nothing written; the version's next visit shows the values it was published with; the 发布前核对 item about a
missing 字号 names the page, the option only in brackets.
"""
from __future__ import annotations

import datetime as dt
import html
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
docx = pytest.importorskip("docx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.data import scenarios_dir  # noqa: E402
from planner.publish.checklist import CHECKLIST_FILE  # noqa: E402
from planner.publish.letterhead import publish_day  # noqa: E402
from planner.web.app import create_app  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
ISSUED = dt.date(2024, 3, 15)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("number"), warm=False, documents=False)  # no PDFs: seconds saved
    with TestClient(app) as client:
        yield app, client


def _version(app) -> int:
    return app.state.ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="",
                                    kind="upload")


def _publish(app, client, vid, **fields):
    return client.post(f"/publish/{vid}", data={"csrf": app.state.csrf, "confirm": "1", **fields},
                       follow_redirects=False)


def _snapshot(ws) -> list:
    return sorted((p.relative_to(ws.root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in ws.root.rglob("*") if p.is_file() and not p.name.startswith("workspace.db")
                  and p.name != "changes.jsonl")


def _docx_text(path) -> str:
    doc = docx.Document(str(path))
    return "".join(t.text or "" for t in doc.element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))


def test_number_and_date_reach_the_notice(env):
    app, client = env
    vid = _version(app)
    r = _publish(app, client, vid, doc_number="12", issued=ISSUED.isoformat())
    assert r.status_code == 303, r.text[-800:]
    ws = app.state.ws
    text = _docx_text(ws.published_file(vid, "notice.docx"))
    assert "运应急发〔2024〕12号" in text
    assert "2024年3月15日" in text
    checklist = ws.published_file(vid, CHECKLIST_FILE).read_text(encoding="utf-8") \
        if CHECKLIST_FILE in ws.published_files(vid) else ""
    assert "发文字号尚未填写" not in checklist


def test_a_whole_number_is_used_as_given(env):
    app, client = env
    vid = _version(app)
    assert _publish(app, client, vid, doc_number="运应急发〔2024〕7号", issued="").status_code == 303
    text = _docx_text(app.state.ws.published_file(vid, "notice.docx"))
    assert "运应急发〔2024〕7号" in text
    assert f"{publish_day().year}年{publish_day().month}月{publish_day().day}日" in text  # empty: today


def test_values_are_filled_in_on_the_next_visit(env):
    app, client = env
    vid = _version(app)
    page = client.get(f"/publish?v={vid}").text
    assert 'name="doc_number"' in page and f'value="{publish_day().isoformat()}"' in page  # first visit: today
    assert _publish(app, client, vid, doc_number="34", issued="2024-02-29").status_code == 303
    page = client.get(f"/publish?v={vid}").text
    assert 'id="doc-number" value="34"' in page
    assert 'id="issued" value="2024-02-29"' in page
    assert 'id="notice-remembered"' in page
    other = _version(app)  # another version starts blank
    assert 'id="doc-number" value=""' in client.get(f"/publish?v={other}").text


FUTURE = (publish_day() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("fields, field, words", [
    ({"doc_number": "12\x01号"}, "doc_number", "控制字符"),
    ({"doc_number": "12\u2028号"}, "doc_number", "一行"),
    ({"doc_number": "运应急发〔2024〕" + "1" * 30 + "号"}, "doc_number", "不能超过 30 个字"),
    ({"issued": FUTURE}, "issued", "不能晚于今天"),
    ({"issued": "1999-12-31"}, "issued", "早于 2000 年"),
    ({"issued": "2024-13-01"}, "issued", "不是有效的日期"),
])
def test_bad_values_are_refused_beside_their_field(env, fields, field, words):
    app, client = env
    vid = _version(app)
    before = _snapshot(app.state.ws)
    r = _publish(app, client, vid, **{"doc_number": "12", "issued": "2024-03-15", **fields})
    assert r.status_code == 400
    page = r.text
    start = page.index(f'id="err-{field}"')
    assert words in page[start:page.index("</p>", start)]
    other = "issued" if field == "doc_number" else "doc_number"
    assert f'id="err-{other}"' not in page
    typed = {"doc_number": "12", "issued": "2024-03-15", **fields}[field]
    if field == "doc_number" and "\x01" not in typed:
        assert f'value="{html.escape(typed)}"' in page  # what was typed, shown again
    if field == "issued":
        assert f'id="issued" value="{typed}"' in page
    assert _snapshot(app.state.ws) == before
    assert not app.state.ws.published_files(vid)


def test_the_checklist_names_the_page_and_the_option_in_brackets(env):
    app, client = env
    vid = _version(app)
    assert _publish(app, client, vid, doc_number="", issued="2024-03-15").status_code == 303
    items = app.state.ws.published_file(vid, CHECKLIST_FILE).read_text(encoding="utf-8")
    line = next(ln for ln in items.splitlines() if "发文字号尚未填写" in ln)
    assert "“发布”页" in line and "（命令行为 --doc-number）" in line
    assert "用 --doc-number" not in line
    assert "“发布”页填写" in client.get(f"/publish?v={vid}").text


def test_the_confirmation_for_an_older_version_carries_the_values(env):
    app, client = env
    older, newer = _version(app), _version(app)
    assert _publish(app, client, newer, doc_number="5", issued="2024-03-15").status_code == 303
    r = client.post(f"/publish/{older}", data={"csrf": app.state.csrf, "doc_number": "6", "issued": "2024-03-16",
                                               "with_demand": "1"}, follow_redirects=False)
    assert r.status_code == 409
    for name, value in (("doc_number", "6"), ("issued", "2024-03-16"), ("with_demand", "1")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in r.text
    assert not app.state.ws.published_files(older)


def test_a_set_published_again_without_the_fields_keeps_them(env):
    """发布调整通知 (routes/replan.py) has no such fields: publish_set uses what the version was published with."""
    from planner.web.routes.publish import publish_set

    app, client = env
    vid = _version(app)
    assert _publish(app, client, vid, doc_number="88", issued="2024-04-01").status_code == 303
    publish_set(app.state.bench, app.state.ws.version(vid))
    text = _docx_text(app.state.ws.published_file(vid, "notice.docx"))
    assert "运应急发〔2024〕88号" in text and "2024年4月1日" in text
    assert app.state.ws.notice_record(vid) == {"document_number": "88", "issued": "2024-04-01"}


def test_the_page_lists_the_checklist_s_items_not_its_file_header(env):
    from planner.publish.checklist import HEADER

    app, client = env
    vid = _version(app)
    assert _publish(app, client, vid, doc_number="", issued="2024-03-15").status_code == 303
    page = client.get(f"/publish?v={vid}").text
    assert "发布前请核对" in page and "发文字号尚未填写" in page
    assert f"<li>{HEADER}</li>" not in page
