"""The ``planner`` command line: one sub-command per module in ``planner.commands``.

Heavy libraries (OR-Tools, pandas, matplotlib) are imported inside the commands that use
them, so ``planner check`` or ``planner calendar`` start fast. Every :class:`PlannerError`
becomes one line on stderr and its exit code (2 unusable input, 3 infeasible); Ctrl-C exits
130 without a traceback, and outputs are written atomically so nothing is left half-written.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import PlannerError

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
    "serve": "serve_cmd",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other input error
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="planner", description="Plan, check and publish the yearly exam calendar.")
    parser.add_argument("--version", action="version", version=_version())
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


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"planner {version('planner')}"
    except Exception:  # pragma: no cover - running from a source tree
        return "planner (source tree)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PlannerError as err:
        print(f"planner: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("planner: interrupted; no output was left half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `planner plan | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
