"""The workbench and its history database when the database is not damaged but unavailable, and ``--restore``:

* a locked or read-only ``workspace.db`` is said as such (busy / not writable, try again), never as damage with
  the advice to run ``planner serve --restore``;
* ``--restore`` keeps the version the subscriptions serve, the deletions and the 操作人 log made after the day's
  backup (mirrored in ``changes.jsonl``), refuses while a server holds the workspace, and does nothing on a sound
  database;
* a 生成 job that finishes while the database is unavailable keeps its plan and stores it once the database is
  back (a retry while the server runs, or the next start);
* every proposal not yet accepted survives a restart, however many;
* a demand saved with control characters in its note or 操作人 reads back, and a save the database cannot log
  leaves no file (a retry does not save it twice).

No test waits for a clock: a lock is held by the test itself, and the workbench's connections are given no busy
timeout so they meet it at once.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import warnings
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.api import next_year  # noqa: E402
from planner.cli import main  # noqa: E402
from planner.data import load_catalogue, scenarios_dir  # noqa: E402
from planner.errors import PlannerError  # noqa: E402
from planner.web import demands as D  # noqa: E402
from planner.web import safekeeping  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.jobs import DONE  # noqa: E402
from planner.web.workspace import Workspace, WorkspaceDamaged  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")


def _add(ws, note: str = "", parent=None) -> int:
    return ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None, parent=parent,
                          note=note, kind="upload")


def _post(app, client, path, **data):
    return client.post(path, data={"csrf": app.state.csrf, **data}, follow_redirects=False)


def _no_wait(ws, monkeypatch):
    """The workspace's connections meet a lock at once (no 10 s busy timeout): the test holds the lock itself."""
    def connect():
        con = sqlite3.connect(ws.db_path, timeout=0, isolation_level=None)
        con.row_factory = sqlite3.Row
        return con

    monkeypatch.setattr(ws, "_connect", connect)


def _read_only(ws, monkeypatch):
    """The database as a read-only file is to a planner who is not root (root ignores chmod): reads work, writes
    are refused by SQLite (SQLITE_READONLY)."""
    def connect():
        con = sqlite3.connect(f"file:{ws.db_path}?mode=ro", uri=True, timeout=0, isolation_level=None)
        con.row_factory = sqlite3.Row
        return con

    monkeypatch.setattr(ws, "_connect", connect)


def _lock(ws) -> sqlite3.Connection:
    """Another program holding the database: BEGIN EXCLUSIVE (WAL: readers go on, every writer is refused); any
    thread may let it go."""
    con = sqlite3.connect(ws.db_path, timeout=0, isolation_level=None, check_same_thread=False)
    con.execute("BEGIN EXCLUSIVE")
    return con


@contextlib.contextmanager
def locked(ws):
    """:func:`_lock` held for a ``with`` block, let go however it ends."""
    holder = _lock(ws)
    try:
        yield holder
    finally:
        holder.rollback()
        holder.close()


def _aside(ws) -> list[str]:
    return sorted(p.name for p in ws.root.glob("workspace.db.damaged-*"))


# -- 1 (a): locked, read-only, or a sound file: not damage -------------------------------------------------------
def test_a_locked_database_is_busy_try_again_never_restore(tmp_path, monkeypatch):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    ws = app.state.ws
    one = _add(ws)
    with TestClient(app) as client:
        _no_wait(ws, monkeypatch)
        holder = _lock(ws)
        try:
            r = _post(app, client, "/edit", v=str(one), s="special_ops-2", notes="第二版")
            assert r.status_code == 503 and "正被其他程序占用" in r.text and "不需要恢复" in r.text
            assert "--restore" not in r.text and "程序内部错误" not in r.text
            assert client.get("/plan").status_code == 200  # reading goes on meanwhile
        finally:
            holder.rollback()
            holder.close()
        assert [v.id for v in ws.versions()] == [one] and ws.version_folders() == [one]
        r = _post(app, client, "/edit", v=str(one), s="special_ops-2", notes="第二版")
        assert r.status_code == 303  # the lock gone, the same request works


def test_a_read_only_database_is_not_writable_never_restore(tmp_path, monkeypatch):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    ws = app.state.ws
    one = _add(ws)
    with TestClient(app) as client:
        _read_only(ws, monkeypatch)
        r = _post(app, client, f"/version/{one}/delete")
        assert r.status_code == 503 and "不能写入" in r.text and "--restore" not in r.text
        assert not ws.is_deleted(one)


