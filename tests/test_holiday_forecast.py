"""The holiday prediction for a provisional year (``planner.holiday_forecast``): hand-worked cases, no
look-ahead, determinism, the back-test file and the README's figures, and a provisional year's plan
keeping exams and deadlines off the predicted days (the solver avoids them, ``check`` flags them)."""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
from dataclasses import replace
from pathlib import Path

import pytest

from planner import holiday_forecast as H

D = dt.date
ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("holiday_bench", ROOT / "benchmarks" / "holiday_forecast.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_national_day_on_a_friday_copies_the_last_friday_year():
    # worked by hand: 10月1日 2027 is a Friday, as in 2021 (国办发明电〔2020〕27号: 10月1日至7日放假调休，
    # 9月26日（星期日）、10月9日（星期六）上班); five weekdays off (1, 4-7) less three statutory days owe two.
    assert D(2027, 10, 1).weekday() == D(2021, 10, 1).weekday() == 4
    fc = H.predict(2027, tuple(range(2008, 2027)))
    assert fc.blocks["national_day"] == (D(2027, 10, 1), D(2027, 10, 7))
    assert fc.makeup_of["national_day"] == (D(2027, 9, 26), D(2027, 10, 9))
    assert fc.method["national_day"] == "analogue 2021"
    assert H._owed(fc.blocks["national_day"], H.statutory(2027)["national_day"]) == 2


def test_general_rule_worked_by_hand():
    # a one-day festival on a Tuesday, learned from a year that bridged a Tuesday (Sunday-Tuesday, one
    # make-up Saturday): the same bridge; on a Wednesday no bridge needs fewer than two make-up days, so the
    # day stays alone; a Friday joins its weekend for free.
    past = [H.Shape(2017, (1, (0,), 1), -2, 3, (-3,))]
    tue, wed, fri = D(2029, 6, 5), D(2029, 6, 6), D(2029, 6, 8)
    assert (tue.weekday(), wed.weekday(), fri.weekday()) == (1, 2, 4)
    assert H._general_rule((tue,), past) == (D(2029, 6, 3), tue)
    assert H._place_makeup((D(2029, 6, 3), tue), 1, set()) == [D(2029, 6, 2)]  # the Saturday touching it
    assert H._general_rule((wed,), past) == (wed, wed)
    assert H._general_rule((fri,), past) == (fri, D(2029, 6, 10))


def test_statutory_days_come_from_the_library():
    s = H.statutory(2027)
    assert s["spring_festival"][0] == D(2027, 2, 5)  # 除夕, from the library's lunar calendar
    assert len(s["spring_festival"]) == 4 and len(s["labour"]) == 2  # the 2024 revision of the statute
    assert "mid_autumn" not in H.statutory(2028) and len(H.statutory(2028)["national_day"]) == 4  # 10月3日


def test_no_look_ahead_and_deterministic():
    # a prediction of 2024 reads only years before it: adding later years changes nothing
    early = H.predict(2024, tuple(range(2008, 2024)))
    assert H.predict(2024, tuple(range(2008, 2027))) == early
    H._predict.cache_clear()
    assert H.predict(2024, tuple(range(2008, 2024))) == early


def test_backtest_file_is_what_the_code_gives_and_the_readme_quotes_it():
    bench = _bench()
    text = bench.table(bench.years())
    assert (ROOT / "benchmarks" / "RESULTS-holidays.md").read_text(encoding="utf-8") == text
    total = next(line for line in text.splitlines() if line.startswith("| **all**"))
    figures = re.findall(r"\*\*([^*]+)\*\*", total)[1:]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert figures and all(f in readme for f in figures), figures
    for zh, exact, n in re.findall(r"^\| (\S+) \| (\d+) of (\d+) \|", text, re.M):
        assert f"{zh} {exact}/{n}" in readme, zh


def test_backtest_beats_the_baseline_on_a_few_years():
    for y in (2021, 2024, 2026):
        s = H.score(y)
        assert s.off_hit > s.baseline_off_hit and s.off_hit / s.off_predicted >= 0.9
        assert s.blocks["national_day"][0] and s.blocks["qingming"][0]


@pytest.fixture(scope="module")
def provisional():
    from planner import make_context, solve

    ctx = make_context(2027)
    res = solve(ctx, time_limit=10)
    return ctx, res.plan


def test_a_provisional_plan_keeps_off_the_predicted_days(provisional):
    from planner.rules.holiday_deadline import HolidayDeadline

    ctx, plan = provisional
    cal = ctx.calendar
    off = {d for d in cal.predicted if d in cal.holidays}
    made_up = {d for d in cal.predicted if d in cal.makeup_workdays}
    assert off and made_up
    assert not {s.exam_date for s in plan.sessions} & (off | made_up)
    national = set(cal.days(D(2027, 10, 1), D(2027, 10, 7)))
    assert national <= set(ctx.ruleset.rule(HolidayDeadline.name).blocked(ctx))
    assert not {s.registration_deadline for s in plan.sessions} & national


def test_check_flags_an_exam_on_a_predicted_day(provisional):
    from planner import check_plan

    ctx, plan = provisional
    cal = ctx.calendar
    s = plan.sessions[0]
    for day in (D(2027, 10, 6), min(d for d in cal.predicted if d in cal.makeup_workdays and d > s.exam_date)):
        moved = plan.with_sessions([replace(s, exam_date=day, registration_deadline=day - dt.timedelta(days=5))]
                                   + [o for o in plan.sessions if o is not s])
        rules = {v.rule for v in check_plan(moved, ctx).violations}
        assert "working_day" in rules, day


def test_predicted_days_are_marked_where_the_planner_sees_them(provisional):
    from planner.publish.checklist import checklist_items
    from planner.web import views

    ctx, plan = provisional
    cells = {c["iso"]: c for m in views.months(plan, ctx, {}) for w in m["weeks"] for c in w if c}
    assert cells["2027-10-06"]["mark"] == "预计休" and "predicted" in cells["2027-10-06"]["classes"]
    assert cells["2027-09-26"]["mark"] == "预计班"
    items = "\n".join(checklist_items(plan, ctx))
    assert "预计放假" in items and "国庆节10月1日至7日" in items and "9月26日" in items
    from planner import make_context, solve

    ctx25 = make_context(2025)
    plan25 = solve(ctx25, time_limit=10).plan
    cells25 = [c for m in views.months(plan25, ctx25, {}) for w in m["weeks"] for c in w if c]
    assert not any("预计" in c["mark"] for c in cells25) and "预计" not in "".join(checklist_items(plan25, ctx25))


def test_both_faces_agree_on_predicted_days(provisional):
    from test_faces import assert_faces_agree

    ctx, plan = provisional
    cal = ctx.calendar
    made_up = sorted(d for d in cal.predicted if d in cal.makeup_workdays and ctx.window[0] < d < ctx.window[1])
    plans = []
    for i, day in enumerate([D(2027, 10, 6), D(2027, 10, 4), *made_up[:3]]):
        s = plan.sessions[10 + 5 * i]
        plans.append(plan.with_sessions([replace(s, exam_date=day, registration_deadline=day - dt.timedelta(days=6))]
                                        + [o for o in plan.sessions if o is not s]))
    assert assert_faces_agree(ctx, plans) >= len(plans)  # each breaks working_day at least, in both faces
