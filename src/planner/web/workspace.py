"""The planner's workspace: scenario files, plan versions and their history, in one folder.

Layout (everything a planner makes, nothing else)::

    scenarios/NAME.toml          the same scenario TOML the CLI reads (scenarios/README.md)
    versions/ID/plan.csv         the canonical plan CSV
    versions/ID/summary.json     the run's summary (status, objective, calendar, scenario …)
    versions/ID/published/       the publication set, written as a whole (temporary folder + rename)
    versions/ID/notice.json      the 发文字号 and 成文日期 that set was published with
    versions/ID/revision.json    for a set published as a revision (调整通知): the plan it revises and the notice's reasons
    workspace.db                 SQLite history: versions(id, parent, scenario, year, created, note, sha256, kind)
    changes.jsonl                the change log mirrored line by line (who, what; the current version, deletions)

Why SQLite: a published plan, its mid-year revision and the revision after it form a chain
(``parent``) the pages show and compare; one transaction per change keeps the history and the
files in step. Files are written atomically, and a version's folder appears only complete
(written under a temporary name, then renamed), so a crash leaves the previous versions intact.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from contextlib import closing, contextmanager
from pathlib import Path

from ..errors import PlannerError
from ..textio import atomic_write_bytes, atomic_write_text, umask as _umask
from .history import (COLUMNS, KEEP_BACKUPS, MIGRATIONS, ROW_FILE, SCHEMA, Version, WorkspaceDamaged,  # noqa: F401
                      insert_row)

#: scenario names become file names: letters (Chinese included), digits, "_" and "-", nothing else
NAME_RE = re.compile(r"^[\w\-]{1,40}$")
VERSION_RE = re.compile(r"^[0-9]{1,9}$")
#: beside a version's published/: the 发文字号 and 成文日期 its set was last published with (the 发布 page fills them in again)
NOTICE_RECORD = "notice.json"
#: beside ``published/``: what a set published as a revision (调整通知) was revised from and with which reasons, so
#: that publishing it again keeps the notice (``web.revision.record_of``)
REVISION_RECORD = "revision.json"
#: the change log mirrored beside the database, one JSON line per committed change (who, what, and for a change of
#: the current version or of a deletion the change itself), so that ``--restore`` from an older backup keeps them
LOG_FILE = "changes.jsonl"

class OutsideWorkspace(PlannerError):
    """A request named a path outside the workspace (or a name that is not a plain name)."""


class ScenarioExists(PlannerError):
    """A new scenario's name is taken: nothing was written (the file of that name is left as it is)."""


class ScenarioChanged(PlannerError):
    """The scenario file is no longer the one an edit started from (saved or deleted since): nothing written."""


#: scenarios/.previous/: the text a save replaced (a hand-written file's comments, another tab's save)
PREVIOUS = ".previous"
#: one writer at a time checks and writes a scenario file (the server's threads)
_SCENARIO_LOCK = threading.Lock()


def scenario_digest(text: str | bytes) -> str:
    """What an edit form carries to say which text of the scenario it started from."""
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def _suffixed(name: str, suffix: str) -> str:
    """NAME-SUFFIX, NAME shortened so that the whole stays a scenario name (at most 40 characters)."""
    return f"{name[:40 - len(suffix) - 1]}-{suffix}"


