"""Bad input the second audit of 2026-12-05 found still getting through, each as one line naming file, row and field
(exit 2), where it was silently dropped data, a misleading verdict or an internal error:

* a 期次 in notice.xlsx that is not a number ended the table there (the rest of the year's sessions vanished and
  ``check`` reported rule violations instead); a renamed heading dropped the whole sheet;
* an unclosed quote in a plan CSV swallowed the rest of the file into one note; a CR-only file was "empty";
* a control character in ``--doc-number`` and a 成文日期 before 1980 were exit 70;
* a demand's text with a control character was written to a TOML file that could not be read back; a monthly
  weight of 5e-324 passed the loader and vanished in the daily split (exit 70).
"""
from __future__ import annotations

import random
import tomllib

import pytest

from planner.cli import main
from planner.demand import _toml_str
from planner.errors import PlannerError
from planner.plan import plan_to_csv
from planner.planio import read_plan


@pytest.fixture(scope="module")
def notice(published):
    return published[0] / "notice.xlsx"


@pytest.mark.parametrize("cell, value, row", [("A30", "2７a", 30), ("A30", None, 30), ("A30", -3, 30),
                                              ("A30", 1.5, 30), ("A4", "abc", 4)])
def test_a_session_row_whose_number_is_not_one_is_named(notice, catalogue, tmp_path, cell, value, row):
    from openpyxl import load_workbook

    wb = load_workbook(notice)
    wb["附件3"][cell] = value
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(PlannerError) as err:
        read_plan(tmp_path / "x.xlsx", catalogue, 2024)
    assert (err.value.row, err.value.field) == (row, "期次") and "附件3" in str(err.value.file)


def test_a_renamed_heading_is_named_not_a_sheet_of_nothing(notice, catalogue, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(notice)
    wb["附件3"]["A3"] = "序号"
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(PlannerError, match="heading row"):
        read_plan(tmp_path / "x.xlsx", catalogue, 2024)


def test_the_published_workbook_still_reads_whole(notice, catalogue, plan2024):
    assert read_plan(notice, catalogue, 2024).sessions == plan2024.sessions


def test_an_unclosed_quote_is_named_by_the_line_it_opens_on(plan2024, catalogue, tmp_path):
    lines = plan_to_csv(plan2024).split("\n")
    lines[4] += '"abc'  # the 4th session's 备注 opens a quote it never closes
    (tmp_path / "q.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PlannerError, match="never closed") as err:
        read_plan(tmp_path / "q.csv", catalogue)
    assert err.value.row == 5


def test_a_cr_only_file_is_said_to_be_one(tmp_path, catalogue, plan2024):
    (tmp_path / "cr.csv").write_text(plan_to_csv(plan2024).replace("\n", "\r"), encoding="utf-8", newline="")
    with pytest.raises(PlannerError, match="bare CR"):
        read_plan(tmp_path / "cr.csv", catalogue)


@pytest.mark.parametrize("argv, field", [(["--doc-number", "12\x01号"], "doc-number"),
                                         (["--doc-number", "12\u2028号"], "doc-number"),
                                         (["--doc-number", "运应急发〔2025〕" + "1" * 40 + "号"], "doc-number"),
                                         (["--issued", "1979-12-31"], "issued")])
def test_notice_options_that_no_file_can_hold_are_exit_2(capsys, tmp_path, argv, field):
    code = main(["publish", "scenarios/plan_2024.csv", "--out", str(tmp_path / "o"), "--no-pdf", "--no-charts",
                 *argv])
    err = capsys.readouterr().err
    assert code == 2 and f"field '{field}'" in err and "internal" not in err
    assert not (tmp_path / "o").exists()


def test_a_toml_string_reads_back_as_written_whatever_it_holds():
    rng = random.Random(11)
    alphabet = [chr(c) for c in range(0, 0x80)] + ["\u2028", "\x85", "运", "城", "\ufeff", '"', "\\"]
    for _ in range(2000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert tomllib.loads(f"x = {_toml_str(s)}")["x"] == s.replace("\n", " "), repr(s)


@pytest.mark.parametrize("weight", ["5e-324", "1e-9"])
def test_a_vanishing_monthly_weight_is_refused_naming_its_month(tmp_path, catalogue, weight):
    import re

    from planner.data import constraints_dir
    from planner.demand import load_demand

    text = (constraints_dir() / "demand.toml").read_text(encoding="utf-8")
    text, n = re.subn(r"^profile = \[[^\]]*\]", f"profile = [{weight}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]", text,
                      count=1, flags=re.M)
    assert n == 1
    (tmp_path / "d.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        load_demand(tmp_path / "d.toml", catalogue)
    assert err.value.field.endswith(".profile[1]")
