"""What leaves the office (issue 19): no note for the planner in any outgoing file, the checklist beside them."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile

import pytest

from planner.publish.checklist import CHECKLIST_FILE, checklist_items
from planner.publish.run import build_outputs

HAS_SOFFICE = bool(shutil.which("soffice") or shutil.which("libreoffice"))


def texts(name: str, data: bytes) -> list[tuple[str, str]]:
    """(where, text) of a published file: each member of a docx/xlsx, a PDF's text (pdftotext), else the bytes."""
    if name.endswith((".docx", ".xlsx")):  # XML members, character references resolved (openpyxl writes &#26242;)
        import html

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [(f"{name}:{m}", html.unescape(z.read(m).decode("utf-8", "replace"))) for m in z.namelist()]
    if name.endswith(".pdf"):
        if not shutil.which("pdftotext"):
            return []
        out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, timeout=60, check=True)
        return [(name, out.stdout.decode("utf-8", "replace"))]
    return [(name, data.decode("utf-8", "replace"))]


def outgoing(files: dict[str, bytes]) -> list[tuple[str, str]]:
    return [t for name, data in sorted(files.items()) if name != CHECKLIST_FILE for t in texts(name, data)]


@pytest.fixture(scope="session")
def set2027(solved):
    """2027 (a provisional year whose 附件1 list is carried over from 2024): the whole set, PDFs included
    where LibreOffice is installed."""
    plan, ctx = solved(2027)
    return build_outputs(plan, ctx, notice_pdf=HAS_SOFFICE, wall_calendar=True)


def test_no_planner_note_in_any_outgoing_file(set2027, solved):
    plan, ctx = solved(2027)
    assert ctx.catalogue.materials_review  # the year does carry an unconfirmed list
    leaks = [where for where, text in outgoing(set2027) if "待核定" in text or "须按当年施行的规定核对" in text]
    assert leaks == []
    assert len(outgoing(set2027)) > 20  # the grep did read the set (zip members, CSVs, calendars, charts)
    # the note is on the planner's checklist instead
    checklist = set2027[CHECKLIST_FILE].decode("utf-8")
    assert "待核定" in checklist and "constraints/materials/2027.toml" in checklist
    assert checklist_items(plan, ctx) and all(item in checklist for item in checklist_items(plan, ctx))
    # the regulation's unconfirmed facts (constraints/regulation.toml) likewise: listed, never published
    from planner.regulation import pending_items

    facts = pending_items(ctx.catalogue, ctx.window)
    assert facts and all(item in checklist for item in facts)
    assert [where for where, text in outgoing(set2027) if REGULATION_NOTE.search(text)] == []
    assert [where for where, text in outgoing(set2027) if "特种作业人员初训、换证" in text] == []  # 待核定 wording


#: words only the regulation's notes for the planner use (its sources and the checklist's lines)
REGULATION_NOTE = re.compile("待核定|工人日报|拟定：|规章原文|regulation\\.toml")


def test_a_year_spanning_the_change_prints_no_pending_wording_and_no_note(solved):
    """2026: 附件3 says 初、复训 before 6月1日 and, the revised rules' wording being 待核定, the last confirmed one
    (Order No. 30's) from then on too; neither that wording nor any note leaves the office, the checklist has both."""
    from planner.regulation import of_catalogue

    plan, ctx = solved(2026)
    files = build_outputs(plan, ctx, notice_pdf=False, wall_calendar=False)
    assert [where for where, text in outgoing(files) if REGULATION_NOTE.search(text)] == []
    pending = {k for g in of_catalogue(ctx.catalogue).regimes if g.facts["kinds"].pending
               for ks in g.facts["kinds"].value.values() for k in ks}
    assert pending and [(where, k) for where, text in outgoing(files) for k in pending if k in text] == []
    split = dt.date(2026, 6, 1)
    rows = {s.exam_date: s for s in plan.stream("special_ops")}
    assert any(d < split for d in rows) and any(d >= split for d in rows)
    sessions = json.loads(files["plan.json"])["sessions"]
    for js in (j for j in sessions if j["stream"] == "special_ops"):
        assert js["kind"] in ("特种作业人员初、复训", "特种作业人员复训"), js
    checklist = files[CHECKLIST_FILE].decode("utf-8")
    assert "2026年6月1日" in checklist and "附件3考试类别写法" in checklist and "附件3对外不印制此写法" in checklist


