"""report.html: self-contained, escaped, with KPIs, calendar status, check result and solver summary."""
from __future__ import annotations

import re
from dataclasses import replace

from planner.api import make_context
from planner.check import check_plan
from planner.report import report_html
from test_publish_support import published  # noqa: F401 (fixture)

from conftest import mutate


def test_self_contained(published):
    out, _ = published
    page = (out / "report.html").read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert page.count('src="data:image/png;base64,') == 3
    assert 'name="viewport"' in page and "@media print" in page
    for text in ("关键指标", "各考点每月场次", "报名间隔分布", "日历状态", "通过规则检查", "运城市2024年特种作业人员考试计划表",
                 "2025年1月3日", "培训计划上传", "全市安全生产培训机构工作咨询电话"):
        assert text in page, text


def test_report_is_deterministic(published, plan2024, ctx2024):
    from planner.publish.run import build_outputs

    out, _ = published
    assert build_outputs(plan2024, ctx2024)["report.html"] == (out / "report.html").read_bytes()


def test_input_text_is_escaped(plan2024, catalogue):
    inst = catalogue.institutions["juteng"]
    evil = catalogue.with_institution(replace(inst, plan_name="<script>alert(1)</script>聚腾",
                                              address='"><img src=x onerror=alert(1)>'))
    ctx = make_context(2024, catalogue=evil)
    plan = mutate(plan2024, ("special_ops", 2), notes="<b>注意</b>")
    page = report_html(plan, ctx, check_plan(plan, ctx))
    assert "<script" not in page and "<img" not in page and "<b>注意" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;聚腾" in page and "&lt;b&gt;注意&lt;/b&gt;" in page


def test_violations_and_summary_shown(plan2024, ctx2024):
    import datetime as dt

    bad = mutate(plan2024, ("special_ops", 5), exam_date=dt.date(2024, 3, 9))
    summary = {"status": "OPTIMAL", "objective": 42, "solve_seconds": 1.2345, "objective_parts": {"spread": 1}}
    page = report_html(bad, ctx2024, check_plan(bad, ctx2024), summary=summary, flag="未通过规则检查（1处）")
    assert 'class="flag"' in page and "special_ops #5" in page and "working_day" in page
    assert "OPTIMAL" in page and "42" in page and "1.2345" not in page  # wall-clock time left out


def test_provisional_calendar_status():
    import datetime as dt

    from planner.plan import Plan, Session

    ctx = make_context(2098)  # no official arrangement: the report must say the calendar is provisional
    plan = Plan(2098, (Session("managers", 1, dt.date(2098, 3, 2), dt.date(2098, 3, 6), "huaan",
                               "高危行业主要负责人、安管员"),))
    page = report_html(plan, ctx, check_plan(plan, ctx))
    assert 'class="warn">日历为暂定：provisional' in page
