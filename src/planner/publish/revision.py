"""The revision notice (调整通知) of a re-planned plan: revision.docx and revision.xlsx.

Lists exactly the sessions whose date, site or registration deadline differ from the plan as
published before (matched by stream and 期次, as ``compare.diff_plans`` does), plus sessions
added or cancelled: old and new registration deadline, exam date and site, and a true reason
per row (a site swap is a site change, never "顺延"). The notice cites the original by its exact
title and 发文字号, read from the published set's ``plan.json`` (:func:`published_notice`), gives the
reason the scenario states (a planner may override it, one line), and tells registered candidates
what to do (an editable paragraph of ``templates/revision_body.md.j2``).
"""
from __future__ import annotations

import re

from ..compare import Change, diff_plans
from ..errors import PlannerError
from ..plan import Plan
from ..textio import one_line
from . import notice_docx as D
from . import tables as T
from . import wording as W

TEMPLATE = "revision_body.md.j2"
TABLE_MARK = "[[调整表]]"
HEADERS = ("期次", "原报名截止", "原考试时间", "原考试地点", "调整后报名截止", "调整后考试时间", "调整后考试地点",
           "调整原因")
COLS = (2.6, 2.1, 2.0, 3.2, 2.1, 2.0, 3.2, 3.6)
#: the printed table (revision.docx/.pdf): each side's deadline and exam date share a cell, one above the other,
#: so that on a portrait page no date splits (eight columns left the dates 15 mm: "8月24" / "日前"); each change's
#: reason goes in a row of its own under it, the table's whole width ("调整原因：…"): as a sixth column it had
#: 21–25 mm, four characters a line, and a reason of 60 characters (a site that does not examine every type)
#: took fifteen lines
PRINTED_HEADERS = ("期次", "原报名截止\n原考试时间", "原考试地点", "调整后报名截止\n调整后考试时间", "调整后考试地点")
PRINTED_COLS = (2.4, 3.4, 3.3, 3.4, 3.3)
REASON_LABEL = "调整原因："
SHEET = "调整期次"
#: the longest reason a planner may give (it sits in one sentence of the notice: one printed line and a half)
MAX_REASON_CHARS = 40
#: placeholder of a 发文字号 not yet known (GB/T 9704: 机关代字〔年份〕序号), left visible to be filled in
DOC_NO_PLACEHOLDER = "运应急发〔{year}〕  号"

#: why a session changed when no rule of the rule set says it: kept as the planner fixed it, or a rule the text names
#: no longer exists (a rule's own reason is its ``zh.revision``: ``wording.rule_revision``)
PIN_REASON = "按工作安排确定"
OTHER_REASON = "按工作安排调整"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def check_reason(text: str, field: str = "reason") -> str:
    """A planner's reason for the notice: one line of at most MAX_REASON_CHARS characters, else bad input."""
    text = one_line(text.strip(), "the reason (it is printed inside one sentence of the notice)", fieldname=field)
    if len(text) > MAX_REASON_CHARS:
        raise PlannerError(f"the reason has {len(text)} characters; at most {MAX_REASON_CHARS} (one line of the "
                           "notice: put the details in the notice's other paragraphs)", field=field)
    return text.rstrip("。，；")


#: the longest "what registered candidates do" paragraph a planner may write (the default is about 110)
MAX_ADVICE_CHARS = 300
#: a line starting so is markup in the notice body (title, 主送, signature, heading, table): never a planner's paragraph
_MARKUP = ("#", "> ", "@ ", "附件：", "[[")


def check_advice(text: str, field: str = "advice") -> str:
    """A planner's paragraph telling registered candidates what to do: one paragraph, not markup, bounded."""
    text = one_line(text.strip(), "the advice to registered candidates (one paragraph of the notice)",
                    fieldname=field)
    if len(text) > MAX_ADVICE_CHARS:
        raise PlannerError(f"the advice has {len(text)} characters; at most {MAX_ADVICE_CHARS}", field=field)
    if text.startswith(_MARKUP):
        raise PlannerError(f"the advice starts with {text[:3]!r}, which the notice reads as layout markup",
                           field=field)
    return text