def test_confirmed_year_has_no_materials_item(plan2024, ctx2024, solved):
    assert not any("附件1" in item for item in checklist_items(plan2024, ctx2024))
    plan, ctx = solved(2025)  # 2025 has no list of its own: 2024's, carried over, is on the checklist
    assert any("沿用2024年清单" in item for item in checklist_items(plan, ctx))


def test_cli_warns_once_and_still_publishes(tmp_path, capsys, solved):
    from planner.cli import main
    from planner.plan import plan_to_csv

    src = tmp_path / "plan.csv"
    src.write_text(plan_to_csv(solved(2025)[0]), encoding="utf-8")
    assert main(["publish", str(src), "--out", str(tmp_path / "o"), "--no-charts", "--no-pdf"]) == 0
    err = capsys.readouterr().err
    assert (tmp_path / "o" / "notice.docx").is_file() and (tmp_path / "o" / CHECKLIST_FILE).is_file()
    assert [line for line in err.splitlines() if CHECKLIST_FILE in line] == [line for line in err.splitlines()
                                                                            if line.startswith("warning")]
    assert err.count(CHECKLIST_FILE) == 1


# ----------------------------------------------------------------------------- GB/T 9704 form (issue 19 items 1, 2, 4)

SECTIONS = """<!-- a test file: the levels, not policy text -->
# 二、第一节。正文一。
## 小节甲。正文。
### 条目。正文。
#### 细目。正文。
## （二）小节乙。正文。
# 第二节。正文二。
一段正文。
"""


@pytest.fixture(scope="module")
def paper2025(solved, tmp_path_factory):
    """2025's notice.docx with the bureau's sections, a 发文字号 and a 成文日期, as a python-docx Document."""
    import datetime as dt

    import docx

    from planner.publish.letterhead import read_sections
    from planner.publish.notice_docx import Paper, notice_docx_bytes

    plan, ctx = solved(2025)
    f = tmp_path_factory.mktemp("sec") / "2025.md"
    f.write_text(SECTIONS, encoding="utf-8")
    paper = Paper(issued=dt.date(2025, 2, 10), document_number="12", sections=read_sections(f, 2025))
    data = notice_docx_bytes(plan, ctx, paper=paper)
    return data, docx.Document(io.BytesIO(data))


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name).decode("utf-8")


def test_letterhead_and_record(paper2025):
    from docx.oxml.ns import qn

    data, doc = paper2025
    paras = [p for p in doc.paragraphs if p.text.strip()]
    mark, number = paras[0], paras[1]
    assert mark.text == "运城市应急管理局文件" and str(mark.runs[0].font.color.rgb) == "FF0000"
    assert mark.paragraph_format.space_before.mm > 25  # 35 mm under the type area's top edge
    assert number.text == "运应急发〔2025〕12号"
    bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"  # the red separator
    record = doc.tables[-1]
    assert [c.text for c in record.rows[-1].cells][-1] == "2025年2月10日印发"
    borders = record._tbl.tblPr.find(qn("w:tblBorders"))
    assert int(borders.find(qn("w:top")).get(qn("w:sz"))) > int(borders.find(qn("w:insideH")).get(qn("w:sz"))) > 0
    sign = [p.text for p in doc.paragraphs if p.alignment == 2][-2:]
    assert sign == ["运城市应急管理局", "2025年2月10日"]  # 成文日期 in Arabic numerals, no leading zeros


