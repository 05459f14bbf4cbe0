"""Excel copies of what a page shows (对比, 检查): one sheet per table, Chinese headers, text kept as text.

年度计划 exports the published notice.xlsx itself (``publish.xlsx``); these pages have no published form,
so their tables are written plainly here, every cell through ``publish.cells.text_cell`` (a note that
reads as a formula stays text).
"""
from __future__ import annotations

import io

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_xlsx(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """(sheet title, headers, rows) → workbook bytes; columns sized to their longest text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..publish.cells import text_cell
    from ..publish.xlsx import text_width

    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title[:31])
        for r, values in enumerate([headers, *rows], start=1):
            for c, v in enumerate(values, start=1):
                cell = text_cell(ws, r, c, v)
                if r == 1:
                    cell.font = Font(bold=True)
        for c in range(1, len(headers) + 1):
            width = max([text_width(str(ws.cell(row=r, column=c).value or "")) for r in range(1, len(rows) + 2)])
            ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = min(60, width + 2)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download(data: bytes, name: str, media_type: str = XLSX, fallback: str = "") -> Response:
    """*data* downloaded as *name* (a Chinese name, with an ASCII one for old clients: ``i18n.disposition``)."""
    from .i18n import disposition

    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition(name, fallback)})