def default_advice(template: str | None = None) -> str:
    """What registered candidates are told when the planner writes nothing: the template's ``default_advice``."""
    from importlib.resources import files

    import jinja2

    text = template or files("planner").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    return str(getattr(jinja2.Environment().from_string(text).module, "default_advice", ""))


def what_changed(c: Change) -> str:
    """The change in the notice's words. A registration deadline brought forward is always said (考试时间和报名时间
    调整): whoever meant to register by the published deadline has fewer days, which the exam's own change hides."""
    if c.old is None:
        return "新增期次"
    if c.new is None:
        return "取消期次"
    parts = []
    if c.old.exam_date != c.new.exam_date:
        parts.append("考试时间")
    if c.old.institution != c.new.institution:
        parts.append("考试地点")
    if c.old.registration_deadline != c.new.registration_deadline and (
            not parts or c.new.registration_deadline < c.old.registration_deadline):
        parts.append("报名时间")
    if not parts:
        parts.append("考试类别")
    return ("、".join(parts[:-1]) + "和" if len(parts) > 1 else "") + parts[-1] + "调整"


#: at most this many operation types are named in a row of the notice (the rest: 等N项)
MAX_NAMED_OPERATIONS = 3


def lost_operations(c: Change, ctx) -> list[str]:
    """The operation types the published session examined (its site's scope for its stream, on its exam date) that
    the session as changed does not examine (its new site on its new date: a dated licence may end between the two
    at the same site): candidates registered for one of them cannot sit the moved session. Codes, in the catalogue's
    order; [] when site and date stay, or the session is added or cancelled. ``replan.examined`` reads the scope,
    as the re-plan's cost does for whom a move strands (``replan.strand_days``)."""
    from ..replan import examined

    if c.old is None or c.new is None or (c.old.institution, c.old.exam_date) == (c.new.institution,
                                                                                   c.new.exam_date):
        return []
    gone = examined(ctx, c.old.institution, c.stream, c.old.exam_date) - \
        examined(ctx, c.new.institution, c.stream, c.new.exam_date)
    return [code for code in ctx.catalogue.operations if code in gone]


def lost_text(c: Change, ctx) -> str:
    """:func:`lost_operations` in the notice's words, with what those candidates do; "" when none is lost."""
    codes = lost_operations(c, ctx)
    if not codes:
        return ""
    names = [ctx.catalogue.operations[code].name for code in codes]
    shown = "、".join(names[:MAX_NAMED_OPERATIONS]) + (f"等{len(names)}项" if len(names) > MAX_NAMED_OPERATIONS
                                                      else "")
    # the same site on another day: its licence for those types is not in force then
    where = "调整后考点" if c.old.institution != c.new.institution else "调整后的考试时间，本考点"
    return f"{where}不承担{shown}考试，已报名的上述项目考生须改报其他期次"


def _with_lost(text: str, c: Change, ctx) -> str:
    lost = lost_text(c, ctx)
    return f"{text}；{lost}" if text and lost else text or lost


def _short(ctx, institution: str) -> str:
    inst = ctx.catalogue.institutions.get(institution)
    return inst.short_name if inst is not None else institution


def _closure(ctx, institution: str, day):
    return next((c for c in ctx.closures if c.institution == institution and c.start <= day <= c.end), None)


def row_reason(c: Change, reason, ctx) -> str:
    """Why one 期次 changed, in the notice's words: its own broken rule, or the change that forced it."""
    if reason is None:
        return ""
    if getattr(reason, "rule", None) is None:  # plain text: already in Chinese (a planner's, or changes.csv's)
        return reason
    rule = reason.rule.partition("[")[0]
    if reason.own:
        if not rule:  # a change made as planned, the only one: what changed says it all ("考试时间调整")
            return ""
        if rule == "institution_open" and c.old is not None:
            return f"{_short(ctx, c.old.institution)}考点暂停考试"
        return _rule_text(rule)
    if not rule:
        return "随其他期次一并调整"
    text = _rule_text(rule)
    if reason.cause is not None and c.new is not None:
        no = reason.cause[1]
        return f"第{no}期调整后，{text}" if reason.cause[0] == c.stream else f"其他考试调整后，{text}"
    return text


