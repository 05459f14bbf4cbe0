"""notice.docx: the whole notice as an official document (GB/T 9704-2012 党政机关公文格式), and revision.docx.

The body text is a Jinja2 template (``planner/templates/notice_body.md.j2``, or a planner's copy)
filled with the year's facts from the plan; 附件1–4 are built from the same rows as notice.xlsx
(``tables``), as Word tables whose header row repeats on every page and whose rows never split.
Format: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 版头 (发文机关标志 in red,
发文字号, the red separator) and 版记 (抄送, 印发机关 and 印发日期) from ``constraints/notice/letterhead.toml``;
title 方正小标宋简体 2号; body 仿宋_GB2312 3号 on a grid of 22 lines × 28 characters; the bureau's own
sections (``letterhead.read_sections``) with the standard's heading levels 一、（一）1.（1）; page numbers
"— 1 —" in 宋体 4号, odd pages right, even pages left. Every font is declared with its fallbacks
(``FALLBACKS``: in the font table for Word/WPS, and substituted by name where LibreOffice makes the PDF
on a machine without the official fonts, which the run then says); East Asian language zh-CN in the
styles, the theme and the settings.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import IOFailure, PlannerError
from ..plan import Plan
from . import tables as T
from . import wording as W

TEMPLATE = "notice_body.md.j2"
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"
TABLE_FONT = "仿宋_GB2312"
KAI_FONT = "楷体_GB2312"
#: each official font, then what stands in for it where it is missing (a serif CJK SC face for title and body,
#: a sans one for 黑体): Word reads the first fallback from the font table, LibreOffice gets the first installed
FALLBACKS = {
    TITLE_FONT: ("华文中宋", "宋体", "Noto Serif CJK SC"),
    BODY_FONT: ("仿宋", "FangSong", "Noto Serif CJK SC"),
    HEADING_FONT: ("SimHei", "Noto Sans CJK SC"),
    KAI_FONT: ("楷体", "KaiTi", "Noto Serif CJK SC"),
    PAGE_NUMBER_FONT: ("SimSun", "Noto Serif CJK SC"),
}
#: the font table's description of each (GB2312 character set; roman = serif, modern/swiss = sans)
FONT_FAMILY = {TITLE_FONT: "roman", BODY_FONT: "modern", HEADING_FONT: "modern", KAI_FONT: "modern",
               PAGE_NUMBER_FONT: "auto"}
RED = "FF0000"
#: 发文机关标志: red 小标宋, centred, its top edge 35 mm below the type area's (GB/T 9704 7.2.2)
MARK_PT, MARK_TOP_MM = 36, 35
CHARS_PER_LINE = 28
#: GB/T 9704: 3号 body, 2号 title, 4号 page numbers; tables in 五号 and notes in 小四, so six columns fit
BODY_PT, TITLE_PT, PAGE_NO_PT, TABLE_PT, NOTE_PT = 16, 22, 14, 10.5, 12
LINE_PITCH_PT = 28.95  # 22 lines on the 225 mm type area
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BLANK_DATE = "    年  月  日"
#: 版记 in 4号 (GB/T 9704 7.4.1)
RECORD_PT = 14
#: relative column widths of the plan tables (期次 报名时间 考试时间 考试类别 考试地点 备注) and 附件4
PLAN_COLS = (1.1, 3.0, 3.0, 3.6, 3.9, 1.2)  # 考试地点 two lines of 7 characters beside the widened dates (audit P)
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
    """成文日期 as GB/T 9704-2012 7.3.5 writes it: Arabic numerals, the year in full, no leading zeros."""
    return f"{d.year}年{d.month}月{d.day}日"


#: the line of the body template where the bureau's own sections go (see the shipped template)
SECTIONS_MARK = "[[本局年度要求]]"


@dataclass(frozen=True)
class Paper:
    """What makes the notice the bureau's document rather than the plan's: 成文日期, 发文字号, its own sections."""

    issued: object = None  # datetime.date; None: left blank to fill in
    document_number: str = ""  # the serial number ("12") or a whole 发文字号; "": a visible blank
    sections: tuple = ()  # (level, text) from letterhead.read_sections; (): none given
    letterhead: object = None  # letterhead.Letterhead; None: the shipped constraints/notice/letterhead.toml

    def head(self):
        from .letterhead import load_letterhead

        return self.letterhead if self.letterhead is not None else load_letterhead()


def facts(plan: Plan, ctx, issued=None, paper: Paper | None = None) -> dict:
    """The year's facts the template may use (documented at the end of the shipped template)."""
    paper = paper or Paper(issued=issued)
    issued = paper.issued if paper.issued is not None else issued
    head = paper.head()
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
        "organ": head.organ, "recipients": head.recipients, "sections": SECTIONS_MARK,
        "document_number": head.document_number(plan.year, paper.document_number),
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
    # "\n" only: a value's U+2028 (or any other separator splitlines knows) must not start a line of markup
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the template's final newline ends its last line (as splitlines reads it)
    return lines


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
    if exact is not None and (exact < LINE_PITCH_PT or size != BODY_PT):
        # smaller print (tables, notes) and larger (title, 发文机关标志) leave the 22-line grid: snapped, a
        # 35 pt title line would take two grid lines
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        _place(p._p.get_or_add_pPr(), snap, PPR_ORDER)
    if text:
        _fonts(p.add_run(text), font, size, bold, color)
    return p


