"""The published 2024 plan passes every rule; each mutated copy is caught by the right rule and only that one."""
from __future__ import annotations

import datetime as dt

import pytest

from planner.check import check_plan
from planner.plan import Session

from conftest import mutate

D = dt.date


def test_published_2024_plan_passes(plan2024, ctx2024):
    report = check_plan(plan2024, ctx2024)
    assert report.ok and report.violations == []
    assert len(plan2024.stream("managers")) == 11 and len(plan2024.stream("special_ops")) == 48
    assert set(report.per_rule) >= {"working_day", "registration_gap", "daily_cap", "rotation", "scope",
                                    "site_spacing", "plan_window", "session_count", "numbering", "coverage"}


def _swap_sites(plan, a, b):
    sa, sb = plan.by_key()[a], plan.by_key()[b]
    return mutate(mutate(plan, a, institution=sb.institution), b, institution=sa.institution)


def _swap_dates(plan, a, b):
    sa, sb = plan.by_key()[a], plan.by_key()[b]
    p = mutate(plan, a, exam_date=sb.exam_date, registration_deadline=sb.registration_deadline)
    return mutate(p, b, exam_date=sa.exam_date, registration_deadline=sa.registration_deadline)


def _drop(plan, key):
    return plan.with_sessions([s for s in plan.sessions if s.key != key])


M, S = "managers", "special_ops"
MUTATIONS = {
    # name: (mutation, the one rule expected to object, sessions it names)
    "exam on a National Day holiday": (lambda p: mutate(p, (M, 8), exam_date=D(2024, 10, 3)), "working_day", {(M, 8)}),
    "exam on an ordinary Saturday": (lambda p: mutate(p, (S, 10), exam_date=D(2024, 4, 13)), "working_day", {(S, 10)}),
    "3-day registration gap": (lambda p: mutate(p, (M, 1), registration_deadline=D(2024, 3, 3)), "registration_gap",
                               {(M, 1)}),
    "deadline after the exam": (lambda p: mutate(p, (S, 5), registration_deadline=D(2024, 3, 9)), "registration_gap",
                                {(S, 5)}),
    "two exams on one day": (lambda p: mutate(p, (M, 2), exam_date=D(2024, 4, 11)), "daily_cap", {(M, 2), (S, 10)}),
    "two rotation sites swapped": (lambda p: _swap_sites(p, (S, 6), (S, 7)), "rotation", None),
    "managers at another site": (lambda p: mutate(p, (M, 1), institution="juteng"), "scope", {(M, 1)}),
    "session after the next Spring Festival": (
        lambda p: mutate(p, (S, 48), exam_date=D(2025, 2, 10), registration_deadline=D(2025, 2, 5)), "plan_window",
        {(S, 48)}),
    "a managers session dropped": (lambda p: _drop(p, (M, 11)), "session_count", None),
    "期次 skips a number": (lambda p: _drop(p, (S, 48)).with_sessions(
        list(_drop(p, (S, 48)).sessions) + [Session(**{**p.by_key()[(S, 48)].__dict__, "no": 49})]), "numbering",
        None),
    "期次 out of date order": (lambda p: _swap_dates(p, (M, 4), (M, 5)), "numbering", None),
    "unknown 考试类别": (lambda p: mutate(p, (S, 10), kind="特种作业人员初训"), "kind", {(S, 10)}),
    "deadline inside National Day": (lambda p: mutate(p, (M, 8), registration_deadline=D(2024, 10, 2)),
                                     "holiday_deadline", {(M, 8)}),
    "two managers' sessions 9 days apart": (
        lambda p: mutate(p, (M, 5), exam_date=D(2024, 6, 27), registration_deadline=D(2024, 6, 22)), "stream_spacing",
        {(M, 5)}),
    "two exams at one site on consecutive days": (lambda p: mutate(p, (M, 1), exam_date=D(2024, 3, 7)),
                                                  "site_spacing", None),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_caught_by_exactly_its_rule(name, plan2024, ctx2024):
    mutation, rule, keys = MUTATIONS[name]
    report = check_plan(mutation(plan2024), ctx2024)
    rules = {v.rule for v in report.violations if v.hard}
    assert rules == {rule}, [str(v) for v in report.violations]
    assert not report.ok
    if keys is not None:
        assert {(v.stream, v.no) for v in report.violations} == keys
    for v in report.violations:
        assert v.message and v.stream is not None


def test_rule_parameters_decide(plan2024, default_doc):
    """The same plan fails once a parameter is tightened below what 2024 shows."""
    from conftest import context_from_doc
    import copy

    cases = [("registration_gap", "min_days", 5), ("registration_gap", "max_days", 10), ("site_spacing", "min_days", 3),
             ("coverage", "max_days_between_opportunities", 40)]
    for rule, key, value in cases:
        doc = copy.deepcopy(default_doc)
        doc["rules"][rule][key] = value
        report = check_plan(plan2024, context_from_doc(doc))
        assert {v.rule for v in report.violations} == {rule}, (rule, key, value)
