"""DOCX → PDF through LibreOffice, bounded and contained.

* **Bounded**: one conversion gets :data:`TIMEOUT` seconds; past that LibreOffice is killed and the caller
  publishes the .docx alone with a note (a PDF is a convenience copy, never worth a hung command).
* **Private**: every conversion runs with its own profile folder (``-env:UserInstallation``), so it neither
  waits on a LibreOffice the user has open nor on another conversion.
* **Contained**: LibreOffice runs in a process group of its own (``soffice`` forks ``oosplash``, which forks
  ``soffice.bin``). The group is killed when the conversion ends in any way — timeout, an error, Ctrl-C or
  SIGTERM unwinding through here — and on Linux a small shell at its head is told by the kernel when the
  command dies outright (SIGKILL) and takes the group with it.
* **Tidy**: LibreOffice's ``HOME`` and ``TMPDIR`` (its ``lu*.tmp`` folders) lie inside the conversion's own temporary
  folder, which is removed however the conversion ends: a killed LibreOffice leaves nothing in the user's ``$TMPDIR``.
* **An environment failure**: a conversion that fails (LibreOffice exits with an error, a full disk, a file-size
  limit) is :class:`planner.errors.IOFailure` (exit 4) naming the file, never "unusable input": planner wrote the
  .docx itself.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import IOFailure

#: seconds one conversion may take (the whole notice converts in about 3 s here)
TIMEOUT = 60.0

#: the group's head: waits for LibreOffice; on SIGTERM (sent by the kernel when the command dies) kills the group
_HEAD = 'trap "kill -9 0" TERM; "$@" & wait $!'


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM to this process when the thread that started it dies (PR_SET_PDEATHSIG)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:  # no process groups (Windows): LibreOffice itself at least
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


class Contained:
    """*argv* started in its own process group (LibreOffice's helpers included), to be waited for with
    :meth:`finish` and killed whole by it, or by :meth:`kill` when the caller gives up on it."""

    def __init__(self, argv: list[str], env: dict | None = None) -> None:
        linux = sys.platform.startswith("linux")
        cmd = ["/bin/sh", "-c", _HEAD, "sh", *argv] if linux and Path("/bin/sh").exists() else argv
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env, start_new_session=True,
                                     preexec_fn=_die_with_parent if linux else None)

    def finish(self, timeout: float) -> tuple[int, bytes]:
        """(exit code, stderr) within *timeout* seconds of the start; raises ``subprocess.TimeoutExpired``
        when they run out. The group is killed however this returns."""
        try:
            _, err = self.proc.communicate(timeout=max(0.0, self.started + timeout - time.monotonic()))
            return self.proc.returncode, err
        finally:
            self.kill()  # also the helpers LibreOffice leaves behind after a normal exit

    def kill(self) -> None:
        _kill_group(self.proc)


def run_contained(argv: list[str], timeout: float, env: dict | None = None) -> tuple[int, bytes]:
    """Run *argv* in its own process group, killed whole on return, on timeout and on any exception.

    Returns (exit code, stderr); raises ``subprocess.TimeoutExpired`` when *timeout* runs out."""
    return Contained(argv, env).finish(timeout)


class Conversion:
    """One DOCX (or, with *suffix*, XLSX) → PDF conversion under way: started at once, so that the caller can do other work (the charts)
    while LibreOffice runs, and several conversions run side by side, each with its own profile."""

    def __init__(self, data: bytes, name: str, suffix: str = ".docx") -> None:
        self.name, self.suffix = name, suffix
        self.run: Contained | None = None
        self.missing = ""
        exe = soffice()
        if exe is None:
            self.missing = f"LibreOffice (soffice) is not installed: {name}.pdf not written (install " \
                           "libreoffice-writer to get it)"
            return
        try:
            self._tmp = tempfile.TemporaryDirectory(prefix="planner-pdf-", ignore_cleanup_errors=True)
        except OSError as exc:
            raise self._failure(f"cannot create a temporary folder ({exc.strerror})", tempfile.gettempdir()) from None
        tmp = self._tmp.name
        try:
            src = Path(tmp) / f"{name}{suffix}"
            try:
                src.write_bytes(data)
                (Path(tmp) / "tmp").mkdir()
            except OSError as exc:
                raise self._failure(f"cannot write the copy LibreOffice converts ({exc.strerror})", src) from None
            self.argv = [exe, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless", "--norestore",
                         "--convert-to", "pdf", "--outdir", tmp, str(src)]
            private = str(Path(tmp, "tmp"))  # LibreOffice's lu*.tmp go here, and with the folder
            # The same document must give the same PDF on any machine. TZ=UTC: LibreOffice stamps the conversion
            # time in local time ("Z" in UTC, "-05'00'" elsewhere) and stable_pdf rewrites the stamp in place, so its
            # length, and every offset after it, followed the time zone. LC_ALL: LibreOffice's locale decides
            # whether a character of ambiguous width (the notes' ①–⑦) is laid out as Chinese or Western, on the
            # character grid or off it with a gap after it; a Chinese office's locale, whatever this machine's
            # (LibreOffice reads the name itself, so it need not be installed: the wrapper script only warns).
            env = dict(os.environ, HOME=tmp, TMPDIR=private, TMP=private, TEMP=private, TZ="UTC",
                       LC_ALL="zh_CN.UTF-8")
            try:
                self.run = Contained(self.argv, env)
            except OSError as exc:
                raise self._failure(f"cannot start LibreOffice ({exc.strerror})", exe) from None
        except BaseException:
            self._tmp.cleanup()
            raise

    def _failure(self, why: str, file) -> IOFailure:
        return IOFailure(f"{self.name}.pdf not made from {self.name}{self.suffix}: {why}; nothing was written "
                         "(--no-pdf publishes without the PDF)", file=file)

    def _why(self, code: int, err: bytes) -> str:
        """What LibreOffice's failure says, and what of the machine is likely behind it."""
        lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
        why = f"LibreOffice failed (exit code {code})" + (f": {lines[-1][:200]}" if lines else "")
        hints = []
        try:
            st = os.statvfs(self._tmp.name)
            if st.f_bavail * st.f_frsize < (64 << 20):
                hints.append(f"the disk holding {tempfile.gettempdir()} is full")
        except (OSError, AttributeError):
            pass
        try:
            import resource

            limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
            if limit != resource.RLIM_INFINITY:
                hints.append(f"files are limited to {limit} bytes here (ulimit -f)")
        except (ImportError, OSError, ValueError):
            pass
        return why + (f" — {', '.join(hints)}" if hints else "")

    def result(self, timeout: float = TIMEOUT) -> tuple[bytes | None, str]:
        """(PDF bytes, "") or (None, why not): LibreOffice missing or out of time (*timeout* seconds from the
        start). A conversion that fails is :class:`IOFailure` naming the file (exit 4)."""
        if self.run is None:
            return None, self.missing
        try:
            try:
                code, err = self.run.finish(timeout)
            except subprocess.TimeoutExpired:
                return None, f"LibreOffice did not convert {self.name}{self.suffix} within {timeout:g} s " \
                             f"(stopped): {self.name}.pdf not written; {self.name}{self.suffix} is complete"
            out = Path(self._tmp.name) / f"{self.name}.pdf"
            if code != 0 or not out.is_file():
                raise self._failure(self._why(code, err), self.argv[0])
            try:
                return out.read_bytes(), ""
            except OSError as exc:
                raise self._failure(f"cannot read the PDF LibreOffice wrote ({exc.strerror})", out) from None
        finally:
            self.abandon()

    def abandon(self) -> None:
        """LibreOffice killed (when still running) and its folder removed; harmless when already done."""
        if self.run is not None:
            self.run.kill()
            self._tmp.cleanup()


def convert_docx(data: bytes, name: str, timeout: float = TIMEOUT) -> tuple[bytes | None, str]:
    """(PDF bytes, "") or (None, why not): LibreOffice missing or out of time. A failed conversion raises
    :class:`IOFailure`."""
    return Conversion(data, name).result(timeout)