#: the order OOXML's schema gives the children of w:pPr, w:rPr and w:tblPr (Word reports a file whose elements
#: are out of order as damaged): :func:`_place` puts an added element where it belongs
PPR_ORDER = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
             "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
             "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
             "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange").split()
RPR_ORDER = ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
             "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText "
             "vertAlign rtl cs em lang eastAsianLayout specVanish oMath").split()
TBLPR_ORDER = ("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
               "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook").split()


def _place(parent, el, order: list[str]) -> None:
    """Insert *el* into *parent* before the first child that the schema puts after it."""
    def rank(node) -> int:
        local = node.tag.rsplit("}", 1)[-1]
        return order.index(local) if local in order else len(order)

    mine = rank(el)
    for child in parent:
        if rank(child) > mine:
            child.addprevious(el)
            return
    parent.append(el)


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


def char_spacing_twips() -> int:
    """Character spacing (twentieths of a point, negative: condensed) that puts CHARS_PER_LINE characters of 3号
    on a line of the 156 mm type area: 28 × 16 pt is 158 mm, so each advances a quarter point less. (A
    character grid would say the same to Word, but LibreOffice gives a character wider than the grid's
    unit two units, 14 a line.)"""
    width_pt = (210 - MARGINS_MM["left"] - MARGINS_MM["right"]) / 25.4 * 72
    pitch = width_pt / CHARS_PER_LINE
    return -math.ceil((BODY_PT - pitch) * 20 + 0.5)  # a little under the pitch, so the 28th never wraps


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


#: a cell's left and right padding together (Word's default 0.08 in each side) plus a little slack, in mm
CELL_PAD_MM = 2 * 1.91 + 1.2


def fitted_widths(header, rows, widths, usable_mm: float, whole: tuple[int, ...] = ()) -> list[float]:
    """Column widths in mm: in proportion to *widths*, but the columns in *whole* never narrower than their
    longest line, header included (a phone number or a name must not split), and no column narrower than its
    header. Where even that cannot fit, the plain proportions."""
    mm = TABLE_PT / 72 * 25.4  # one character of the table's size

    def need(c: int, rows=rows) -> float:
        lines = [ln for r in [header, *rows] for ln in str(r[c] or "").split("\n")]
        return max(printed_chars(ln) for ln in lines) * mm + CELL_PAD_MM

    # a header never splits either ("备/注" when the dates' columns took their room)
    floor = {c: need(c) if c in whole else need(c, ()) for c in range(len(widths))}
    fixed: dict[int, float] = {}
    while True:
        free = [c for c in range(len(widths)) if c not in fixed]
        room = usable_mm - sum(fixed.values())
        total = sum(widths[c] for c in free)
        out = {c: room * widths[c] / total for c in free}
        short = [c for c in free if out[c] < floor.get(c, 0)]
        if not short:
            out.update(fixed)
            return [out[c] for c in range(len(widths))]
        if len(short) == len(free):
            return [usable_mm * w / sum(widths) for w in widths]
        fixed.update({c: floor[c] for c in short})


