"""发布调整通知 and a fault part-way (the history database locked, the disk full) followed by a restart: what the planner
typed on the 调整 page (调整原因, 对已报名考生的说明, 接受's 备注) is kept with the proposal (pending/) before
anything is written, shown again on the page after the restart, and published as typed; never the reasons worked out
anew. A version stored before the fault is not stored twice, and the 发布 page publishing it keeps the text too.

The fault is the test's own: a lock it holds (the workbench's connections given no busy timeout), or an OSError where
the set is written. The restart is a second app on the same workspace.
"""
from __future__ import annotations

import html
import re
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.web.app import create_app  # noqa: E402
from planner.web.routes import publish as P  # noqa: E402

from test_web_fixes_database import _lock, _no_wait, locked  # noqa: E402  (a lock the test holds; no busy timeout)
from test_web_revision import published_2024  # noqa: E402  (the 2024 plan published, 华安 closed from 7月15日)

REASON = "华安考点七月起场地整改（规划科填写）"
ADVICE = "已报名考生请按新日期参加考试；如需改报，请联系原报名培训机构（规划科填写）。"


def _typed(page: str) -> tuple:
    """The 调整通知 form's reason and advice, and 接受's 备注, as the page fills them in."""
    reason = re.search(r'name="reason" id="notice-reason"[^>]*value="([^"]*)"', page)
    advice = re.search(r'<textarea name="advice"[^>]*>(.*?)</textarea>', page, re.S)
    note = re.search(r'name="note" maxlength="200" value="([^"]*)"', page)
    return tuple(html.unescape(m.group(1)) if m else None for m in (reason, advice, note))


@pytest.fixture
def replanned(tmp_path):
    """(workspace root, published version, re-plan job id): the 2024 plan published, a 重新排期 closing 华安."""
    app = create_app(tmp_path / "w", documents=False, warm=False)
    with TestClient(app) as client:
        vid = published_2024(app, client)
        r = client.post("/replan", data={"csrf": app.state.csrf, "v": str(vid), "from_date": "2024-07-01",
                                         "scenario": "华安整改", "time_limit": "20"}, follow_redirects=False)
        jid = r.headers["location"].rsplit("/", 1)[-1]
        assert app.state.jobs.wait(jid, timeout=600).state == "done"
        assert _typed(client.get(f"/job/{jid}").text)[0] != REASON  # the page's own reason to start with
        yield app, client, vid, jid


def _publish(app, client, jid, **texts):
    return client.post(f"/job/{jid}/publish", data={"csrf": app.state.csrf, **texts}, follow_redirects=False)


def _published_texts(ws, vid) -> tuple:
    record = ws.revision_record(vid)
    return record.get("reason"), record.get("advice")


def test_a_locked_database_then_a_restart_keeps_the_typed_notice(replanned, monkeypatch):
    app, client, vid, jid = replanned
    ws = app.state.ws
    _no_wait(ws, monkeypatch)
    with locked(ws):
        r = _publish(app, client, jid, reason=REASON, advice=ADVICE)
        assert r.status_code == 503 and "正被其他程序占用" in r.text and "已有的版本和文件都没有改动" in r.text
        page = client.get(f"/job/{jid}").text  # the page opened again, before any restart
        assert _typed(page)[:2] == (REASON, ADVICE) and 'id="publish-unfinished"' in page
    assert [v.id for v in ws.versions()] == [vid]
    again = create_app(ws.root, documents=False, warm=False)
    with TestClient(again) as c2:
        page = c2.get(f"/job/{jid}").text
        assert _typed(page)[:2] == (REASON, ADVICE) and 'id="publish-unfinished"' in page
        r = _publish(again, c2, jid, reason=REASON, advice=ADVICE)
        assert r.status_code == 303
        new = again.state.jobs.get(jid).version
        assert [v.id for v in again.state.ws.versions()] == [new, vid] and again.state.ws.current() == new
        assert _published_texts(again.state.ws, new) == (REASON, ADVICE)
        assert again.state.ws.pending() == [] and 'id="publish-unfinished"' not in c2.get(f"/job/{jid}").text


def test_a_fault_after_the_version_is_stored_keeps_it_and_the_text(replanned, monkeypatch):
    """The set written, the database locked before it becomes current: after a restart the 调整 page has the version
    and the text; the 发布 page publishing that version keeps the published reason and advice."""
    app, client, vid, jid = replanned
    ws = app.state.ws
    _no_wait(ws, monkeypatch)
    real, held = P.publish_set, []

    def then_locked(*a, **kw):
        real(*a, **kw)
        held.append(_lock(ws))

    monkeypatch.setattr(P, "publish_set", then_locked)
    try:
        r = _publish(app, client, jid, reason=REASON, advice=ADVICE)
        # the set is written: the page must not say that nothing changed
        assert r.status_code == 503 and "还没有设为当前发布版本" in r.text and "都没有改动" not in r.text
    finally:
        for h in held:
            h.rollback()
            h.close()
    monkeypatch.setattr(P, "publish_set", real)
    new = app.state.jobs.get(jid).version
    assert [v.id for v in ws.versions()] == [new, vid] and ws.current() == vid
    again = create_app(ws.root, documents=False, warm=False)
    with TestClient(again) as c2:
        assert again.state.jobs.get(jid).version == new
        assert _typed(c2.get(f"/job/{jid}").text)[:2] == (REASON, ADVICE)
        r = c2.post(f"/publish/{new}", data={"csrf": again.state.csrf}, follow_redirects=False)
        assert r.status_code == 303 and again.state.ws.current() == new
        assert _published_texts(again.state.ws, new) == (REASON, ADVICE)
        assert again.state.ws.pending() == [] and 'id="publish-unfinished"' not in c2.get(f"/job/{jid}").text


def test_a_full_disk_while_the_set_is_written_stores_the_version_once(replanned, monkeypatch):
    app, client, vid, jid = replanned
    ws = app.state.ws

    def full(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(P, "publish_set", full)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert _publish(app, c, jid, reason=REASON, advice=ADVICE).status_code == 507
    monkeypatch.undo()
    new = app.state.jobs.get(jid).version
    again = create_app(ws.root, documents=False, warm=False)
    with TestClient(again) as c2:
        page = c2.get(f"/job/{jid}").text
        assert _typed(page)[:2] == (REASON, ADVICE) and again.state.jobs.get(jid).version == new
        assert _publish(again, c2, jid, **dict(zip(("reason", "advice"), _typed(page)[:2]))).status_code == 303
        assert [v.id for v in again.state.ws.versions()] == [new, vid]  # not stored twice
        assert _published_texts(again.state.ws, new) == (REASON, ADVICE)


def test_accept_s_note_survives_a_locked_database_and_a_restart(replanned, monkeypatch):
    app, client, vid, jid = replanned
    ws = app.state.ws
    _no_wait(ws, monkeypatch)
    with locked(ws):
        r = client.post(f"/job/{jid}/accept", data={"csrf": app.state.csrf, "note": "华安整改后的方案（待局长审定）"},
                        follow_redirects=False)
        assert r.status_code == 503
    again = create_app(ws.root, documents=False, warm=False)
    with TestClient(again) as c2:
        assert _typed(c2.get(f"/job/{jid}").text)[2] == "华安整改后的方案（待局长审定）"
