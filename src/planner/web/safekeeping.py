"""The workspace never loses work: the history database cross-checked with versions/, backed up, restorable.

Every version's folder holds its plan, its summary and a mirror of its history row (``version.json``),
written before the row is committed. So the folders alone can give the history back, and:

* at start, a missing, empty or damaged ``workspace.db`` while versions/ holds versions is refused with a
  Chinese message naming the file and the way back (``planner serve --restore``); nothing is written;
* a version folder the database does not know (a restored older backup, a crash between the folder's
  rename and the commit) is taken back into the history, never overwritten;
* the database is copied with SQLite's online backup API before any schema change and once a day
  (``backups/``, the last :data:`~planner.web.workspace.KEEP_BACKUPS` days kept);
* every committed change is mirrored in ``changes.jsonl`` (who, what, and the current version and deletions it
  set), so ``--restore`` from a backup older than the last changes keeps the version the subscriptions serve,
  the deletions and the 操作人 log;
* ``--restore`` moves the damaged file aside (never deletes it), copies in the newest backup (or starts
  an empty history), puts back the mirrored changes the backup lacks and takes every version folder back.
  It refuses while a server holds the workspace and on a database that is not damaged (nothing to restore);
* a database another program holds locked, or one that cannot be written, is not damage: it is said as such
  (try again), never with the advice to restore.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import sqlite3
from contextlib import closing

from ..errors import PlannerError
from ..textio import ascii_digits
from .history import KEEP_BACKUPS, MIGRATIONS, ROW_FILE, SCHEMA, Version, WorkspaceDamaged, insert_row

STATES = {"missing": "不存在", "empty": "是空文件", "damaged": "已损坏"}
#: SQLite's primary result codes that say the database cannot be used *now* (another program holds it locked, it
#: may not be written, its disk is full), not that it is damaged: a retry later works, a restore would roll back
UNAVAILABLE = {5: "busy", 6: "busy", 3: "readonly", 8: "readonly", 14: "readonly", 23: "readonly", 13: "full"}
#: the same, said to the planner at start and by ``--restore`` (the pages' words are messages.toml database_*)
UNAVAILABLE_WORDS = {"busy": "正被其他程序占用（锁定）", "readonly": "现在不能写入（文件或文件夹只读，或没有权限）",
                     "full": "所在的磁盘已满"}


#: errnos of a workspace file that cannot be written now, by the words above: its disk full (a quota, a file-size
#: limit), or its folder not writable (read-only mount, no permission). Not damage either: fix it, press again
_UNWRITABLE = {**{getattr(errno, n): "full" for n in ("ENOSPC", "EDQUOT", "EFBIG") if hasattr(errno, n)},
               **{getattr(errno, n): "readonly" for n in ("EACCES", "EPERM", "EROFS")}}


def unwritable(exc: BaseException) -> str | None:
    """"full" | "readonly" when *exc* (an OSError, or the IOFailure a writer made of one: ``textio``, ``outset``
    raise it from the OSError) failed a write for want of room or permission; None for anything else."""
    seen = 0
    while exc is not None and seen < 8:  # the OSError is the IOFailure's context (raised "from None", still kept)
        if isinstance(exc, OSError) and exc.errno in _UNWRITABLE:
            return _UNWRITABLE[exc.errno]
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def disk_state(folder) -> str | None:
    """"full" | "readonly" when the file system of *folder* has no room left or is mounted read-only: SQLite then
    says only "disk I/O error" (its -shm cannot grow), which must not read as a damaged database (a restore would
    roll the history back for a disk that only needs space); None when it looks writable."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):  # pragma: no cover - Windows has no statvfs
        return None
    if st.f_flag & getattr(os, "ST_RDONLY", 1):
        return "readonly"
    if st.f_bavail * st.f_frsize < 64 * 1024:  # less than the -shm's first 32 kB and a page or two
        return "full"
    return None


