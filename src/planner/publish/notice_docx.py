"""notice.docx: the whole notice as an official document (GB/T 9704-2012 党政机关公文格式), and revision.docx.

The body text is a Jinja2 template (``planner/templates/notice_body.md.j2``, or a planner's copy)
filled with the year's facts from the plan; 附件1–4 are built from the same rows as notice.xlsx
(``tables``), as Word tables whose header row repeats on every page and whose rows never split.
Format: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; title 方正小标宋简体 2号;
body 仿宋_GB2312 3号 on a 22-line grid (fixed 28.95 pt line pitch); page numbers "— 1 —" in 宋体
4号, odd pages right, even pages left. Word/WPS substitute fonts that are not installed.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import PlannerError
from ..plan import Plan
from . import tables as T
from . import wording as W

TEMPLATE = "notice_body.md.j2"
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"
TABLE_FONT = "仿宋_GB2312"
#: GB/T 9704: 3号 body, 2号 title, 4号 page numbers; tables in 五号 and notes in 小四, so six columns fit
BODY_PT, TITLE_PT, PAGE_NO_PT, TABLE_PT, NOTE_PT = 16, 22, 14, 10.5, 12
LINE_PITCH_PT = 28.95  # 22 lines on the 225 mm type area
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BLANK_DATE = "    年  月  日"
#: relative column widths of the plan tables (期次 报名时间 考试时间 考试类别 考试地点 备注) and 附件4
PLAN_COLS = (1.1, 3.0, 3.0, 4.1, 3.4, 0.8)
DIRECTORY_COLS = (0.8, 2.6, 8.4, 2.4, 2.2, 1.1)
CN_NUMBERS = "一二三四五六七八九十"


def default_template() -> str:
    from importlib.resources import files

    return files("planner").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def read_template(path: str | Path | None) -> str:
    """The planner's template file, or the shipped one."""
    if path is None:
        return default_template()
    from ..textio import read_text

    return read_text(path)


