"""The planner's workspace: scenario files, plan versions and their history, in one folder.

Layout (everything a planner makes, nothing else)::

    scenarios/NAME.toml          the same scenario TOML the CLI reads (scenarios/README.md)
    versions/ID/plan.csv         the canonical plan CSV
    versions/ID/summary.json     the run's summary (status, objective, calendar, scenario …)
    versions/ID/published/       the publication set, written as a whole (temporary folder + rename)
    workspace.db                 SQLite history: versions(id, parent, scenario, year, created, note, sha256, kind)

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
from contextlib import closing, contextmanager
from pathlib import Path

from ..errors import PlannerError
from ..textio import atomic_write_bytes, atomic_write_text
from .history import (COLUMNS, KEEP_BACKUPS, KEEP_PENDING, MIGRATIONS, ROW_FILE, SCHEMA, Version,  # noqa: F401
                      WorkspaceDamaged, insert_row)

#: scenario names become file names: letters (Chinese included), digits, "_" and "-", nothing else
NAME_RE = re.compile(r"^[\w\-]{1,40}$")
VERSION_RE = re.compile(r"^[0-9]{1,9}$")

class OutsideWorkspace(PlannerError):
    """A request named a path outside the workspace (or a name that is not a plain name)."""


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

    def write_scenario(self, name: str, text: str) -> Path:
        path = self.scenario_path(name)
        atomic_write_text(path, text)
        return path

    # -- re-plans waiting for 接受 --------------------------------------------------------------------
    def save_pending(self, jid: str, doc: dict) -> None:
        d = self.root / "pending"
        d.mkdir(exist_ok=True)
        atomic_write_text(self.inside("pending", f"{jid}.json"), json.dumps(doc, ensure_ascii=False) + "\n")
        for old in sorted(d.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP_PENDING]:
            old.unlink(missing_ok=True)

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
        """Delete with undo: the file moves to scenarios/.trash/ (a later delete of the same name replaces it)."""
        target = self._trash(name)
        target.parent.mkdir(exist_ok=True)
        os.replace(self.scenario_path(name), target)
        with closing(self._connect()) as con:
            self.record(con, f"delete-scenario:{name}", None, who)

    def untrash_scenario(self, name: str, who: str = "") -> None:
        os.replace(self._trash(name), self.scenario_path(name))
        with closing(self._connect()) as con:
            self.record(con, f"undelete-scenario:{name}", None, who)

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
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()
        from .safekeeping import daily_backup

        daily_backup(self)  # the first change of a day keeps yesterday's history aside
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
    def record(self, con, what: str, vid: int | None, who: str = "") -> None:
        now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        con.execute("INSERT INTO changes (at, who, what, version) VALUES (?, ?, ?, ?)", (now, who, what, vid))

    def changes(self, limit: int = 30) -> list[dict]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT at, who, what, version FROM changes ORDER BY id DESC LIMIT ?", (limit,))
            return [dict(r) for r in rows.fetchall()]

    def set_deleted(self, vid: int, deleted: bool, who: str = "") -> None:
        with closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE versions SET deleted = ? WHERE id = ?", (int(deleted), int(vid)))
            self.record(con, "delete" if deleted else "undelete", vid, who)
            con.execute("COMMIT")

    def is_deleted(self, vid: int | str) -> bool:
        if not VERSION_RE.match(str(vid)):
            return False
        with closing(self._connect()) as con:
            row = con.execute("SELECT deleted FROM versions WHERE id = ?", (int(vid),)).fetchone()
        return bool(row and row[0])

    def set_current(self, vid: int, who: str = "", what: str = "current") -> None:
        """The version the subscriptions serve from now on (it must have a published set)."""
        with closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('current', ?)", (str(int(vid)),))
            self.record(con, what, vid, who)
            con.execute("COMMIT")

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
