"""Reading and writing text files the way planners' tools produce them.

Excel on a Chinese Windows saves "CSV" as GBK and may prepend a BOM; data files of this
project carry ``#`` comment lines that say where their facts come from. Both are handled
here once, for every loader. Reading is bounded: only regular files up to 20 MB and
10 000 rows (a pipe given as a plan would block, a huge file would exhaust memory). Single-file
writes are atomic (temporary file + rename); whole output sets go through :mod:`planner.outset`.
"""
from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from .errors import IOFailure, PlannerError


#: inputs above these limits are refused with the limit stated (a plan has ~60 rows; data files ~100)
MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024


def read_input_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_INPUT_BYTES`; anything else one clear error.

    A FIFO, device or socket is refused before it is opened (reading one would block or never end);
    the file is opened non-blocking and checked again, in case it was swapped in between.
    """
    p = Path(path)
    check_input_file(p)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _read_error(p, exc) from None
    try:
        _check_stat(p, os.fstat(fd))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise _read_error(p, exc) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_INPUT_BYTES:
        raise _too_big(p)
    return raw


def check_input_file(path: str | Path) -> None:
    """Refuse anything but an existing regular file within the size limit (a pipe is never opened).

    A workbook (``.xlsx``/``.xlsm``, a zip) must also stay within :data:`MAX_UNZIPPED_BYTES` once
    unpacked, so a small file cannot expand into gigabytes of XML in the workbook reader.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise PlannerError("file not found", file=p) from None
    except OSError as exc:
        raise _read_error(p, exc) from None
    _check_stat(p, st)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        import zipfile

        try:
            with zipfile.ZipFile(p) as z:
                unpacked = sum(i.file_size for i in z.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return  # not a zip: the workbook reader says so in its own words
        if unpacked > MAX_UNZIPPED_BYTES:
            raise PlannerError(f"unpacks to {unpacked // (1024 * 1024)} MB; the limit for a workbook is "
                               f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MB", file=p)


def _check_stat(p: Path, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise PlannerError("is a folder, expected a file", file=p)
    if not stat.S_ISREG(st.st_mode):
        raise PlannerError("is not a regular file (a pipe, device or socket); give a saved file", file=p)
    if st.st_size > MAX_INPUT_BYTES:
        raise _too_big(p)


def _too_big(p: Path) -> PlannerError:
    return PlannerError(f"is larger than the limit of {MAX_INPUT_BYTES // (1024 * 1024)} MB for an input file",
                        file=p)


def _read_error(p: Path, exc: OSError) -> PlannerError:
    """Permission and I/O errors are the machine's (exit 4); the rest means the name is wrong (exit 2)."""
    cls = IOFailure if exc.errno in (errno.EACCES, errno.EPERM, errno.EIO, errno.ENOMEM, errno.EMFILE) else PlannerError
    return cls(f"cannot read file ({exc.strerror})", file=p)


def read_text(path: str | Path, utf16: bool = False) -> str:
    """Return the text of *path*; UTF-8 (with or without BOM), else GB18030 with a notice. With *utf16*, a file
    that starts with a UTF-16 byte-order mark is read as UTF-16: what Excel and WPS save as "Unicode 文本"
    (tab-separated), which a planner may pick for a table; off by default, as no data file of ours is UTF-16."""
    p = Path(path)
    raw = read_input_bytes(p)
    if utf16 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise PlannerError("not UTF-8 text, nor readable UTF-16 (save it as 'CSV UTF-8')", file=p) from None
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


def read_toml(path: str | Path) -> dict:
    """Parse a TOML input file; syntax errors and absurd nesting (which overflows the parser's stack) are one line."""
    import tomllib

    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlannerError(f"not valid TOML ({exc})", file=path) from None
    except RecursionError:
        raise PlannerError("not valid TOML (nested too deeply)", file=path) from None


def read_csv_rows(path: str | Path, header: list[str] | None = None) -> list[tuple[int, dict[str, str]]]:
    """Read a CSV with leading ``#`` comment lines; return ``(row_number, record)`` pairs.

    Row numbers count physical lines of the file (header line included), so an error can
    point at the line a planner sees in an editor. With *header*, the header must match exactly.
    """
    text = read_text(path)
    if "\r" in text and "\n" not in text:
        raise PlannerError("its lines end with a bare CR (an old Mac format), which no CSV we write has: save it "
                           "again as CSV (UTF-8)", file=path)
    # physical lines end at \n (or \r\n), never at the other characters str.splitlines breaks at (U+2028, \x85,
    # \x0c …), which a note may hold; a line break inside a quoted field is the csv reader's to see
    lines = text.split("\n")
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        start += 1
    if start >= len(lines):
        raise PlannerError("file is empty (no header line)", file=path)
    # a field may be as long as the file (the size limit bounds it); the csv default of 128 KB would raise
    csv.field_size_limit(max(csv.field_size_limit(), MAX_INPUT_BYTES))
    # strict: a quote opened and never closed is an error, not a field that swallows the rest of the file
    reader = csv.reader(io.StringIO("\n".join(lines[start:]), newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []  # (the physical line the record starts on, its fields)
    first = 1
    try:
        for row in reader:
            rows.append((start + first, row))
            first = reader.line_num + 1
    except csv.Error as exc:
        why = ("a quote (\") opened on this line is never closed" if "end of data" in str(exc)
               else f"not readable as CSV ({exc})")
        raise PlannerError(why, file=path, row=start + first) from None
    if len(rows) - 1 > MAX_ROWS:
        raise PlannerError(f"has {len(rows) - 1} rows; the limit is {MAX_ROWS} rows", file=path)
    found = [h.strip() for h in rows[0][1]]
    if header is not None and found != header:
        raise PlannerError(
            f"wrong header {','.join(found)!r}, expected {','.join(header)!r}", file=path, row=rows[0][0]
        )
    twice = next((h for k, h in enumerate(found) if h and h in found[:k]), None)
    if twice is not None:  # a record keeps one value per column: which of the two was meant is not ours to guess
        raise PlannerError(f"column {twice!r} appears twice in the header; keep one", file=path, row=rows[0][0],
                           field=twice)
    out = []
    for i, row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(found):
            raise PlannerError(f"has {len(row)} fields, expected {len(found)}", file=path, row=i)
        out.append((i, {k: v.strip() for k, v in zip(found, row)}))
    return out


def umask() -> int:
    """The process umask, read without changing it where the system allows (``/proc``; thread-safe)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write *data* to *path* via a temporary file in the same folder and an atomic rename.

    The file gets ordinary permissions (0666 minus the umask), not mkstemp's private 0600.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise IOFailure(f"cannot write output folder ({exc.strerror})", file=p.parent) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), 0o666 & ~umask())
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):  # disk full, a size limit: name the file (the bare OSError named the temp one)
            raise IOFailure(f"cannot write {p.name} ({exc.strerror or exc}); the previous {p.name} is unchanged",
                            file=p) from None
        raise


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


# -- text a spreadsheet could take for a formula (publish.cells explains; plan.csv is written and read with these)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_field(value):
    """A CSV field a spreadsheet shows as text: ``=1+1`` → ``'=1+1``; anything else unchanged. Text that already
    starts with apostrophes before a formula character gets one more, so that :func:`from_csv_field` gives back
    exactly what was written (``'=1`` → ``''=1`` → ``'=1``)."""
    return "'" + value if formula_like(value.lstrip("'") if isinstance(value, str) else value) else value


def from_csv_field(value: str) -> str:
    """The text :func:`csv_field` was given (a file we read back, e.g. plan.csv): one apostrophe less before a
    formula character; anything else as it is (a file written before fields were neutralised reads the same)."""
    return value[1:] if value.startswith("'") and formula_like(value.lstrip("'")) else value


#: characters no published file can hold (XML 1.0 refuses them in docx and xlsx): text with one failed only at publish
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str, file, row: int | None = None, fieldname: str | None = None) -> str:
    """*text* unchanged, or bad input naming file, row and field when it holds a control character no document
    can hold (a plan's 考试类别 and 备注, the bureau's own sections)."""
    m = UNPRINTABLE.search(text)
    if m:
        raise PlannerError(f"holds a control character (U+{ord(m.group()):04X}) that no published file can hold",
                           file=file, row=row, field=fieldname)
    return text


#: every character Python's ``str.splitlines`` breaks a line at: a text that must stay one line holds none of them
#: (the notice's body is split into lines, and each line's first characters are its layout markup)
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(text: str, what: str, file=None, row: int | None = None, fieldname: str | None = None) -> str:
    """*text* unchanged, or bad input when it breaks a line anywhere (U+2028 and the other separators
    ``splitlines`` knows included) or holds a control character no document can hold; *what* says what must be
    one line, and why (one sentence of the notice, a name, …)."""
    m = _LINE_BREAKS.search(text)
    if m:
        raise PlannerError(f"{what} must be one line: it breaks the line with U+{ord(m.group()):04X}",
                           file=file, row=row, field=fieldname)
    return printable(text, file, row, fieldname)


def ascii_digits(text: str) -> bool:
    """*text* is a whole number written in ASCII digits: ``str.isdigit`` also takes ``²`` and ``٣``, which ``int``
    then refuses (or reads as a number no one typed)."""
    return text.isascii() and text.isdigit()