def date_text(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def facts(plan: Plan, ctx, issued=None) -> dict:
    """The year's facts the template may use (documented at the end of the shipped template)."""
    cat = ctx.catalogue
    streams = []
    for sid in plan.streams():
        sessions = plan.stream(sid)
        order = list(ctx.sites(sid))  # rotation order first (华安 → 聚腾 → 瑞阳 → 新世纪)
        sites = sorted({s.institution for s in sessions},
                       key=lambda i: (order.index(i) if i in order else len(order), cat.institutions[i].seq))
        streams.append({"id": sid, "name": cat.streams[sid].name, "count": len(sessions),
                        "attachment": cat.streams[sid].attachment,
                        "sites": "、".join(cat.institutions[i].plan_name for i in sites)})
    exams = sorted(s.exam_date for s in plan.sessions)
    gaps = [(s.exam_date - s.registration_deadline).days for s in plan.sessions]
    attachments = [cat.materials_title] + [a.title for a in T.attachments(plan, ctx)] + [W.DIRECTORY_TITLE]
    return {
        "year": plan.year, "total": len(plan.sessions), "streams": streams,
        "first_exam": W.day_text(exams[0], plan.year), "last_exam": W.day_text(exams[-1], plan.year),
        "gap_min": min(gaps), "gap_max": max(gaps), "provisional": T.provisional_note(plan, ctx),
        "attachments": attachments, "issued": date_text(issued) if issued else BLANK_DATE,
    }


def render_body(template: str, values: dict, source: str = "template") -> list[str]:
    """The template filled in, as lines; a template error is one PlannerError naming the line."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    try:
        text = env.from_string(template).render(**values)
    except jinja2.TemplateSyntaxError as exc:
        raise PlannerError(f"template error: {exc.message}", file=source, row=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise PlannerError(f"template uses an unknown value: {exc.message}", file=source) from None
    return text.splitlines()


# ----------------------------------------------------------------------------- low-level Word formatting

def _fonts(run_or_style, name: str, size: float | None = None, bold: bool | None = None, color: str | None = None):
    """Set the Latin and the East Asian font (Word picks the eastAsia one for Chinese)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = run_or_style.font
    font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color:
        font.color.rgb = RGBColor.from_string(color)
    return run_or_style


#: formatting -> a finished ``w:p`` with one run: later paragraphs of that formatting are copies with their
#: own text, the same XML as building each one (python-docx's element-by-element set-up was 60 % of the
#: notice's build time, most of it in the plan tables' 400 cells)
_PARA_TEMPLATES: dict[tuple, object] = {}


def _para(doc_or_cell, text: str = "", font: str = BODY_FONT, size: float = BODY_PT, align=None, indent_chars: float = 0,
          left_chars: float = 0, right_chars: float = 0, bold: bool = False, color: str | None = None, exact: float | None = None,
          keep_next: bool = False):
    import copy

    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    key = (font, size, align, indent_chars, left_chars, right_chars, bold, color, exact, keep_next)
    template = _PARA_TEMPLATES.get(key) if text else None
    if template is None:
        p = _new_para(doc_or_cell, text, font, size, align, indent_chars, left_chars, right_chars, bold, color, exact,
                      keep_next)
        if text and len(_PARA_TEMPLATES) < 64:
            _PARA_TEMPLATES[key] = copy.deepcopy(p._p)
        return p
    p = doc_or_cell.add_paragraph()
    el = copy.deepcopy(template)
    p._p.addnext(el)
    p._p.getparent().remove(p._p)
    para = Paragraph(el, p._parent)
    Run(el.r_lst[0], para).text = text
    return para


def _new_para(doc_or_cell, text, font, size, align, indent_chars, left_chars, right_chars, bold, color, exact, keep_next):
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    p = doc_or_cell.add_paragraph()
    pf = p.paragraph_format
    if align is not None:
        p.alignment = align
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(exact or LINE_PITCH_PT)
    if indent_chars:
        pf.first_line_indent = Pt(size * indent_chars)
    if left_chars:
        pf.left_indent = Pt(size * left_chars)
    if right_chars:
        pf.right_indent = Pt(size * right_chars)
    pf.keep_with_next = keep_next or None
    if exact is not None and exact < LINE_PITCH_PT:  # smaller print (tables, notes) leaves the 22-line grid
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        p._p.get_or_add_pPr().append(snap)
    if text:
        _fonts(p.add_run(text), font, size, bold, color)
    return p


def _page_setup(section, landscape: bool = False) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm

    w, h = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = w, h
    m = MARGINS_MM
    if landscape:  # the type area turns with the page: binding edge stays left
        section.top_margin, section.bottom_margin = Mm(m["left"]), Mm(m["right"])
        section.left_margin, section.right_margin = Mm(m["top"]), Mm(m["bottom"])
    else:
        section.top_margin, section.bottom_margin = Mm(m["top"]), Mm(m["bottom"])
        section.left_margin, section.right_margin = Mm(m["left"]), Mm(m["right"])
    section.footer_distance = Mm(28 - 7)  # page number 7 mm below the type area's last line (GB/T 9704 7.5)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = section._sectPr.makeelement(qn("w:docGrid"), {})
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))


def _page_number(paragraph) -> None:
    """"— N —" with a PAGE field."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    _fonts(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NO_PT)
    run = paragraph.add_run()
    _fonts(run, PAGE_NUMBER_FONT, PAGE_NO_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    _fonts(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NO_PT)


def _footers(section) -> None:
    """Odd pages: number at the right, one character in; even pages: at the left (GB/T 9704 7.5)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    section.footer.is_linked_to_previous = False
    section.even_page_footer.is_linked_to_previous = False
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(PAGE_NO_PT)
    _page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(PAGE_NO_PT)
    _page_number(even)


