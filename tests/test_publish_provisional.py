"""Provisional calendar on everything that leaves the office (issue 12 item 3): present for a plan with a
date in a year whose arrangement is not official (2026 reaches into January 2027), absent for 2025."""
from __future__ import annotations

import io

import docx
import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from planner.planio import read_plan
from planner.publish.run import build_outputs

NOTE = "2027年节假日安排尚未公布，日期为暂定"


@pytest.fixture(scope="module")
def sets(solved):
    return {year: build_outputs(*solved(year), charts=False) for year in (2025, 2026)}


def marks(files: dict[str, bytes]) -> dict[str, bool]:
    """Where the provisional sentence appears, file by file."""
    found = {}
    wb = load_workbook(io.BytesIO(files["notice.xlsx"]))
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        top = [str(ws.cell(r, 1).value or "") for r in range(1, 4)]
        found[f"notice.xlsx[{ws.title}] banner"] = any(NOTE in t for t in top)
        found[f"notice.xlsx[{ws.title}] page header"] = NOTE in (ws.oddHeader.center.text or "")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(files["notice.docx"])).paragraphs)
    found["notice.docx"] = NOTE in text
    for name, data in files.items():
        if name.endswith(".csv"):
            found[name] = data.decode("utf-8-sig").splitlines()[0].strip('"') == NOTE
        if name.endswith(".ics"):
            evs = Calendar.from_ical(data).walk("VEVENT")
            found[name] = bool(evs) and all(str(e["STATUS"]) == "TENTATIVE" and NOTE in str(e["DESCRIPTION"])
                                            for e in evs)
    page = files["report.html"].decode("utf-8")
    found["report.html first screen"] = NOTE in page[:page.index("附件2")]
    return found


def test_provisional_plan_is_marked_everywhere(sets):
    found = marks(sets[2026])
    assert len(found) > 15
    assert [k for k, v in found.items() if not v] == []


def test_official_plan_carries_no_mark(sets):
    found = marks(sets[2025])
    assert [k for k, v in found.items() if v] == []
    for name, data in sets[2025].items():
        if name.endswith((".csv", ".ics", ".html", ".json")):
            assert "暂定".encode() not in data, name


def test_marked_files_still_read_back(tmp_path, sets, solved, catalogue):
    plan, _ = solved(2026)
    p = tmp_path / "notice.xlsx"
    p.write_bytes(sets[2026]["notice.xlsx"])
    assert read_plan(p, catalogue).sessions == plan.sessions
