"""Published tables opened by strangers: a note that reads as a formula stays text (issue 21, probe 4).

Every cell of notice.xlsx and revision.xlsx is inspected in the saved XML (no ``<f>`` element anywhere),
the notes read back as the text typed, and every field of every annex CSV starting with ``= + - @``, tab or
CR carries the neutralising apostrophe.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import zipfile

import pytest

from planner.publish.cells import FORMULA_STARTS, csv_field, formula_like
from planner.publish.csvfiles import csv_files
from planner.publish.revision import revision_xlsx_bytes
from planner.publish.xlsx import notice_xlsx_bytes

NASTY = ['=HYPERLINK("http://example.invalid/x","点此")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
         "=cmd|' /C calc'!A0"]


@pytest.fixture(scope="module")
def nasty_plan(plan2024):
    sessions = [dataclasses.replace(s, notes=NASTY[k % len(NASTY)]) if k < 3 * len(NASTY) else s
                for k, s in enumerate(plan2024.sessions)]
    return dataclasses.replace(plan2024, sessions=tuple(sessions) if isinstance(plan2024.sessions, tuple)
                               else sessions)


def _no_formulas(data: bytes) -> list[str]:
    """Sheet XML of an xlsx; asserts no cell is a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    for xml in sheets:
        assert "<f>" not in xml and "<f " not in xml
    return sheets


def test_notice_xlsx_keeps_formula_like_notes_as_text(nasty_plan, ctx2024):
    from openpyxl import load_workbook

    data = notice_xlsx_bytes(nasty_plan, ctx2024)
    _no_formulas(data)
    wb = load_workbook(io.BytesIO(data))
    seen = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if formula_like(c.value)}
    assert {n.replace("\r", "\n") if n.startswith("\r") else n for n in NASTY} - seen <= {"\r=1+1", "\n=1+1"}
    assert NASTY[0] in seen and "@SUM(A1:A9)" in seen
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if formula_like(c.value):
                    assert c.data_type == "s"


def test_revision_xlsx_keeps_formula_like_cells_as_text(plan2024, ctx2024):
    """revision.xlsx writes its rows through the same cell helper: rows made of formulas stay text."""
    from openpyxl import load_workbook

    rows = [[n] * 7 for n in NASTY]
    data = revision_xlsx_bytes(plan2024, ctx2024, rows)
    _no_formulas(data)
    values = {c.value for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row}
    assert NASTY[0] in values and "@SUM(A1:A9)" in values


def test_every_annex_csv_field_is_neutralised(nasty_plan, ctx2024):
    files = csv_files(nasty_plan, ctx2024)
    found = 0
    for name, data in files.items():
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
            for field in row:
                assert not field.startswith(FORMULA_STARTS), (name, field)
                found += field.startswith("'") and field[1:].startswith(FORMULA_STARTS)
    assert found >= len(NASTY)


@pytest.mark.parametrize("text", ["", "备注", "3月6日", "'abc", "a=b", "第1期"])
def test_plain_text_is_left_alone(text):
    assert csv_field(text) == text and not formula_like(text)


@pytest.mark.parametrize("text", ["", "备注", "'abc", "=1", "'=1", "''=1", "-", "'", "@x", "\tx"])
def test_a_neutralised_field_reads_back_as_written(text):
    """csv_field and from_csv_field are inverse (plan.csv is read back); text with apostrophes of its own before a
    formula character gets one more, so that it does not lose one on the way back."""
    from planner.publish.cells import from_csv_field

    assert from_csv_field(csv_field(text)) == text
    assert not formula_like(csv_field(text))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_each_dangerous_start_is_neutralised(start):
    assert csv_field(start + "x") == "'" + start + "x"
    assert csv_field(7) == 7