def _link_new(path: Path, data: str | bytes, numbered: bool = False) -> None:
    """Write *data* as a new file *path*, complete before it appears and never over an existing one:
    :class:`ScenarioExists` when the name is taken; *numbered*: take ``stem.2.toml``, ``stem.3.toml`` … instead."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=".new-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        target, n = path, 1
        while True:
            try:
                os.link(tmp, target)  # fails rather than replace
                return
            except FileExistsError:
                if not numbered:
                    raise ScenarioExists(f"{path.name} exists", field="name") from None
                n += 1
                target = path.with_name(f"{path.stem}.{n}{path.suffix}")
    finally:
        os.unlink(tmp)


class Workspace:
    """One folder of scenarios and plan versions; every path handed out is checked to be inside it."""

    def __init__(self, root: str | Path, *, verify: bool = True) -> None:
        """*verify*: cross-check the database with versions/ (the server, once); the solver process that
        only reads a version the server named passes False."""
        self.root = Path(root).resolve()
        for sub in ("scenarios", "versions"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "workspace.db"
        self.backup_dir = self.root / "backups"
        self._unlogged: dict = {}  # a transaction's change-log rows, mirrored once it commits
        if verify:
            from .safekeeping import open_history

            open_history(self)

    def claim(self) -> None:
        """Hold the workspace for this server process (one solve queue per workspace): a second
        ``planner serve`` on the same folder is refused while this process lives (the OS drops the lock
        when it ends, however it ends). Not available where ``fcntl`` is missing (Windows)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return
        fh = open(self.root / "serve.lock", "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            owner = fh.read().strip() or "another process"
            fh.close()
            raise PlannerError(f"the workspace is in use by another planner serve ({owner}); stop it first or "
                               "use another --workspace", file=self.root) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self._claim = fh  # kept open: the lock lasts as long as this process

    def release(self) -> None:
        """Let go of :meth:`claim` (``--restore`` when done; the server's lock ends with its process)."""
        fh = getattr(self, "_claim", None)
        if fh is not None:
            fh.close()
            self._claim = None

    # -- paths ---------------------------------------------------------------------------------
    def inside(self, *parts: str) -> Path:
        """``root/parts…`` resolved; refuses anything that resolves outside the workspace."""
        try:
            p = self.root.joinpath(*parts).resolve()
        except (ValueError, OSError):  # a NUL byte, an over-long name
            raise OutsideWorkspace("not a path", field="path") from None
        if p != self.root and self.root not in p.parents:
            raise OutsideWorkspace("path is outside the workspace", field="path")
        return p

    def scenario_path(self, name: str) -> Path:
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise OutsideWorkspace(f"not a scenario name: {name!r}", field="name")
        return self.inside("scenarios", f"{name}.toml")

    def version_dir(self, vid: int) -> Path:
        return self.inside("versions", str(int(vid)))

    # -- scenarios -----------------------------------------------------------------------------
    def scenarios(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "scenarios").glob("*.toml") if NAME_RE.match(p.stem))

    def write_scenario(self, name: str, text: str, *, new: bool = False, based_on: str | None = None) -> Path:
        """Write a scenario file. *new*: only as a new file (:class:`ScenarioExists` when the name is taken, even
        by a file written a moment ago: never replaced); *based_on*: the :func:`scenario_digest` of the text the
        edit started from (:class:`ScenarioChanged` when the file is now another, e.g. saved meanwhile in
        another tab, or deleted). A replaced text that differs is kept in ``scenarios/.previous/`` first."""
        path = self.scenario_path(name)
        with _SCENARIO_LOCK:
            if new:
                _link_new(path, text)
                return path
            try:
                old = path.read_bytes()
            except FileNotFoundError:
                old = None
            if based_on is not None and (old is None or scenario_digest(old) != based_on):
                raise ScenarioChanged(f"scenario {name!r} changed since the edit began", field="name")
            if old is not None and old != text.encode("utf-8"):
                keep = self.inside("scenarios", PREVIOUS)
                keep.mkdir(exist_ok=True)
                _link_new(keep / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}.toml", old, numbered=True)
            atomic_write_text(path, text)
        return path

    def scenario_text(self, name: str) -> str | None:
        """A scenario file's text (None when there is none)."""
        try:
            return self.scenario_path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    # -- re-plans waiting for 接受 --------------------------------------------------------------------
    def save_pending(self, jid: str, doc: dict) -> None:
        """A proposal not yet accepted (or a generated plan the database could not take yet), kept until it is
        accepted or saved: never dropped for a newer one, however many wait (they are bounded by the disk only)."""
        (self.root / "pending").mkdir(exist_ok=True)
        atomic_write_text(self.inside("pending", f"{jid}.json"), json.dumps(doc, ensure_ascii=False) + "\n")

    def pending(self) -> list[tuple[str, dict]]:
        """(job id, {spec, outcome}) of the proposals kept on disk; an unreadable one is skipped."""
        out = []
        for p in sorted((self.root / "pending").glob("*.json")) if (self.root / "pending").is_dir() else []:
            try:
                doc = json.loads(p.read_text(encoding="utf-8"))
                if re.fullmatch(r"[0-9a-f]{12}", p.stem) and {"spec", "outcome"} <= set(doc):
                    out.append((p.stem, doc))
            except (OSError, ValueError, TypeError):
                continue
        return out

    def drop_pending(self, jid: str) -> None:
        try:
            self.inside("pending", f"{jid}.json").unlink(missing_ok=True)
        except OutsideWorkspace:
            pass

    def _trash(self, name: str) -> Path:
        self.scenario_path(name)  # the name check
        return self.inside("scenarios", ".trash", f"{name}.toml")

    def in_trash(self, name: str) -> bool:
        try:
            return self._trash(name).is_file()
        except OutsideWorkspace:
            return False

    def trash_scenario(self, name: str, who: str = "") -> None:
        """Delete with undo: the file moves to scenarios/.trash/; a file an earlier delete of the same name left
        there moves aside (``NAME.older-N.toml``), never replaced."""
        target = self._trash(name)
        target.parent.mkdir(exist_ok=True)
        with _SCENARIO_LOCK:
            if target.exists():
                _link_new(target.with_name(f"{name}.older.toml"), target.read_bytes(), numbered=True)
            os.replace(self.scenario_path(name), target)
        with closing(self._connect()) as con:
            self.record(con, f"delete-scenario:{name}", None, who)

    def untrash_scenario(self, name: str, who: str = "") -> str:
        """Undo a delete; the name the scenario is back under. When a scenario of the same name was made
        since, it is not replaced: the deleted one comes back under a free name (``NAME-恢复``, ``NAME-恢复2`` …)."""
        source = self._trash(name)
        with _SCENARIO_LOCK:
            data = source.read_bytes()
            for n in range(1, 1000):
                back = name if n == 1 else _suffixed(name, "恢复" if n == 2 else f"恢复{n - 1}")
                try:
                    _link_new(self.scenario_path(back), data)
                except ScenarioExists:
                    continue
                break
            else:  # pragma: no cover - a thousand names taken
                raise ScenarioExists(f"no free name for scenario {name!r}", field="name")
            source.unlink()
        with closing(self._connect()) as con:
            self.record(con, f"undelete-scenario:{name}" + (f"→{back}" if back != name else ""), None, who)
        return back

    @contextmanager
    def scratch(self):
        """A temporary folder inside the workspace (same file system, so renames are atomic); removed after."""
        d = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            yield d
        finally:
            shutil.rmtree(d, ignore_errors=True)

    # -- versions ------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        con.row_factory = sqlite3.Row
        return con

    def versions(self, deleted: bool = False) -> list[Version]:
        """The versions, newest first; *deleted*: the deleted ones instead (kept for 撤销)."""
        with closing(self._connect()) as con:
            rows = con.execute(f"SELECT {COLUMNS} FROM versions WHERE deleted = ? ORDER BY id DESC",
                               (int(deleted),)).fetchall()
        return [Version(**dict(r)) for r in rows]

    def version(self, vid: int | str) -> Version | None:
        if not VERSION_RE.match(str(vid)):
            return None
        with closing(self._connect()) as con:
            row = con.execute(f"SELECT {COLUMNS} FROM versions WHERE id = ?", (int(vid),)).fetchone()
        return Version(**dict(row)) if row else None

    def chain(self, vid: int) -> list[Version]:
        """The version and its ancestors, newest first (published plan → revision → revision …)."""
        out, seen = [], set()
        v = self.version(vid)
        while v is not None and v.id not in seen:
            seen.add(v.id)
            out.append(v)
            v = self.version(v.parent) if v.parent is not None else None
        return out

    def add_version(self, plan_csv: str, summary: dict, *, year: int, scenario: str | None, parent: int | None,
                    note: str, kind: str, who: str = "") -> int:
        """Store a plan as a new version: files first (folder renamed into place), then the history row,
        in one transaction; if anything fails the workspace is as before."""
        data = plan_csv.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        created = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            known = int(con.execute("SELECT COALESCE(MAX(id), 0) FROM versions").fetchone()[0])
            vid = max([known, *self.version_folders()]) + 1  # a folder the history does not know is never reused
            final = self.version_dir(vid)
            tmp = Path(tempfile.mkdtemp(prefix=f".v{vid}-", dir=self.root / "versions"))
            try:
                atomic_write_bytes(tmp / "plan.csv", data)
                atomic_write_text(tmp / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
                row = Version(vid, parent, scenario, year, created, note, digest, kind)
                atomic_write_text(tmp / ROW_FILE, json.dumps(row.__dict__, ensure_ascii=False, indent=1) + "\n")
                insert_row(con, row)
                self.record(con, f"add:{kind}", vid, who)
                os.replace(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self.commit(con)
        except BaseException:
            self.rollback(con)
            raise
        finally:
            con.close()
        from .safekeeping import daily_backup

        try:
            daily_backup(self)  # the first change of a day keeps yesterday's history aside
        except (OSError, sqlite3.DatabaseError):  # the version is saved: a backup missed is taken with the next change
            pass
        return vid

    def version_folders(self) -> list[int]:
        """Ids of the complete version folders on disk (a folder appears only complete: renamed into place)."""
        return sorted(int(p.name) for p in (self.root / "versions").iterdir()
                      if VERSION_RE.match(p.name) and (p / "plan.csv").is_file())

    def plan_csv_path(self, vid: int) -> Path:
        return self.version_dir(vid) / "plan.csv"

    def summary(self, vid: int) -> dict:
        try:
            doc = json.loads((self.version_dir(vid) / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    # -- published sets ------------------------------------------------------------------------
    def published_dir(self, vid: int) -> Path:
        return self.version_dir(vid) / "published"

    def write_published(self, vid: int, files: dict[str, bytes]) -> Path:
        """Write a whole publication set through the CLI's transaction (:class:`planner.outset.OutputSet`):
        built beside the old set, locked, with a manifest, switched in at once or not at all."""
        from ..outset import OutputSet

        final = self.published_dir(vid)
        for rel in files:
            target = (final / rel).resolve()
            if final.resolve() not in target.parents:
                raise OutsideWorkspace(f"output name leaves the folder: {rel!r}")
        with OutputSet(final, "publish", wait=30.0) as tx:
            for rel, data in sorted(files.items()):
                tx.write(rel, data)
        return final

    def notice_record(self, vid: int) -> dict:
        """What the version's set was last published with ({"document_number": …, "issued": "YYYY-MM-DD"}, the
        发布 page's 发文字号 and 成文日期, kept beside ``published/``); {} when none was recorded or it is unreadable."""
        try:
            doc = json.loads((self.version_dir(vid) / NOTICE_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict):
            return {}
        return {k: doc[k] for k in ("document_number", "issued") if isinstance(doc.get(k), str)}

    def write_notice_record(self, vid: int, document_number: str, issued: dt.date) -> None:
        """Keep the 发文字号 and 成文日期 a set was just published with (atomically; replaces only the record of the
        version's previous publication, which the set it describes has replaced too)."""
        doc = {"document_number": document_number, "issued": issued.isoformat(),
               "published": dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")}
        atomic_write_text(self.version_dir(vid) / NOTICE_RECORD, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")

    def revision_record(self, vid: int) -> dict:
        """How the version's set was last published as a revision (the plan revised, the reasons, the original
        notice, the advice; ``web.revision.record_of`` writes and reads it); {} when it was not, or unreadable."""
        try:
            doc = json.loads((self.version_dir(vid) / REVISION_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def write_revision_record(self, vid: int, doc: dict | None) -> None:
        """Keep (atomically) how a set was just published as a revision; None: it was published as a plan of its
        own, and an earlier record goes (it described the set just replaced)."""
        path = self.version_dir(vid) / REVISION_RECORD
        if doc is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")

    def published_files(self, vid: int) -> list[str]:
        d = self.published_dir(vid)
        if not d.is_dir():
            return []
        return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())

    def published_file(self, vid: int, rel: str) -> Path:
        """A file of a version's published set; refuses any path leaving that folder."""
        base = self.published_dir(vid).resolve()
        try:  # a NUL byte, an over-long name: no such file, never an error page of ours
            p = (base / rel).resolve()
            found = base in p.parents and p.is_file()
        except (ValueError, OSError):
            found = False
        if not found:
            raise OutsideWorkspace(f"no such published file: {rel!r}", field="path")
        return p

    # -- the planner's changes: current version, delete and undo, who did what ------------------------
    def record(self, con, what: str, vid: int | None, who: str = "", effect: dict | None = None) -> None:
        """A row of the change log; *effect*: what the change set ({"current": id} or {"deleted": bool}), mirrored
        in changes.jsonl with the row once it is committed (:meth:`commit`; at once outside a
        transaction), so a restore from an older backup gives both back."""
        now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        cur = con.execute("INSERT INTO changes (at, who, what, version) VALUES (?, ?, ?, ?)", (now, who, what, vid))
        entry = {"id": cur.lastrowid, "at": now, "who": who, "what": what, "version": vid}
        if effect:
            entry["set"] = effect
        if con.in_transaction:
            self._unlogged.setdefault(con, []).append(entry)
        else:
            self.log_changes([entry])

    def commit(self, con) -> None:
        """COMMIT, then the transaction's change-log rows mirrored on disk."""
        con.execute("COMMIT")
        self.log_changes(self._unlogged.pop(con, []))

    def rollback(self, con) -> None:
        if con.in_transaction:
            con.execute("ROLLBACK")
        self._unlogged.pop(con, None)

    @property
    def log_path(self) -> Path:
        return self.root / LOG_FILE

    def log_changes(self, entries: list[dict]) -> None:
        """Committed changes appended to the mirror (one line each, one write); the database has them already,
        so a mirror that cannot be written does not undo the change."""
        if not entries:
            return
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
        try:
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError:
            pass

    def changes(self, limit: int = 30) -> list[dict]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT at, who, what, version FROM changes ORDER BY id DESC LIMIT ?", (limit,))
            return [dict(r) for r in rows.fetchall()]

    def set_deleted(self, vid: int, deleted: bool, who: str = "") -> None:
        with closing(self._connect()) as con:
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("UPDATE versions SET deleted = ? WHERE id = ?", (int(deleted), int(vid)))
                self.record(con, "delete" if deleted else "undelete", vid, who, {"deleted": bool(deleted)})
                self.commit(con)
            except BaseException:
                self.rollback(con)
                raise

    def is_deleted(self, vid: int | str) -> bool:
        if not VERSION_RE.match(str(vid)):
            return False
        with closing(self._connect()) as con:
            row = con.execute("SELECT deleted FROM versions WHERE id = ?", (int(vid),)).fetchone()
        return bool(row and row[0])

    def set_current(self, vid: int, who: str = "", what: str = "current") -> None:
        """The version the subscriptions serve from now on (it must have a published set)."""
        with closing(self._connect()) as con:
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('current', ?)", (str(int(vid)),))
                self.record(con, what, vid, who, {"current": int(vid)})
                self.commit(con)
            except BaseException:
                self.rollback(con)
                raise

    def current(self) -> int | None:
        """The version chosen as current, if it still has a published set and is not deleted."""
        with closing(self._connect()) as con:
            row = con.execute("SELECT value FROM settings WHERE key = 'current'").fetchone()
        if row and VERSION_RE.match(row[0]) and self.published_dir(int(row[0])).is_dir() \
                and not self.is_deleted(int(row[0])):
            return int(row[0])
        return None

    def latest_published(self) -> int | None:
        """What the ICS subscriptions serve: the current version, else the one published most recently."""
        chosen = self.current()
        if chosen is not None:
            return chosen
        found = []
        for v in self.versions():
            d = self.published_dir(v.id)
            if d.is_dir():
                found.append((d.stat().st_mtime_ns, v.id))
        return max(found)[1] if found else None
