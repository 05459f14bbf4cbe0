"""Published text that a spreadsheet could take for a formula, made inert (the one place that knows how).

A note typed as ``=HYPERLINK("http://…")`` must reach a stranger's Excel/WPS as the text it is.
XLSX cells whose text starts with one of :data:`FORMULA_STARTS` are stored as strings (openpyxl would
otherwise write a live formula); CSV fields get a leading apostrophe, OWASP's neutralisation, since a
CSV cannot say "this is text".
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_field(value):
    """A CSV field a spreadsheet shows as text: ``=1+1`` → ``'=1+1``; anything else unchanged. Text that already
    starts with apostrophes before a formula character gets one more, so that :func:`from_csv_field` gives back
    exactly what was written (``'=1`` → ``''=1`` → ``'=1``)."""
    return "'" + value if formula_like(value.lstrip("'") if isinstance(value, str) else value) else value


def from_csv_field(value: str) -> str:
    """The text :func:`csv_field` was given (a file we read back, e.g. plan.csv): one apostrophe less before a
    formula character; anything else as it is (a file written before fields were neutralised reads the same)."""
    return value[1:] if value.startswith("'") and formula_like(value.lstrip("'")) else value


def text_cell(ws, row: int, column: int, value):
    """``ws.cell(row, column, value)``, stored as a string when the text would read as a formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if formula_like(value):
        cell.data_type = "s"
    return cell
