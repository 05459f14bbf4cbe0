"""notice.docx and revision.docx read back with python-docx: GB/T 9704 page, fonts, sections, tables (issue 12 items 1, 2)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm

from planner.errors import PlannerError
from planner.publish import tables as T
from planner.publish import wording as W
from planner.publish.ics import ics_files
from planner.publish.notice_docx import docx_to_pdf, notice_docx_bytes
from planner.publish.revision import revision_files, revision_rows


@pytest.fixture(scope="module")
def doc_bytes(plan2024, ctx2024) -> bytes:
    return notice_docx_bytes(plan2024, ctx2024, issued=dt.date(2024, 2, 10))


@pytest.fixture(scope="module")
def doc(doc_bytes):
    return docx.Document(io.BytesIO(doc_bytes))


def east_asia(run) -> str | None:
    rpr = run._r.rPr
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def body_paragraphs(doc) -> list:
    return [p for p in doc.paragraphs if p.text.strip()]


def table_text(table) -> list[list[str]]:
    return [["\n".join(p.text for p in c.paragraphs) for c in row.cells] for row in table.rows]


def test_page_is_gbt9704_a4_with_standard_margins(doc):
    sec = doc.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(0.5) and abs(sec.page_height - Mm(297)) < Mm(0.5)
    for side, mm in (("top_margin", 37), ("bottom_margin", 35), ("left_margin", 28), ("right_margin", 26)):
        assert abs(getattr(sec, side) - Mm(mm)) < Mm(0.5), side
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 22 lines on the type area
    footer_xml = sec.footer._element.xml + sec.even_page_footer._element.xml
    assert footer_xml.count("PAGE") == 2 and doc.settings.odd_and_even_pages_header_footer
    assert doc.sections[-2].orientation == 1  # 附件4 in landscape
    assert doc.sections[-1].orientation == 0  # the 版记 on a portrait last page


def test_title_recipients_sections_and_signature(doc, plan2024):
    paras = body_paragraphs(doc)
    assert [p.text for p in paras[:2]] == ["运城市应急管理局文件", "运应急发〔2024〕  号"]  # 版头, 发文字号 blank
    paras = paras[2:]
    title = paras[0]
    assert "2024年" in title.text and title.text.endswith("通知")
    assert east_asia(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    assert paras[1].text.endswith("：")  # 主送机关
    body = [p for p in paras if p.runs and east_asia(p.runs[-1]) == "仿宋_GB2312" and p.runs[-1].font.size.pt == 16]
    assert len(body) > 5
    letter = paras[:next(k for k, p in enumerate(paras) if p.text == "附件1")]  # the notice before its 附件
    heads = [p.text[:2] for p in letter if re.match(r"^[一二三四五六七八九十]、", p.text)]
    assert heads == [f"{c}、" for c in "一二三四五"[:len(heads)]] and len(heads) >= 4
    lead = next(p for p in paras if p.text.startswith("一、"))
    assert east_asia(lead.runs[0]) == "黑体"  # the lead sentence of a section
    text = "\n".join(p.text for p in paras)
    exams = sorted(s.exam_date for s in plan2024.sessions)
    assert f"首期考试{W.day_text(exams[0], 2024)}" in text and f"末期考试{W.day_text(exams[-1], 2024)}" in text
    assert "中午12点" in text and f"共安排考试{len(plan2024.sessions)}期" in text
    sign = [p for p in paras if p.alignment == 2]  # right-aligned
    assert [p.text for p in sign[-2:]] == ["运城市应急管理局", "2024年2月10日"]


def test_attachments_are_tables_with_repeating_header_and_unsplit_rows(doc, plan2024, ctx2024):
    labels = [p.text for p in doc.paragraphs if re.fullmatch(r"附件\d", p.text)]
    assert labels == ["附件1", "附件2", "附件3", "附件4"]
    atts = T.attachments(plan2024, ctx2024)
    assert len(doc.tables) == sum(len(a.sections) for a in atts) + 2  # + 附件4 and the 版记
    for table, att in zip(doc.tables, atts):
        rows = table_text(table)
        assert tuple(rows[0]) == W.PLAN_HEADERS
        assert rows[1:] == [[str(v) for v in r] for r in T.plan_rows(att.sections[0].sessions, 2024, ctx2024)]
    directory = table_text(doc.tables[-2])
    assert [r[1] for r in directory[1:]] == [r[1] for r in T.directory_rows(ctx2024.catalogue)]
    for table in doc.tables[:-1]:
        trs = table._tbl.findall(qn("w:tr"))
        assert trs[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in trs)
        assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in trs[1:])
    text = "\n".join(p.text for p in doc.paragraphs)
    for att in atts:
        for note in att.footnotes:
            assert note.split("\n")[0] in text


def test_deterministic_and_official_year_has_no_provisional_mark(doc_bytes, doc, plan2024, ctx2024):
    assert notice_docx_bytes(plan2024, ctx2024, issued=dt.date(2024, 2, 10)) == doc_bytes
    assert "暂定" not in "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize("year, note", [(2025, None), (2026, "2027年节假日安排尚未公布，日期为暂定"),
                                        (2027, "2027、2028年节假日安排尚未公布，日期为暂定")])
def test_provisional_calendar_marked_in_the_notice(solved, year, note):
    plan, ctx = solved(year)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(notice_docx_bytes(plan, ctx))).paragraphs)
    if note:
        assert note in text
    else:
        assert "暂定" not in text and "尚未公布" not in text


def test_planner_template_edits_the_body(plan2024, ctx2024):
    template = "# 关于{{ year }}年考试计划的通知\n\n> 各有关单位：\n\n## 一、安排。共{{ total }}期。\n\n@ 运城市应急管理局\n@ {{ issued }}\n"
    doc = docx.Document(io.BytesIO(notice_docx_bytes(plan2024, ctx2024, template=template)))
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    assert texts[2:5] == ["关于2024年考试计划的通知", "各有关单位：", f"一、安排。共{len(plan2024.sessions)}期。"]
    with pytest.raises(PlannerError, match="unknown value"):
        notice_docx_bytes(plan2024, ctx2024, template="{{ no_such_fact }}")
    with pytest.raises(PlannerError, match="row 2"):
        notice_docx_bytes(plan2024, ctx2024, template="ok\n{% if %}")


def test_shipped_template_is_package_data():
    from importlib.resources import files

    assert files("planner").joinpath("templates", "notice_body.md.j2").is_file()


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
def test_notice_pdf_by_libreoffice_is_deterministic(doc_bytes, plan2024):
    (a, note), (b, _) = docx_to_pdf(doc_bytes, dt.date(2024, 2, 10)), docx_to_pdf(doc_bytes, dt.date(2024, 2, 10))
    assert note == "" and a.startswith(b"%PDF") and a == b


# ----------------------------------------------------------------------------- revision notice

def _replanned(plan):
    """Three sessions changed: #24 moved a day, #30 to another site, managers #5 deadline only."""
    out = []
    for s in plan.sessions:
        if s.key == ("special_ops", 24):
            s = dataclasses.replace(s, exam_date=s.exam_date + dt.timedelta(days=1))
        elif s.key == ("special_ops", 30):
            s = dataclasses.replace(s, institution="huaan")
        elif s.key == ("managers", 5):
            s = dataclasses.replace(s, registration_deadline=s.registration_deadline - dt.timedelta(days=1))
        out.append(s)
    return plan.with_sessions(out)