def test_an_odd_error_on_a_sound_database_is_not_sent_to_restore(tmp_path, monkeypatch):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    ws = app.state.ws
    one = _add(ws)

    def odd(*a, **kw):
        raise sqlite3.OperationalError("disk I/O error")

    with TestClient(app) as client:
        monkeypatch.setattr(ws, "set_deleted", odd)
        r = _post(app, client, f"/version/{one}/delete")
        assert r.status_code == 503 and "检查完好" in r.text and "--restore" not in r.text
        # a really damaged file still gets the way back
        db = ws.db_path
        for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            if p.exists():
                p.write_bytes(b"this is not a database" * 100)
        r = _post(app, client, f"/version/{one}/delete")
        assert r.status_code == 503 and "--restore" in r.text


def test_a_locked_database_is_busy_in_db_state_not_damaged(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "w")
    _add(ws)
    real = sqlite3.connect

    def no_wait(*a, **kw):  # db_state's own read-only look, without its busy timeout
        kw["timeout"] = 0
        return real(*a, **kw)

    with sqlite3.connect(ws.db_path, isolation_level=None) as con:  # a rollback journal: a lock stops readers too
        con.execute("PRAGMA journal_mode=DELETE")
    holder = sqlite3.connect(ws.db_path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE versions SET note = note")  # the exclusive lock is taken at the first write
    try:
        monkeypatch.setattr(safekeeping.sqlite3, "connect", no_wait)
        assert safekeeping.db_state(ws.db_path)[0] == "busy"
        with pytest.raises(PlannerError) as err:  # the start: said as busy, with no way "back" that rolls back
            Workspace(ws.root)
        assert not isinstance(err.value, WorkspaceDamaged)
        assert "正被其他程序占用" in err.value.message and "不需要" in err.value.message
        assert main(["serve", "--workspace", str(ws.root), "--restore", "--port", "1"]) == 2
        assert _aside(ws) == []
    finally:
        holder.rollback()
        holder.close()


# -- 1 (b), (c): --restore ------------------------------------------------------------------------------------------
def _published(ws, vid):
    ws.write_published(vid, {"notice.xlsx": b"xlsx", "ics/huaan.ics": f"BEGIN:VCALENDAR v{vid}".encode()})


def test_restore_keeps_the_current_version_the_deletions_and_the_log(tmp_path, capsys):
    ws = Workspace(tmp_path / "w")
    one = _add(ws, "发布版")
    _published(ws, one)
    ws.set_current(one, "张三", "publish")
    for p in ws.backup_dir.iterdir():  # the day's backup: taken now, before the day's later changes
        p.unlink()
    safekeeping.daily_backup(ws)
    two = _add(ws, "第二版", parent=one)
    three = _add(ws, "第三版", parent=two)
    _published(ws, three)
    ws.set_current(three, "李四", "publish")  # the institutions' calendars switch to version 3
    ws.set_deleted(two, True, "王五")
    ws.set_deleted(one, True, "王五")  # a row the backup has, deleted after it
    before = ws.changes(100)
    assert ws.latest_published() == three
    with sqlite3.connect(ws.db_path) as con:  # damaged: the way back is --restore
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.db_path.write_bytes(b"\x00garbage" * 4096)
    assert main(["serve", "--workspace", str(ws.root), "--restore", "--port", "1"]) == 0
    again = Workspace(ws.root)
    assert again.current() == three and again.latest_published() == three
    assert again.is_deleted(two) and again.is_deleted(one) and [v.id for v in again.versions()] == [three]
    after = again.changes(100)
    kept = [(c["who"], c["what"], c["version"]) for c in before]
    assert [(c["who"], c["what"], c["version"]) for c in after if c["what"] != "adopt"] == kept
    assert {c["version"] for c in after if c["what"] == "adopt"} == {two, three}


def test_restore_from_an_empty_history_keeps_them_too(tmp_path):
    ws = Workspace(tmp_path / "w")
    one, two = _add(ws), _add(ws)
    _published(ws, one)
    _published(ws, two)
    ws.set_current(one, "张三")  # the older one chosen on purpose
    ws.set_deleted(two, True, "张三")
    for p in ws.backup_dir.iterdir():
        p.unlink()
    for suffix in ("", "-wal", "-shm"):
        ws.db_path.with_name(ws.db_path.name + suffix).unlink(missing_ok=True)
    assert main(["serve", "--workspace", str(ws.root), "--restore", "--port", "1"]) == 0
    again = Workspace(ws.root)
    assert again.current() == one and again.is_deleted(two)


def test_restore_is_refused_while_a_server_holds_the_workspace(tmp_path, capsys):
    ws = Workspace(tmp_path / "w")
    _add(ws)
    server = Workspace(ws.root)
    server.claim()
    try:
        with sqlite3.connect(ws.db_path) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = ws.db_path.read_bytes()
        ws.db_path.write_bytes(b"\x00garbage" * 4096)  # damaged, but the server's to stop first
        assert main(["serve", "--workspace", str(ws.root), "--restore", "--port", "1"]) == 2
        err = capsys.readouterr().err
        assert "planner serve" in err and "Ctrl-C" in err
        assert _aside(ws) == [] and ws.db_path.read_bytes() == b"\x00garbage" * 4096  # untouched
    finally:
        server.release()
    ws.db_path.write_bytes(data)
    capsys.readouterr()


def test_restore_on_a_sound_database_changes_nothing(tmp_path, capsys):
    ws = Workspace(tmp_path / "w")
    one, two = _add(ws), _add(ws)
    _published(ws, two)
    ws.set_current(two)
    for p in ws.backup_dir.iterdir():  # an older backup, without version 2, is all there is
        p.unlink()
    with sqlite3.connect(ws.db_path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = ws.db_path.read_bytes()
    assert main(["serve", "--workspace", str(ws.root), "--restore", "--port", "1"]) == 0
    assert "完好" in capsys.readouterr().out
    assert _aside(ws) == [] and ws.db_path.read_bytes() == data
    assert Workspace(ws.root).current() == two


# -- 2: a generated plan the database cannot take yet ---------------------------------------------------------------
def test_a_generated_plan_is_kept_while_the_database_is_locked_and_stored_after(tmp_path, monkeypatch):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    ws = app.state.ws
    with TestClient(app) as client:
        _no_wait(ws, monkeypatch)
        holder = _lock(ws)
        try:
            r = _post(app, client, "/generate", year=str(next_year()), time_limit="3")
            assert r.status_code == 303
            jid = r.headers["location"].rsplit("/", 1)[-1]
            job = app.state.jobs.wait(jid)
            assert job.state == "unsaved", job.outcome
            page = client.get(f"/job/{jid}").text
            assert "尚未保存为版本" in page and "不会丢失" in page and "程序内部错误" not in page
            assert ws.version_folders() == [] and (ws.root / "pending" / f"{jid}.json").is_file()
            assert 'id="save-now"' in page
            # 现在保存 while the database is still locked: refused again, the plan kept, nothing stored twice
            r = _post(app, client, f"/job/{jid}/save")
            assert r.status_code == 303 and r.headers["location"] == f"/job/{jid}" and job.state == "unsaved"
            assert ws.version_folders() == []
        finally:
            holder.rollback()
            holder.close()
        r = _post(app, client, f"/job/{jid}/save")  # the button, once the database takes it
        assert r.status_code == 303 and r.headers["location"] == "/plan?v=1"
        assert app.state.jobs.retry_unsaved() == []  # what the idle queue does every 15 s: nothing left to store
        assert job.state == DONE and job.version == 1 and ws.version_folders() == [1]
        assert not (ws.root / "pending" / f"{jid}.json").exists()
        assert ws.plan_csv_path(1).read_text(encoding="utf-8") == job.outcome["plan_csv"]
        r = client.get(f"/job/{jid}/status")
        assert r.headers.get("HX-Redirect") == "/plan?v=1"
        outcome, spec = job.outcome, job.spec
    # a plan still kept when the server stopped is stored at the next start
    ws.save_pending("0123456789ab", {"spec": spec, "outcome": outcome, "unsaved": "database is locked"})
    again = create_app(ws.root, documents=False, warm=False)
    with TestClient(again) as client:
        kept = again.state.jobs.get("0123456789ab")
        assert kept.state == DONE and kept.version == 2 and again.state.ws.version_folders() == [1, 2]
        assert f"版本{kept.version}" in client.get("/job/0123456789ab").text
    assert again.state.ws.pending() == []


# -- 3: every proposal not yet accepted survives a restart --------------------------------------------------------
def test_every_pending_proposal_survives_a_restart(tmp_path):
    ws = Workspace(tmp_path / "w")
    one = _add(ws)
    spec = {"kind": "replan", "base": one, "from_date": "2024-06-01", "time_limit": 1, "root": str(ws.root)}
    ids = [f"{n:012x}" for n in range(30)]
    for jid in ids:
        ws.save_pending(jid, {"spec": spec, "outcome": {"ok": True, "changes": []}})
    assert len(ws.pending()) == 30
    app = create_app(ws.root, documents=False, warm=False)
    assert all(app.state.jobs.get(jid) is not None for jid in ids)


def test_a_kept_proposal_is_not_forgotten_for_newer_jobs(tmp_path):
    """The queue remembers 100 finished jobs for their pages; a proposal waiting for 接受 is not one it may forget."""
    ws = Workspace(tmp_path / "w")
    one = _add(ws)
    spec = {"kind": "replan", "base": one, "from_date": "2024-06-01", "time_limit": 1, "root": str(ws.root)}
    (ws.root / "pending").mkdir()
    ids = [f"{n:012x}" for n in range(120)]
    for jid in ids:
        (ws.root / "pending" / f"{jid}.json").write_text(json.dumps({"spec": spec, "outcome": {"ok": True}}))
    app = create_app(ws.root, documents=False, warm=False)
    queue = app.state.jobs
    queue.shutdown()  # no solve: only what the queue remembers is looked at
    queue.submit({"kind": "generate"})
    assert all(queue.get(jid) is not None for jid in ids)


# -- 4: demand saves ------------------------------------------------------------------------------------------------
def test_control_characters_in_a_demand_s_note_and_who_read_back(tmp_path):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    ws = app.state.ws
    with TestClient(app) as client:
        client.cookies.set("planner_who", quote("张\x7f三"))
        r = _post(app, client, "/demand", note="三月\x7f报名\u2028第二行\x85")
        assert r.status_code == 303
        n = D.numbers(ws)[-1]
        D.load(ws, n, load_catalogue())  # reads back
        assert D.meta(ws, n)["note"] == "三月\x7f报名\u2028第二行\x85" and D.meta(ws, n)["who"] == "张\x7f三"
        assert client.get(f"/demand?d={n}").status_code == 200
        r = _post(app, client, "/demand", d=str(n), note="再存一版")  # the later save works
        assert r.status_code == 303 and D.numbers(ws)[-1] == n + 1
        assert D.meta(ws, n + 1)["note"] == "再存一版"


def test_a_demand_save_the_database_cannot_log_leaves_no_file(tmp_path, monkeypatch):
    app = create_app(tmp_path / "w", documents=False, warm=False)
    ws = app.state.ws
    with TestClient(app) as client:
        real = ws._connect
        _read_only(ws, monkeypatch)
        r = _post(app, client, "/demand", note="只读时保存")
        assert D.numbers(ws) == [] and sorted(p.name for p in (ws.root / "demand").iterdir()) == []
        assert r.status_code == 503 and "不能写入" in r.text and "--restore" not in r.text
        monkeypatch.setattr(ws, "_connect", real)
        assert _post(app, client, "/demand", note="只读时保存").status_code == 303
        assert D.numbers(ws) == [1]  # the retry saved it once
        holder = _lock(ws)
        try:
            _no_wait(ws, monkeypatch)
            assert _post(app, client, "/demand", note="锁定时保存").status_code == 503
            assert D.numbers(ws) == [1]
        finally:
            holder.rollback()
            holder.close()


def test_the_change_log_mirror_holds_only_committed_changes(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "w")
    one = _add(ws)
    lines = ws.log_path.read_text(encoding="utf-8").splitlines()
    _no_wait(ws, monkeypatch)
    holder = _lock(ws)
    try:
        with pytest.raises(sqlite3.OperationalError):
            ws.set_deleted(one, True, "张三")
    finally:
        holder.rollback()
        holder.close()
    assert ws.log_path.read_text(encoding="utf-8").splitlines() == lines
    ws.set_deleted(one, True, "张三")
    last = json.loads(ws.log_path.read_text(encoding="utf-8").splitlines()[-1])
    assert (last["who"], last["what"], last["version"], last["set"]) == ("张三", "delete", one, {"deleted": True})
