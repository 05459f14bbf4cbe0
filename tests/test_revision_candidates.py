"""What a revision tells the candidates it moves (audit S): a session moved to a site that does not examine some of
its operation types, a registration deadline brought forward, a closure's reason said once, 估计 on the page.

Worked out by hand from 附件4 (constraints/scope.csv): 聚腾 examines 电力电缆作业, 继电保护作业, 电气试验作业,
防爆电气作业 and 制冷与空调作业 (2 types), 新世纪 none of these; 华安 examines every type 新世纪 does.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from planner.compare import diff_plans
from planner.plan import Session
from planner.publish import revision as R
from planner.publish.revision import detail_csv, detail_entries, notice_reason, revision_files, revision_rows, what_changed
from planner.replan import Reason

D = dt.date


def _moved(plan, stream, no, **kw):
    old = plan.by_key()[(stream, no)]
    new = dataclasses.replace(old, **kw)
    return plan.with_sessions([s for s in plan.sessions if s.key != old.key] + [new]), old


def _juteng_session(plan):
    return next(s for s in plan.sessions if s.stream == "special_ops" and s.institution == "juteng"
                and s.exam_date.month == 8)


def test_a_session_moved_to_a_site_without_its_operation_types_tells_their_candidates(ctx2024, plan2024):
    """A 聚腾 session moved to 新世纪: candidates registered for 电力电缆作业 (and 5 more types 聚腾 examines and 新世纪
    does not) cannot sit it there. The 调整通知's row, 调整明细 and the 调整 page (the same entries) say so."""
    s = _juteng_session(plan2024)
    new, old = _moved(plan2024, s.stream, s.no, institution="xinshiji")
    (c,) = diff_plans(plan2024, new)
    lost = R.lost_operations(c, ctx2024)
    assert set(lost) == {"elec_cable", "elec_relay", "elec_hv_test", "elec_explosion_proof", "refrig_operation",
                         "refrig_repair"}
    reasons = {(c.stream, c.no): Reason("institution_open", "closed", True)}
    (row,) = revision_rows(plan2024, new, ctx2024, reasons)
    assert "调整后考点不承担" in row[-1] and "等6项考试" in row[-1] and "须改报其他期次" in row[-1]
    entries = detail_entries([c], {}, ctx2024, 2024, lambda rule: rule)
    assert "调整后考点不承担" in entries[0]["reason"]
    assert "调整后考点不承担" in detail_csv(entries).decode("utf-8-sig")
    docx = revision_files(plan2024, new, ctx2024, reasons)["revision.docx"]
    import io

    import docx as python_docx

    cells = [cell.text for t in python_docx.Document(io.BytesIO(docx)).tables for r in t.rows for cell in r.cells]
    assert any("调整后考点不承担" in text and "已报名的上述项目考生须改报其他期次" in text for text in cells)


def test_a_move_to_a_site_that_examines_every_type_says_nothing_more(ctx2024, plan2024):
    s = next(s for s in plan2024.sessions if s.stream == "special_ops" and s.institution == "xinshiji")
    new, _ = _moved(plan2024, s.stream, s.no, institution="huaan")
    (c,) = diff_plans(plan2024, new)
    assert R.lost_operations(c, ctx2024) == []
    (row,) = revision_rows(plan2024, new, ctx2024, {})
    assert "不承担" not in row[-1]


def test_a_deadline_brought_forward_is_said(plan2024):
    """Moved earlier, the deadline comes earlier too: whoever meant to register by the published one must know."""
    s = _juteng_session(plan2024)
    earlier, _ = _moved(plan2024, s.stream, s.no, exam_date=s.exam_date - dt.timedelta(days=3),
                        registration_deadline=s.registration_deadline - dt.timedelta(days=3))
    later, _ = _moved(plan2024, s.stream, s.no, exam_date=s.exam_date + dt.timedelta(days=3),
                      registration_deadline=s.registration_deadline + dt.timedelta(days=3))
    both, _ = _moved(plan2024, s.stream, s.no, exam_date=s.exam_date - dt.timedelta(days=3),
                     registration_deadline=s.registration_deadline - dt.timedelta(days=3), institution="huaan")
    assert what_changed(diff_plans(plan2024, earlier)[0]) == "考试时间和报名时间调整"
    assert what_changed(diff_plans(plan2024, later)[0]) == "考试时间调整"
    assert what_changed(diff_plans(plan2024, both)[0]) == "考试时间、考试地点和报名时间调整"


def test_a_closure_reason_that_dates_itself_is_not_dated_twice(ctx2024, plan2024):
    """"新世纪考点整改不合格，自7月1日起停止考试" read "…停止考试，自7月1日起暂停考试"."""
    from planner.problem import Closure

    cl = Closure("xinshiji", D(2024, 7, 1), D(2024, 12, 31), "新世纪考点整改不合格，自7月1日起停止考试")
    ctx = dataclasses.replace(ctx2024, closures=(cl,))
    s = next(s for s in plan2024.sessions if s.institution == "xinshiji" and s.exam_date > D(2024, 7, 1))
    new, _ = _moved(plan2024, s.stream, s.no, institution="juteng")
    changes = diff_plans(plan2024, new)
    reasons = {(s.stream, s.no): Reason("institution_open", "closed", True)}
    text = notice_reason(changes, reasons, ctx, 2024)
    assert text == "新世纪考点整改不合格，自7月1日起停止考试" and text.count("7月1日") == 1
    plain = dataclasses.replace(ctx2024, closures=(dataclasses.replace(cl, reason="场地整改"),))
    assert notice_reason(changes, reasons, plain, 2024) == "新世纪考点场地整改，自7月1日起暂停考试"