def test_revision_lists_exactly_the_changed_sessions(plan2024, ctx2024):
    new = _replanned(plan2024)
    rows = revision_rows(plan2024, new, ctx2024)
    assert [(r[0], r[-1]) for r in rows] == [
        ("主要负责人和安管员\n第5期", "报名时间调整"),
        ("特种作业\n第24期", "考试时间调整"),
        # 聚腾 → 华安: 华安 does not examine four of 聚腾's electrical types, whose candidates must register elsewhere
        ("特种作业\n第30期", "考试地点调整（调整后考点不承担继电保护作业、电力电缆作业、高压试验作业等4项考试，已报名的上述项目考生须改报"
                           "其他期次）"),
    ]
    files = revision_files(plan2024, new, ctx2024, {"*": "工作需要"})
    d = docx.Document(io.BytesIO(files["revision.docx"]))
    table = table_text(d.tables[0])
    # each change's row, then its reason across the table's width (audit P: a sixth column was four characters wide)
    assert len(table) == 1 + 2 * 3 and table[0][1:4] == ["原报名截止\n原考试时间", "原考试地点", "调整后报名截止\n调整后考试时间"]
    assert table[3][1:4] == ["7月26日前\n7月31日", "永济市新世纪安全培训有限公司", "7月26日前\n8月1日"]
    assert set(table[4]) == {"调整原因：考试时间调整"}
    assert d.tables[0]._tbl.findall(qn("w:tr"))[0].trPr.find(qn("w:tblHeader")) is not None
    assert "3个期次" in "\n".join(p.text for p in d.paragraphs)
    assert revision_rows(plan2024, plan2024, ctx2024) == []


