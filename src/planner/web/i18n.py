"""The planner's English names and messages said in Chinese, from the one table ``messages.toml``.

The core speaks English (rule names, PlannerError text); a bureau planner reads Chinese. Only the
common cases are mapped (rule titles, field names, conflicts, re-plan reasons); the original
English text stays available under 原文 so nothing is hidden from whoever supports the planner.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from ..textio import ascii_digits

_KEY = re.compile(r"^\s*([a-z_]+)(?:\[([^\]]*)\])?")


@lru_cache(maxsize=1)
def table() -> dict:
    return tomllib.loads((Path(__file__).with_name("messages.toml")).read_text(encoding="utf-8"))


def text(key: str, **kw) -> str:
    return table()["texts"][key].format(**kw)


def rule_texts(name: str) -> dict | None:
    """{title, broken, revision, relax} of a rule (its own ``zh``), or of a conflict item that is not a rule
    (``pin``, ``licenses``: messages.toml [items]); None when neither knows the name."""
    from ..rules import rule_class

    cls = rule_class(name)
    if cls is not None and cls.zh is not None:
        return dict(cls.zh.fields())
    return table()["items"].get(name)


def rule_title(name: str) -> str:
    info = rule_texts(name)
    return info["title"] if info is not None else name


def field_name(field: str | None, catalogue=None) -> str:
    if not field:
        return ""
    if field.startswith(("sites.", "streams.")):  # a demand file's (planner.demand): names from the catalogue
        from ..data import load_catalogue

        return demand_field(field, catalogue if catalogue is not None else load_catalogue())
    head = re.split(r"[.\[]", field, maxsplit=1)[0]
    return table()["fields"].get(field, table()["fields"].get(head, field))


def demand_label(key: str) -> str:
    """A demand file's key (``seats_per_day``, ``first_time`` …) as the 需求与考位 page labels it."""
    return table()["demand_fields"].get(key, key)


def demand_field(field: str, catalogue) -> str:
    """A demand file's field in Chinese: ``sites.huaan.seats_per_day`` → 华安·每个考试日考位;
    ``streams.special_ops.categories.elec_low.first_time`` → 低压电工作业·首次参考; what it does not know stays as
    written."""
    parts = field.split(".")
    try:
        if parts[0] == "sites" and len(parts) >= 2:
            names = [catalogue.institutions[parts[1]].short_name]
            rest = parts[2:]
        elif parts[0] == "streams" and len(parts) >= 4 and parts[2] == "categories":
            names = [catalogue.category_name(parts[3])]
            rest = parts[4:]
        elif parts[0] == "streams" and len(parts) >= 2:
            names = [catalogue.streams[parts[1]].name]
            rest = parts[2:]
        else:
            return field
    except (KeyError, AttributeError):
        return field
    return "·".join(names + [demand_label(k) for k in rest])


def state(name: str) -> str:
    return table()["states"].get(name, name)


def tiers(names) -> str:
    """A re-plan's objectives (``summary.json`` tiers_unsearched) in Chinese, joined as a list is in the notice."""
    return "、".join(table()["tiers"].get(n, n) for n in names)


def status(name: str) -> str:
    return table()["status"].get(name, name)


def kind(name: str) -> str:
    return table()["kinds"].get(name, name)


def change(what: str) -> str:
    return table()["changes"].get(what, what)


def detail(detail: str, catalogue) -> str:
    """``special_ops:elec_cable`` → 特种作业人员·电力电缆作业; ``juteng`` → 聚腾; ``on_demand@yvu`` → …·运城职大;
    ``special_ops#12`` → 特种作业人员 第12期; ``special_ops:hazchem`` → 特种作业人员·危险化学品安全作业."""
    if not detail:
        return ""
    if ", " in detail:  # a list (e.g. the sites a stream lacks a licence at): each item in Chinese
        return "、".join(_detail(item, catalogue) for item in detail.split(", "))
    return _detail(detail, catalogue)


