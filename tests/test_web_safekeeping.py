"""The workspace never loses work (issue 21): the history database deleted, emptied, truncated or replaced
by garbage is refused at start with a Chinese message naming it and the way back, nothing is written, and
``planner serve --restore`` gives every version back, with its parent, note and kind."""
from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest

from planner.cli import main
from planner.data import scenarios_dir
from planner.web import safekeeping
from planner.web.workspace import COLUMNS, MIGRATIONS, SCHEMA, Workspace, WorkspaceDamaged

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")


def _fill(root) -> Workspace:
    ws = Workspace(root)
    a = ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="发布版", kind="upload")
    b = ws.add_version(PLAN_CSV.replace("\n", "\r\n"), {"year": 2024}, year=2024, scenario=None, parent=a,
                       note="年中调整", kind="replan")
    ws.write_published(b, {"notice.xlsx": b"xlsx bytes", "ics/huaan.ics": b"BEGIN:VCALENDAR"})
    return ws


def _files(ws) -> dict[str, str]:
    return {p.relative_to(ws.root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (ws.root / "versions").rglob("*") if p.is_file()}


def _history(ws) -> list[tuple]:
    return [(v.id, v.parent, v.note, v.kind, v.sha256, v.year) for v in ws.versions()]


def _delete(db):
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def _empty(db):
    _delete(db)
    db.write_bytes(b"")


def _truncate(db):
    with sqlite3.connect(db) as con:  # fold the WAL in first, so the file holds the pages
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    _delete(db)
    db.write_bytes(data[: len(data) // 2])


def _garbage(db):
    _delete(db)
    db.write_bytes(b"\x00garbage" * 4096)


@pytest.mark.parametrize("damage", [_delete, _empty, _truncate, _garbage])
@pytest.mark.parametrize("backed_up", [True, False])
def test_a_lost_or_damaged_database_is_refused_then_restored_without_loss(tmp_path, damage, backed_up):
    ws = _fill(tmp_path / "w")
    history, files = _history(ws), _files(ws)
    if not backed_up:
        for p in ws.backup_dir.iterdir():
            p.unlink()
    damage(ws.db_path)
    with pytest.raises(WorkspaceDamaged) as err:
        Workspace(ws.root)
    msg = err.value.message
    assert err.value.file == str(ws.db_path) and str(ws.root) in msg and "--restore" in msg and "2 个版本" in msg
    assert _files(ws) == files  # nothing written, nothing removed
    from planner.web.app import create_app

    with pytest.raises(WorkspaceDamaged):
        create_app(ws.root, warm=False)
    assert main(["serve", "--workspace", str(ws.root), "--restore", "--port", "1"]) == 0
    again = Workspace(ws.root)
    assert _files(again) == files
    got = _history(again)
    if backed_up:
        assert got == history  # parent, note, kind and all, from the backup and the mirrored rows
    else:
        assert [(g[0], g[4]) for g in got] == [(h[0], h[4]) for h in history]
        assert got == history  # version.json mirrors every row: even without a backup nothing is lost
    new = again.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="", kind="upload")
    assert new == 3 and _files(again).items() >= files.items()


def test_the_start_refusal_is_one_chinese_line_with_exit_2(tmp_path, capsys):
    ws = _fill(tmp_path / "w")
    _empty(ws.db_path)
    assert main(["serve", "--workspace", str(ws.root), "--port", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "workspace.db" in err[0] and "是空文件" in err[0] and "Traceback" not in err[0]


def test_a_folder_the_history_does_not_know_is_taken_back_never_overwritten(tmp_path):
    ws = _fill(tmp_path / "w")
    files = _files(ws)
    with sqlite3.connect(ws.db_path) as con:  # e.g. an older backup copied back in by hand
        con.execute("DELETE FROM versions WHERE id = 2")
    again = Workspace(ws.root)
    assert [v.id for v in again.versions()] == [2, 1] and again.version(2).note == "年中调整"
    assert again.add_version(PLAN_CSV, {}, year=2024, scenario=None, parent=None, note="", kind="upload") == 3
    assert _files(again).items() >= files.items()


def test_an_unknown_folder_without_a_row_mirror_is_kept_and_skipped(tmp_path):
    ws = _fill(tmp_path / "w")
    stray = ws.root / "versions" / "7"
    stray.mkdir()
    (stray / "plan.csv").write_text(PLAN_CSV, encoding="utf-8")
    again = Workspace(ws.root)
    assert again.version(7) is not None and again.version(7).year == 2024
    assert again.add_version(PLAN_CSV, {}, year=2024, scenario=None, parent=None, note="", kind="upload") == 8
    assert (stray / "plan.csv").read_text(encoding="utf-8") == PLAN_CSV


def test_a_schema_change_is_preceded_by_an_online_backup(tmp_path):
    ws = _fill(tmp_path / "w")
    with sqlite3.connect(ws.db_path) as con:
        rows = con.execute(f"SELECT {COLUMNS} FROM versions").fetchall()
    _delete(ws.db_path)
    with sqlite3.connect(ws.db_path) as con:  # a database of the first release: one table, no later changes
        con.execute(SCHEMA)
        con.executemany("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for p in ws.backup_dir.iterdir():
        p.unlink()
    again = Workspace(ws.root)
    assert [v.id for v in again.versions()] == [2, 1]
    for n in range(1, len(MIGRATIONS) + 1):  # one backup before each change, holding the schema before it
        before = ws.backup_dir / f"workspace-before-schema-{n}.db"
        assert safekeeping.db_state(before)[0] == "ok"
        with sqlite3.connect(before) as con:
            assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 2
            assert con.execute("PRAGMA user_version").fetchone()[0] == n - 1


def test_daily_backups_one_a_day_and_only_the_newest_kept(tmp_path):
    ws = _fill(tmp_path / "w")
    start = dt.date(2027, 1, 1)
    for n in range(20):
        safekeeping.daily_backup(ws, start + dt.timedelta(days=n))
        safekeeping.daily_backup(ws, start + dt.timedelta(days=n))
    daily = sorted(p.name for p in ws.backup_dir.glob("workspace-????-??-??.db"))
    assert len(daily) == 14 and daily[-1] == "workspace-2027-01-20.db"
    with sqlite3.connect(ws.backup_dir / daily[-1]) as con:
        assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 2


def test_every_change_is_recorded_with_who_made_it(tmp_path):
    ws = Workspace(tmp_path / "w")
    ws.add_version(PLAN_CSV, {}, year=2024, scenario=None, parent=None, note="", kind="upload", who="张三")
    with sqlite3.connect(ws.db_path) as con:
        assert con.execute("SELECT who, what, version FROM changes").fetchall() == [("张三", "add:upload", 1)]
