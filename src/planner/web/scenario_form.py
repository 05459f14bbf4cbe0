"""The 调整/情景 form: a scenario built field by field, written as the same TOML the CLI reads.

Each field is checked here with a Chinese message next to it; the written TOML is then loaded
by ``planner.scenario.load_scenario`` (the one reader), from a scratch copy, before it replaces
anything in the workspace, so a scenario the core refuses never lands there.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass, field

from ..calendar import FIRST_YEAR, LAST_YEAR
from ..demand import PERCENT_RANGE
from ..errors import PlannerError
from .workspace import NAME_RE

CLOSURE_ROWS = 3
STREAMS = ("managers", "special_ops")


def licenses_supported() -> bool:
    """Whether the core reads ``[[licenses]]`` yet (the lead adds it); the page says so when not."""
    from ..scenario import SCENARIO_KEYS

    return "licenses" in SCENARIO_KEYS


@dataclass
class FormResult:
    values: dict
    errors: dict[str, str] = field(default_factory=dict)
    toml: str = ""


def empty_values() -> dict:
    v = {"name": "", "question": "", "year": "", "gap_min": "", "gap_max": "", "coverage_days": "", "demand_percent": "",
         "closed_days": "", "license_institution": "", "license_category": "", "license_start": "",
         "license_end": "", "license_reason": ""}
    for s in STREAMS:
        v[f"sessions_{s}"] = ""
    for i in range(1, CLOSURE_ROWS + 1):
        v.update({f"closure_institution_{i}": "", f"closure_start_{i}": "", f"closure_end_{i}": "",
                  f"closure_reason_{i}": ""})
    return v


def values_from_toml(text: str, name: str) -> dict:
    """Form values of a scenario this form wrote (keys it does not know are left out)."""
    doc = tomllib.loads(text)
    v = empty_values()
    v["name"] = name
    v["question"] = " ".join(ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")).strip()
    v["year"] = str(doc.get("year", ""))
    v["demand_percent"] = str(doc.get("demand_percent", ""))
    for s in STREAMS:
        v[f"sessions_{s}"] = str(doc.get("sessions", {}).get(s, ""))
    rules = doc.get("ruleset", {}).get("rules", {})
    v["gap_min"] = str(rules.get("registration_gap", {}).get("min_days", ""))
    v["gap_max"] = str(rules.get("registration_gap", {}).get("max_days", ""))
    v["coverage_days"] = str(rules.get("coverage", {}).get("max_days_between_opportunities", ""))
    v["closed_days"] = "\n".join(str(d) for d in doc.get("closed_days", []))
    for i, c in enumerate(doc.get("closures", [])[:CLOSURE_ROWS], start=1):
        v.update({f"closure_institution_{i}": c.get("institution", ""), f"closure_start_{i}": str(c.get("start", "")),
                  f"closure_end_{i}": str(c.get("end", "")), f"closure_reason_{i}": c.get("reason", "")})
    lic = (doc.get("licenses") or [{}])[0]
    v.update({"license_institution": lic.get("institution", ""), "license_category": lic.get("category", ""),
              "license_start": str(lic.get("start", "")), "license_end": str(lic.get("end", "")),
              "license_reason": lic.get("reason", "")})
    return v


def _int(v: dict, key: str, errors: dict, lo: int, hi: int, what: str) -> int | None:
    raw = v.get(key, "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        errors[key] = f"{what}须为整数"
        return None
    if not lo <= n <= hi:
        errors[key] = f"{what}须在 {lo}–{hi} 之间"
        return None
    return n


def _date(v: dict, key: str, errors: dict, what: str) -> dt.date | None:
    raw = v.get(key, "").strip()
    if not raw:
        errors[key] = f"请填写{what}"
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[key] = f"{what}不是有效日期（格式：2027-04-01）"
        return None


def label(key: str) -> str:
    """A form field's name as the form labels it (messages.toml [fields])."""
    from .i18n import field_name

    return field_name(key)


#: the day forms neither shared reader takes (``plan.parse_date``: 2027-05-06, 2027/5/6, 2027-5-6, 2027年5月6日;
#: ``wording.parse_day_text``: 5月6日): 2027.5.6, and a month and day without a year, 5/6, 5-6, 5.6
_OTHER_DAY = re.compile(r"^(?:(\d{4})\.)?(\d{1,2})[-/.](\d{1,2})$")
_FULLWIDTH = str.maketrans("０１２３４５６７８９／．－", "0123456789/.-")
#: between the two days of a range
_RANGE = re.compile(r"\s*(?:\.\.|至|到|~|～|—|–)\s*")


