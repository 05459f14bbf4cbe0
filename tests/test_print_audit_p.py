"""Audit P: the published set as it prints (notice.docx/.pdf, revision.docx/.pdf, report.html).

Four defects, each seen in the 2026 and 2027 plans and in a 2024 re-plan; the python-docx and HTML checks fail
on the code before, and so do the LibreOffice-rendered ones (skipped where LibreOffice is not installed).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil

import docx
import pytest
from docx.shared import Pt

from planner.publish import notice_docx as D
from planner.publish import wording as W
from planner.publish.notice_docx import fitted_widths, notice_docx_bytes
from planner.publish.revision import revision_files

from test_publish_print import to_pdf_pages

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(not SOFFICE or not shutil.which("pdftotext"),
                                  reason="LibreOffice (soffice) and poppler-utils are not installed")


@pytest.fixture(scope="module")
def notice(plan2024, ctx2024) -> bytes:
    return notice_docx_bytes(plan2024, ctx2024, issued=dt.date(2024, 2, 10))


def _paragraphs(data: bytes) -> list:
    return [p for p in docx.Document(io.BytesIO(data)).paragraphs]


def _replanned(plan, n: int = 9):
    """*n* special-ops sessions moved to 华安: enough rows to push the 落款 over a page."""
    moved = {s.key for s in plan.stream("special_ops") if s.institution != "huaan"}
    keep = sorted(moved)[:n]
    return plan.with_sessions([dataclasses.replace(s, institution="huaan") if s.key in keep else s
                               for s in plan.sessions])


# ------------------------------------------------------------------ 附件说明 (GB/T 9704 7.3.4)

def test_attachment_names_run_on_under_their_first_character(notice):
    """A long 附件 name goes on under its own first character, not under its number: each item hangs from the
    name's start (left indent 5 characters and the number's width), a tab after the number reaching it."""
    paras = _paragraphs(notice)
    at = next(k for k, p in enumerate(paras) if p.text.startswith("附件："))
    items = [paras[at]]
    for p in paras[at + 1:]:
        if not re.match(r"^\d+\.", p.text):
            break
        items.append(p)
    assert len(items) == 4 and items[0].text.startswith("附件：1.\t")
    for k, p in enumerate(items):
        pf = p.paragraph_format
        assert abs(pf.left_indent - Pt(D.BODY_PT * 6)) < Pt(0.1), p.text  # "附件：" 3 + 2 in, "1." 1
        start = pf.left_indent + pf.first_line_indent  # where the line's text starts
        assert abs(start - Pt(D.BODY_PT * (2 if k == 0 else 5))) < Pt(0.1), p.text
        assert re.search(r"\d\.\t", p.text), p.text
        assert [t.position for t in pf.tab_stops] == [pf.left_indent]


# ------------------------------------------------------------------ the 落款 never on a page without the body

def test_last_body_paragraph_keeps_with_the_attachments_and_signature(notice, plan2024, ctx2024):
    paras = [p for p in _paragraphs(notice) if p.text.strip()]
    at = next(k for k, p in enumerate(paras) if p.text.startswith("附件："))
    assert "咨询电话" in paras[at - 1].text and paras[at - 1].paragraph_format.keep_with_next

    files = revision_files(plan2024, _replanned(plan2024), ctx2024, {"*": "工作需要"})
    paras = [p for p in _paragraphs(files["revision.docx"]) if p.text.strip()]
    sig = next(k for k, p in enumerate(paras) if p.text == "运城市应急管理局")
    assert paras[sig - 1].paragraph_format.keep_with_next, paras[sig - 1].text


# ------------------------------------------------------------------ dates never split in a table cell

def test_printed_width_counts_the_space_between_chinese_and_digits():
    assert D.printed_chars("2027年1月8日") == 6 + 5 * D.AUTOSPACE_CHARS
    assert D.printed_chars("运城华安应急安全服务有限公司") == 14
    assert D.printed_chars("（2027）") == 4  # 1 + 2 + 1: none beside full-width punctuation


def test_date_columns_wide_enough_for_a_date_of_the_next_year():
    mm = D.TABLE_PT / 72 * 25.4
    rows = [["11", "2027年1月4日前", "2027年1月8日", "高危行业主要负责人、安管员", "运城华安应急安全服务有限公司", ""]]
    widths = fitted_widths(W.PLAN_HEADERS, rows, D.PLAN_COLS, 156, whole=(0, 1, 2))
    # 7 and 6 characters of text, and a quarter character at each of the 5 places Chinese meets a digit
    assert widths[1] >= (7 + 5 / 4) * mm + D.CELL_PAD_MM - 1e-9
    assert widths[2] >= (6 + 5 / 4) * mm + D.CELL_PAD_MM - 1e-9
    assert widths[5] >= 2 * mm + D.CELL_PAD_MM - 1e-9  # "备注" on one line
    assert abs(sum(widths) - 156) < 1e-6


#: a date in a table cell cut before its 日 ("2025 年 1 月 7" then "日" on the next line), or a 前 alone
CUT_DATE = re.compile(r"\d{4} 年 \d+ 月 \d+(?! ?日)")
LONE = re.compile(r"^\s*(前|日)(\s{2,}|$)")
#: the 署名's line (the 版头 reads 运城市应急管理局文件, the title 运城市应急管理局关于…)
SIGNATURE = re.compile(r"^\s*运城市应急管理局\s*$", re.M)


@needs_office
def test_notice_and_revision_print_dates_whole_and_the_signature_with_body_text(tmp_path, notice, plan2024, ctx2024):
    pages = to_pdf_pages(tmp_path, "notice.docx", notice)
    tables = [ln for page in pages if "期次" in page for ln in page.splitlines()]
    assert [ln for ln in tables if CUT_DATE.search(ln) or LONE.match(ln)] == []
    assert any(re.search(r"2025 年 1 月 \d+ 日前", ln) for ln in tables)  # the year's last rows are there
    signed = next(page for page in pages if SIGNATURE.search(page))
    assert "咨询电话见附件" in re.sub(r"\s", "", signed)  # the 落款's page holds the body's last lines

    files = revision_files(plan2024, _replanned(plan2024), ctx2024, {"*": "工作需要"})
    pages = to_pdf_pages(tmp_path, "revision.docx", files["revision.docx"])
    assert [ln for page in pages for ln in page.splitlines() if CUT_DATE.search(ln) or LONE.match(ln)] == []
    last = next(page for page in pages if SIGNATURE.search(page))
    assert "其余期次仍按原计划执行" in re.sub(r"\s", "", last) or "培训安排" in re.sub(r"\s", "", last)
    text = "\n".join(pages)
    assert "调整原因：" in text  # the reasons in rows of their own, the table's width


# ------------------------------------------------------------------ report.html printed

def test_report_directory_names_and_phones_never_wrap_on_paper(plan2024, ctx2024):
    from planner.check import check_plan
    from planner.report import CSS, report_html

    page = report_html(plan2024, ctx2024, check_plan(plan2024, ctx2024))
    table = page[page.index(W.DIRECTORY_TITLE):]
    table = table[:table.index("</table>")]
    head = re.findall(r"<th([^>]*)>([^<]*)</th>", table)
    assert {h for attrs, h in head if 'class="n"' in attrs} == {"序号", "联系电话", "负责人"}
    row = re.search(r"<tr><td[^>]*>1</td>.*?</tr>", table, re.S).group(0)
    cells = re.findall(r"<td([^>]*)>", row)
    assert ["n" in c for c in cells] == [True, False, False, False, True, True]
    assert ".n{white-space:nowrap}" in CSS and "td.l.n{white-space:pre}" in CSS
