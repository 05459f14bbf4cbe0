"""The ``planner`` command line: one sub-command per module in ``planner.commands``.

Heavy libraries (OR-Tools, pandas, matplotlib) are imported inside the commands that use
them, so ``planner check`` or ``planner calendar`` start fast. Whatever happens, the terminal
gets one line on stderr and an exit code that means one thing: 0 ok, 1 a hard rule is broken
(check, publish), 2 unusable input, 3 infeasible, 4 an I/O or environment failure (disk full,
permission, a busy folder, a name collision), 70 an internal error (a bug: the traceback goes
to a log file whose path is printed), 130 interrupted, 143 terminated (SIGTERM). Output sets
are transactions (:mod:`planner.outset`), so none of these leaves a half-written set behind.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

from .errors import InternalError, PlannerError

#: a message line longer than this is shortened in the middle (a 200 000-character field stays one readable line)
MAX_LINE = 400
LOG_NAME = "planner-error.log"

#: sub-command name -> module under planner.commands (each has ``register(subparsers)`` and ``run(args)``)
COMMANDS = {
    "calendar": "calendar_cmd",
    "check": "check_cmd",
    "plan": "plan_cmd",
    "reproduce": "reproduce_cmd",
    "publish": "publish_cmd",
    "replan": "replan_cmd",
    "compare": "compare_cmd",
    "sweep": "sweep_cmd",
    "size": "size_cmd",
    "demand": "demand_cmd",
    "serve": "serve_cmd",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other input error
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="planner", description="Plan, check and publish the yearly exam calendar.",
                     epilog="exit codes: 0 ok, 1 a hard rule is broken, 2 unusable input, 3 infeasible, "
                            "4 an I/O or environment failure, 70 an internal error (a bug), 130 interrupted (Ctrl-C), "
                            "143 terminated (SIGTERM)")
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(f"planner.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"planner.commands.{module}":
                continue  # command not built yet
            raise
        mod.register(sub)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked: reading the package metadata costs 0.02 s on every run."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(_version())
        parser.exit(0)


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"planner {version('planner')}"
    except Exception:  # pragma: no cover - running from a source tree
        return "planner (source tree)"


class Terminated(BaseException):
    """SIGTERM (a service manager or web server stopping the run) unwinds like Ctrl-C, so temporaries are removed."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Library warnings (e.g. openpyxl on an edited workbook) as one ``note:`` line, not a source excerpt."""
    _say(f"planner: note: {category.__name__}: {message}")


def run() -> None:
    """Console entry point (``planner``, ``python -m planner``): exit with :func:`main`'s code, skipping the
    interpreter's teardown once every output is flushed and closed — freeing OR-Tools' and matplotlib's state
    writes nothing and cost 0.05-0.2 s in the benchmarks (benchmarks/RESULTS.md). ``planner serve`` runs until stopped and exits the normal way."""
    import os

    from .publish import workers

    workers.ALLOWED = True  # a real command-line process: publishing may fork its workers
    code = main()
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading
    import warnings

    try:  # a terminal that cannot show Chinese (latin-1, ascii) gets backslash escapes, not an exception
        sys.stdout.reconfigure(errors="backslashreplace")
    except (AttributeError, ValueError):
        pass
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return _main(argv)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    args = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help, --version, or a usage error (already printed, one line): its code
            return done.code if isinstance(done.code, int) else 2
        return int(args.func(args) or 0)
    except Terminated:
        _say("planner: terminated; no output was left half-written")
        return 143
    except InternalError as err:
        return _internal(str(err), err, args)
    except PlannerError as err:
        _say(f"planner: error: {err}")
        return err.exit_code
    except KeyboardInterrupt:
        _say("planner: interrupted; no output was left half-written")
        return 130
    except BrokenPipeError:  # e.g. `planner plan | head`: stop quietly, and keep Python quiet at exit too
        _silence_stdout()
        return 0
    except OSError as exc:  # the machine, not the input: disk full, permission, a folder where a file should be
        where = f": {exc.filename}" if exc.filename else ""
        _say(f"planner: error: {exc.strerror or exc}{where}")
        return 4
    except MemoryError:
        _say("planner: error: out of memory")
        return 4
    except Exception as exc:  # a bug: one line here, the traceback in a log file
        if _interrupted(exc):  # Ctrl-C inside a native import (OR-Tools re-raises it as ImportError)
            _say("planner: interrupted; no output was left half-written")
            return 130
        return _internal(f"{type(exc).__name__}: {exc}", exc, args)


def _interrupted(exc: BaseException) -> bool:
    """*exc* was caused by a KeyboardInterrupt somewhere down its chain of causes."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _say(line: str) -> None:
    """Exactly one line on stderr, however long or multi-line the message."""
    print(one_line_message(line), file=sys.stderr)


def one_line_message(line: str, limit: int = MAX_LINE) -> str:
    """*line* on one line of at most about *limit* characters: a longer one keeps its start (what failed) and its
    end (why, and what to do). The end starts at a clause ("; " outside brackets) where its half holds one, so the
    reason reads whole; the start takes the rest of the room."""
    line = " ".join(line.split("\n"))
    if len(line) <= limit:
        return line
    half = limit // 2
    # the clause boundaries outside brackets: a "; " inside "(…; …)" is a clause of a clause
    depth, bounds = 0, []
    for i, ch in enumerate(line):
        if ch in "(（[":
            depth += 1
        elif ch in ")）]":
            depth -= 1
        elif depth == 0 and line.startswith("; ", i):
            bounds.append(i)
    # the end first (why, and what to do): from the earliest boundary that leaves it at most half the line
    starts = [i + 2 for i in bounds if len(line) - half <= i + 2 < len(line)]
    tail = line[starts[0]:] if starts else line[-half:]
    # the start gets what the end leaves, never less than half: it names what binds first, and cutting it back to a
    # boundary could hide that
    return line[: limit - len(tail)] + " … " + tail


def _internal(message: str, exc: BaseException, args) -> int:
    log = write_error_log(exc, getattr(args, "out", None))
    _say(f"planner: internal error (a bug): {message}; details in {log}")
    return InternalError.exit_code


def write_error_log(exc: BaseException, out: str | None) -> str:
    """The traceback in ``<out>/planner-error.log`` when that folder exists and is writable, else the temp dir."""
    text = ("".join(traceback.format_exception(exc)) + f"\n{_version()}; Python {sys.version.split()[0]}; "
            f"{sys.platform}\nargv: {sys.argv}\n")
    # never inside a published set (its manifest lists every file: `check` would find one it does not list)
    if out and Path(out).is_dir() and not (Path(out) / "manifest.json").exists():
        from .textio import atomic_write_text

        try:
            atomic_write_text(Path(out) / LOG_NAME, text)
            return str(Path(out) / LOG_NAME)
        except (OSError, PlannerError):
            pass
    try:
        fd, path = tempfile.mkstemp(prefix="planner-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    except OSError:
        return "(no log could be written)"


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured in tests)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