def parse_day(text: str, year: int | None) -> dt.date | None:
    """A day of the 不安排考试的日期 box as a planner types it, read by the plan file's own readers where they
    know the form (no year: *year*, the scenario's, else next year's); None when it is none of these."""
    from ..errors import PlannerError
    from ..plan import parse_date
    from ..publish.wording import parse_day_text

    text = text.strip().translate(_FULLWIDTH)
    if year is None:
        from ..api import next_year

        year = next_year()
    try:
        return parse_date(text, None, None, None, forms=set())
    except PlannerError:
        pass
    try:
        day, before = parse_day_text(text, year)
        return None if before else day  # "5月6日前" is a deadline, not a day without exams
    except ValueError:
        pass
    m = _OTHER_DAY.match(text)
    try:
        return dt.date(int(m.group(1) or year), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def closed_day_line(line: str, year: int | None) -> tuple[dt.date, ...] | None:
    """A line of the 不安排考试的日期 box as one day or a range (first, last); None when it is not one. A range's
    second day without a year takes the first day's."""
    parts = _RANGE.split(line.strip())
    if len(parts) not in (1, 2) or not all(parts):
        return None
    first = parse_day(parts[0], year)
    if first is None:
        return None
    if len(parts) == 1:
        return (first,)
    last = parse_day(parts[1], first.year)
    if last is None or last < first:
        return None
    return first, last


def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL, which JSON leaves, escaped as TOML wants)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def build(form: dict, catalogue) -> FormResult:
    """Check every field; the TOML when all are good."""
    v = empty_values()
    v.update({k: str(form.get(k, "")).strip() if k != "closed_days" else str(form.get(k, ""))
              for k in v})
    err: dict[str, str] = {}
    if not v["name"]:
        err["name"] = "请填写情景名称"
    elif not NAME_RE.match(v["name"]):
        err["name"] = "名称只能由汉字、字母、数字、下划线或连字符组成（最多40个字）"
    year = _int(v, "year", err, FIRST_YEAR, LAST_YEAR - 1, "年度")
    counts = {s: _int(v, f"sessions_{s}", err, 1, 300, "场次数") for s in STREAMS}
    gmin = _int(v, "gap_min", err, 0, 120, f"“{label('gap_min')}”")
    gmax = _int(v, "gap_max", err, 0, 120, f"“{label('gap_max')}”")
    if gmin is not None and gmax is not None and gmin > gmax:
        err["gap_max"] = f"“{label('gap_max')}”不能小于“{label('gap_min')}”"
    cover = _int(v, "coverage_days", err, 1, 400, f"“{label('coverage_days')}”")
    percent = _int(v, "demand_percent", err, *PERCENT_RANGE, "需求 ± %")
    closures = []
    for i in range(1, CLOSURE_ROWS + 1):
        keys = [f"closure_{x}_{i}" for x in ("institution", "start", "end", "reason")]
        if not any(v[k] for k in keys):
            continue
        inst = v[keys[0]]
        if inst not in catalogue.institutions:
            err[keys[0]] = "请选择机构"
        a = _date(v, keys[1], err, "开始日期")
        b = _date(v, keys[2], err, "结束日期")
        if a and b and b < a:
            err[keys[2]] = "结束日期不能早于开始日期"
        closures.append((inst, a, b, v[keys[3]]))
    days, bad = [], []
    for n, line in enumerate(v["closed_days"].splitlines(), start=1):
        if not line.strip():
            continue
        got = closed_day_line(line, year)
        if got is None:
            bad.append(n)
            continue
        days.append("..".join(d.isoformat() for d in got))
    if bad:
        rows = "、".join(f"第{n}行" for n in bad[:5]) + (f"等{len(bad)}行" if len(bad) > 5 else "")
        err["closed_days"] = (f"{rows}不是日期或日期范围（例：2027-05-06、2027/5/6、2027年5月6日、5月6日，"
                              "或 2027-05-06..2027-05-12、5月6日至5月12日；不写年份时按情景的年度）")
    lic = None
    if any(v[k] for k in ("license_institution", "license_category", "license_start", "license_end")):
        if not licenses_supported():
            err["license_institution"] = "当前版本的规划核心尚不支持“临时增加考点资质”，此项暂不能保存"
        else:
            cats = {op.category_code for op in catalogue.operations.values()}
            if v["license_institution"] not in catalogue.institutions:
                err["license_institution"] = "请选择机构"
            if v["license_category"] not in cats:
                err["license_category"] = "请选择作业类别"
            a = _date(v, "license_start", err, "开始日期")
            b = _date(v, "license_end", err, "结束日期")
            if a and b and b < a:
                err["license_end"] = "结束日期不能早于开始日期"
            lic = (v["license_institution"], v["license_category"], a, b, v["license_reason"])
    if err:
        return FormResult(v, err)

    lines = [f"# {ln}" for ln in v["question"].splitlines() if ln.strip()] or ["# 在工作台中建立的情景"]
    lines.append(f"name = {_s(v['name'])}")
    if year is not None:
        lines.append(f"year = {year}")
    if percent is not None:
        lines.append(f"demand_percent = {percent}")
    if days:
        lines.append("closed_days = [" + ", ".join(_s(d) for d in days) + "]")
    if any(c is not None for c in counts.values()):
        lines.append("\n[sessions]")
        lines += [f"{s} = {n}" for s, n in counts.items() if n is not None]
    if gmin is not None or gmax is not None:
        lines.append("\n[ruleset.rules.registration_gap]")
        lines += [f"{k} = {n}" for k, n in (("min_days", gmin), ("max_days", gmax)) if n is not None]
    if cover is not None:
        lines.append("\n[ruleset.rules.coverage]")
        lines.append(f"max_days_between_opportunities = {cover}")
    for inst, a, b, reason in closures:
        lines += ["\n[[closures]]", f"institution = {_s(inst)}", f"start = {a.isoformat()}", f"end = {b.isoformat()}",
                  f"reason = {_s(reason or '停考')}"]
    if lic is not None:
        inst, cat, a, b, reason = lic
        lines += ["\n[[licenses]]", f"institution = {_s(inst)}", f"category = {_s(cat)}", f"start = {a.isoformat()}",
                  f"end = {b.isoformat()}", f"reason = {_s(reason or '临时增加资质')}"]
    return FormResult(v, {}, "\n".join(lines) + "\n")