def _table(doc, header, rows, widths, usable_mm: float, left_cols: tuple[int, ...] = (), keep_last: int = 0,
           whole: tuple[int, ...] = ()):
    """A grid table; the paragraphs of the last *keep_last* rows keep with what follows (the notes); the
    columns in *whole* are wide enough for their longest line (:func:`fitted_widths`)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT, WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    table = doc.add_table(rows=0, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    mm = fitted_widths(header, rows, widths, usable_mm, whole)
    for k, values in enumerate([list(header), *rows]):
        row = table.add_row()
        _row_props(row, header=k == 0)
        for c, (cell, value) in enumerate(zip(row.cells, values)):
            cell.width = Mm(mm[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
            lines = str(value if value is not None else "").split("\n")
            for line in lines:
                align = WD_ALIGN_PARAGRAPH.LEFT if (c in left_cols and k) else WD_ALIGN_PARAGRAPH.CENTER
                _para(cell, line, TABLE_FONT, TABLE_PT, align=align, bold=k == 0, exact=TABLE_PT * 1.4)
    for c, w in enumerate(mm):
        table.columns[c].width = Mm(w)
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


def _new_document(plan: Plan, title: str, issued=None):
    import docx
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    doc = docx.Document()
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT, BODY_PT)
    _condensed(normal.element.get_or_add_rPr())
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(LINE_PITCH_PT)
    _chinese(doc)
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    _page_setup(section)
    _footers(section)
    when = _fixed_time(issued)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = ORGAN
    cp.title = title
    cp.subject = f"运城市{plan.year}年安全生产培训考试计划"
    cp.comments = ""
    cp.created = cp.modified = when
    cp.last_printed = when
    cp.revision = 1
    return doc


#: the author of every document's properties (the letterhead's organ is printed; this names the file's owner)
ORGAN = "运城市应急管理局"


def _condensed(rpr) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement("w:spacing")
    el.set(qn("w:val"), str(char_spacing_twips()))
    _place(rpr, el, RPR_ORDER)


def _chinese(doc) -> None:
    """East Asian language zh-CN and the body font as the document's defaults (styles and settings;
    the theme is set when saving, see :func:`_package_parts`)."""
    from docx.oxml.ns import qn

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _zh_cn(rpr, "w:lang")
    for tag in ("w:sz", "w:szCs"):  # the default size: 3号, as the body
        el = rpr.find(qn(tag))
        if el is not None:
            el.set(qn("w:val"), str(BODY_PT * 2))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), BODY_FONT)
    _zh_cn(doc.settings.element, "w:themeFontLang")


def _zh_cn(parent, tag: str) -> None:
    """*parent*'s *tag* element (made if missing) says en-US for Latin text and zh-CN for East Asian text."""
    from docx.oxml.ns import qn

    el = parent.find(qn(tag))
    if el is None:
        el = parent.makeelement(qn(tag), {})
        parent.append(el)
    el.set(qn("w:val"), "en-US")
    el.set(qn("w:eastAsia"), "zh-CN")


def _fixed_time(issued=None):
    from .xlsx import fixed_time

    return fixed_time(issued)


def _usable_mm(section) -> float:
    return (section.page_width - section.left_margin - section.right_margin) / 36000


def _marks(doc, marks: Marks) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for text in (marks.flag, marks.provisional):
        if text:
            _para(doc, f"【{text}】", HEADING_FONT, BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER, color="C00000")