def _row_props(row, header: bool) -> None:
    """No row split across pages; the header row repeats on each page."""
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _table(doc, header, rows, widths, usable_mm: float, left_cols: tuple[int, ...] = (), keep_last: int = 0):
    """A grid table; the paragraphs of the last *keep_last* rows keep with what follows (the notes)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    table = doc.add_table(rows=0, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    scale = usable_mm / sum(widths)
    for k, values in enumerate([list(header), *rows]):
        row = table.add_row()
        _row_props(row, header=k == 0)
        for c, (cell, value) in enumerate(zip(row.cells, values)):
            cell.width = Mm(widths[c] * scale)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
            lines = str(value if value is not None else "").split("\n")
            for line in lines:
                align = WD_ALIGN_PARAGRAPH.LEFT if (c in left_cols and k) else WD_ALIGN_PARAGRAPH.CENTER
                _para(cell, line, TABLE_FONT, TABLE_PT, align=align, bold=k == 0, exact=TABLE_PT * 1.4)
    for c, w in enumerate(widths):
        table.columns[c].width = Mm(w * scale)
    for row in table.rows[len(table.rows) - keep_last:] if keep_last else ():
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    return table


# ----------------------------------------------------------------------------- the document

@dataclass(frozen=True)
class Marks:
    flag: str
    provisional: str


def _new_document(plan: Plan, title: str):
    import docx
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    doc = docx.Document()
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT, BODY_PT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(LINE_PITCH_PT)
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    _page_setup(section)
    _footers(section)
    when = _fixed_time(plan)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = "运城市应急管理局"
    cp.title = title
    cp.created = cp.modified = when
    cp.last_printed = when
    cp.revision = 1
    return doc


def _fixed_time(plan: Plan):
    from .xlsx import fixed_time

    return fixed_time(plan)


def _usable_mm(section) -> float:
    return (section.page_width - section.left_margin - section.right_margin) / 36000


def _marks(doc, marks: Marks) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for text in (marks.flag, marks.provisional):
        if text:
            _para(doc, f"【{text}】", HEADING_FONT, BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER, color="C00000")


def _body(doc, lines: list[str], marks: Marks) -> None:
    """Paint the template's lines (see the template's header for the markup)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    in_attachments = False
    for line in lines:
        text = line.rstrip()
        if not text.strip():
            in_attachments = False
            continue
        if text.startswith("# "):
            _para(doc, "")
            _para(doc, text[2:].strip(), TITLE_FONT, TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, exact=35)
            _marks(doc, marks)
            _para(doc, "")
        elif text.startswith("> "):
            _para(doc, text[2:].strip())
        elif text.startswith("## "):
            body = text[3:].strip()
            p = _para(doc, "", indent_chars=2)
            head, sep, rest = body.partition("。")
            _fonts(p.add_run(head + sep), HEADING_FONT, BODY_PT)
            if rest:
                _fonts(p.add_run(rest), BODY_FONT, BODY_PT)
        elif text.startswith("附件："):
            _para(doc, "")
            _para(doc, text, indent_chars=2)
            in_attachments = True
        elif in_attachments:
            _para(doc, text.strip(), left_chars=5)
        elif text.startswith("@ "):
            if not getattr(doc, "_signed", False):  # GB/T 9704 7.3.5.1: one blank line above the signature
                _para(doc, "")
                doc._signed = True
            _para(doc, text[2:].strip(), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
        else:
            _para(doc, text.strip(), indent_chars=2)


def _attachment_head(doc, label: str, title: str, marks: Marks, new_page: bool = True) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

    if new_page:
        doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    _para(doc, label, HEADING_FONT, BODY_PT, keep_next=True)
    _para(doc, "", keep_next=True)  # GB/T 9704 8: the attachment's title on the type area's third line
    _para(doc, title, TITLE_FONT, TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, exact=35, keep_next=True)
    _marks(doc, marks)


def _notes(doc, notes) -> None:
    """The table's notes; the first keeps with the table's last rows (kept with what follows)."""
    for note in notes:
        for k, line in enumerate(note.split("\n")):
            _para(doc, line, BODY_FONT, NOTE_PT, exact=NOTE_PT * 1.6, left_chars=0 if k == 0 else 1)


def _materials(doc, catalogue, marks: Marks) -> None:
    lines = T.materials_lines(catalogue)
    _attachment_head(doc, "附件1", lines[0][1], marks)
    for style, text in lines[1:]:
        if style == "heading":
            _para(doc, text, HEADING_FONT, BODY_PT, indent_chars=2)
        else:
            _para(doc, text, indent_chars=2)


def _plan_attachment(doc, att: T.Attachment, plan: Plan, ctx, marks: Marks) -> None:
    _attachment_head(doc, att.sheet, att.title, marks)
    usable = _usable_mm(doc.sections[-1])
    for n, sec in enumerate(att.sections):
        if sec.heading:
            _para(doc, sec.heading, HEADING_FONT, NOTE_PT + 2, keep_next=True)
        last = n == len(att.sections) - 1
        _table(doc, W.PLAN_HEADERS, T.plan_rows(sec.sessions, plan.year, ctx), PLAN_COLS, usable,
               keep_last=2 if last else 0)
    _notes(doc, att.footnotes)


def _directory(doc, catalogue, marks: Marks) -> None:
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section, landscape=True)
    _attachment_head(doc, W.DIRECTORY_SHEET, W.DIRECTORY_TITLE, marks, new_page=False)
    _table(doc, W.DIRECTORY_HEADERS, T.directory_rows(catalogue), DIRECTORY_COLS, _usable_mm(section), (2,))