# -- an edited scenario keeps what the form does not show ----------------------------------------------------------
#: the keys of a closure / licence the form's rows show (anything else in such a table is kept)
_ROW_KEYS = ("institution", "category", "start", "end", "reason")


def comment_lines(text: str) -> list[str]:
    """The file's comment lines (the form's 说明 is made of them, :func:`values_from_toml`)."""
    return [ln for ln in text.splitlines() if ln.startswith("#")]


def merged_toml(res: FormResult, old_text: str) -> str:
    """The scenario the form describes, written over the file it edits (*old_text*): every key the form does not
    show stays as the file has it (``extends``, ``rules``, ``[[new_institutions]]``, ``[[pins]]``, ``[calendar]``,
    a stream's sessions or a rule parameter not on the form, a closure after the form's three, a licence after
    its one …); each key the form shows is the form's. The comment lines are kept as written when the 说明 is
    unchanged. ``tomllib.TOMLDecodeError`` when *old_text* is not TOML."""
    old = tomllib.loads(old_text)
    form = tomllib.loads(res.toml)
    doc = dict(old)
    for key in ("name", "year", "demand_percent", "closed_days"):
        doc.pop(key, None)
        if key in form:
            doc[key] = form[key]
    sessions = dict(old.get("sessions") or {}) if isinstance(old.get("sessions"), dict) else {}
    for stream in STREAMS:
        sessions.pop(stream, None)
    sessions.update(form.get("sessions", {}))
    _put(doc, ("sessions",), sessions)
    form_rules = form.get("ruleset", {}).get("rules", {})
    for rule, keys in (("registration_gap", ("min_days", "max_days")),
                       ("coverage", ("max_days_between_opportunities",))):
        table = _get(old, ("ruleset", "rules", rule))
        table = dict(table) if isinstance(table, dict) else {}
        for k in keys:
            table.pop(k, None)
        table.update(form_rules.get(rule, {}))
        _put(doc, ("ruleset", "rules", rule), table)
    for key, shown in (("closures", CLOSURE_ROWS), ("licenses", 1)):
        had = old.get(key) if isinstance(old.get(key), list) else []
        rows = []
        for i, row in enumerate(form.get(key, [])):  # a row keeps the keys of the file's row it shows
            extra = {k: x for k, x in had[i].items() if k not in _ROW_KEYS} \
                if i < len(had) and isinstance(had[i], dict) else {}
            rows.append({**extra, **row})
        rows += had[shown:]
        doc.pop(key, None)
        if rows:
            doc[key] = rows
    question = values_from_toml(old_text, res.values["name"])["question"]
    head = comment_lines(old_text) if res.values["question"] == question else \
        [ln for ln in res.toml.splitlines() if ln.startswith("#")]
    text = "\n".join(head) + "\n" + dump_toml(doc)
    if tomllib.loads(text) != doc:  # pragma: no cover - the writer below is checked by the tests
        raise ValueError("the merged scenario does not read back as written")
    return text