def unavailable(exc: BaseException) -> str | None:
    """"busy" | "readonly" | "full" when the SQLite error *exc* says the database is locked by another program,
    cannot be written or its disk is full (the file is not damaged); None for anything else."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return UNAVAILABLE.get(code & 0xFF)
    words = str(exc).lower()
    if "locked" in words or "busy" in words:
        return "busy"
    if "readonly" in words or "read-only" in words:
        return "readonly"
    return None


def db_state(path) -> tuple[str, str]:
    """("ok" | "missing" | "empty" | "damaged" | "busy" | "readonly" | "full", detail) of a history database,
    read-only: "busy" etc. (:func:`unavailable`) is a file that could not be checked now, not a damaged one."""
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
        return unavailable(exc) or "damaged", str(exc)
    return "ok", ""


def unavailable_message(ws, kind: str, detail: str) -> str:
    """What the planner reads at start (or from ``--restore``) when the database is locked or cannot be written:
    not damage, so no restore; try again."""
    return (f"工作区数据库{UNAVAILABLE_WORDS[kind]}（{detail}）。这不是损坏，不需要也不应该恢复（--restore）；"
            f"没有改动任何文件。请关闭正在使用 {ws.db_path.name} 的其他程序（或检查文件和磁盘），然后重试。")


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
    """Open (or create) the history of *ws*, cross-checked with its folders; raises WorkspaceDamaged (or a
    PlannerError saying the database is locked or not writable: nothing to restore, try again)."""
    folders = ws.version_folders()
    state, detail = db_state(ws.db_path)
    if state in UNAVAILABLE_WORDS:
        raise PlannerError(unavailable_message(ws, state, detail), file=ws.db_path)
    try:
        if state != "ok":
            if folders or state == "damaged":  # a damaged file is someone's data even in an empty workspace
                raise WorkspaceDamaged(damaged_message(ws, state, len(folders)), file=ws.db_path)
            _create(ws)
        migrate(ws)
        if not ws.log_path.exists():
            _seed_log(ws)
        adopt(ws)
        daily_backup(ws)
    except sqlite3.DatabaseError as exc:
        kind = unavailable(exc)
        if kind is None:
            raise
        raise PlannerError(unavailable_message(ws, kind, str(exc)), file=ws.db_path) from None


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
            try:
                con.execute("BEGIN IMMEDIATE")
                for vid in new:
                    insert_row(con, _row_of(ws, vid))
                    ws.record(con, "adopt", vid)
                ws.commit(con)
            except BaseException:
                ws.rollback(con)
                raise
    return new


# -- the change log's mirror (changes.jsonl) -------------------------------------------------------------------
def _state_now(con) -> dict:
    row = con.execute("SELECT value FROM settings WHERE key = 'current'").fetchone()
    current = int(row[0]) if row and ascii_digits(str(row[0])) else None
    return {"current": current, "deleted": [r[0] for r in con.execute("SELECT id FROM versions WHERE deleted = 1")]}


def _seed_log(ws) -> None:
    """The mirror's first line, when there is none yet (a workspace of an earlier release): the current version and
    the deletions as the history holds them, after its newest change."""
    with closing(ws._connect()) as con:
        after = int(con.execute("SELECT COALESCE(MAX(id), 0) FROM changes").fetchone()[0])
        line = {"snapshot": _state_now(con), "after": after,
                "at": dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")}
    try:
        with open(ws.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    except OSError:
        pass


def read_log(ws) -> list[dict]:
    """The mirrored lines, in order; a line that does not read (a write cut short) is skipped."""
    try:
        text = ws.log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.split("\n"):  # not splitlines: a name may hold U+2028, which JSON leaves as it is
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and (isinstance(doc.get("id"), int) or isinstance(doc.get("after"), int)):
            out.append(doc)
    return out


def _newer(ws, have: int) -> list[dict]:
    """The mirrored changes after row *have* (the restored history's newest), oldest first; a snapshot line sits
    after the row it was taken at. A later line for the same row wins."""
    rows: dict[int, dict] = {}
    snaps = []
    for doc in read_log(ws):
        if "snapshot" in doc and isinstance(doc.get("after"), int) and doc["after"] > have:
            snaps.append(((doc["after"], 1), doc))
        elif isinstance(doc.get("id"), int) and doc["id"] > have:
            rows[doc["id"]] = doc
    return [doc for _, doc in sorted([((k, 0), d) for k, d in rows.items()] + snaps, key=lambda x: x[0])]


def _as_id(x) -> int | None:
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


def _replay_rows(ws, newer: list[dict]) -> None:
    """The change log's rows the backup lacks, put back with their own ids."""
    with closing(ws._connect()) as con:
        con.execute("BEGIN IMMEDIATE")
        for doc in newer:
            if "snapshot" not in doc:
                con.execute("INSERT OR REPLACE INTO changes (id, at, who, what, version) VALUES (?, ?, ?, ?, ?)",
                            (doc["id"], str(doc.get("at", "")), str(doc.get("who", "")), str(doc.get("what", "")),
                             _as_id(doc.get("version"))))
        con.execute("COMMIT")


def _replay_state(ws, newer: list[dict]) -> None:
    """What those changes set, in order: the current version and the deletions (after the folders are adopted)."""
    with closing(ws._connect()) as con:
        con.execute("BEGIN IMMEDIATE")
        for doc in newer:
            if "snapshot" in doc:
                snap = doc["snapshot"] if isinstance(doc["snapshot"], dict) else {}
                if _as_id(snap.get("current")) is not None:
                    con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('current', ?)",
                                (str(_as_id(snap["current"])),))
                con.execute("UPDATE versions SET deleted = 0")
                for vid in snap.get("deleted") or []:
                    if _as_id(vid) is not None:
                        con.execute("UPDATE versions SET deleted = 1 WHERE id = ?", (_as_id(vid),))
                continue
            effect = doc.get("set") if isinstance(doc.get("set"), dict) else {}
            if _as_id(effect.get("current")) is not None:
                con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('current', ?)",
                            (str(_as_id(effect["current"])),))
            if "deleted" in effect and _as_id(doc.get("version")) is not None:
                con.execute("UPDATE versions SET deleted = ? WHERE id = ?",
                            (int(bool(effect["deleted"])), _as_id(doc["version"])))
        con.execute("COMMIT")