def _rule_text(rule: str) -> str:
    return PIN_REASON if rule == "pin" else (W.rule_revision(rule) or OTHER_REASON)


def row_reason_text(rule: str, text: str):
    """A reason read back from changes.csv (its ``rule`` and ``reason`` columns) for :func:`row_reason`."""
    from ..replan import Reason

    if not text:
        return None
    own = not text.startswith(("knock-on", "kept as published", "no rule forces"))
    m = re.match(r"knock-on of (\w+) #(\d+)", text)
    return Reason(rule, text, own, (m.group(1), int(m.group(2))) if m else None)


#: 调整明细: the 调整 page's table as a file a planner opens in Excel or WPS, which `planner replan` writes too
#: (one definition for the page, its download and the command's file)
DETAIL_HEADER = ["考试计划", "期次", "变化", "相差天数", "原考试时间", "原考点", "原报名时间", "调整后考试时间", "调整后考点",
                 "调整后报名时间", "受影响考生", "原因", "涉及规则"]
#: the file `planner replan` writes it to, and the name the workbench offers it under
DETAIL_FILE = "调整明细.csv"
#: the same table of `planner compare` (two plans, no reasons): its first ten columns
COMPARE_FILE = "比较明细.csv"


def people_basis(source: str, status: str = "") -> str:
    """Where a revision's candidates come from, in the words of the 调整 page and of 调整明细's column name, an
    estimate said as such: *source* ``"registrations"`` (a registrations file: the workbench's upload or ``planner
    replan --registrations``), ``"published"`` (the expected candidates the published set carries) or ``"demand"``
    (the demand joined to the re-plan); *status* the demand's 估计 or 实际."""
    return {"registrations": "按上传的报名人数", "published": f"按发布时的预计考生数，{status}",
            "demand": f"按需求与考位的预计考生数，{status}"}[source]


def detail_entries(changes: list[Change], rows: dict, ctx, year: int, rule_title) -> list[dict]:
    """Each change of a revision in the notice's words: what changed, both sides (考试 3月6日, 报名截止 3月1日前,
    the site's name), the days moved, the candidates it affects and why, from changes.csv's *rows* keyed by
    (stream, 期次) (their ``rule`` and ``reason`` read back as ``planner publish --revision-of`` reads them);
    *rule_title* names a rule in Chinese. What the 调整 page shows and :func:`detail_csv` writes."""
    cat = ctx.catalogue

    def side(s):
        return None if s is None else {"exam": W.day_text(s.exam_date, year),
                                        "deadline": W.deadline_text(s.registration_deadline, year),
                                        "site": T.site_name(ctx, s.institution)}

    out = []
    for c in changes:
        row = rows.get((c.stream, c.no))
        reason = row_reason_text(row[12], row[13]) if row else None
        rule = reason.rule.partition("[")[0] if reason is not None else ""
        out.append({"key": f"{c.stream}-{c.no}", "stream": cat.streams[c.stream].name, "no": c.no,
                    "what": what_changed(c), "old": side(c.old), "new": side(c.new),
                    "days": W.days_moved(c.days) if c.old and c.new else "",
                    "candidates": row[10] if row else "", "reason": _with_lost(row_reason(c, reason, ctx), c, ctx),
                    "rule": rule_title(rule) if rule else "",
                    "refusable": bool(c.old and c.new and reason is not None and not reason.own)})
    return out


def detail_csv(entries: list[dict], basis: str = "", why: bool = True) -> bytes:
    """:func:`detail_entries` as CSV with a BOM, the page's words and dates; a cancelled 期次 has no new side, an
    added one no old side. *basis* (where the candidates come from: registrations, or expected candidates with
    估计/实际) goes into the candidates' column name, as the page says it beside the total, so an estimate is never
    read as a count. Without *why* (a comparison of two plans: no candidates, no reasons) the last three columns
    are left out."""
    from .csvfiles import bom_csv

    def side(s: dict | None) -> list[str]:
        return ["", "", ""] if s is None else [s["exam"], s["site"], s["deadline"]]

    width = len(DETAIL_HEADER) if why else len(DETAIL_HEADER) - 3
    rows = [[c["stream"], c["no"], c["what"], c["days"], *side(c["old"]), *side(c["new"]), c["candidates"],
             c["reason"], c["rule"]][:width] for c in entries]
    header = [f"{h}（{basis}）" if h == "受影响考生" and basis else h for h in DETAIL_HEADER][:width]
    return bom_csv([[str(v) for v in r] for r in rows], header)


