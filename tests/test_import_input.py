"""Bad input to `planner demand import` and to the re-plan's registrations: one line naming file, row and field,
exit 2, nothing written (found by an audit of every input a planner can give, 2026-12-05)."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import pytest

HEADER = "考试日期,类别,报名人数,参考人数,合格人数\n"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def one_line_exit_2(r, *words):
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


@pytest.mark.parametrize("rows, field, words", [
    ("2027-03-03,电工作业," + "1" * 5000 + ",90,80\n", "报名人数", ()),  # over int()'s 4 300 digits
    ("0001-01-01,电工作业,100,90,80\n", "考试日期", ("2000",)),  # a typo is not a plan year
    ("1027-04-03,电工作业,100,90,80\n", "考试日期", ()),
    ("2027-03-03,电工作业,,90,80\n", "报名人数", ("empty cell",)),  # not "got 'None'"
    ("2027-03-03,电工作业,100000,100000,100000\n" * 21, "first_time", ("cannot be kept",)),  # over the loader's range
])
def test_an_export_is_refused_in_one_line_and_nothing_written(tmp_path, rows, field, words):
    export = tmp_path / "e.csv"
    export.write_text(HEADER + rows, encoding="utf-8")
    out = tmp_path / "d.toml"
    r = run_cli("demand", "import", str(export), "--out", str(out))
    one_line_exit_2(r, field, "e.csv", *words)
    assert not out.exists()


def test_two_columns_for_one_figure_are_refused(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text("考试日期,类别,报名人数,参考人数,合格人数,报名人数\n2027-03-03,电工作业,100,90,80,5\n", encoding="utf-8")
    r = run_cli("demand", "import", str(export), "--out", str(tmp_path / "d.toml"))
    one_line_exit_2(r, "columns 3 and 6", "报名人数")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_the_output_must_be_a_regular_file_and_not_the_export(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(HEADER + "2027-03-03,电工作业,100,90,80\n", encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    one_line_exit_2(run_cli("demand", "import", str(export), "--out", str(fifo)), "not a regular file")
    assert fifo.is_fifo()  # it used to be replaced by a regular file
    before = export.read_bytes()
    one_line_exit_2(run_cli("demand", "import", str(export), "--out", str(export)), "export file it reads")
    assert export.read_bytes() == before


def _workbook(tmp_path, damage: str):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["考试日期", "类别", "报名人数", "参考人数", "合格人数"])
    for _ in range(300):
        ws.append(["2027-03-03", "电工作业", 100, 90, 80])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "e.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                if damage == "missing":
                    continue
                data = data[: len(data) // 2]
            z.writestr(item, data)
    return path


@pytest.mark.parametrize("damage", ["cut in half", "missing"])
def test_a_workbook_with_a_damaged_sheet_is_refused_in_one_line(tmp_path, damage):
    """read-only openpyxl parses a sheet as it reads it: the damage surfaced past the guarded open (exit 70)."""
    path = _workbook(tmp_path, damage)
    out = tmp_path / "d.toml"
    one_line_exit_2(run_cli("demand", "import", str(path), "--out", str(out)), "e.xlsx")
    assert not out.exists()


def test_registrations_short_form_names_the_field_at_fault(tmp_path, plan2024, catalogue):
    from planner.errors import PlannerError
    from planner.replan import read_people

    cases = [("nostream,3,10\n", "stream"), ("managers," + "9" * 5000 + ",10\n", "no"),
             ("managers,3," + "1" * 5000 + "\n", "报名人数")]
    for body, field in cases:
        p = tmp_path / "r.csv"
        p.write_text("stream,no,报名人数\n" + body, encoding="utf-8")
        with pytest.raises(PlannerError) as err:
            read_people(p, plan2024, catalogue)
        assert (err.value.row, err.value.field) == (2, field), str(err.value)
    p.write_text("stream,no,报名人数,报名人数\nmanagers,3,10,20\n", encoding="utf-8")
    with pytest.raises(PlannerError, match="appears twice"):
        read_people(p, plan2024, catalogue)


def test_keep_with_a_huge_number_is_one_line(tmp_path):
    from planner.commands.replan_cmd import _keys
    from planner.errors import PlannerError

    with pytest.raises(PlannerError) as err:
        _keys(["managers#" + "9" * 5000])
    assert err.value.field == "keep"
