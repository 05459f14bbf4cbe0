"""Publishing on two cores: worker processes forked before OR-Tools is imported.

``planner plan`` spends most of its time after the solve drawing three charts (matplotlib) and
writing notice.xlsx, notice.docx and the ICS files (openpyxl, python-docx, icalendar). Two workers,
forked as soon as the problem is built, import those libraries while the parent imports OR-Tools and
solves; when the plan is known, one draws the charts and the other writes the documents, in
parallel. Each worker runs the very functions the serial path runs (:func:`chart_files`,
:func:`document_files`), so the bytes are the same either way (``tests/test_publish_workers.py``).

Used only by the command line (``planner.cli.run`` allows it), on a POSIX machine with at least two
usable cores, while the process has a single thread, and unless ``PLANNER_WORKERS=0``. Notebooks, the
web workbench and tests that call ``main()`` publish serially. A worker that fails, dies or is too
slow costs nothing but time: the parent builds that part itself and so raises the same error, with
the same message and exit code, as the serial path would.
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import threading

#: set by ``planner.cli.run`` (the console entry point): only a real command-line process forks
ALLOWED = False
#: seconds to wait for a worker's part before building it in the parent instead
WAIT = 300.0


def chart_files(plan, ctx, flag: str) -> dict[str, dict[str, bytes]]:
    """Stem -> {format: bytes} of the publish charts (the report embeds the SVG)."""
    from ..charts import all_charts

    return all_charts(plan, ctx, flag)


def document_files(plan, ctx, flag: str, class_days: int, previous_ics: dict[str, bytes] | None,
                   template: str | None, template_name: str, paper) -> dict[str, bytes]:
    """notice.xlsx, notice.docx and the ICS calendars: relative path -> bytes (*paper*: a
    :class:`planner.publish.notice_docx.Paper`)."""
    from .ics import ics_files
    from .notice_docx import notice_docx_bytes
    from .xlsx import notice_xlsx_bytes

    files = {"notice.xlsx": notice_xlsx_bytes(plan, ctx, flag, paper.issued),
             "notice.docx": notice_docx_bytes(plan, ctx, flag, template, template_name, paper=paper)}
    files.update(ics_files(plan, ctx, class_days, flag, previous_ics))
    return files


def _preload(role: str) -> None:
    """Import (and warm) what the role needs while the parent solves; a failure here is harmless."""
    if role == "charts":
        import importlib
        import io

        from ..charts import CHARTS, style

        for mod in CHARTS.values():
            importlib.import_module(f"planner.charts.{mod}")
        with style.chart_style():  # load the CJK font and the SVG backend once
            fig = style.new_figure(1, 1, layout=None)
            fig.text(0.5, 0.5, "运城市考试日历 1月")
            fig.savefig(io.BytesIO(), format="svg")
    else:
        import docx
        import icalendar  # noqa: F401
        import jinja2  # noqa: F401
        import openpyxl

        from . import ics, notice_docx, xlsx  # noqa: F401  (they import the libraries above lazily)

        docx.Document()  # parse python-docx's default template once
        openpyxl.Workbook()


_JOBS = {"charts": chart_files, "documents": document_files}


class _Worker:
    def __init__(self, role: str, pid: int, conn) -> None:
        self.role, self.pid, self.conn = role, pid, conn
        self.sent = False
        self.delivered = False  # its part was used (tests check that the parallel path really ran)

    def send(self, args: tuple) -> None:
        try:
            self.conn.send(args)
            self.sent = True
        except (OSError, ValueError, pickle.PicklingError):
            self.sent = False

    def result(self):
        """The worker's part, or None when it has none to give (the parent then builds it)."""
        if not self.sent:
            return None
        try:
            if not self.conn.poll(WAIT):
                return None
            status, value = self.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            return None
        self.delivered = status == "ok"
        return value if self.delivered else None

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:  # still running (its part was not needed): stop it
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except (ChildProcessError, ProcessLookupError, OSError):
            pass


def _serve(role: str, conn, ctx, baton: tuple[int, int]) -> None:
    """The worker's life: preload, wait for the plan, build its part, send it, exit without cleanup.

    The two preloads take turns (the charts worker first, then it passes the *baton*, a pipe, to the
    documents worker), so the parent always has a core of its own for importing OR-Tools and solving:
    measured on an idle machine, the plan reached the workers at 0.85 s with both preloading at once and
    at 0.68 s with the turns."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        read_end, write_end = baton
        if role == "charts":
            os.close(read_end)
        else:
            os.close(write_end)
            _wait_for(read_end, 5.0)  # a byte, or end of file if the charts worker is gone
        try:
            _preload(role)
        except Exception:
            pass
        if role == "charts":
            os.close(write_end)  # end of file: the documents worker's turn
        args = conn.recv()
        try:
            conn.send(("ok", _JOBS[role](args[0], ctx, *args[1:])))
        except Exception as exc:  # the parent rebuilds this part and raises the error itself
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _wait_for(fd: int, timeout: float) -> None:
    import select

    try:
        select.select([fd], [], [], timeout)
    finally:
        os.close(fd)


class PublishWorkers:
    """The two workers of one run; use as a context manager so they never outlive it."""

    def __init__(self, workers: dict[str, _Worker], ctx) -> None:
        self.workers = workers
        self.ctx = ctx  # the problem the workers were forked with: they can publish plans of it only

    @classmethod
    def start(cls, ctx) -> PublishWorkers | None:
        """Fork the workers for *ctx*, or None when this run publishes serially."""
        if not usable():
            return None
        from multiprocessing.connection import Pipe

        workers: dict[str, _Worker] = {}
        baton = os.pipe()
        for role in _JOBS:
            parent_end, child_end = Pipe(duplex=True)
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                pid = os.fork()
            except OSError:
                parent_end.close()
                child_end.close()
                break
            if pid == 0:  # the worker
                parent_end.close()
                for w in workers.values():
                    w.conn.close()
                _serve(role, child_end, ctx, baton)
            child_end.close()
            workers[role] = _Worker(role, pid, parent_end)
        for fd in baton:
            os.close(fd)
        return cls(workers, ctx)

    def submit(self, plan, ctx, flag: str, *, class_days: int, previous_ics, template, template_name: str,
               paper, charts: bool = True) -> None:
        """Hand the solved plan to the workers; they start at once. A plan of another problem than the one they
        were forked with (``planner size`` publishes the sized year, with its counts and candidates) is not
        theirs to publish: nothing is sent, and the parent builds every part."""
        if ctx is not self.ctx:
            return
        if charts and "charts" in self.workers:
            self.workers["charts"].send((plan, flag))
        if "documents" in self.workers:
            self.workers["documents"].send((plan, flag, class_days, previous_ics, template, template_name, paper))

    def result(self, role: str):
        w = self.workers.get(role)
        return w.result() if w is not None else None

    def close(self) -> None:
        for w in self.workers.values():
            w.close()
        self.workers = {}

    def __enter__(self) -> PublishWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def usable() -> bool:
    """Fork only from the command line, with two cores, one thread, and unless PLANNER_WORKERS=0."""
    if not ALLOWED or os.environ.get("PLANNER_WORKERS", "").strip() == "0" or not hasattr(os, "fork"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores >= 2 and threading.active_count() == 1


class _NoWorkers:
    """The serial stand-in, so callers need no branches."""

    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        return None


def start_workers(ctx, publish: bool):
    """A context manager giving the run's :class:`PublishWorkers`, or None (serial)."""
    workers = PublishWorkers.start(ctx) if publish else None
    return workers if workers is not None else _NoWorkers()