def _detail(detail: str, catalogue) -> str:
    out = []
    for part in re.split(r"[:@]", detail):
        stream, hash_, no = part.partition("#")
        if hash_ and stream in catalogue.streams and ascii_digits(no):
            out.append(f"{catalogue.streams[stream].name} 第{no}期")
        elif part in catalogue.institutions:
            out.append(catalogue.institutions[part].short_name)
        elif part in catalogue.streams:
            out.append(catalogue.streams[part].name)
        elif part in catalogue.operations:
            out.append(catalogue.operations[part].name)
        elif catalogue.category_name(part) != part:  # a category of the candidates' queue (waiting[special_ops:hazchem])
            out.append(catalogue.category_name(part))
        else:
            out.append(part)
    return "·".join(x for i, x in enumerate(out) if i == 0 or x != out[i - 1])  # managers:managers once


def conflict_items(conflict: list[str], catalogue) -> list[dict]:
    """Each conflicting rule as {title, detail, relax, original} (``solver.describe_conflict`` strings)."""
    items = []
    for c in conflict:
        m = _KEY.match(c)
        name, det = (m.group(1), m.group(2) or "") if m else ("", "")
        info = rule_texts(name)
        if info is None:
            items.append({"title": c, "detail": "", "relax": "", "original": c})
            continue
        items.append({"title": info["title"], "detail": detail(det, catalogue), "relax": info["relax"],
                      "original": c})
    return items


def error_view(outcome: dict, catalogue) -> dict:
    """A failed job's outcome as {headline, items, original} for the page."""
    kind_ = outcome.get("type")
    if kind_ == "infeasible":
        conflict = outcome.get("conflict", [])
        if len(conflict) == 1 and conflict[0].startswith("(the conflict could not be isolated"):
            names = conflict[0].rsplit(":", 1)[-1].split(",")
            return {"headline": text("not_isolated"), "original": conflict[0], "retry": True,
                    "items": [{"title": rule_title(n.strip()), "detail": "", "relax": "", "original": n.strip()}
                              for n in names]}
        if len(conflict) == 1 and conflict[0].startswith("the calendar itself"):
            return {"headline": text("calendar_itself"), "items": [], "original": conflict[0]}
        return {"headline": text("infeasible" if outcome.get("minimal", True) else "infeasible_not_minimal"),
                "items": conflict_items(conflict, catalogue), "original": "; ".join(conflict)}
    if kind_ == "input":
        if outcome.get("field") == "time-limit":
            binding = outcome.get("conflict") or []  # what the plan without the candidates breaks
            return {"headline": text("no_plan_in_time_binding" if binding else "no_plan_in_time"),
                    "items": conflict_items(binding, catalogue), "original": outcome.get("message", "")}
        return {"headline": input_error(outcome.get("field"), outcome.get("row"), catalogue=catalogue), "items": [],
                "original": outcome.get("message", "")}
    return {"headline": text("internal"), "items": [], "original": outcome.get("message", "")}


def input_error(field: str | None, row: int | None = None, message: str = "", catalogue=None) -> str:
    """"输入有误：第3行，“考试时间”不正确"; for a whole-file problem (no row, no field) what is wrong with it."""
    if field is None and row is None and message:
        return text("unreadable_upload", problem=problem(message))
    where = ""
    if row is not None:
        where += f"第{row}行，"
    if field:
        where += f"“{field_name(field, catalogue)}”"
    return text("input_error", field=where, message="" if not where else "不正确")


def import_error(err) -> str:
    """A registration export's PlannerError (``planner.demand_import``) in Chinese: the row and column, and why
    (messages.toml [import_reasons], by the message's start; "不正确" for one it does not know)."""
    why = next((zh for start, zh in table()["import_reasons"].items() if err.message.startswith(start)), "")
    if err.row is None and err.field is None:
        return text("unreadable_upload", problem=why or problem(err.message))
    return text("input_error", field=(f"第{err.row}行，" if err.row is not None else "")
                + (f"“{err.field}”" if err.field else ""), message=why or "不正确")


