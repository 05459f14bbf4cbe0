"""The published set with candidates, as a stranger opens it (audit F), three defects reproduced twice:

1. sizing.csv called every figure 实际 for a bureau's registrations on estimated seats, while report.html of the
   same set says "实际，考位和未过再报比例为估计" (the seats, and the seated, waits and use they give, are estimates);
2. report.html's 求解摘要 printed summary.json's booleans as Python's ``True``/``False`` (and would print ``None``);
3. notice.pdf differed with the machine's time zone (LibreOffice's time stamp is shorter in UTC, and the in-place
   rewrite kept its length) and locale (under C.UTF-8 LibreOffice sets ①–⑦ off the character grid, with a gap),
   so the same inputs under TZ=America/New_York or LANG=zh_CN.UTF-8 gave other bytes.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
MIXED = "实际，考位和未过再报比例为估计"


@pytest.fixture(scope="module")
def registrations_on_estimated_seats(tmp_path_factory):
    """The 2024 plan as published, with a demand of status 实际 whose seats keep the estimate's basis: what
    ``planner demand import`` writes on the shipped estimate."""
    from planner.api import make_context
    from planner.data import load_catalogue, scenarios_dir
    from planner.demand import load_demand
    from planner.planio import read_plan

    text = (ROOT / "constraints" / "demand.toml").read_text("utf-8")
    assert '\nstatus = "估计"\n' in text
    path = tmp_path_factory.mktemp("demand") / "bureau.toml"
    path.write_text(text.replace('\nstatus = "估计"\n', '\nstatus = "实际"\n', 1), "utf-8")
    cat = load_catalogue()
    plan = read_plan(scenarios_dir() / "plan_2024.csv", cat)
    ctx = make_context(plan.year, catalogue=cat).with_demand(load_demand(path, cat))
    return plan, ctx


def test_sizing_csv_says_the_seats_are_estimated_as_report_html_does(registrations_on_estimated_seats):
    from planner.commands.size_cmd import sizing_csv
    from planner.queueing import CATEGORY_HEADER, evaluate
    from planner.demand import demand_origin
    from planner.report import demand_html

    plan, ctx = registrations_on_estimated_seats
    assert demand_origin(ctx.demand.demand)["label"] == MIXED  # the premise: candidates 实际, seats 估计
    sized = SimpleNamespace(result=SimpleNamespace(plan=plan), ctx=ctx)
    rows = list(csv.reader(io.StringIO(sizing_csv(sized).decode("utf-8-sig"))))
    assert rows[0] == CATEGORY_HEADER and len(rows) == 1 + len(evaluate(plan, ctx).categories)
    assert {r[-1] for r in rows[1:]} == {MIXED}
    # the very rows report.html's 考生与考位 shows
    page = demand_html(plan, ctx)
    for r in rows[1:]:
        assert "".join(f"<td>{c}</td>" for c in r[2:]) in page


def test_report_summary_shows_json_values_never_python_reprs():
    from planner.report import summary_html

    page = summary_html({"status": "OPTIMAL", "calendar_official": False, "conflict_minimal": True,
                         "start": None, "objective": 58, "gap": 0.0, "window": ["2024-02-18", "2025-01-27"]})
    cells = page.split("<td")
    assert not any(f">{word}</td>" in c for c in cells for word in ("True", "False", "None"))
    for shown in ("<td>status</td><td class=\"l\">OPTIMAL</td>", "<td class=\"l\">false</td>",
                  "<td class=\"l\">true</td>", "<td class=\"l\">null</td>", "<td class=\"l\">58</td>",
                  "<td class=\"l\">0.0</td>"):
        assert shown in page, shown


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize("tz, locale", [("America/New_York", "C.UTF-8"), ("UTC", "zh_CN.UTF-8")])
def test_notice_pdf_bytes_do_not_depend_on_the_machines_time_zone_or_locale(monkeypatch, tz, locale):
    """The same .docx gives the same PDF under another TZ (the time stamp's length) or locale (whether ① sits on
    the character grid)."""
    import docx

    from planner.publish.notice_docx import docx_to_pdf

    doc = docx.Document()
    doc.add_paragraph("4、各考试点详细地址：")
    doc.add_paragraph("①运城市华安应急安全服务有限公司地址：盐湖区凤凰谷南山湖畔")
    out = io.BytesIO()
    doc.save(out)
    pdfs = []
    for env in ({"TZ": "UTC", "LC_ALL": "C.UTF-8"}, {"TZ": tz, "LC_ALL": locale}):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        pdf, why = docx_to_pdf(out.getvalue(), issued=dt.date(2026, 12, 5), subs={})
        assert pdf is not None, why
        pdfs.append(pdf)
    assert pdfs[0] == pdfs[1]