def _body(doc, lines: list[str], marks: Marks, paper: Paper | None = None, number: str = "") -> None:
    """Paint the template's lines (see the template's header for the markup). With *paper*, the title comes
    under the 版头 (发文机关标志, 发文字号 *number*, red separator) and the bureau's sections go in at
    SECTIONS_MARK; headings are numbered in the standard's four levels across both."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    state = doc.__dict__.setdefault("_planner_body", {"counters": [0] * 5, "signature": []})
    in_attachments = False
    for line in [*lines, ""]:
        text = line.rstrip()
        if not text.startswith("@ ") and state["signature"]:
            _signature(doc, state.pop("signature"))
            state["signature"] = []
        if not text.strip():
            in_attachments = False
            continue
        level = len(text) - len(text.lstrip("#")) - 1  # "## " → 1 … "##### " → 4
        if text.startswith("# "):
            if paper is not None:
                _letterhead(doc, paper.head(), number)
            else:
                _para(doc, "")
            _para(doc, text[2:].strip(), TITLE_FONT, TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, exact=35)
            _marks(doc, marks)
            _para(doc, "")
        elif text.startswith("> "):
            _para(doc, text[2:].strip())
        elif text.strip() == SECTIONS_MARK:
            for lv, body in (paper.sections if paper is not None else ()):
                if lv:
                    _heading(doc, state["counters"], lv, body)
                else:
                    _para(doc, body, indent_chars=2)
        elif 1 <= level <= 4 and text[level + 1:level + 2] == " ":
            from .letterhead import strip_number

            _heading(doc, state["counters"], level, strip_number(text[level + 2:]))
        elif text.startswith("附件："):  # kept with the signature, which never stands alone on a page (7.3.5.4)
            _keep_last_with_next(doc)
            _para(doc, "", keep_next=True)
            _attachment_item(doc, text[len("附件："):].strip(), first=True)
            in_attachments = True
        elif in_attachments:
            _attachment_item(doc, text.strip(), first=False)
        elif text.startswith("@ "):
            if not state["signature"]:
                _keep_last_with_next(doc)
            state["signature"].append(text[2:].strip())
        else:
            _para(doc, text.strip(), indent_chars=2)


#: an attachment's number in the 附件说明: "1." (also "1．" or "1、"), the name after it
ATTACHMENT_NO = re.compile(r"^(\d+[.．、])\s*(.*)$")
#: "附件：" is three characters, two in from the left margin: the numbers start five in
ATTACHMENT_LEFT = 5


def _attachment_item(doc, item: str, first: bool) -> None:
    """One line of the 附件说明 (GB/T 9704 7.3.4): "附件：1.name" two characters in, the next items under
    "1."; a name that runs over a line goes on under its own first character, not under the number. The
    paragraph hangs from the name's start, which a tab after the number reaches (the hanging indent is a tab
    stop in Word, WPS and LibreOffice), so the name starts there whatever the number's printed width."""
    m = ATTACHMENT_NO.match(item)
    number, name = (m.group(1), m.group(2)) if m else ("", item)
    left = ATTACHMENT_LEFT + text_chars(number)
    hang = left - (ATTACHMENT_LEFT - 3 if first else ATTACHMENT_LEFT)  # from where the line's text starts
    text = ("附件：" if first else "") + (f"{number}\t{name}" if number else name)
    p = _para(doc, text, left_chars=left, indent_chars=-hang, keep_next=True)
    p.paragraph_format.tab_stops.add_tab_stop(p.paragraph_format.left_indent)


def _keep_last_with_next(doc) -> None:
    """The body's last paragraph keeps with what follows (the 附件说明 or the 署名), so the page of the 署名
    and 成文日期 always holds body text (GB/T 9704 7.3.5.4: no 落款 on a page of its own). Before, a 附件说明
    and 落款 that did not fit under the body went over alone (2026, 2027: page 3 without a line of the
    body), and the 调整通知's 署名 stood alone on its last page."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    body = doc.element.body
    last = next((el for el in reversed(body) if el.tag != qn("w:sectPr")), None)
    if last is not None and last.tag == qn("w:p") and last.xpath("string(.)").strip():
        Paragraph(last, doc._body).paragraph_format.keep_with_next = True


#: per heading level: the lead sentence's font (GB/T 9704 7.3.3: 黑体, 楷体, then 仿宋)
LEVEL_FONTS = {1: HEADING_FONT, 2: KAI_FONT, 3: BODY_FONT, 4: BODY_FONT}


def _heading(doc, counters: list[int], level: int, body: str) -> None:
    """"一、lead sentence。text": the number and the lead sentence in the level's font, the rest in 仿宋."""
    from .letterhead import heading_number

    counters[level] += 1
    for deeper in range(level + 1, len(counters)):
        counters[deeper] = 0
    p = _para(doc, "", indent_chars=2)
    head, sep, rest = body.partition("。")
    _fonts(p.add_run(heading_number(level, counters[level]) + head + sep), LEVEL_FONTS[level], BODY_PT)
    if rest:
        _fonts(p.add_run(rest), BODY_FONT, BODY_PT)


