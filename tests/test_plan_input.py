"""A plan file's values that only broke later stages (a chart that looped for hours, a calendar file, the XML of a
document): refused when the plan is read, in one line naming row and field (audit of 2026-12-05)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from planner.errors import PlannerError
from planner.plan import plan_to_csv
from planner.planio import read_plan


def edited(plan2024, tmp_path, old: str, new: str):
    text = plan_to_csv(plan2024)
    assert old in text
    p = tmp_path / "plan.csv"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


@pytest.mark.parametrize("old, new, field", [
    ("managers,2,", "managers," + "9" * 400 + ",", "no"),
    ("managers,2,", "managers,1000,", "no"),
    ("2024-03-06", "9999-12-31", "exam_date"),
    ("2024-03-06", "0001-01-01", "exam_date"),
    ("2024-03-01", "2026-03-01", "registration_deadline"),
])
def test_an_absurd_number_or_date_is_refused_where_it_is(plan2024, catalogue, tmp_path, old, new, field):
    p = edited(plan2024, tmp_path, old, new)
    with pytest.raises(PlannerError) as err:
        read_plan(p, catalogue)
    assert err.value.field == field and err.value.row == 2 + (old == "managers,2,"), str(err.value)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\x7f"])
def test_a_control_character_in_a_note_is_refused_when_read(plan2024, catalogue, tmp_path, char):
    from dataclasses import replace

    plan = plan2024.with_sessions([replace(s, notes="备" + char + "注") if s.no == 3 else s for s in plan2024.sessions])
    p = tmp_path / "plan.csv"
    p.write_text(plan_to_csv(plan), encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        read_plan(p, catalogue)
    assert err.value.field == "notes" and "control character" in err.value.message


def test_dates_across_the_year_s_end_are_kept(plan2024, catalogue, tmp_path):
    """The bound is a year either side of the plan year: 2024's plan has exams in January 2025."""
    back = read_plan(edited(plan2024, tmp_path, "2024-03-01", "2023-12-30"), catalogue)
    assert min(s.registration_deadline for s in back.sessions) == dt.date(2023, 12, 30)


def test_compare_and_publish_of_such_a_plan_are_exit_2(plan2024, tmp_path):
    """The commands that crashed (compare: OverflowError; publish: date out of range, or hours in a chart)."""
    p = edited(plan2024, tmp_path, "2024-03-06", "0001-01-01")
    for args in (["compare", str(p), str(p)], ["publish", str(p), "--allow-violations", "--no-pdf", "--out",
                                                  str(tmp_path / "o")]):
        r = subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["2027-04-01T08:00:00", "2027-04-01 08:00:00"])
def test_a_toml_date_time_is_refused_naming_the_key(tmp_path, value):
    """A scenario closure with a date-time compared a datetime with dates (exit 70)."""
    from planner.errors import PlannerError
    from planner.scenario import load_scenario

    sc = tmp_path / "s.toml"
    sc.write_text(f'year = 2027\n[[closures]]\ninstitution = "ruiyang"\nstart = {value if "T" in value else repr(value)}\n'
                  'end = 2027-06-30\nreason = "x"\n', encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        load_scenario(sc, year=2027)
    assert err.value.field and err.value.field.endswith("start"), str(err.value)


def test_a_calendar_override_date_time_and_a_missing_calendar_folder_are_refused(tmp_path):
    from planner.calendar import load_overrides

    d = tmp_path / "cal"
    d.mkdir()
    (d / "2027.toml").write_text("year = 2027\nclosed_days = [2027-02-22T00:00:00]\n", encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        load_overrides(d)
    assert "closed_days" in (err.value.field or ""), str(err.value)
    with pytest.raises(PlannerError) as err:
        load_overrides(tmp_path / "calendr")
    assert err.value.field == "calendar-dir"


@pytest.mark.parametrize("name", ["../evil", "a\x00b", "运城" * 60, "a/b", "..", ""])
def test_a_sweep_names_each_plan_file_safely(tmp_path, name):
    """sweep wrote plans/{scenario name}.csv: '../evil' or a NUL was exit 70, a long Chinese name exit 4."""
    from planner.commands.sweep_cmd import plan_file_name

    f = plan_file_name(name)
    assert f and "/" not in f and "\x00" not in f and not f.startswith(".") and len(f.encode()) <= 180
    (tmp_path / f"{f}.csv").write_text("x", encoding="utf-8")  # the file system takes it


def test_a_control_character_in_the_bureau_s_sections_is_one_line(tmp_path):
    from planner.publish.letterhead import read_sections

    p = tmp_path / "sections.md"
    p.write_text("# 一、总体要求\n正文\x00内容\n", encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        read_sections(p, 2027)
    assert err.value.row == 2 and "control character" in err.value.message


def test_make_up_days_without_the_days_off_are_refused(tmp_path):
    """An override with makeup_workdays and no days_off was silently ignored (the year stays provisional without
    its days off): refused naming the key."""
    from planner.calendar import load_overrides

    d = tmp_path / "cal"
    d.mkdir()
    (d / "2027.toml").write_text("year = 2027\nmakeup_workdays = [2027-02-20]\n", encoding="utf-8")
    with pytest.raises(PlannerError) as err:
        load_overrides(d)
    assert err.value.field == "makeup_workdays"
