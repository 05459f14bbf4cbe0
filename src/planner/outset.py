"""An output set is one transaction: a reader of ``out/`` sees the previous complete set or the new one.

Why: ``plan``, ``replan``, ``publish``, ``compare``, ``sweep`` and ``reproduce`` each write many files
that belong together (plan.csv, summary.json, notice.xlsx, calendars, charts...). Written one by one,
a full disk, a kill or a second run pressing the button at the same time leaves a mix of old and new
files that nobody can tell apart from a real set.

How (:class:`OutputSet`):

1. **Lock.** ``.<name>.lock`` next to the folder is opened and locked with ``flock`` (``msvcrt.locking``
   on Windows); the owner's pid, start time and command are written into it. The kernel drops the lock
   when its process dies, so the lock of a killed run is taken over without guessing from pids. A second
   run into the same folder refuses with one line naming the owner (exit 4), or waits up to ``wait``
   seconds when the caller asks (the CLI does not wait: a planner should know someone else is at it).
2. **Clean up.** Under the lock, temporaries of killed runs (``.<name>.tmp-*``, ``.<name>.old-*``) are
   removed; if a run died in the tiny window of step 5's fallback, the previous set is renamed back.
3. **Build.** Every file goes into a fresh sibling folder ``.<name>.tmp-<pid>-<random>`` (same file
   system, so the final rename is atomic). Files of the current set that this run does not replace are
   carried over by *hard link* (no copying, so ``planner plan`` stays fast): the planner's own files and
   the other commands' outputs survive. An old file is replaced when the run writes the same path, lies
   in a folder the run writes into (``ics/``, ``charts/``, ``plans/``: no stale calendar of an
   institution that left the plan), or was written by a command this one supersedes (the manifest says
   which: ``plan`` supersedes an earlier ``plan``/``replan``/``publish``). An old *folder* where the run
   writes a file (or the reverse) that holds files of someone else is a name collision: refused, nothing
   changed.
4. **Seal.** ``manifest.json`` lists every file with its size, sha256 and the command that wrote it;
   every file and folder is fsynced.
5. **Switch.** On Linux the new and the current folder are swapped with one ``renameat2(RENAME_EXCHANGE)``
   call: a reader sees the old set or the new set, never neither. Where that call is missing (other
   systems, old kernels, some network file systems), the current folder is renamed aside and the new one
   renamed in: between those two renames — microseconds — ``out/`` does not exist (a reader sees no set,
   still never a mix); a kill exactly then is repaired by step 2 of the next run. On Windows a folder
   cannot be renamed while a program (Excel) holds one of its files open: the run fails with exit 4 and
   the previous set stays complete. The parent folder is fsynced, then the old set is deleted.

The target folder keeps its permission bits; new files and folders get ``0666``/``0777`` minus the
umask, like any other program's. ``--out`` may not be the current working folder (or contain it): the
folder is replaced as a whole, and a shell sitting in it would be left in a deleted folder.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
import time
from pathlib import Path, PurePosixPath
from types import TracebackType

from .errors import IOFailure, PlannerError

MANIFEST = "manifest.json"
#: command -> the commands whose files in the current set it replaces
SUPERSEDES: dict[str, frozenset[str]] = {
    "plan": frozenset({"plan", "replan", "publish", "size"}),
    "replan": frozenset({"plan", "replan", "publish", "size"}),
    "size": frozenset({"plan", "replan", "publish", "size"}),
    "publish": frozenset({"publish"}),
    "compare": frozenset({"compare"}),
    "sweep": frozenset({"sweep"}),
    "reproduce": frozenset({"reproduce"}),
}
_CHUNK = 1 << 20
#: errors of a write that found no room: a full disk, a quota, a file-size limit
_DISK_FULL = frozenset(getattr(errno, n) for n in ("ENOSPC", "EFBIG", "EDQUOT") if hasattr(errno, n))


def _unchanged(target: Path) -> str:
    return f"the previous files in {target} are unchanged"


class OutputSet:
    """Context manager: ``with OutputSet("out", "plan") as tx: tx.write("plan.csv", data)``.

    Leaving the block normally commits (the new set appears at once); an exception aborts (the current
    set stays as it was, the temporary folder is removed) and propagates.
    """

    def __init__(self, target: str | Path, command: str, *, wait: float = 0.0) -> None:
        if command not in SUPERSEDES:
            raise ValueError(f"unknown command {command!r}")
        self.given = Path(target)
        self.command = command
        self.wait = wait
        self.target = self.given
        self.tmp: Path | None = None
        self.committed = False
        self.written: list[Path] = []  # final paths of this run's files, once committed
        self._lock_fd: int | None = None
        self._lock_path: Path | None = None
        self._by: dict[str, str] = {}  # relative path -> producer, for files written in this run
        self._made: list[Path] = []  # folders above the target this run created (removed again on failure)
        self._handed: str | None = None  # the last path() given out: what a writer was writing when it failed

    # -- opening ---------------------------------------------------------------------------------
    def __enter__(self) -> "OutputSet":
        self.open()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if et is None and not self.committed:
                self.commit()
            elif isinstance(ev, OSError) and not self.committed:
                failure = self._io_failure(ev)
                if failure is not None:
                    raise failure from None
            elif isinstance(ev, PlannerError) and ev.file and self.tmp is not None:
                try:  # a writer's message names the file where it will be, not the temporary folder
                    ev.file = str(self.given / Path(ev.file).relative_to(self.tmp))
                except ValueError:
                    pass
        finally:
            if not self.committed:
                self.abort()
            self._unlock()
            if not self.committed:
                self._remove_made_parents()

    def _io_failure(self, exc: OSError) -> IOFailure | None:
        """One line for an OSError a writer of the set let out, when it is about the set: naming the file (its final
        path, not the temporary folder's) or, for a full disk or file-size limit reported without a name, the file
        last handed out by :meth:`path`; and saying the previous set is unchanged. None: not the set's (an input
        that could not be read keeps its own message)."""
        name = exc.filename
        if name is not None:
            if self.tmp is None or not isinstance(name, (str, bytes, os.PathLike)):
                return None
            try:
                rel = Path(os.fsdecode(name)).relative_to(self.tmp)
            except ValueError:
                return None
            atomic = re.fullmatch(r"\.(.+)\.[^.]+\.tmp", rel.name)  # textio's temporary file for *rel*
            name = (rel.with_name(atomic.group(1)) if atomic else rel).as_posix()
        elif exc.errno not in _DISK_FULL:
            return None
        elif self._handed is not None:
            name = self._handed if PurePosixPath(self._handed).suffix else f"{self._handed}.*"
        what = f"cannot write {name}" if name else "cannot build the output set"
        return IOFailure(f"{what} ({exc.strerror or type(exc).__name__}); {_unchanged(self.given)}", file=self.given)

    def open(self) -> "OutputSet":
        """Check the target, take the lock, clean up after killed runs, create the temporary folder."""
        self.target = _resolve_target(self.given)
        parent = self.target.parent
        missing = []
        for p in [parent, *parent.parents]:
            if os.path.lexists(p):
                break
            missing.append(p)  # deepest first: the order to remove them in
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._made = [p for p in missing if p.is_dir()]
            self._remove_made_parents()
            raise IOFailure(f"cannot create the output folder ({exc.strerror})", file=self.given) from None
        self._made = missing
        try:
            self._lock()
        except BaseException:
            self._remove_made_parents()
            raise
        try:
            self._recover()
            if self.target.exists() and not self.target.is_dir():
                raise IOFailure("output path exists and is not a folder", file=self.given)
            if self.target.is_dir() and _read_only(self.target):
                raise IOFailure(f"the output folder is read-only (mode {stat.S_IMODE(os.stat(self.target).st_mode):04o}"
                                "): planner replaces it as a whole and will not override that; make it writable "
                                f"(chmod u+w) to write a new set; {_unchanged(self.given)}", file=self.given)
            self.tmp = parent / f".{self.target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                os.mkdir(self.tmp, 0o777)
            except OSError as exc:
                self.tmp = None
                raise IOFailure(f"output folder is not writable: cannot create a temporary folder in "
                                f"{self.target.parent} ({exc.strerror})", file=self.given) from None
        except BaseException:
            self._unlock()
            self._remove_made_parents()
            raise
        return self

    # -- writing ---------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """Where a file of the set is built (for writers that want a path, e.g. charts); parents exist."""
        p = self._inside(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        self._handed = PurePosixPath(rel).as_posix()
        return p

    def write(self, rel: str, data: bytes, by: str | None = None) -> Path:
        """Add one file to the set; *by* records the producer (default: this command). Final path returned."""
        p = self._inside(rel)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise IOFailure(f"cannot write {PurePosixPath(rel).as_posix()} ({exc.strerror}); "
                            f"{_unchanged(self.given)}", file=self.given) from None
        self._by[PurePosixPath(rel).as_posix()] = by or self.command
        return self.given / rel

    def write_text(self, rel: str, text: str, by: str | None = None) -> Path:
        return self.write(rel, text.encode("utf-8"), by)

    def _inside(self, rel: str) -> Path:
        if self.tmp is None:
            raise RuntimeError("output set is not open")
        pp = PurePosixPath(rel)
        if pp.is_absolute() or ".." in pp.parts or not pp.parts or rel == MANIFEST:
            raise ValueError(f"not a relative path inside the set: {rel!r}")
        return self.tmp.joinpath(*pp.parts)

    # -- committing ------------------------------------------------------------------------------
    def commit(self) -> list[Path]:
        """Carry over, seal and switch the new set into place; the final paths of this run's files."""
        assert self.tmp is not None and not self.committed
        try:
            new = set(_files(self.tmp))
            old_entries = read_manifest(self.target) or {}
            carried = self._carry_list(new, old_entries)
            for rel in carried:
                _link_or_copy(self.target / rel, self.tmp / rel)
            entries = []
            for rel in sorted(new | set(carried)):
                size, digest = _hash_and_sync(self.tmp / rel, sync=rel in new)
                by = self._by.get(rel, self.command) if rel in new else old_entries.get(rel, {}).get("by")
                entries.append({"path": rel, "size": size, "sha256": digest, "by": by})
            doc = {"format": "planner output set", "version": 1, "command": self.command, "files": entries}
            fd = os.open(self.tmp / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            with os.fdopen(fd, "wb") as fh:
                fh.write((json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            _sync_dirs(self.tmp)
            if self.target.is_dir():
                os.chmod(self.tmp, stat.S_IMODE(os.stat(self.target).st_mode))
            self._switch()
        except OSError as exc:
            raise IOFailure(f"cannot write the output set ({exc.strerror}); {_unchanged(self.given)}",
                            file=self.given) from None
        self.committed = True
        self.written = [self.given / rel for rel in sorted(new)]
        return self.written

    def _carry_list(self, new: set[str], old_entries: dict[str, dict]) -> list[str]:
        """Files of the current set that stay; raises on a file/folder name collision with someone's files."""
        if not self.target.is_dir():
            return []
        new_dirs = {str(a) for rel in new for a in PurePosixPath(rel).parents if str(a) != "."}
        beaten = SUPERSEDES[self.command]
        carried = []
        for rel in _files(self.target):
            if rel == MANIFEST or rel in new or old_entries.get(rel, {}).get("by") in beaten:
                continue
            ancestors = {str(a) for a in PurePosixPath(rel).parents if str(a) != "."}
            if ancestors & new_dirs:
                continue  # a folder this run writes into belongs to the run
            clash = rel if rel in new_dirs else next(iter(ancestors & new), None)
            if clash is not None:
                kind = "a file" if rel in new_dirs else "a folder"
                raise IOFailure(f"name collision: {clash} is {kind} of someone else's in the output folder, "
                                f"where this run writes {'a folder' if rel in new_dirs else 'a file'}; move it "
                                f"away; {_unchanged(self.given)}", file=self.given)
            carried.append(rel)
        return carried

    def _switch(self) -> None:
        """Put the temporary folder in place of the target (see the module docstring, step 5)."""
        assert self.tmp is not None
        parent = self.target.parent
        if not self.target.exists():
            os.rename(self.tmp, self.target)
            gone = None
        elif _exchange(self.tmp, self.target):
            gone = self.tmp  # now holds the previous set
        else:
            gone = parent / f".{self.target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(self.target, gone)
            try:
                os.rename(self.tmp, self.target)
            except BaseException:
                os.rename(gone, self.target)
                raise
        self.tmp = None
        try:  # the switch is done; what follows only makes it durable and tidy
            _fsync_dir(parent)
        except OSError:
            pass
        if gone is not None:
            _remove_tree(gone)  # left over only if this fails; the next run removes it

    def abort(self) -> None:
        """Remove the temporary folder; the current set was never touched."""
        if self.tmp is not None:
            _remove_tree(self.tmp)
            self.tmp = None

    def _remove_made_parents(self) -> None:
        """A run that wrote nothing leaves nothing: the empty folders it created above the target go again."""
        made, self._made = self._made, []
        for p in made:  # deepest first
            try:
                os.rmdir(p)
            except OSError:
                break  # not empty (someone else's files, or another run's lock): it stays, and so do those above

    # -- locking and recovery --------------------------------------------------------------------
    def _lock(self) -> None:
        self._lock_path = self.target.parent / f".{self.target.name}.lock"
        deadline = time.monotonic() + max(0.0, self.wait)
        while True:
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise IOFailure(f"output folder is not writable: cannot create the lock file {self._lock_path.name} "
                                f"in {self.target.parent} ({exc.strerror}); planner builds a new set beside the old "
                                "one, so the folder's parent must be writable", file=self.given) from None
            if _try_lock(fd):
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(self._lock_path))
                except FileNotFoundError:
                    same = False
                if same:  # not a lock file its previous owner unlinked while we were opening it
                    break
                os.close(fd)
                continue
            owner = _read_owner(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise IOFailure(f"another planner run is writing into this folder ({owner}); run again when it "
                                "has finished", file=self.given)
            time.sleep(0.05)
        info = (f"pid {os.getpid()}\nstarted {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}\n"
                f"command {self.command}\n")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, info.encode())
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is None:
            return
        if os.name != "nt":  # unlink while holding the lock; a waiter re-checks the inode (see _lock)
            try:
                os.unlink(self._lock_path)
            except OSError:
                pass
        os.close(self._lock_fd)
        self._lock_fd = None
        if os.name == "nt":
            try:
                os.unlink(self._lock_path)
            except OSError:
                pass

    def _recover(self) -> None:
        """Remove what killed runs left; restore the previous set if one died between its two renames."""
        parent, name = self.target.parent, self.target.name
        siblings = [parent / n for n in os.listdir(parent)]  # not glob: a folder name may contain [ or *
        olds = sorted((p for p in siblings if p.name.startswith(f".{name}.old-")), key=lambda p: p.stat().st_mtime)
        if olds and not self.target.exists():
            os.rename(olds.pop(), self.target)
        for p in olds + [p for p in siblings if p.name.startswith(f".{name}.tmp-")]:
            _remove_tree(p)


def _read_only(folder: Path) -> bool:
    """Whether the user made *folder* read-only: no write bit at all (which root would otherwise ignore), or not
    writable by this process."""
    try:
        mode = os.stat(folder).st_mode
    except OSError:
        return False
    return not mode & 0o222 or not os.access(folder, os.W_OK)


def _remove_tree(root: Path) -> None:
    """Remove a temporary copy of a set for good, read-only folders inside it included (a set taken over from a
    folder someone made read-only); only folders inside *root* are made writable. What still cannot go is left for
    the next run's clean-up."""
    top = os.path.abspath(root)

    def ours(path: str) -> bool:
        path = os.path.abspath(path)
        return path == top or path.startswith(top + os.sep)

    def unprotect(func, path, exc_info) -> None:
        exc = exc_info[1]
        if isinstance(exc, FileNotFoundError):
            return
        if not isinstance(exc, PermissionError) or not ours(path):
            raise exc
        for folder in (os.path.dirname(path), path):  # the folder holding the entry; the entry when a folder
            if ours(folder) and os.path.isdir(folder) and not os.path.islink(folder):
                try:
                    os.chmod(folder, stat.S_IMODE(os.lstat(folder).st_mode) | stat.S_IRWXU)
                except OSError:
                    pass
        if func in (os.rmdir, os.unlink, os.remove) or os.path.islink(path) or not os.path.isdir(path):
            func(path)
        else:  # a folder that could not be listed: now it can
            shutil.rmtree(path, onerror=unprotect)

    try:
        shutil.rmtree(root, onerror=unprotect)
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _resolve_target(given: Path) -> Path:
    """The real folder to replace: a symlinked ``out`` keeps its link; refuse the working folder."""
    target = Path(os.path.realpath(given)) if given.is_symlink() else Path(os.path.abspath(given))
    if target.parent == target:
        raise PlannerError("the output folder cannot be a file-system root", field="out")
    try:
        cwd = Path(os.getcwd())
    except OSError:
        cwd = None
    if cwd is not None and (cwd == target or target in cwd.parents):
        raise PlannerError(f"{given} is the current folder (or contains it); planner replaces the output folder "
                           "as a whole, so name a subfolder such as 'out'", field="out")
    if target.is_dir() and os.path.ismount(target):
        raise IOFailure("the output folder is a mount point and cannot be replaced as a whole; name a "
                        "subfolder of it", file=given)
    return target


def _files(root: Path) -> list[str]:
    """Every file (and symlink) under *root*, as relative POSIX paths, without following links."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                out.append((rel / d).as_posix())
        out.extend((rel / f).as_posix() for f in filenames)
    return out


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
        return
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links, or another device mounted inside
        shutil.copy2(src, dst)


def _hash_and_sync(p: Path, sync: bool) -> tuple[int, str | None]:
    """(size, sha256) of a regular file, fsynced if asked; (0, None) for a symlink, pipe or other special file."""
    if not stat.S_ISREG(os.lstat(p).st_mode):
        return 0, None  # never open a pipe someone left in the folder (it would block)
    h = hashlib.sha256()
    size = 0
    with open(p, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
        if sync:
            os.fsync(fh.fileno())
    return size, h.hexdigest()


def _fsync_dir(d: Path) -> None:
    if os.name == "nt":
        return  # Windows cannot open a folder for fsync; NTFS journals the rename
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):  # some file systems cannot sync a folder
            raise
    finally:
        os.close(fd)


def _sync_dirs(root: Path) -> None:
    for dirpath, _, _ in os.walk(root):
        _fsync_dir(Path(dirpath))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _try_lock(fd: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_owner(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 400).decode("utf-8", "replace")
    except OSError:
        text = ""
    fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
    if "pid" not in fields:
        return "owner unknown"
    return f"pid {fields['pid']}, started {fields.get('started', '?')}, {fields.get('command', '?')}"


def read_manifest(folder: str | Path) -> dict[str, dict] | None:
    """``path -> entry`` of a folder's manifest.json; None when there is none or it is unreadable."""
    from .textio import read_input_bytes

    try:
        doc = json.loads(read_input_bytes(Path(folder) / MANIFEST).decode("utf-8"))
        return {e["path"]: e for e in doc["files"] if isinstance(e, dict) and isinstance(e.get("path"), str)}
    except (PlannerError, ValueError, KeyError, TypeError, RecursionError):
        return None


def verify(folder: str | Path) -> tuple[list[str], list[str]]:
    """Check a folder against its manifest: (problems, files present but not listed). Linear in the files.

    Raises :class:`PlannerError` when the folder has no readable manifest.
    """
    folder = Path(folder)
    entries = read_manifest(folder)
    if entries is None:
        what = "unreadable" if (folder / MANIFEST).exists() else "missing"
        raise PlannerError(f"{MANIFEST} is {what}: not an output set written by planner", file=folder)
    problems = []
    for rel, e in sorted(entries.items()):
        pp = PurePosixPath(rel)
        if pp.is_absolute() or ".." in pp.parts or not pp.parts:
            problems.append(f"{rel}: not a path inside the set")
            continue
        p = folder.joinpath(*pp.parts)
        if not os.path.lexists(p):
            problems.append(f"{rel}: missing")
            continue
        if e.get("sha256") is None:
            continue  # a symlink or special file: listed, not hashed
        size, digest = _hash_and_sync(p, sync=False)
        if size != e.get("size") or digest != e.get("sha256"):
            problems.append(f"{rel}: changed since it was written (size {size}, manifest {e.get('size')})")
    extra = sorted(set(_files(folder)) - set(entries) - {MANIFEST})
    return problems, extra