def text_chars(text: str) -> float:
    """Width in characters of 3号: a Chinese character is one, a digit or Latin letter half."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


#: the space Word, WPS and LibreOffice put between a Chinese character and a digit or Latin letter beside it
#: (Word's "adjust space between Asian text and numbers", on by default; LibreOffice's Asian typography, which
#: ignores a paragraph's w:autoSpaceDE/DN off): about a quarter character at each such boundary
AUTOSPACE_CHARS = 0.25


def printed_chars(text: str) -> float:
    """Width in characters as a line prints: :func:`text_chars` plus the space added where Chinese meets a digit
    or a Latin letter. "2027年1月8日" is 6 characters of text but 7¼ printed; a column sized by the 6 printed
    "2027年1月8" and "日" on the next line (notice 附件2/3, the 调整通知's table)."""
    def cjk(c: str) -> bool:
        return ord(c) >= 0x2E80 and c not in "，。、；：（）《》【】“”‘’〔〕"

    boundaries = sum(1 for a, b in zip(text, text[1:])
                     if (cjk(a) and b.isascii() and b.isalnum()) or (a.isascii() and a.isalnum() and cjk(b)))
    return text_chars(text) + AUTOSPACE_CHARS * boundaries


def _signature(doc, lines: list[str]) -> None:
    """发文机关署名 and 成文日期 (GB/T 9704 7.3.5.1, without a seal): one blank line above; the 署名 two
    characters in from the right, the date under it starting two characters right of the 署名's first
    character; a date longer than that keeps two characters from the right and moves the 署名 left."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    _para(doc, "", keep_next=True)
    if len(lines) != 2:
        for text in lines:
            _para(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2, keep_next=True)
        return
    sig, date = lines
    w_sig, w_date = text_chars(sig), text_chars(date)
    right_sig, right_date = 2.0, w_sig - w_date
    if right_date < 2:
        right_sig, right_date = 4 + w_date - w_sig, 2.0
    _para(doc, sig, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=right_sig, keep_next=True)
    _para(doc, date, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=right_date)


def _border(paragraph_or_cell_pr, edge: str, size_eighths: int, color: str = "000000", space: int = 0) -> None:
    """A line on one edge of a paragraph (w:pBdr) or a table (w:tblBorders): size in eighths of a point."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(f"w:{edge}")
    for key, value in (("val", "single" if size_eighths else "nil"), ("sz", size_eighths), ("space", space),
                       ("color", color)):
        el.set(qn(f"w:{key}"), str(value))
    paragraph_or_cell_pr.append(el)


def _letterhead(doc, head, number: str) -> None:
    """版头: 发文机关标志 (red), two lines, 发文字号, the red separator 4 mm under it, two lines (GB/T 9704 7.2)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Mm, Pt

    line = MARK_PT * 1.25
    mark = _para(doc, head.mark, TITLE_FONT, MARK_PT, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED, exact=line)
    # the line box centres the characters: their top edge lies about (line - size) / 2 below the box's
    mark.paragraph_format.space_before = Mm(MARK_TOP_MM) - Pt((line - MARK_PT) / 2)
    _para(doc, "")
    _para(doc, "")
    p = _para(doc, number, align=WD_ALIGN_PARAGRAPH.CENTER)
    bdr = OxmlElement("w:pBdr")
    _border(bdr, "bottom", 12, RED, space=11)  # 1.5 pt, 4 mm (11 pt) under the 发文字号's line
    _place(p._p.get_or_add_pPr(), bdr, PPR_ORDER)
    _para(doc, "")
    _para(doc, "")


def _record(doc, head, issued) -> None:
    """版记 on the last page, its last line on the type area's bottom edge (GB/T 9704 7.4): 抄送 (if any) and
    印发机关 with 印发日期, between a thick line above and below and a thin one between."""
    from docx.enum.section import WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section)
    rows = ([f"抄送：{'，'.join(head.copy_to)}。"] if head.copy_to else []) + ["印发"]
    pitch = LINE_PITCH_PT
    # blank lines push the 版记 to the page's foot (22 lines a page); the last one a little short, so that
    # the table's lines cannot carry it onto another page
    for _ in range(22 - len(rows) - 1):
        _para(doc, "")
    _para(doc, "", exact=pitch - 6)
    table = doc.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for edge, size in (("top", 8), ("left", 0), ("bottom", 8), ("right", 0), ("insideH", 6), ("insideV", 0)):
        _border(borders, edge, size)
    _place(table._tbl.tblPr, borders, TBLPR_ORDER)
    usable = _usable_mm(section)
    when = date_text(issued) + "印发" if issued else BLANK_DATE + "印发"
    for text in rows:
        row = table.add_row()
        _row_props(row, header=False)
        cells = row.cells
        if text != "印发":
            cells = [cells[0].merge(cells[1])]
            values = [(text, WD_ALIGN_PARAGRAPH.LEFT)]
        else:
            values = [(head.printed_by, WD_ALIGN_PARAGRAPH.LEFT), (when, WD_ALIGN_PARAGRAPH.RIGHT)]
        for cell, (value, align) in zip(cells, values):
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
            _para(cell, value, BODY_FONT, RECORD_PT, align=align, exact=pitch - 0.5,
                  left_chars=1 if align == WD_ALIGN_PARAGRAPH.LEFT else 0,
                  right_chars=1 if align == WD_ALIGN_PARAGRAPH.RIGHT else 0)
    for c in range(2):
        table.columns[c].width = Mm(usable / 2)
        for cell in table.columns[c].cells:
            cell.width = Mm(usable / 2)
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    _place(table._tbl.tblPr, margins, TBLPR_ORDER)


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
               keep_last=2 if last else 0, whole=(0, 1, 2))
    _notes(doc, att.footnotes)


def _directory(doc, catalogue, marks: Marks) -> None:
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section, landscape=True)
    _attachment_head(doc, W.DIRECTORY_SHEET, W.DIRECTORY_TITLE, marks, new_page=False)
    _table(doc, W.DIRECTORY_HEADERS, T.directory_rows(catalogue), DIRECTORY_COLS, _usable_mm(section), (2,),
           whole=(0, 4, 5))  # 序号, 联系电话, 负责人: a number or a name never splits


def _save(doc, issued=None) -> bytes:
    from .xlsx import stable_zip

    buf = io.BytesIO()
    doc.save(buf)
    return stable_zip(_package_parts(buf.getvalue()), _fixed_time(issued))


def _font_table() -> bytes:
    """word/fontTable.xml: every font the notice uses, each with its first fallback (w:altName) and the
    GB2312 character set, so Word/WPS substitute a Chinese face of the same kind where one is missing."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    fonts = []
    for name, alts in FALLBACKS.items():
        fonts.append(f'<w:font w:name="{name}"><w:altName w:val="{alts[0]}"/><w:charset w:val="86"/>'
                     f'<w:family w:val="{FONT_FAMILY[name]}"/><w:pitch w:val="variable"/></w:font>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:fonts xmlns:w="{ns}">'
            + "".join(fonts) + "</w:fonts>").encode("utf-8")


_THEME_EA = re.compile(rb'<a:ea typeface="[^"]*"/>')
_APP = re.compile(rb"<Application>[^<]*</Application>")
_THUMBNAIL_REL = re.compile(rb'<Relationship [^>]*Target="docProps/thumbnail.jpeg"/>')


def _package_parts(data: bytes) -> bytes:
    """python-docx's default package, made ours: the font table with fallbacks, the theme's East Asian
    faces, no "Microsoft Macintosh Word" as the application, no thumbnail of another document."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name, part = info.filename, src.read(info.filename)
            if name == "docProps/thumbnail.jpeg":
                continue
            if name == "word/fontTable.xml":
                part = _font_table()
            elif name == "word/theme/theme1.xml":
                part = _THEME_EA.sub('<a:ea typeface="宋体"/>'.encode(), part)
            elif name == "docProps/app.xml":
                part = _APP.sub(b"<Application>planner</Application>", part)
            elif name == "_rels/.rels":
                part = _THUMBNAIL_REL.sub(b"", part)
            dst.writestr(info, part)
    return out.getvalue()


def notice_docx_bytes(plan: Plan, ctx, flag: str = "", template: str | None = None, template_name: str = TEMPLATE,
                      issued=None, paper: Paper | None = None) -> bytes:
    """The notice with 附件1–4, as .docx bytes (built in memory; nothing written)."""
    paper = paper or Paper(issued=issued)
    marks = Marks(flag, T.provisional_note(plan, ctx))
    values = facts(plan, ctx, paper=paper)
    lines = render_body(template if template is not None else default_template(), values, template_name)
    if paper.sections and SECTIONS_MARK not in [ln.strip() for ln in lines]:  # a template from before the mark
        at = next((k for k, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
        lines = [*lines[:at], SECTIONS_MARK, *lines[at:]]
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), f"运城市{plan.year}年安全培训考试计划")
    doc = _new_document(plan, title, paper.issued)
    _body(doc, lines, marks, paper, values["document_number"])
    _materials(doc, ctx.catalogue, marks)
    for att in T.attachments(plan, ctx):
        _plan_attachment(doc, att, plan, ctx, marks)
    _directory(doc, ctx.catalogue, marks)
    _record(doc, paper.head(), paper.issued)
    return _save(doc, paper.issued)


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


def stable_pdf(data: bytes, issued=None) -> bytes:
    """LibreOffice stamps the conversion time and a random id: replace them in place (same lengths, so
    the cross-reference offsets stay valid) with the publish day and an id derived from the content."""
    import hashlib

    when = _fixed_time(issued)
    stamp = when.strftime("%Y%m%d%H%M%S").encode()
    digest = hashlib.sha256(_PDF_CHECKSUM.sub(b"", _PDF_ID.sub(b"", _PDF_DATE.sub(b"", _XMP_DATE.sub(b"", _XMP_UUID.sub(
        b"", data)))))).hexdigest().upper().encode()
    data = _same_length(_PDF_CHECKSUM, data, lambda m: b"/DocChecksum /" + digest[32:64])
    data = _same_length(_PDF_DATE, data, lambda m: b"/" + m.group(1) + b"(D:" + stamp + b"Z)")
    data = _same_length(_PDF_ID, data, lambda m: b"/ID [<" + digest[:32] + b"><" + digest[:32] + b">]")
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    data = _same_length(_XMP_DATE, data, lambda m: m.group(1) + iso + m.group(2))
    uuid = f"uuid:{digest[:8].decode()}-{digest[8:12].decode()}-{digest[12:16].decode()}-" \
           f"{digest[16:20].decode()}-{digest[20:32].decode()}".lower().encode()
    return _same_length(_XMP_UUID, data, lambda m: uuid)


def installed_fonts() -> frozenset[str] | None:
    """Font family names fontconfig knows (every name of each family), or None without fontconfig."""
    import shutil
    import subprocess

    exe = shutil.which("fc-list")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, ":", "family"], capture_output=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(name.strip() for line in out.decode("utf-8", "replace").splitlines()
                     for name in line.split(",") if name.strip())


def substitutes(installed: frozenset[str] | None) -> dict[str, str]:
    """Official font -> the installed fallback the PDF uses instead (empty: every official font is there).
    Without fontconfig nothing is known, and nothing is substituted."""
    if installed is None:
        return {}
    out = {}
    for name, alts in FALLBACKS.items():
        if name not in installed:
            out[name] = next((a for a in alts if a in installed), alts[-1])
    return out


def with_fonts(data: bytes, subs: dict[str, str]) -> bytes:
    """The .docx with each official font name replaced by its stand-in (for LibreOffice only; the
    published .docx keeps the official names)."""
    import zipfile

    if not subs:
        return data
    pattern = re.compile("|".join(re.escape(f'"{k}"') for k in sorted(subs, key=len, reverse=True)).encode())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename.endswith(".xml"):
                part = pattern.sub(lambda m: f'"{subs[m.group(0).decode()[1:-1]]}"'.encode(), part)
            dst.writestr(info, part)
    return out.getvalue()


def docx_to_pdf(data: bytes, issued=None, name: str = "notice",
                subs: dict[str, str] | None = None) -> tuple[bytes | None, str]:
    """(PDF bytes, "") converted by LibreOffice (``planner.publish.pdfconvert``: bounded, private profile, killed
    with the command), or (None, the note saying why not) when it is missing or ran out of time. *subs* (see
    :func:`substitutes`; default: worked out here) names the stand-ins for missing fonts."""
    return PendingPdf(data, issued, name, subs).result()


class PendingPdf:
    """:func:`docx_to_pdf` started now and finished by :meth:`result`: LibreOffice works while the caller does
    something else; :meth:`abandon` stops it when the caller will not wait."""

    def __init__(self, data: bytes, issued=None, name: str = "notice", subs: dict[str, str] | None = None) -> None:
        from .pdfconvert import Conversion

        subs = substitutes(installed_fonts()) if subs is None else subs
        self.issued, self.name = issued, name
        self.conversion = self._failing(lambda: Conversion(with_fonts(data, subs), name))

    def result(self) -> tuple[bytes | None, str]:
        pdf, note = self._failing(self.conversion.result)
        return (None, note) if pdf is None else (stable_pdf(pdf, self.issued), "")

    def abandon(self) -> None:
        self.conversion.abandon()

    def _failing(self, step):
        import subprocess

        from .pdfconvert import soffice

        try:
            return step()
        except (OSError, subprocess.SubprocessError) as exc:  # the machine's failure, not the input's: exit 4
            raise IOFailure(f"LibreOffice could not convert {self.name}.docx to PDF ({type(exc).__name__}: "
                            f"{getattr(exc, 'strerror', None) or exc}); nothing was written", file=soffice()) from None
