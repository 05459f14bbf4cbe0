"""A workspace file that cannot be written (disk full: ENOSPC; folder read-only: EROFS/EACCES) while the workbench
saves: a Chinese page that says so (507 for a full disk, 503 for a folder that may not be written), what was kept
and what to do; never "出错了" (500) or "输入有误" (400). The published set is written whole or not at all, and
pressing the button again once the disk is fixed works and stores nothing twice.

The fault is the test's own: an OSError where the set's files are written (``outset._write_all``), or where a demand or
scenario file is saved. ``planner serve`` on a real full or read-only disk was checked by hand (CHANGELOG.md).
"""
from __future__ import annotations

import errno
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner import outset  # noqa: E402
from planner.data import scenarios_dir  # noqa: E402
from planner.web import demands as D  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.workspace import Workspace  # noqa: E402

from test_web_revision_fault import ADVICE, REASON, _publish, _published_texts, _typed, replanned  # noqa: E402,F401

FAULTS = {"full": (errno.ENOSPC, 507, "所在的磁盘已满", "请腾出磁盘空间"),
          "readonly": (errno.EROFS, 503, "现在不能写入", "是否有写入权限")}


def _fail(monkeypatch, target, name, code):
    def refuse(*a, **kw):
        raise OSError(code, "injected " + errno.errorcode[code], "/w/x")

    monkeypatch.setattr(target, name, refuse)


@pytest.fixture
def two(tmp_path):
    """(app, client, published version, version to publish)."""
    app = create_app(tmp_path / "w", documents=False, warm=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        ws = app.state.ws
        csv = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
        one = ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="", kind="upload")
        assert client.post(f"/publish/{one}", data={"csrf": app.state.csrf}, follow_redirects=False).status_code == 303
        other = ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="2", kind="upload")
        yield app, client, one, other


def _said(r, kind):
    code, status, words, advice = FAULTS[kind]
    assert r.status_code == status, r.text
    assert words in r.text and advice in r.text and "再按一次" in r.text, r.text
    assert "出错了" not in r.text and "输入有误" not in r.text


@pytest.mark.parametrize("kind", FAULTS)
def test_publish_on_a_full_or_read_only_disk_says_so_and_keeps_the_old_set(two, monkeypatch, kind):
    app, client, one, other = two
    ws = app.state.ws
    before = {f: ws.published_file(one, f).read_bytes() for f in ws.published_files(one)}
    _fail(monkeypatch, outset, "_write_all", FAULTS[kind][0])
    form = {"csrf": app.state.csrf, "doc_number": "9", "confirm": "1"}
    r = client.post(f"/publish/{other}", data=form, follow_redirects=False)
    _said(r, kind)
    assert "已有的版本和文件都没有改动" in r.text
    monkeypatch.undo()
    # nothing half-written: no set, no temporary folder or lock left; the old set and the current version as before
    assert ws.published_files(other) == [] and [p.name for p in ws.version_dir(other).iterdir()
                                                if p.name.startswith(".")] == []
    assert {f: ws.published_file(one, f).read_bytes() for f in ws.published_files(one)} == before
    assert ws.current() == one
    assert client.post(f"/publish/{other}", data=form, follow_redirects=False).status_code == 303
    assert ws.current() == other and [c["what"] for c in ws.changes()].count("publish") == 2


@pytest.mark.parametrize("kind", FAULTS)
def test_demand_and_scenario_saves_on_a_full_or_read_only_disk_say_so(two, monkeypatch, kind):
    app, client, _, _ = two
    ws = app.state.ws
    real = D.save
    _fail(monkeypatch, D, "save", FAULTS[kind][0])
    r = client.post("/demand", data={"csrf": app.state.csrf, "note": "测"}, follow_redirects=False)
    _said(r, kind)
    monkeypatch.setattr(D, "save", real)
    assert client.post("/demand", data={"csrf": app.state.csrf, "note": "测"}, follow_redirects=False).status_code == 303
    assert D.numbers(ws) == [1]
    _fail(monkeypatch, Workspace, "write_scenario", FAULTS[kind][0])
    form = {"csrf": app.state.csrf, "name": "q2", "year": "2024", "closure_institution_1": "juteng",
            "closure_start_1": "2024-04-01", "closure_end_1": "2024-06-30", "closure_reason_1": "停业整顿"}
    _said(client.post("/scenario", data=form, follow_redirects=False), kind)
    monkeypatch.undo()
    assert ws.scenarios() == []
    assert client.post("/scenario", data=form, follow_redirects=False).status_code == 303 and ws.scenarios() == ["q2"]


def test_a_full_disk_while_the_revision_is_written_says_what_is_kept(replanned, monkeypatch):
    """发布调整通知: the version stored, the set not written: 507 naming the version, the typed text on the page again;
    pressing again publishes it, stored once."""
    app, client, vid, jid = replanned
    ws = app.state.ws
    _fail(monkeypatch, outset, "_write_all", errno.ENOSPC)
    r = _publish(app, client, jid, reason=REASON, advice=ADVICE)  # handled: no exception reaches the client
    new = app.state.jobs.get(jid).version
    _said(r, "full")
    assert f"已经保存为版本{new}" in r.text
    monkeypatch.undo()
    assert ws.published_files(new) == [] and ws.current() == vid
    page = client.get(f"/job/{jid}").text
    assert _typed(page)[:2] == (REASON, ADVICE) and 'id="publish-unfinished"' in page
    assert _publish(app, client, jid, reason=REASON, advice=ADVICE).status_code == 303
    assert [v.id for v in ws.versions()] == [new, vid] and ws.current() == new
    assert _published_texts(ws, new) == (REASON, ADVICE)


def test_sqlite_s_disk_i_o_error_on_a_full_disk_is_not_called_damage(two, monkeypatch):
    """On a full disk SQLite says "disk I/O error" (its -shm cannot grow): the page says the disk is full, never to
    restore the history from a backup."""
    import sqlite3

    from planner.web import safekeeping
    from planner.web.safekeeping import disk_state

    app, client, one, other = two
    monkeypatch.setattr(safekeeping, "disk_state", lambda folder: "full")

    def io_error(*a, **kw):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Workspace, "set_current", io_error)
    r = client.post(f"/version/{one}/current", data={"csrf": app.state.csrf}, follow_redirects=False)
    assert r.status_code == 503 and "所在的磁盘已满" in r.text and "--restore" not in r.text, r.text
    assert disk_state(app.state.ws.root) is None  # the real disk of the test has room