def notice_reason(changes: list[Change], reasons: dict, ctx, year: int) -> str:
    """The reason the notice gives, from the new facts behind the changes (closures first, with their own reason)."""
    out: list[str] = []
    for c in changes:
        r = reasons.get((c.stream, c.no))
        if getattr(r, "rule", None) is None or not r.own:
            continue
        rule = r.rule.partition("[")[0]
        if rule == "institution_open" and c.old is not None:
            cl = _closure(ctx, c.old.institution, c.old.exam_date)
            if cl is None:
                continue
            why = cl.reason.strip().rstrip("。，；") if _CJK.search(cl.reason or "") else ""
            why = _without_site(why, ctx, cl.institution)
            since = f"自{W.day_text(cl.start, year)}起"
            if why and len(why) <= MAX_REASON_CHARS and since in why:  # its own reason dates it: said once
                text = f"{_short(ctx, cl.institution)}考点{why}"
            else:
                text = f"{_short(ctx, cl.institution)}考点{why + '，' if why and len(why) <= MAX_REASON_CHARS else ''}" \
                       f"{since}暂停考试"
        elif rule in ("working_day", "holiday_deadline", "plan_window"):
            text = "国家法定节假日安排调整"
        elif rule == "session_count":
            text = "考试期次数量调整"
        else:
            continue
        if text not in out:
            out.append(text)
    return _within_limit(out)


def _within_limit(reasons: list[str]) -> str:
    """The reasons joined by 、, as many as fit MAX_REASON_CHARS (with 等 when some are left out), so that the default
    a planner is offered is one the form accepts; a single reason too long keeps its site and date only."""
    text = "、".join(reasons)
    if len(text) <= MAX_REASON_CHARS:
        return text
    for n in range(len(reasons) - 1, 0, -1):
        text = "、".join(reasons[:n]) + "等"
        if len(text) <= MAX_REASON_CHARS:
            return text
    first = re.sub(r"考点.*?，自", "考点自", reasons[0], count=1)  # "华安考点场地整改，自…" → "华安考点自…"
    return first if len(first) <= MAX_REASON_CHARS else first[:MAX_REASON_CHARS - 1] + "等"


def _without_site(why: str, ctx, institution: str) -> str:
    """A closure's reason without the site it names first ("瑞阳考点8至9月停业整顿" → "8至9月停业整顿"): the notice
    names the site itself, and "因瑞阳考点瑞阳考点…" reads as a slip."""
    inst = ctx.catalogue.institutions[institution]
    for name in sorted({inst.name, inst.short_name}, key=len, reverse=True):
        for prefix in (f"{name}考点", name):
            rest = why[len(prefix):] if why.startswith(prefix) else None
            if rest is not None and not rest.startswith("考点"):
                return rest.lstrip("，、：: ")
    return why


def revision_rows(old: Plan, new: Plan, ctx, reasons: dict | None = None) -> list[list[str]]:
    """One row per changed session: "特种作业\n第24期", old deadline, date and site, the new ones, the reason."""
    reasons = reasons or {}
    cat = ctx.catalogue
    rows = []
    for c in diff_plans(old, new):
        o, n = c.old, c.new
        why = what_changed(c)
        extra = _with_lost(row_reason(c, reasons.get((c.stream, c.no)), ctx), c, ctx)
        name = W.stream_short(c.stream, cat.streams[c.stream].name if c.stream in cat.streams else c.stream)
        rows.append([
            f"{name}\n第{c.no}期",
            W.deadline_text(o.registration_deadline, old.year) if o else "—",
            W.day_text(o.exam_date, old.year) if o else "—", T.site_name(ctx, o.institution) if o else "—",
            W.deadline_text(n.registration_deadline, new.year) if n else "—",
            W.day_text(n.exam_date, new.year) if n else "取消", T.site_name(ctx, n.institution) if n else "—",
            f"{why}（{extra}）" if extra else why,
        ])
    return rows