def test_ics_sequence_rises_for_changed_events_only(plan2024, ctx2024):
    from icalendar import Calendar

    new = _replanned(plan2024)
    old_ics = ics_files(plan2024, ctx2024)
    new_ics = ics_files(new, ctx2024, previous=old_ics)
    seq = {str(e["UID"]): int(e["SEQUENCE"]) for e in Calendar.from_ical(new_ics["plan.ics"]).walk("VEVENT")}
    changed = {u for u, n in seq.items() if n > 0}
    assert changed == {f"2024-{st}-{no}-{w}@planner.yuncheng-exams" for st, no in
                       (("managers", 5), ("special_ops", 24), ("special_ops", 30)) for w in ("exam", "deadline")}
    again = ics_files(new, ctx2024, previous=new_ics)  # publishing the same plan again changes nothing
    assert again["plan.ics"] == new_ics["plan.ics"]


def test_pdf_skipped_with_a_note_without_libreoffice(plan2024, ctx2024, monkeypatch, capsys):
    from planner.publish import pdfconvert
    from planner.publish.run import build_outputs

    monkeypatch.setattr(pdfconvert, "soffice", lambda: None)
    files = build_outputs(plan2024, ctx2024, charts=False, notice_pdf=True)
    assert "notice.docx" in files and "notice.pdf" not in files
    assert "LibreOffice (soffice) is not installed: notice.pdf not written" in capsys.readouterr().err


def test_cli_publish_revision_of(tmp_path, plan2024, capsys):
    from planner.cli import main
    from planner.plan import write_plan

    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    write_plan(plan2024, old)
    write_plan(_replanned(plan2024), new)
    assert main(["publish", str(old), "--revision-of", str(old), "--out", str(tmp_path / "x")]) == 2  # never published
    assert main(["publish", str(old), "--out", str(tmp_path / "pub"), "--no-pdf", "--no-charts"]) == 0
    old = tmp_path / "pub" / "notice.xlsx"  # the plan as published: its set says its title
    code = main(["publish", str(new), "--out", str(tmp_path / "out"), "--revision-of", str(old), "--no-pdf",
                 "--no-charts", "--allow-violations", "--reason", "工作需要", "--issued", "2024-06-20"])
    assert code == 0
    d = docx.Document(str(tmp_path / "out" / "revision.docx"))
    assert len(d.tables[0].rows) == 1 + 2 * 3  # each change and its reason
    text = "\n".join(p.text for p in d.paragraphs)
    assert "因工作需要" in text and "2024年6月20日" in text
    assert (tmp_path / "out" / "revision.xlsx").is_file()
    assert main(["publish", str(new), "--out", str(tmp_path / "o2"), "--issued", "2024-13-01"]) == 2