def _get(doc: dict, path: tuple):
    for k in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(k)
    return doc


def _put(doc: dict, path: tuple, table: dict) -> None:
    """doc[path] = table (the tables on the way copied, never changed in place); an empty *table* removes the key,
    and the tables the removal leaves empty."""
    parents = [doc]
    for k in path[:-1]:
        nxt = parents[-1].get(k)
        if not isinstance(nxt, dict):
            if not table:
                return
            nxt = {}
        parents[-1][k] = dict(nxt)
        parents.append(parents[-1][k])
    if table:
        parents[-1][path[-1]] = table
        return
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        if parents[depth]:
            break
        del parents[depth - 1][path[depth - 1]]


#: the order a scenario's keys are written in (the rest follow in the file's own order)
_FIRST = ("name", "extends", "rules", "year", "demand_percent", "closed_days", "sessions", "ruleset", "closures",
          "licenses")
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def dump_toml(doc: dict) -> str:
    """*doc* as TOML (what ``tomllib.loads`` reads back equal): scalars, arrays and inline tables under each
    table's header, then its sub-tables, then its arrays of tables, as the form writes them."""
    order = {k: i for i, k in enumerate(_FIRST)}
    keys = sorted(doc, key=lambda k: (order.get(k, len(order)), list(doc).index(k)))
    out: list[str] = []
    _table(out, (), {k: doc[k] for k in keys})
    return "\n".join(out).lstrip("\n") + "\n"


def _is_tables(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _table(out: list, path: tuple, table: dict, header: bool = False) -> None:
    plain = [(k, v) for k, v in table.items() if not isinstance(v, dict) and not _is_tables(v)]
    if header or (path and (plain or not table)):
        out.append("\n[" + ".".join(_key(k) for k in path) + "]")
    out += [f"{_key(k)} = {_value(v)}" for k, v in plain]
    for k, v in table.items():
        if isinstance(v, dict):
            _table(out, path + (k,), v)
    for k, v in table.items():
        if _is_tables(v):
            for row in v:
                out.append("\n[[" + ".".join(_key(x) for x in path + (k,)) + "]]")
                out += [f"{_key(rk)} = {_value(rv)}" for rk, rv in row.items()]


def _key(k: str) -> str:
    return k if _BARE.match(k) else _s(k)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _s(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"not a TOML value: {v!r}")  # pragma: no cover - tomllib gives none other


#: scenario keys (as PlannerError.field names them) -> the form field showing the message
_FIELD_RE = [
    (re.compile(r"^closures\[(\d+)\]\.(institution|start|end|reason)"), "closure_{1}_{0}"),
    (re.compile(r"^closures\[(\d+)\]"), "closure_start_{0}"),
    (re.compile(r"^sessions\.(\w+)"), "sessions_{0}"),
    (re.compile(r"^ruleset\.rules\.registration_gap\.max_days"), "gap_max"),
    (re.compile(r"^ruleset\.rules\.registration_gap"), "gap_min"),
    (re.compile(r"^ruleset\.rules\.coverage"), "coverage_days"),
    (re.compile(r"^closed_days"), "closed_days"),
    (re.compile(r"^licenses"), "license_institution"),
    (re.compile(r"^year"), "year"),
    (re.compile(r"^demand_percent"), "demand_percent"),
]


def form_field(err: PlannerError) -> str:
    """The form field a scenario error belongs to ("" = the form as a whole)."""
    f = err.field or ""
    for rx, target in _FIELD_RE:
        m = rx.match(f)
        if m:
            return target.format(*m.groups())
    return ""