def revised_notice_template(template: str | None, old: Plan, new: Plan, ctx, reasons: dict | None = None):
    """The notice body template re-issued with a revision: one line after 主送 naming the changed 期次.

    Returns (template text, the revision rows); the template unchanged when nothing changed.
    """
    from importlib.resources import files

    rows = revision_rows(old, new, ctx, reasons)
    if not rows:
        return template, rows
    text = template or files("planner").joinpath("templates", "notice_body.md.j2").read_text(encoding="utf-8")
    by_stream: dict[str, list[str]] = {}
    for c in diff_plans(old, new):
        name = W.stream_short(c.stream, ctx.catalogue.streams[c.stream].name if c.stream in ctx.catalogue.streams
                              else c.stream)
        by_stream.setdefault(name, []).append(str(c.no))
    which = "，".join(f"{name}第{'、'.join(nos)}期" for name, nos in by_stream.items())
    line = f"（本计划已调整，调整的期次为{which}，详见调整通知；以本版为准。）"
    lines = text.split("\n")
    at = next((i for i, ln in enumerate(lines) if ln.startswith("> ")), None)
    if at is None:
        at = next((i for i, ln in enumerate(lines) if ln.startswith("# ")), -1)
    lines[at + 1:at + 1] = ["", line.replace("{", "{{ '{' }}")]
    return "\n".join(lines), rows


def notice_title(year: int, template: str | None = None) -> str:
    """The title line of the year's notice as notice.docx prints it (the template's "# " line)."""
    from importlib.resources import files

    import jinja2

    text = template or files("planner").joinpath("templates", "notice_body.md.j2").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# "):
            try:
                return jinja2.Environment().from_string(line[2:].strip()).render(year=year).strip()
            except jinja2.TemplateError:
                break
    return f"运城市应急管理局关于印发{year}年全市安全生产培训考试计划的通知"


def published_notice(plan_path, plan: Plan) -> dict:
    """The published set *plan_path* belongs to: ``{"title", "doc_no"}`` of its notice, from plan.json.

    A plan counts as published when the folder it sits in holds the publish set (plan.json) of the
    same sessions. Raises :class:`PlannerError` (bad input) otherwise: a revision revises what
    candidates were told, not a draft.
    """
    import json
    from pathlib import Path

    from ..textio import read_input_bytes

    path = Path(plan_path)
    meta = path.with_name("plan.json")
    if not meta.is_file():
        raise PlannerError("was never published (no plan.json of a publish set beside it): publish it first "
                           "(planner publish) and revise the set's plan, or re-plan a draft with --draft", file=path)
    try:
        doc = json.loads(read_input_bytes(meta).decode("utf-8"))
        published = {(s["stream"], int(s["no"])): (s["exam_date"], s["institution"], s["registration_deadline"])
                     for s in doc["sessions"]}
    except (ValueError, KeyError, TypeError, RecursionError):
        raise PlannerError("is not the plan.json of a publish set", file=meta) from None
    mine = {s.key: (s.exam_date.isoformat(), s.institution, s.registration_deadline.isoformat())
            for s in plan.sessions}
    if doc.get("year") != plan.year or published != mine:
        differ = sorted(set(published.items()) ^ set(mine.items()))
        what = f"{differ[0][0][0]} #{differ[0][0][1]}" if differ else f"the year ({doc.get('year')})"
        raise PlannerError(f"differs from the set published beside it (plan.json; first difference: {what}): "
                           "this plan was never published as it is", file=path)
    notice = doc.get("notice") if isinstance(doc.get("notice"), dict) else {}
    return {"title": str(notice.get("title") or notice_title(plan.year)), "doc_no": str(notice.get("doc_no") or "")}


