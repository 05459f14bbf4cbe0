"""Errors a planner can act on, and the exit code each one means.

Every problem with the user's input is a :class:`PlannerError` that knows *where* it is
(file, row, field), so the CLI can print exactly one line and exit with a stable code
instead of a traceback. Exit codes mean one thing each: 0 ok, 1 a hard rule is broken
(``check``/``publish`` only), 2 unusable input, 3 infeasible, 4 an I/O or environment failure,
70 an internal error (a bug), 130 interrupted.
"""
from __future__ import annotations

from pathlib import Path


class PlannerError(Exception):
    """Unusable input: the CLI prints ``str(err)`` as one line and exits 2."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InfeasibleError(PlannerError):
    """The rules cannot all hold at once; ``conflict`` names the rules/streams/sites involved."""

    exit_code = 3

    def __init__(self, message: str, conflict: list[str] | None = None, minimal: bool = True) -> None:
        self.conflict = list(conflict or [])
        self.minimal = minimal  # False: the time limit ended the explanation before it proved no item superfluous
        super().__init__(message)


class TimeLimitError(PlannerError):
    """No plan was found within the time limit (exit 2: raise it). ``binding`` names, as a conflict does, what the
    year's best plan without its candidates breaks, when that is what made the search long: where to add seats
    or sessions, or time."""

    def __init__(self, message: str, binding: list[str] | None = None) -> None:
        self.binding = list(binding or [])
        super().__init__(message, field="time-limit")


class IOFailure(PlannerError):
    """The machine, not the input, failed: disk full, no permission, a busy or blocked folder (exit 4).

    Raised with a message that says what is left behind (the previous output set stays as it was).
    """

    exit_code = 4


class InternalError(PlannerError):
    """A bug, not the user's input: two faces of a rule disagree, or the solver's objective differs from the
    cost recomputed on its plan. Exit 70; the CLI prints one line saying so and writes the traceback to a
    log file whose path it prints."""

    exit_code = 70
