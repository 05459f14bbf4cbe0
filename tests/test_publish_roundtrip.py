"""Excel/WPS round trip of plan.csv: BOM, the date forms Excel writes, GBK saves, the provisional note line."""
from __future__ import annotations

import csv
import io

import pytest

from planner.errors import PlannerError
from planner.plan import plan_to_csv
from planner.planio import read_plan
from planner.publish import tables as T


def resave(plan, fmt, encoding: str = "utf-8-sig") -> str:
    """plan.csv as Excel saves it after a planner opened it: dates in *fmt*, the given encoding."""
    rows = list(csv.reader(io.StringIO(plan_to_csv(plan).lstrip("\ufeff"))))
    for r in rows[1:]:
        for i in (2, 3):
            y, m, d = map(int, r[i].split("-"))
            r[i] = fmt.format(y=y, m=m, d=d)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def test_plan_csv_has_bom_and_reads_back(tmp_path, plan2024, catalogue):
    text = plan_to_csv(plan2024)
    assert text.startswith("\ufeffstream,no,")
    p = tmp_path / "plan.csv"
    p.write_text(text, encoding="utf-8")
    assert read_plan(p, catalogue).sessions == plan2024.sessions


@pytest.mark.parametrize("fmt, named", [("{y}/{m}/{d}", "2027/2/19"), ("{y}-{m}-{d}", "2027-2-19"),
                                        ("{y}年{m}月{d}日", "2027年2月19日"), ("{y}/{m}/{d} 0:00", "2027/2/19")])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_excel_date_forms_read_and_named(tmp_path, plan2024, catalogue, capsys, fmt, named, encoding):
    p = tmp_path / "plan.csv"
    p.write_bytes(resave(plan2024, fmt).encode(encoding))
    assert read_plan(p, catalogue).sessions == plan2024.sessions
    err = capsys.readouterr().err
    assert f"read dates written as {named}" in err
    assert ("GBK" in err) == (encoding == "gbk")


def test_iso_dates_read_without_a_note(tmp_path, plan2024, catalogue, capsys):
    p = tmp_path / "plan.csv"
    p.write_text(plan_to_csv(plan2024), encoding="utf-8")
    read_plan(p, catalogue)
    assert "read dates written as" not in capsys.readouterr().err


def test_impossible_date_is_one_clear_error(tmp_path, plan2024, catalogue):
    p = tmp_path / "plan.csv"
    p.write_text(resave(plan2024, "{y}/{m}/{d}").replace("2024/3/6", "2024/2/30", 1), encoding="utf-8")
    with pytest.raises(PlannerError, match=r"row \d+, field 'exam_date'.*2024/2/30"):
        read_plan(p, catalogue)


def test_provisional_note_line_keeps_read_back(tmp_path, solved, catalogue):
    plan, ctx = solved(2026)
    note = T.provisional_note(plan, ctx)
    assert note == "2027年节假日安排尚未公布，日期为暂定"
    text = plan_to_csv(plan, note)
    assert text.splitlines()[0] == "\ufeff# " + note
    p = tmp_path / "plan.csv"
    p.write_text(text, encoding="utf-8")
    assert read_plan(p, catalogue).sessions == plan.sessions
    plan25, ctx25 = solved(2025)
    assert T.provisional_note(plan25, ctx25) == ""


@pytest.mark.parametrize("note", ["=HYPERLINK(\"http://x\")", "+1", "-", "@SUM(A1)", "'=1", "''+2", "'abc", "a=b",
                                  "上午 9:00"])
def test_plan_csv_neutralises_formulas_and_reads_them_back(tmp_path, plan2024, catalogue, note):
    """plan.csv is published too: a note a spreadsheet would take for a formula is written inert (a leading
    apostrophe), and reading the file gives back exactly the note (apostrophes of the note's own included)."""
    from dataclasses import replace

    from planner.publish.cells import formula_like

    plan = plan2024.with_sessions([replace(s, notes=note) if s.no == 3 else s for s in plan2024.sessions])
    text = plan_to_csv(plan)
    cells = [r[6] for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]
    assert not any(formula_like(c) for c in cells)
    p = tmp_path / "plan.csv"
    p.write_text(text, encoding="utf-8")
    assert read_plan(p, catalogue).sessions == plan.sessions


@pytest.mark.parametrize("note, back", [("a\rb", "a\nb"), ("a\r\nb", "a\nb"), ("a\nb", "a\nb"), ("a\u2028b", "a\u2028b"),
                                        ("a\x85b", "a\x85b")])
def test_a_note_with_line_breaks_reads_back(tmp_path, plan2024, catalogue, note, back):
    """A note's line breaks come back as \\n (a bare \\r is not quoted by the csv writer and used to end the row:
    "has 1 fields, expected 7"); the characters str.splitlines also breaks at are a note's own."""
    from dataclasses import replace

    plan = plan2024.with_sessions([replace(s, notes=note) if s.no == 3 else s for s in plan2024.sessions])
    p = tmp_path / "plan.csv"
    p.write_text(plan_to_csv(plan), encoding="utf-8", newline="")
    got = read_plan(p, catalogue)
    assert [s.notes for s in got.sessions if s.no == 3] == [back] * 2
    assert [s for s in got.sessions if s.no != 3] == [s for s in plan.sessions if s.no != 3]


def test_an_error_after_a_note_of_several_lines_names_the_line_a_planner_sees(tmp_path, catalogue):
    p = tmp_path / "plan.csv"
    p.write_text("# 说明\nstream,no,registration_deadline,exam_date,institution,kind,notes\n"
                 'managers,1,2024-03-01,2024-03-06,huaan,初训,"第一行\n第二行\n第三行"\n'
                 "managers,2,2024-03-30,2024-04-09,nowhere,初训,\n", encoding="utf-8")
    with pytest.raises(PlannerError, match=r"row 6, field 'institution'"):
        read_plan(p, catalogue)
