"""Calendar facts cited from the State Council's notices, the plan-year window, provisional years."""
from __future__ import annotations

import datetime as dt

import pytest

from planner.calendar import build_calendar, load_override, load_overrides
from planner.cli import main
from planner.errors import PlannerError

D = dt.date


def test_official_facts_2024_2026():
    cal24 = build_calendar(2024)
    # 国办发明电〔2023〕7号: 9月14日（星期六）上班; 10月1日至7日放假
    assert D(2024, 9, 14).weekday() == 5 and cal24.is_working_day(D(2024, 9, 14))
    assert not cal24.is_working_day(D(2024, 10, 3))
    assert cal24.is_working_day(D(2024, 2, 18))  # 春节调休: Sunday 2月18日上班
    assert not cal24.is_working_day(D(2024, 2, 16))
    assert not cal24.is_working_day(D(2024, 3, 2))  # an ordinary Saturday
    # 国办发明电〔2025〕7号: 1月4日（周日）上班
    cal25 = build_calendar(2025)
    assert D(2026, 1, 4).weekday() == 6 and cal25.is_working_day(D(2026, 1, 4))


def test_makeup_days_are_filtered_to_the_plan_years():
    cal = build_calendar(2024)
    assert cal.makeup_workdays and all(d.year in (2024, 2025) for d in cal.makeup_workdays)
    assert D(2024, 9, 14) in cal.makeup_workdays and D(2025, 1, 26) in cal.makeup_workdays


def test_window_between_spring_festivals():
    assert build_calendar(2024).window() == (D(2024, 2, 18), D(2025, 1, 27))
    start, stop = build_calendar(2025).window()
    assert start == D(2025, 2, 5) and stop == D(2026, 2, 14)


def test_status_official_and_provisional():
    assert build_calendar(2024).status() == "official"
    assert build_calendar(2024).is_official()
    c27 = build_calendar(2027)
    assert not c27.is_official() and "2027" in c27.status() and c27.status().startswith("provisional")
    # the arrangement is unknown: its days off beyond the statute and its make-up days are predicted
    assert c27.makeup_workdays and c27.makeup_workdays <= c27.predicted
    assert all(c27.holidays[d].endswith("（预计）") for d in c27.holidays)
    assert not build_calendar(2024).predicted and not build_calendar(2025).predicted


def _write_2027(tmp_path):
    d = tmp_path / "calendar"
    d.mkdir()
    (d / "2027.toml").write_text(
        'year = 2027\nsource = "test arrangement"\n'
        'days_off = ["2027-01-01", "2027-02-05..2027-02-13", "2027-10-01..2027-10-07"]\n'
        'makeup_workdays = ["2027-02-14", "2027-09-26"]\nclosed_days = ["2027-03-15"]\n', encoding="utf-8")
    (d / "2028.toml").write_text('days_off = ["2028-01-01", "2028-01-25..2028-02-01"]\n', encoding="utf-8")
    return d


def test_override_makes_2027_official(tmp_path):
    d = _write_2027(tmp_path)
    cal = build_calendar(2027, load_overrides(d))
    assert cal.is_official() and cal.status() == "official"
    assert cal.is_working_day(D(2027, 2, 14))  # a Sunday typed in as make-up day
    assert not cal.is_working_day(D(2027, 2, 12))  # a Friday typed in as day off
    assert cal.is_working_day(D(2027, 3, 15)) and not cal.is_exam_day(D(2027, 3, 15))  # local closed Monday: no exam, not a holiday
    assert cal.window()[0] == D(2027, 2, 14)


def test_calendar_command(capsys, tmp_path):
    assert main(["calendar", "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "2024-02-18 … 2025-01-27" in out and "2024-09-14" in out and "2024-10-03" in out
    assert "Calendar status: official" in out
    assert main(["calendar", "--year", "2027"]) == 0
    assert "PROVISIONAL" in capsys.readouterr().out
    assert main(["calendar", "--year", "2027", "--calendar-dir", str(_write_2027(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "Calendar status: provisional" not in out or "2028" in out


@pytest.mark.parametrize("body, key", [
    ('days_off = ["2027-02-30"]', "days_off"),
    ('days_off = ["2027-02-10..2027-02-01"]', "days_off"),
    ('holidays = []', "holidays"),
    ('days_off = ["2026-02-01"]', "days_off"),
    ('days_off = ["2027-02-01"]\nmakeup_workdays = ["2027-02-01"]', "days_off"),
])
def test_bad_override_names_key(tmp_path, body, key):
    f = tmp_path / "2027.toml"
    f.write_text(body + "\n", encoding="utf-8")
    with pytest.raises(PlannerError) as e:
        load_override(f)
    assert "2027.toml" in str(e.value) and key in str(e.value)


def test_year_out_of_range():
    with pytest.raises(PlannerError, match="outside the calendar"):
        build_calendar(1990)
