"""DOCX → PDF through LibreOffice, bounded and contained.

* **Bounded**: one conversion gets :data:`TIMEOUT` seconds; past that LibreOffice is killed and the caller
  publishes the .docx alone with a note (a PDF is a convenience copy, never worth a hung command).
* **Private**: every conversion runs with its own profile folder (``-env:UserInstallation``), so it neither
  waits on a LibreOffice the user has open nor on another conversion.
* **Contained**: LibreOffice runs in a process group of its own (``soffice`` forks ``oosplash``, which forks
  ``soffice.bin``). The group is killed when the conversion ends in any way — timeout, an error, Ctrl-C or
  SIGTERM unwinding through here — and on Linux a small shell at its head is told by the kernel when the
  command dies outright (SIGKILL) and takes the group with it.
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
        self._tmp = tempfile.TemporaryDirectory(prefix="planner-pdf-")
        tmp = self._tmp.name
        try:
            src = Path(tmp) / f"{name}{suffix}"
            src.write_bytes(data)
            self.argv = [exe, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless", "--norestore",
                         "--convert-to", "pdf", "--outdir", tmp, str(src)]
            self.run = Contained(self.argv, dict(os.environ, HOME=tmp))
        except BaseException:
            self._tmp.cleanup()
            raise

    def result(self, timeout: float = TIMEOUT) -> tuple[bytes | None, str]:
        """(PDF bytes, "") or (None, why not): LibreOffice missing or out of time (*timeout* seconds from the
        start). Other failures raise ``OSError``/``subprocess.SubprocessError`` for the caller to report."""
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
                raise subprocess.CalledProcessError(code, self.argv[0], stderr=err)
            return out.read_bytes(), ""
        finally:
            self.abandon()

    def abandon(self) -> None:
        """LibreOffice killed (when still running) and its folder removed; harmless when already done."""
        if self.run is not None:
            self.run.kill()
            self._tmp.cleanup()


def convert_docx(data: bytes, name: str, timeout: float = TIMEOUT) -> tuple[bytes | None, str]:
    """(PDF bytes, "") or (None, why not): LibreOffice missing or out of time. Other failures raise
    ``OSError``/``subprocess.SubprocessError`` for the caller to report."""
    return Conversion(data, name).result(timeout)