def test_bureau_sections_take_the_standard_levels(paper2025):
    _, doc = paper2025
    texts = [p.text for p in doc.paragraphs]
    letter = texts[:next(k for k, t in enumerate(texts) if t.startswith("附件："))]
    heads = [t.split("。")[0] for t in letter if re.match(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.|（\d+）)", t)]
    assert heads[:7] == ["一、第一节", "（一）小节甲", "1.条目", "（1）细目", "（二）小节乙", "二、第二节", "三、考试安排"]
    assert "一段正文。" in letter
    assert heads[-1] == "七、咨询电话"  # the generated sections continue the numbering


def test_sections_placeholder_and_bad_files(tmp_path):
    from planner.data import constraints_dir
    from planner.errors import PlannerError
    from planner.publish.letterhead import read_sections

    assert read_sections(constraints_dir() / "notice" / "sections" / "TEMPLATE.md", 2025) == ()
    assert read_sections(None, 1999) == ()  # no file for the year
    bad = tmp_path / "bad.md"
    bad.write_text("# 一节。\n### 跳级。\n", encoding="utf-8")
    with pytest.raises(PlannerError, match="row 2"):
        read_sections(bad, 2025)


def test_language_fonts_and_grid(paper2025):
    from planner.publish.notice_docx import BODY_PT, FALLBACKS, char_spacing_twips

    data, doc = paper2025
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        everything = "".join(z.read(n).decode("utf-8", "replace") for n in names if n.endswith((".xml", ".rels")))
    assert "ja-JP" not in everything and "python-docx" not in everything and "Macintosh" not in everything
    assert "docProps/thumbnail.jpeg" not in names
    assert 'w:eastAsia="zh-CN"' in part(data, "word/styles.xml")
    assert re.search(r'<w:themeFontLang [^>]*w:eastAsia="zh-CN"', part(data, "word/settings.xml"))
    assert '<a:ea typeface="宋体"/>' in part(data, "word/theme/theme1.xml")
    fonts = part(data, "word/fontTable.xml")
    for name, alts in FALLBACKS.items():
        assert re.search(f'<w:font w:name="{name}"><w:altName w:val="{alts[0]}"/><w:charset w:val="86"/>', fonts)
    assert FALLBACKS["方正小标宋简体"][:2] == ("华文中宋", "宋体") and FALLBACKS["仿宋_GB2312"][0] == "仿宋"
    assert "Serif CJK SC" in FALLBACKS["仿宋_GB2312"][-1] and "Sans CJK SC" in FALLBACKS["黑体"][-1]
    sec = doc.sections[0]
    from docx.oxml.ns import qn

    assert sec._sectPr.find(qn("w:docGrid")).get(qn("w:linePitch")) == "579"  # 22 lines
    width_pt = (sec.page_width - sec.left_margin - sec.right_margin) / 12700
    advance = BODY_PT + char_spacing_twips() / 20
    assert advance * 28 <= width_pt < advance * 29  # 28 characters a line
    assert f'<w:spacing w:val="{char_spacing_twips()}"/>' in part(data, "word/styles.xml")
    cp = doc.core_properties
    assert cp.author == "运城市应急管理局" and cp.title.startswith("运城市应急管理局关于印发2025年")
    assert cp.created.date().isoformat() == "2025-02-10"


def test_issued_never_in_the_future(tmp_path, capsys):
    import datetime as dt

    from planner.cli import main
    from planner.data import scenarios_dir

    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    code = main(["publish", str(scenarios_dir() / "plan_2024.csv"), "--out", str(tmp_path / "o"), "--no-charts",
                 "--issued", tomorrow])
    assert code == 2 and "future" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_pdf_stand_ins_are_serif_and_sans_cjk_sc():
    from planner.publish.notice_docx import substitutes

    have = frozenset({"Noto Serif CJK SC", "Noto Sans CJK SC", "DejaVu Sans"})
    subs = substitutes(have)
    assert subs["方正小标宋简体"] == subs["仿宋_GB2312"] == "Noto Serif CJK SC" and subs["黑体"] == "Noto Sans CJK SC"
    assert substitutes(have | {"仿宋"})["仿宋_GB2312"] == "仿宋"
    assert "仿宋_GB2312" not in substitutes(have | {"仿宋_GB2312"})
    assert substitutes(None) == {}


@pytest.mark.skipif(not (HAS_SOFFICE and shutil.which("pdffonts")), reason="LibreOffice or pdffonts not installed")
def test_pdf_fonts(set2027):
    from planner.publish.notice_docx import installed_fonts, substitutes

    out = subprocess.run(["pdffonts", "-"], input=set2027["notice.pdf"], capture_output=True, timeout=60)
    if out.returncode:  # older poppler reads no stdin
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(set2027["notice.pdf"])
            f.flush()
            out = subprocess.run(["pdffonts", f.name], capture_output=True, timeout=60, check=True)
    names = [line.split()[0].split("+")[-1] for line in out.stdout.decode().splitlines()[2:] if line.strip()]
    cjk = [n for n in names if "CJK" in n]
    assert cjk and all("Serif" in n or "Sans" in n for n in cjk)
    if substitutes(installed_fonts()):  # no official fonts here: title and body in the serif stand-in
        assert any("SerifCJK" in n for n in cjk)


# ----------------------------------------------------------------------------- print (issue 19 item 5)

@pytest.mark.parametrize("year", [2025, 2027])
def test_wall_calendar_months_do_not_overprint(solved, year):
    """Each month's title and rows lie inside its own box, and the boxes do not overlap (a six-week month
    printed its title over the month above)."""
    from planner.charts import style as S
    from planner.charts.wall_calendar import draw

    plan, ctx = solved(year)
    with S.chart_style():
        fig = draw(plan, ctx)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
        boxes = [ax.get_window_extent(renderer) for ax in fig.axes]
        assert len(boxes) >= 12
        for ax, box in zip(fig.axes, boxes):
            for t in ax.texts:
                e = t.get_window_extent(renderer)
                assert box.x0 - 1 <= e.x0 and e.x1 <= box.x1 + 1 and box.y0 - 1 <= e.y0 and e.y1 <= box.y1 + 1, t.get_text()
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0


def test_directory_columns_hold_phones_and_names(catalogue):
    from planner.publish import tables as T
    from planner.publish import wording as W
    from planner.publish.notice_docx import CELL_PAD_MM, DIRECTORY_COLS, TABLE_PT, fitted_widths, text_chars

    rows = T.directory_rows(catalogue)
    widths = fitted_widths(W.DIRECTORY_HEADERS, rows, DIRECTORY_COLS, 225, (0, 4, 5))
    assert abs(sum(widths) - 225) < 0.01
    char_mm = TABLE_PT / 72 * 25.4
    for c in (4, 5):  # 联系电话, 负责人
        longest = max(text_chars(line) for r in rows for line in str(r[c]).split("\n"))
        assert widths[c] >= longest * char_mm + CELL_PAD_MM


# ----------------------------------------------------------------------------- 暂定 everywhere, honest metadata (items 7, 8)

def test_every_outgoing_file_of_a_provisional_year_says_so(set2027):
    """Every file that leaves the office says 暂定 (a PNG chart through its SVG twin); plan.json in Chinese too."""
    silent = []
    for name, data in sorted(set2027.items()):
        if name == CHECKLIST_FILE or name.endswith(".png"):
            continue
        if name.endswith(".pdf") and not shutil.which("pdftotext"):
            continue
        if not any("暂定" in text for _, text in texts(name, data)):
            silent.append(name)
    assert silent == []
    assert "暂定" in json.loads(set2027["plan.json"])["calendar_note"]
    assert {f"charts/{stem}.svg" for stem in ("calendar", "site_month", "registration_windows")} <= set(set2027)


def test_calendars_are_valid_rfc5545(set2027, solved):
    from icalendar import Calendar

    for name, data in set2027.items():
        if not name.endswith(".ics"):
            continue
        for ev in Calendar.from_ical(data).walk("VEVENT"):
            start = ev.decoded("DTSTART")
            assert str(ev["SUMMARY"]).startswith("【暂定】"), name
            if "DTEND" in ev:
                end = ev.decoded("DTEND")
                assert end > start, (name, str(ev["UID"]))
                if not isinstance(start, dt.datetime):
                    assert end - start == dt.timedelta(days=1)
            else:  # a timed instant (the noon deadline): RFC 5545 3.6.1, ends when it starts
                assert isinstance(start, dt.datetime)


def test_documents_name_the_bureau_title_and_publish_day(set2027):
    import docx
    from openpyxl import load_workbook

    from planner.publish.letterhead import publish_day

    today = publish_day()
    cp = docx.Document(io.BytesIO(set2027["notice.docx"])).core_properties
    assert cp.author == "运城市应急管理局" and "2027年" in cp.title and cp.created.date() == today
    props = load_workbook(io.BytesIO(set2027["notice.xlsx"])).properties
    assert props.creator == "运城市应急管理局" and "2027年" in props.title and props.created.date() == today
    for name in ("notice.docx", "notice.xlsx"):  # no zip entry dated after today
        with zipfile.ZipFile(io.BytesIO(set2027[name])) as z:
            assert max(dt.date(*i.date_time[:3]) for i in z.infolist()) <= today
    if "notice.pdf" in set2027 and shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", "-"], input=set2027["notice.pdf"], capture_output=True, timeout=60)
        if info.returncode == 0:
            text = info.stdout.decode("utf-8", "replace")
            assert "运城市应急管理局" in text and f"{today.year}" in text
    wall = set2027["calendar_a3.pdf"]
    assert "运城市应急管理局".encode("utf-16-be") in wall or "运城市应急管理局".encode() in wall or b"Author" in wall


def test_plan_writes_what_publish_writes(tmp_path):
    """`planner plan` publishes the same set as `planner publish` of its plan.csv, whose first line is the
    documented header (the provisional status is beside it, in summary.json and plan.json)."""
    from planner.cli import main
    from planner.plan import PLAN_HEADER

    assert main(["plan", "--year", "2027", "--out", str(tmp_path / "a")]) == 0
    assert main(["publish", str(tmp_path / "a" / "plan.csv"), "--out", str(tmp_path / "b")]) == 0
    names = {p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    published = {p.relative_to(tmp_path / "b").as_posix() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert names - {"plan.csv", "summary.json"} == published
    first = (tmp_path / "a" / "plan.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first == ",".join(PLAN_HEADER)
    assert json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))["calendar_official"] is False


def test_pdfs_are_made_by_default(monkeypatch):
    import argparse

    from planner.commands.common import add_notice_options, notice_options

    p = argparse.ArgumentParser()
    add_notice_options(p)
    monkeypatch.delenv("PLANNER_PDF", raising=False)
    assert notice_options(p.parse_args([]))["notice_pdf"] is True
    assert notice_options(p.parse_args(["--no-pdf"]))["notice_pdf"] is False
    monkeypatch.setenv("PLANNER_PDF", "0")
    assert notice_options(p.parse_args([]))["notice_pdf"] is False


@pytest.mark.skipif(not (HAS_SOFFICE and shutil.which("pdftotext")), reason="LibreOffice or pdftotext not installed")
def test_printed_directory_keeps_phones_names_and_28_characters(set2027, catalogue):
    """As LibreOffice prints notice.pdf: every phone number and name of 附件4 on one line, and a full body
    line of the letter holds 28 characters."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=set2027["notice.pdf"], capture_output=True,
                         timeout=60, check=True).stdout.decode("utf-8")
    lines = [ln.replace(" ", "") for ln in out.splitlines()]
    for inst in catalogue.institutions.values():
        assert any(inst.contact.replace(" ", "") in ln for ln in lines), inst.contact
        for phone in inst.phones:
            assert any(phone in ln for ln in lines), phone
    letter = out.split("\f")[0]
    widths = [len(ln.strip().replace(" ", "")) for ln in letter.splitlines() if re.fullmatch(r"[\u4e00-\u9fff，、（）：；。]+", ln.strip().replace(" ", ""))]
    assert max(widths) == 28


@pytest.mark.parametrize("year", [2025, 2026])
def test_wall_calendar_shows_every_exam_and_deadline(solved, year):
    """Every exam and every registration deadline is written in its day, including deadlines in the month before
    the first exam (the months used to start at the first exam, which dropped the first sessions' deadlines)."""
    from planner.charts import style as S
    from planner.charts.wall_calendar import draw

    plan, ctx = solved(year)
    with S.chart_style():
        fig = draw(plan, ctx)
    titles = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text().endswith("月")]
    first = min(s.registration_deadline for s in plan.sessions)
    assert (f"{first.month}月" if first.year == plan.year else f"{first.year}年{first.month}月") in titles
    # one line per deadline ("截 华安1"), in the colour of its exam; a day with more than its cell holds counts the
    # rest (tests/test_charts.py, a crowded day): these plans have no such day, so every exam and deadline is named
    short = {i: x.short_name for i, x in ctx.catalogue.institutions.items()}
    said = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert sorted(t for t in said if t.startswith("截 ")) == sorted(f"截 {short[s.institution]}{s.no}" for s in plan.sessions)
    assert sorted(t for t in said if t.endswith("期")) == sorted(f"{short[s.institution]} {s.no}期" for s in plan.sessions)
    assert not [t for t in said if "等" in t]