def _save(doc, plan: Plan) -> bytes:
    from .xlsx import stable_zip

    buf = io.BytesIO()
    doc.save(buf)
    return stable_zip(buf.getvalue(), _fixed_time(plan))


def notice_docx_bytes(plan: Plan, ctx, flag: str = "", template: str | None = None, template_name: str = TEMPLATE,
                      issued=None) -> bytes:
    """The notice with 附件1–4, as .docx bytes (built in memory; nothing written)."""
    marks = Marks(flag, T.provisional_note(plan, ctx))
    lines = render_body(template if template is not None else default_template(), facts(plan, ctx, issued),
                        template_name)
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), f"运城市{plan.year}年安全培训考试计划")
    doc = _new_document(plan, title)
    _body(doc, lines, marks)
    _materials(doc, ctx.catalogue, marks)
    for att in T.attachments(plan, ctx):
        _plan_attachment(doc, att, plan, ctx, marks)
    _directory(doc, ctx.catalogue, marks)
    return _save(doc, plan)


# ----------------------------------------------------------------------------- PDF through LibreOffice

_PDF_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\(D:[^)]*\)")
_PDF_ID = re.compile(rb"/ID\s*\[\s*<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*\]")
_XMP_DATE = re.compile(rb"(<xmp:(?:CreateDate|ModifyDate|MetadataDate)>)[^<]*(</xmp:)")
_XMP_UUID = re.compile(rb"uuid:[0-9a-fA-F-]{36}")
_PDF_CHECKSUM = re.compile(rb"/DocChecksum\s*/[0-9A-Fa-f]{32}")


def _same_length(pattern: re.Pattern, data: bytes, fill) -> bytes:
    def sub(m: re.Match) -> bytes:
        new = fill(m)
        return new + b" " * (len(m.group(0)) - len(new)) if len(new) <= len(m.group(0)) else m.group(0)

    return pattern.sub(sub, data)


def stable_pdf(data: bytes, plan: Plan) -> bytes:
    """LibreOffice stamps the conversion time and a random id: replace them in place (same lengths, so
    the cross-reference offsets stay valid) with the plan's fixed time and an id derived from the content."""
    import hashlib

    stamp = _fixed_time(plan).strftime("%Y%m%d%H%M%S").encode()
    digest = hashlib.sha256(_PDF_CHECKSUM.sub(b"", _PDF_ID.sub(b"", _PDF_DATE.sub(b"", _XMP_DATE.sub(b"", _XMP_UUID.sub(
        b"", data)))))).hexdigest().upper().encode()
    data = _same_length(_PDF_CHECKSUM, data, lambda m: b"/DocChecksum /" + digest[32:64])
    data = _same_length(_PDF_DATE, data, lambda m: b"/" + m.group(1) + b"(D:" + stamp + b"Z)")
    data = _same_length(_PDF_ID, data, lambda m: b"/ID [<" + digest[:32] + b"><" + digest[:32] + b">]")
    iso = _fixed_time(plan).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    data = _same_length(_XMP_DATE, data, lambda m: m.group(1) + iso + m.group(2))
    uuid = f"uuid:{digest[:8].decode()}-{digest[8:12].decode()}-{digest[12:16].decode()}-" \
           f"{digest[16:20].decode()}-{digest[20:32].decode()}".lower().encode()
    return _same_length(_XMP_UUID, data, lambda m: uuid)


def docx_to_pdf(data: bytes, plan: Plan, name: str = "notice") -> tuple[bytes | None, str]:
    """(PDF bytes, "") converted by LibreOffice (``planner.publish.pdfconvert``: bounded, private profile, killed
    with the command), or (None, the note saying why not) when it is missing or ran out of time."""
    import subprocess

    from .pdfconvert import convert_docx, soffice

    try:
        pdf, note = convert_docx(data, name)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PlannerError(f"LibreOffice could not convert {name}.docx to PDF ({type(exc).__name__})",
                           file=soffice()) from None
    if pdf is None:
        return None, note
    return stable_pdf(pdf, plan), ""