def import_notes(notes: list[str]) -> list[str]:
    """What a registration export's import noticed and kept (``planner.demand_import``'s notes), in Chinese: the
    notes messages.toml [import_notes] knows (a pattern from the note's start, {0}… its groups); the others say
    what the page says anyway (the seats kept, a stream without sessions) and are left out."""
    out = []
    for note in notes:
        for pattern, zh in table()["import_notes"].items():
            m = re.match(pattern, note)
            if m:
                out.append(zh.format(*m.groups()))
                break
    return out


def change_log(what: str) -> str:
    """A row of the change log ("add:generate", "delete", …) in Chinese."""
    head, _, kind_ = what.partition(":")
    if head.endswith("-scenario"):
        return table()["log"].get(head, head) + f"“{kind_}”"
    return table()["log"].get(head, head) + (f"（{kind(kind_)}）" if kind_ else "")


def when(stamp, today: dt.date | None = None) -> str:
    """A stored local time ("2026-12-05 10:45:32", as the history and the saved files write it) as every page says
    it: "12月5日 10:45", with the year when it is not this year's ("2025年12月5日 10:45"); what does not read as
    a time is shown as it is."""
    if stamp is None or stamp == "":
        return ""
    try:
        t = stamp if isinstance(stamp, dt.datetime) else dt.datetime.fromisoformat(str(stamp).strip())
    except ValueError:
        return str(stamp)
    year = "" if t.year == (today or dt.date.today()).year else f"{t.year}年"
    return f"{year}{t.month}月{t.day}日 {t:%H:%M}"


def seconds(value) -> str:
    """A time limit as a planner reads it: 120 → "120 秒", 45.0 → "45 秒", 0.5 → "0.5 秒", 600 → "600 秒（10 分钟）"."""
    try:
        s = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{s:g}" if s < 10 and s != int(s) else f"{round(s)}"
    if s >= 60 and round(s) % 60 == 0:
        return f"{text} 秒（{round(s) // 60} 分钟）"
    return f"{text} 秒"


#: a published file (path in the set) -> the name a planner saves it under; {year} the plan's year
DOWNLOAD_NAMES = {
    "notice.docx": "运城市{year}年安全生产培训考试计划通知.docx",
    "notice.pdf": "运城市{year}年安全生产培训考试计划通知.pdf",
    "notice.xlsx": "运城市{year}年安全生产培训考试计划附件1-4.xlsx",
    "revision.docx": "运城市{year}年考试计划调整通知.docx",
    "revision.pdf": "运城市{year}年考试计划调整通知.pdf",
    "revision.xlsx": "运城市{year}年考试计划调整期次.xlsx",
    "calendar_a3.pdf": "运城市{year}年考试日历（A3挂历）.pdf",
    "report.html": "运城市{year}年考试计划报告.html",
    "csv/annex1_materials.csv": "附件1 报名材料.csv",
    "csv/annex2_managers.csv": "附件2 主要负责人和安全管理员考试计划.csv",
    "csv/annex3_special_ops.csv": "附件3 特种作业人员考试计划.csv",
    "csv/annex4_institutions.csv": "附件4 培训机构咨询电话.csv",
    "changes.csv": "调整记录（技术格式）.csv",
}


def download_name(rel: str, year: int, catalogue=None) -> str:
    """The name a planner saves a published file under (Chinese where the set names it in English); a file the
    table does not know keeps its own name (调整明细.csv, 发布前核对.md …); an institution's calendar is named
    after the institution."""
    name = DOWNLOAD_NAMES.get(rel)
    if name:
        return name.format(year=year)
    folder, _, stem = rel.rpartition("/")
    base, _, ext = stem.rpartition(".")
    if folder == "ics" and catalogue is not None and base in catalogue.institutions:
        return f"{catalogue.institutions[base].short_name}{year}年考试日历.{ext}"
    return stem


