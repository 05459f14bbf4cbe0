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


def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


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
    gmin = _int(v, "gap_min", err, 0, 120, "最短间隔天数")
    gmax = _int(v, "gap_max", err, 0, 120, "最长间隔天数")
    if gmin is not None and gmax is not None and gmin > gmax:
        err["gap_max"] = "最长间隔不能小于最短间隔"
    cover = _int(v, "coverage_days", err, 1, 400, "最长间隔天数")
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
    days = []
    for n, line in enumerate(v["closed_days"].splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split("..")
        try:
            ds = [dt.date.fromisoformat(p.strip()) for p in parts]
            if len(ds) not in (1, 2) or (len(ds) == 2 and ds[1] < ds[0]):
                raise ValueError
        except ValueError:
            err["closed_days"] = f"第{n}行不是日期或日期范围（例：2027-05-06 或 2027-05-06..2027-05-12）"
            break
        days.append("..".join(d.isoformat() for d in ds))
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
