"""report.html: self-contained, escaped, with KPIs, calendar status, check result and solver summary."""
from __future__ import annotations

import re
from dataclasses import replace

from planner.api import make_context
from planner.check import check_plan
from planner.report import report_html

from conftest import mutate


def test_self_contained(published):
    out, _ = published
    page = (out / "report.html").read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and "<script src" not in page and "@import" not in page
    assert page.count('src="data:image/svg+xml;base64,') == 3 and "data:image/png" not in page
    assert 'name="viewport"' in page and "@media print" in page and "@page{size:A4" in page
    for text in ("关键指标", "各考点每月场次", "报名间隔分布", "日历：正式", "规则检查：已通过", "运城市2024年特种作业人员考试计划表",
                 "2025年1月3日", "培训计划上传", "全市安全生产培训机构工作咨询电话"):
        assert text in page, text


def test_first_screen_then_tables_calendar_and_folded_technical_part(published):
    """Status first, then 附件2, 附件3 and the year calendar; hashes and solver data only inside 技术信息."""
    out, _ = published
    page = (out / "report.html").read_text("utf-8")
    order = [page.index(t) for t in ('class="status"', "附件2 运城市2024年", "附件3 运城市2024年", "全年考试日历</h2>",
                                      "关键指标", "<details><summary>技术信息")]
    assert order == sorted(order)
    technical = page[page.index("<details>"):]
    for t in ("规则检查（规则名为程序内部名称）", "求解摘要（summary.json）", "working_day"):
        assert t in technical and t not in page[:page.index("<details>")]
    assert "Plan file" not in technical and "计划文件：plan_2024.csv" in technical  # the name, never the folder
    assert "特种作业：每个轮转考点的场次 最少/最多" in page and "<b>4 / 4</b>" not in page  # 12 each in 2024
    assert "<b>12 / 12</b>" in page


def test_report_is_deterministic(published, plan2024, ctx2024):
    from planner.publish.run import build_outputs

    from planner.charts.style import clear_memo

    out, _ = published
    clear_memo()  # the charts it embeds drawn again, not served from the memo
    assert build_outputs(plan2024, ctx2024)["report.html"] == (out / "report.html").read_bytes()


def test_input_text_is_escaped(plan2024, catalogue):
    inst = catalogue.institutions["juteng"]
    evil = catalogue.with_institution(replace(inst, plan_name="<script>alert(1)</script>聚腾",
                                              address='"><img src=x onerror=alert(1)>'))
    ctx = make_context(2024, catalogue=evil)
    plan = mutate(plan2024, ("special_ops", 2), notes="<b>注意</b>")
    page = report_html(plan, ctx, check_plan(plan, ctx))
    assert page.count("<script") == 1 and "<script>alert" not in page  # only the page's own zoom script
    assert "<img src=x" not in page and "<b>注意" not in page
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
    assert '<div class="warn"><b>日历：暂定</b>2098年节假日安排尚未公布，日期为暂定' in page
    assert "日历：正式" not in page


def test_official_years_carry_no_provisional_mark(plan2024, ctx2024):
    page = report_html(plan2024, ctx2024, check_plan(plan2024, ctx2024))
    assert "暂定" not in page and "尚未公布" not in page
