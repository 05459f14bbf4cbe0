"""Publishing a plan as the notice's attachments (XLSX, CSV, ICS, JSON), charts and an HTML report.

``publish_all(plan, ctx, out)`` is the entry point; ``read_notice_xlsx`` (in ``xlsx``) reads
a published workbook back. Sub-modules import openpyxl/matplotlib lazily.
"""
from __future__ import annotations


def __getattr__(name: str):
    if name in ("publish_all", "build_outputs", "CheckFailedError"):
        from . import run

        return getattr(run, name)
    raise AttributeError(name)