def revision_docx_bytes(old: Plan, new: Plan, ctx, rows: list[list[str]], flag: str = "", reason: str = "",
                        issued=None, template: str | None = None, original: dict | None = None,
                        advice: str = "") -> bytes:
    from importlib.resources import files

    text = template or files("planner").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    original = original or {}
    paper = D.Paper(issued=issued)
    head = paper.head()
    values = {"year": new.year, "count": len(rows), "reason": reason,
              "issued": D.date_text(issued) if issued else D.BLANK_DATE,
              "provisional": T.provisional_note(new, ctx),
              "original": original.get("title") or notice_title(old.year),
              "doc_no": original.get("doc_no") or DOC_NO_PLACEHOLDER.format(year=old.year),
              "organ": head.organ, "recipients": head.recipients, "advice": advice}
    lines = D.render_body(text, values, TEMPLATE)
    marks = D.Marks(flag, values["provisional"])
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "调整通知")
    doc = D._new_document(new, title, issued)
    at = lines.index(TABLE_MARK) if TABLE_MARK in lines else len(lines)
    D._body(doc, lines[:at], marks, paper, head.document_number(new.year))
    printed = [[r[0], f"{r[1]}\n{r[2]}", r[3], f"{r[4]}\n{r[5]}", r[6]] for r in rows]
    table = D._table(doc, PRINTED_HEADERS, printed, PRINTED_COLS, D._usable_mm(doc.sections[-1]), whole=(0, 1, 3))
    _reason_rows(table, [r[7] for r in rows])
    D._body(doc, lines[at + 1:], D.Marks("", ""))
    D._record(doc, head, issued)
    return D._save(doc, issued)


def _reason_rows(table, reasons: list[str]) -> None:
    """Under each change's row, its reason across the whole table, left-aligned; the change's row keeps with it
    (its paragraphs keep with the next, as Word and WPS read it; neither row splits)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    data = list(table.rows)[1:]
    for row, reason in zip(data, reasons):
        extra = table.add_row()
        D._row_props(extra, header=False)
        cell = extra.cells[0].merge(extra.cells[-1])
        for p in list(cell.paragraphs):
            p._p.getparent().remove(p._p)
        D._para(cell, REASON_LABEL + reason, D.TABLE_FONT, D.TABLE_PT, align=WD_ALIGN_PARAGRAPH.LEFT,
                exact=D.TABLE_PT * 1.4)
        row._tr.addnext(extra._tr)
        for c in row.cells:
            for p in c.paragraphs:
                p.paragraph_format.keep_with_next = True


def revision_xlsx_bytes(new: Plan, ctx, rows: list[list[str]], flag: str = "", issued=None) -> bytes:
    from openpyxl import Workbook

    from . import xlsx as X

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    st = X._styles()
    marks = X.Marks(flag, T.provisional_note(new, ctx), f"运城市{new.year}年安全培训考试计划调整")
    widths = tuple(int(c * 7) for c in COLS)
    row = X._head(ws, st, SHEET, f"运城市{new.year}年安全生产培训考试计划调整期次", len(HEADERS), widths, marks)
    header_row = row
    X._table_row(ws, st, row, HEADERS, widths, st["bold"])
    for values in rows:
        row += 1
        X._table_row(ws, st, row, values, widths)
    X._print_setup(ws, widths, True, marks, f"{header_row}:{header_row}")
    when = X.fixed_time(issued)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = D.ORGAN
    return X._save(wb, when)


def revision_files(old: Plan, new: Plan, ctx, reasons: dict, flag: str = "", issued=None) -> dict[str, bytes]:
    """revision.docx and revision.xlsx.

    *reasons*: (stream, 期次) -> a :class:`planner.replan.Reason` or a Chinese text; "*" -> the
    planner's reason for the whole notice (else it is said from the new facts behind the changes);
    "original" -> ``{"title", "doc_no"}`` of the notice revised (:func:`published_notice`); "advice" -> what
    registered candidates do, as the planner wrote it (else the template's default).
    """
    rows = revision_rows(old, new, ctx, reasons)
    reason = reasons.get("*") or notice_reason(diff_plans(old, new), reasons, ctx, new.year)
    return {"revision.docx": revision_docx_bytes(old, new, ctx, rows, flag, reason, issued,
                                                 original=reasons.get("original"), advice=reasons.get("advice") or ""),
            "revision.xlsx": revision_xlsx_bytes(new, ctx, rows, flag, issued)}
