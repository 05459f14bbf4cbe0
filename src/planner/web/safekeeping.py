"""The workspace never loses work: the history database cross-checked with versions/, backed up, restorable.

Every version's folder holds its plan, its summary and a mirror of its history row (``version.json``),
written before the row is committed. So the folders alone can give the history back, and:

* at start, a missing, empty or damaged ``workspace.db`` while versions/ holds versions is refused with a
  Chinese message naming the file and the way back (``planner serve --restore``); nothing is written;
* a version folder the database does not know (a restored older backup, a crash between the folder's
  rename and the commit) is taken back into the history, never overwritten;
* the database is copied with SQLite's online backup API before any schema change and once a day
  (``backups/``, the last :data:`~planner.web.workspace.KEEP_BACKUPS` days kept);
* ``--restore`` moves the damaged file aside (never deletes it), copies in the newest backup (or starts
  an empty history) and takes every version folder back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from contextlib import closing

from .history import KEEP_BACKUPS, MIGRATIONS, ROW_FILE, SCHEMA, Version, WorkspaceDamaged, insert_row

STATES = {"missing": "不存在", "empty": "是空文件", "damaged": "已损坏"}


def db_state(path) -> tuple[str, str]:
    """("ok" | "missing" | "empty" | "damaged", detail) of a history database, read-only."""
    if not path.exists():
        return "missing", ""
    if path.stat().st_size == 0:
        return "empty", ""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as con:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                return "damaged", str(check)
            if not con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='versions'").fetchone():
                return "damaged", "no versions table"
    except sqlite3.DatabaseError as exc:
        return "damaged", str(exc)
    return "ok", ""


def damaged_message(ws, state: str, folders: int) -> str:
    """What the planner reads (page or terminal): which file, what is wrong, how to get the history back.

    The error's file is the database's path; the message names the workspace's path only in the command
    to run, so the one-line error cap never cuts what is wrong out of the middle of a long path."""
    backups = ws.backup_dir.relative_to(ws.root) if ws.backup_dir.is_relative_to(ws.root) else ws.backup_dir
    return (f"工作区数据库{STATES[state]}，而同一工作区的 versions/ 中有 {folders} 个版本。"
            f"为免覆盖这些版本，工作台没有启动，也没有改动任何文件。恢复方法：运行 "
            f"planner serve --workspace {ws.root} --restore（用 {backups}/ 中最新的备份恢复历史，"
            f"备份之后新增的版本从 versions/ 找回；原数据库文件改名保留）。")


def open_history(ws) -> None:
    """Open (or create) the history of *ws*, cross-checked with its folders; raises WorkspaceDamaged."""
    folders = ws.version_folders()
    state, _ = db_state(ws.db_path)
    if state != "ok":
        if folders or state == "damaged":  # a damaged file is someone's data even in an empty workspace
            raise WorkspaceDamaged(damaged_message(ws, state, len(folders)), file=ws.db_path)
        _create(ws)
    migrate(ws)
    adopt(ws)
    daily_backup(ws)


def _create(ws) -> None:
    with closing(ws._connect()) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(SCHEMA)
        for step in MIGRATIONS:
            con.execute(step)
        con.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


def migrate(ws) -> None:
    """Apply the schema changes this database lacks, each after an online backup."""
    with closing(ws._connect()) as con:
        have = int(con.execute("PRAGMA user_version").fetchone()[0])
        for n in range(have, len(MIGRATIONS)):
            backup(ws, f"workspace-before-schema-{n + 1}.db")
            con.execute("BEGIN IMMEDIATE")
            con.execute(MIGRATIONS[n])
            con.execute(f"PRAGMA user_version = {n + 1}")
            con.execute("COMMIT")


def backup(ws, name: str):
    """SQLite's online backup of the history into backups/NAME (consistent even while pages write)."""
    ws.backup_dir.mkdir(exist_ok=True)
    target = ws.backup_dir / name
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with closing(ws._connect()) as src, closing(sqlite3.connect(tmp)) as dst:
        src.backup(dst)
    os.replace(tmp, target)
    return target


def daily_backup(ws, today: dt.date | None = None) -> None:
    """Today's backup when there is none yet; only the newest KEEP_BACKUPS daily copies are kept."""
    today = today or dt.date.today()
    name = f"workspace-{today.isoformat()}.db"
    if (ws.backup_dir / name).exists():
        return
    backup(ws, name)
    daily = sorted(p for p in ws.backup_dir.glob("workspace-????-??-??.db"))
    for old in daily[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)


def _row_of(ws, vid: int) -> Version:
    """A version's history row from its folder: the mirrored row, else what its files say."""
    folder = ws.version_dir(vid)
    data = (folder / "plan.csv").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        doc = json.loads((folder / ROW_FILE).read_text(encoding="utf-8"))
        v = Version(**{k: doc[k] for k in Version.__dataclass_fields__})
        if v.id == vid and v.sha256 == digest:
            return v
    except (OSError, ValueError, KeyError, TypeError):
        pass
    summary = ws.summary(vid)
    year = summary.get("year")
    if not isinstance(year, int):
        year = _year_of_plan(folder / "plan.csv")
    created = dt.datetime.fromtimestamp(int((folder / "plan.csv").stat().st_mtime)).isoformat(sep=" ")
    return Version(vid, None, summary.get("scenario") or None, year, created, "（从 versions/ 找回）", digest,
                   "upload")


def _year_of_plan(path) -> int:
    from ..data import load_catalogue
    from ..plan import read_plan_csv

    return read_plan_csv(path, load_catalogue()).year


def adopt(ws) -> list[int]:
    """Version folders the history does not know, taken into it (oldest first); their ids."""
    with closing(ws._connect()) as con:
        known = {r[0] for r in con.execute("SELECT id FROM versions")}
        new = [vid for vid in ws.version_folders() if vid not in known]
        if new:
            con.execute("BEGIN IMMEDIATE")
            now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
            for vid in new:
                insert_row(con, _row_of(ws, vid))
                con.execute("INSERT INTO changes (at, who, what, version) VALUES (?, '', 'adopt', ?)", (now, vid))
            con.execute("COMMIT")
    return new


def restore(ws) -> str:
    """``planner serve --restore``: the damaged database aside, the newest backup in, every folder adopted.
    Returns what was done, in one line."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        p = ws.db_path.with_name(ws.db_path.name + suffix)
        if p.exists():
            aside = p.with_name(f"{p.name}.damaged-{stamp}")
            os.replace(p, aside)
            kept.append(aside.name)
    backups = sorted(ws.backup_dir.glob("workspace-*.db"), key=lambda p: p.stat().st_mtime) \
        if ws.backup_dir.is_dir() else []
    usable = [b for b in backups if db_state(b)[0] == "ok"]
    if usable:
        with closing(sqlite3.connect(usable[-1])) as src, closing(ws._connect()) as dst:
            src.backup(dst)
        with closing(ws._connect()) as con:
            con.execute("PRAGMA journal_mode=WAL")
        source = f"backup {usable[-1].name}"
    else:
        _create(ws)
        source = "an empty history"
    migrate(ws)
    found = adopt(ws)
    return (f"restored {ws.db_path} from {source}; {len(found)} version folder(s) taken back from versions/"
            + (f"; the old file kept as {', '.join(kept)}" if kept else ""))
