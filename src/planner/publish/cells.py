"""Published text that a spreadsheet could take for a formula, made inert (the one place that knows how).

A note typed as ``=HYPERLINK("http://…")`` must reach a stranger's Excel/WPS as the text it is.
XLSX cells whose text starts with one of :data:`FORMULA_STARTS` are stored as strings (openpyxl would
otherwise write a live formula); CSV fields get a leading apostrophe, OWASP's neutralisation, since a
CSV cannot say "this is text".
"""
from __future__ import annotations

from ..textio import FORMULA_STARTS, csv_field, formula_like, from_csv_field  # noqa: F401  (one definition)


def text_cell(ws, row: int, column: int, value):
    """``ws.cell(row, column, value)``, stored as a string when the text would read as a formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if formula_like(value):
        cell.data_type = "s"
    return cell
