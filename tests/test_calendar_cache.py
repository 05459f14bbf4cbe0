"""The holidays library's answer kept on disk (``planner.calendar.library_answer``) is only a copy:
read back, it equals asking the library, for official and provisional years alike; a damaged or
unwritable cache costs only the time of asking again, and never changes a calendar."""
from __future__ import annotations

import json

import pytest

from planner import calendar as C

YEARS = [2001, 2008, 2015, 2020, 2023, 2024, 2025, 2026, 2027, 2030, 2050, 2098]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    C._build.cache_clear()
    yield tmp_path
    C._build.cache_clear()


def test_read_back_equals_the_library(cache):
    for year in YEARS:
        asked = C.ask_library(year)
        assert C.library_answer(year) == asked  # first call: asks and writes
        assert list(cache.glob(f"*-{year}.json")), year
        assert C.library_answer(year) == asked  # second call: read back


def test_calendars_built_from_the_cache_equal_those_built_without(cache, monkeypatch):
    fields = ("holidays", "makeup_workdays", "closed_days", "official", "new_year_days", "sources")
    for year in (2024, 2026, 2027, 2030):
        C.build_calendar(year)  # warms the cache
        C._build.cache_clear()
        cached = C.build_calendar(year)
        monkeypatch.setenv("PLANNER_CACHE_DIR", "")
        C._build.cache_clear()
        fresh = C.build_calendar(year)
        monkeypatch.setenv("PLANNER_CACHE_DIR", str(cache))
        C._build.cache_clear()
        assert [getattr(cached, f) for f in fields] == [getattr(fresh, f) for f in fields]


@pytest.mark.parametrize("damage", ["", "{not json", json.dumps({"days_off": {}}), json.dumps([1, 2]),
                                    json.dumps({"days_off": {"2025-13-01": "x"}, "makeup": [], "official": [],
                                                "new_year_days": {}}), "another year", "emptied"])
def test_a_damaged_cache_file_is_asked_again_and_rewritten(cache, damage):
    if damage == "another year":
        damage = json.dumps(C.ask_library(2024).to_json())
    elif damage == "emptied":
        damage = json.dumps({"days_off": {}, "makeup": [], "official": [], "new_year_days": {}})
    C.library_answer(2025)
    (path,) = cache.glob("*-2025.json")
    path.write_text(damage, encoding="utf-8")
    assert C.library_answer(2025) == C.ask_library(2025)
    assert C.LibraryAnswer.from_json(json.loads(path.read_text(encoding="utf-8"))) == C.ask_library(2025)


def test_an_unusable_cache_folder_is_left_alone(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(blocker / "planner"))
    assert C.library_answer(2025) == C.ask_library(2025)
    monkeypatch.setenv("PLANNER_CACHE_DIR", "")
    assert C.cache_dir() is None
    assert C.library_answer(2026) == C.ask_library(2026)
