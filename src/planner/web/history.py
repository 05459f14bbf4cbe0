"""The workspace's history database: its schema, its changes, and the row every version carries.

Kept apart from ``workspace.py`` (which reads and writes the history) and ``safekeeping.py`` (which checks,
backs up and restores it), so that both can know the schema without knowing each other.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import PlannerError

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    parent INTEGER REFERENCES versions(id),
    scenario TEXT,
    year INTEGER NOT NULL,
    created TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL
)
"""
#: schema changes after the first table, in order; ``PRAGMA user_version`` counts those applied.
#: The database is backed up (SQLite's online backup) before each one.
MIGRATIONS: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL DEFAULT '', "
    "what TEXT NOT NULL, version INTEGER)",
    # a deleted version stays on disk and in the history (undo), only hidden from the lists
    "ALTER TABLE versions ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0",
    # the version the subscriptions serve, chosen by the planner (publishing one chooses it)
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
COLUMNS = "id, parent, scenario, year, created, note, sha256, kind"
#: a version's history row, mirrored beside its files, so the history can be rebuilt from versions/ alone
ROW_FILE = "version.json"
#: daily backups kept
KEEP_BACKUPS = 14


class WorkspaceDamaged(PlannerError):
    """The history database is missing, empty or damaged while versions/ holds versions: nothing may be
    written (a new version would reuse an id and overwrite a folder). The message is the planner's."""


def insert_row(con, v: "Version") -> None:
    con.execute("INSERT INTO versions (id, parent, scenario, year, created, note, sha256, kind) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (v.id, v.parent, v.scenario, v.year, v.created, v.note, v.sha256, v.kind))


@dataclass(frozen=True)
class Version:
    id: int
    parent: int | None
    scenario: str | None
    year: int
    created: str
    note: str
    sha256: str
    kind: str  # generate | replan | pin | upload


