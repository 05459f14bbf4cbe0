"""Reading a plan from whatever file a planner hands in: the canonical CSV or a published notice.xlsx.

Lives above both readers (``plan`` for CSV, ``publish.xlsx`` for the workbook), so neither imports
the other: the dependency arrows run one way.
"""
from __future__ import annotations

from pathlib import Path

from .data import Catalogue
from .plan import Plan, read_plan_csv


def read_plan(path: str | Path, catalogue: Catalogue, year: int | None = None) -> Plan:
    """Read a plan from a canonical CSV, or from a ``notice.xlsx`` in the published layout.

    A 考试类别 printed as the regulation words it on the exam date (a year spanning a change) reads back as the
    plan's own wording (``planner.regulation.as_plan_kinds``)."""
    from .regulation import as_plan_kinds

    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        from .publish.xlsx import read_notice_xlsx
        from .textio import check_input_file

        check_input_file(p)  # a pipe named *.xlsx would block the workbook reader
        return as_plan_kinds(read_notice_xlsx(p, catalogue, year=year), catalogue)
    return as_plan_kinds(read_plan_csv(p, catalogue, year=year), catalogue)