def disposition(name: str, fallback: str = "") -> str:
    """A Content-Disposition for a download saved as *name*: RFC 5987's ``filename*=UTF-8''…`` (what browsers use)
    and a plain ASCII ``filename`` for those that do not read it (*fallback*, else *name* with its non-ASCII
    letters dropped)."""
    from urllib.parse import quote

    stem, dot, ext = name.rpartition(".")
    if not fallback:
        ascii_ = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", stem if dot else name)).strip("-_.")
        fallback = (ascii_ or "download") + (f".{ext}" if dot and ext.isascii() else "")
    fallback = re.sub(r'["\\\r\n;]', "_", fallback)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def problem(message: str) -> str:
    """A field-less PlannerError's message in Chinese (the known ones), else a generic sentence."""
    for start, chinese in table()["problems"].items():
        if message.startswith(start):
            return chinese
    return "内容无法识别，请确认它是计划 CSV（UTF-8）或发布的 notice.xlsx。"


def reason(text_: str, catalogue) -> list[str]:
    """A re-plan reason (``rule: message; …`` or ``knock-on: …``) as Chinese phrases."""
    if not text_:
        return []
    if text_ == "pinned":
        return [text("pinned")]
    # a knock-on change (``replan._knock_on``): kept as it was, it would break this rule given the other changes
    broken = re.search(r"kept as published it would break (\w+):", text_)
    if broken and rule_texts(broken.group(1)) is not None:
        return [text("knock_on_rule", rule=rule_title(broken.group(1)))]
    if text_.startswith(("knock-on", "no rule forces it alone")):
        return [text("knock_on")]
    out = []
    for part in text_.split("; "):
        name = part.split(":", 1)[0].strip()
        out.append(rule_title(name) if rule_texts(name) is not None else part)
    return list(dict.fromkeys(out))


def file_label(rel: str, catalogue) -> str:
    """What a published file is and how to open it, in Chinese ("" for a file the table does not know)."""
    files, formats = table()["files"], table()["formats"]
    stem, _, ext = rel.rpartition(".")
    folder, _, name = stem.partition("/")
    if rel in files:  # a file whose formats say different things (notice.docx is the notice, notice.xlsx its 附件)
        what = files[rel]
    elif stem in files:
        what = files[stem]
    elif folder in files and name in catalogue.institutions:
        what = f"{files[folder]}：{catalogue.institutions[name].short_name}"
    else:
        what = files.get(folder, "")
    return what + (f"（{formats[ext]}）" if what and ext in formats else "")


def violation(v, session, ctx) -> str:
    """A rule violation (``rules.base.Violation``) as a Chinese sentence about the session."""
    from ..publish.wording import day_text

    template = (rule_texts(v.rule) or {}).get("broken")
    if not template:
        return rule_title(v.rule)
    day = v.date or (session.exam_date if session is not None else None)
    site = ctx.catalogue.institutions[session.institution].short_name if session is not None else ""
    return template.format(date=day_text(day, ctx.year) if day else "", site=site)


def violation_line(v, plan, ctx) -> str:
    """A hard rule's violation as one Chinese line naming the rule, where and what: "考生候考天数上限：特种作业人员
    第12期（聚腾，5月8日）——危险化学品安全作业有30名考生到本期考试时已候考超过60天" (the rule's own sentence,
    ``Violation.zh``, where it has figures to say; else its ``zh.broken``)."""
    from .views import session_label

    s = plan.by_key().get((v.stream, v.no)) if v.no is not None else None
    if s is not None:
        where = session_label(s, ctx)
    else:
        where = ctx.catalogue.streams[v.stream].name if v.stream in ctx.catalogue.streams else "全年"
    return f"{rule_title(v.rule)}：{where}——{v.zh or violation(v, s, ctx)}"