def _refuse_if_held(ws) -> None:
    """``--restore`` while a ``planner serve`` holds the workspace would pull the history from under it."""
    try:
        ws.claim()
    except PlannerError:
        try:
            owner = (ws.root / "serve.lock").read_text(encoding="utf-8").strip()
        except OSError:
            owner = ""
        raise PlannerError(f"工作区正被另一个 planner serve 使用{f'（{owner}）' if owner else ''}，不能在它运行时恢复；"
                           "没有改动任何文件。请先停止它（在启动它的窗口按 Ctrl-C），再运行 --restore。",
                           file=ws.root) from None


def restore(ws) -> str:
    """``planner serve --restore``: the damaged database aside, the newest backup in, the mirrored changes the
    backup lacks put back (the current version, the deletions, the log), every folder adopted. Refused while a
    server holds the workspace, and on a database that is not damaged (locked, read-only or sound: nothing to
    restore, nothing changed). Returns what was done, in one line."""
    _refuse_if_held(ws)
    try:
        return _restore(ws)
    finally:
        ws.release()


def _restore(ws) -> str:
    state, detail = db_state(ws.db_path)
    if state in UNAVAILABLE_WORDS:
        raise PlannerError(unavailable_message(ws, state, detail), file=ws.db_path)
    if state == "ok":
        return (f"工作区数据库 {ws.db_path} 完好，没有需要恢复的内容，没有改动任何文件"
                "（--restore 只用于数据库缺失、为空或损坏时；直接启动工作台即可）。")
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
    with closing(ws._connect()) as con:
        have = int(con.execute("SELECT COALESCE(MAX(id), 0) FROM changes").fetchone()[0])
    newer = _newer(ws, have)
    if newer:
        _replay_rows(ws, newer)
    found = adopt(ws)
    if newer:
        _replay_state(ws, newer)
    changes = sum("snapshot" not in d for d in newer)
    return (f"restored {ws.db_path} from {source}; {len(found)} version folder(s) taken back from versions/; "
            f"{changes} later change(s) (current version, deletions, who did what) taken back from {ws.log_path.name}"
            + (f"; the old file kept as {', '.join(kept)}" if kept else ""))