def test_revision_reasons_from_the_replan(tmp_path, ctx2024, plan2024):
    """changes.csv of planner replan gives each changed session its reason, said truly in Chinese."""
    from planner.commands.publish_cmd import replan_reasons
    from planner.compare import Change, to_csv
    from planner.publish.revision import row_reason
    from planner.replan import REPLAN_HEADER

    blank = [""] * 9
    rows = [["moved", "special_ops", "24", *blank, "institution_open", "institution_open: xinshiji is closed"],
            ["moved", "special_ops", "25", *blank, "stream_spacing",
             "knock-on of special_ops #24 (xinshiji → huaan): kept as published it would break stream_spacing: …"],
            ["moved", "special_ops", "26", *blank, "", ""]]
    (tmp_path / "changes.csv").write_text(to_csv(rows, REPLAN_HEADER), encoding="utf-8")
    got = replan_reasons(tmp_path / "changes.csv")
    assert sorted(got) == [("special_ops", 24), ("special_ops", 25)]
    s24, s25 = plan2024.by_key()[("special_ops", 24)], plan2024.by_key()[("special_ops", 25)]
    moved24 = Change("special_ops", 24, "moved", s24, dataclasses.replace(s24, institution="huaan"))
    moved25 = Change("special_ops", 25, "moved", s25, dataclasses.replace(s25, institution="juteng"))
    assert row_reason(moved24, got[("special_ops", 24)], ctx2024) == "新世纪考点暂停考试"
    assert row_reason(moved25, got[("special_ops", 25)], ctx2024) == "第24期调整后，避免同一考点同类考试间隔过近"
    assert replan_reasons(tmp_path / "none.csv") == {}


class _NeverKeeps(dict):
    def __setitem__(self, key, value) -> None:  # every paragraph built element by element
        pass


@pytest.mark.parametrize("year, flag", [(2025, ""), (2027, "未通过规则检查")])
def test_copied_paragraphs_are_the_xml_of_built_ones(solved, monkeypatch, year, flag):
    """The notice copies a finished paragraph per formatting (notice_docx._PARA_TEMPLATES); the bytes must
    be those of building every paragraph, in an official and a provisional, flagged year."""
    import planner.publish.notice_docx as N

    plan, ctx = solved(year)
    monkeypatch.setattr(N, "_PARA_TEMPLATES", {})
    copied = notice_docx_bytes(plan, ctx, flag)
    assert len(N._PARA_TEMPLATES) > 3  # the copy path ran
    monkeypatch.setattr(N, "_PARA_TEMPLATES", _NeverKeeps())
    assert notice_docx_bytes(plan, ctx, flag) == copied


def test_a_second_revision_into_a_new_folder_counts_on_from_the_first_s_sequence(tmp_path, plan2024):
    """publish --revision-of OLD into a new folder read the calendars of the folder only, else rebuilt OLD's at
    SEQUENCE 0: a second revision's changed events kept the first's SEQUENCE, and calendar apps could ignore them.
    The calendars published beside OLD are now what it counts on from."""
    import dataclasses

    from icalendar import Calendar

    from planner.cli import main
    from planner.plan import write_plan

    def moved(plan, days):
        return plan.with_sessions([dataclasses.replace(s, exam_date=s.exam_date + dt.timedelta(days=days))
                                   if s.key == ("special_ops", 24) else s for s in plan.sessions])

    def sequence(folder):
        cal = Calendar.from_ical((folder / "plan.ics").read_bytes())
        ev = next(e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("2024-special_ops-24-exam"))
        return int(ev["SEQUENCE"]), ev.decoded("DTSTART")

    opts = ["--no-pdf", "--no-charts", "--allow-violations"]
    write_plan(plan2024, tmp_path / "v1.csv")
    assert main(["publish", str(tmp_path / "v1.csv"), "--out", str(tmp_path / "p1"), *opts]) == 0
    v2, v3 = moved(plan2024, 1), moved(plan2024, 2)
    write_plan(v2, tmp_path / "v2.csv")
    write_plan(v3, tmp_path / "v3.csv")
    assert main(["publish", str(tmp_path / "v2.csv"), "--out", str(tmp_path / "p2"), "--revision-of",
                 str(tmp_path / "p1" / "notice.xlsx"), *opts]) == 0
    assert main(["publish", str(tmp_path / "v3.csv"), "--out", str(tmp_path / "p3"), "--revision-of",
                 str(tmp_path / "p2" / "notice.xlsx"), *opts]) == 0
    assert [sequence(tmp_path / f"p{i}")[0] for i in (1, 2, 3)] == [0, 1, 2]
    assert sequence(tmp_path / "p3")[1] == v3.by_key()[("special_ops", 24)].exam_date
