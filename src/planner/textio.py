"""Reading and writing text files the way planners' tools produce them.

Excel on a Chinese Windows saves "CSV" as GBK and may prepend a BOM; data files of this
project carry ``#`` comment lines that say where their facts come from. Both are handled
here once, for every loader. Writes are atomic (temporary file + rename) so a failure or
Ctrl-C never leaves a half-written output behind.
"""
from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

from .errors import PlannerError


def read_text(path: str | Path) -> str:
    """Return the text of *path*; UTF-8 (with or without BOM), else GB18030 with a notice."""
    p = Path(path)
    if not p.exists():
        raise PlannerError("file not found", file=p)
    if p.is_dir():
        raise PlannerError("is a folder, expected a file", file=p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PlannerError(f"cannot read file ({exc.strerror})", file=p) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise PlannerError("not UTF-8 text (save it as 'CSV UTF-8')", file=p) from None
    print(f"note: {p} is not UTF-8; read it as GBK/GB18030 (Excel's Chinese default)", file=sys.stderr)
    return text


def read_csv_rows(path: str | Path, header: list[str] | None = None) -> list[tuple[int, dict[str, str]]]:
    """Read a CSV with leading ``#`` comment lines; return ``(row_number, record)`` pairs.

    Row numbers count physical lines of the file (header line included), so an error can
    point at the line a planner sees in an editor. With *header*, the header must match exactly.
    """
    text = read_text(path)
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        start += 1
    if start >= len(lines):
        raise PlannerError("file is empty (no header line)", file=path)
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    rows = list(reader)
    found = [h.strip() for h in rows[0]]
    if header is not None and found != header:
        raise PlannerError(
            f"wrong header {','.join(found)!r}, expected {','.join(header)!r}", file=path, row=start + 1
        )
    out = []
    for i, row in enumerate(rows[1:], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(found):
            raise PlannerError(f"has {len(row)} fields, expected {len(found)}", file=path, row=i)
        out.append((i, {k: v.strip() for k, v in zip(found, row)}))
    return out


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write *data* to *path* via a temporary file in the same folder and an atomic rename."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise PlannerError(f"cannot write output folder ({exc.strerror})", file=p.parent) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def check_writable_dir(path: str | Path) -> Path:
    """Fail early, before any solving, when an output folder cannot be created or written."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise PlannerError("output path exists and is not a folder", file=p)
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".probe.", dir=p)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise PlannerError(f"output folder is not writable ({exc.strerror})", file=p) from None
    return p
