"""需求与考位: the planner's demand files in the workspace, the page's form, and the sizing job.

Every save is a new numbered file, ``demand/N.toml`` (a demand file as ``constraints/README.md`` describes it,
the same one ``--demand`` reads), written under a temporary name and linked into place, never overwritten
or deleted: the newest is the workbench's demand, an older one is taken back by saving it again as the
newest. Without any, the shipped estimate (``constraints/demand.toml``, 估计) is shown. The files need no
database row, so nothing the history database suffers can lose them; each save is still a row of the change
log (who saved which), and a save is all or nothing: a database that cannot log it (locked, read-only) refuses
the save before its file appears, so trying again never saves it twice. Who saved it and the note are written
on the file's first line as JSON with every control character escaped, so a saved file always reads back.

The form's numbers are checked by the demand file's own reader (``demand.demand_from_dict``), never by a copy
of its rules here: each field the reader refuses is put back to its saved value and the rest read again, so
every bad field gets its message.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

from ..demand import LINES, STATUSES, Demand, default_demand_path, demand_from_dict, demand_to_toml, load_demand
from ..errors import PlannerError
from ..textio import ascii_digits

FOLDER = "demand"
FILE_RE = re.compile(r"^([0-9]{1,9})\.toml$")
#: the site figures the planner edits (seats per exam day, exam days per session, the most consecutive days)
SITE_FIELDS = ("seats_per_day", "days_per_session", "max_days")
HEADER = "workbench: "


# -- the files ------------------------------------------------------------------------------------------------
def numbers(ws) -> list[int]:
    """The saved demand versions, oldest first."""
    d = ws.root / FOLDER
    return sorted(int(m.group(1)) for p in d.iterdir() if (m := FILE_RE.match(p.name))) if d.is_dir() else []


def path(ws, n: int | None) -> Path:
    """The file of version *n*; None: the shipped estimate."""
    return default_demand_path() if n is None else ws.inside(FOLDER, f"{int(n)}.toml")


def chosen(ws, asked: str | None) -> int | None:
    """The version asked for (404 when unknown: ``LookupError``), else the newest, else None (the estimate)."""
    have = numbers(ws)
    if asked not in (None, ""):
        if not ascii_digits(str(asked)) or int(asked) not in have:
            raise LookupError(asked)
        return int(asked)
    return have[-1] if have else None


def load(ws, n: int | None, catalogue) -> Demand:
    return load_demand(path(ws, n), catalogue)


def meta(ws, n: int) -> dict:
    """{saved, who, note, from} written on the file's first line ({} when the line is missing)."""
    try:
        with open(path(ws, n), encoding="utf-8") as fh:
            first = fh.readline()
        doc = json.loads(first[len("# " + HEADER):]) if first.startswith("# " + HEADER) else {}
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


#: what JSON leaves as it is but a TOML comment may not hold (DEL, the C1 controls) or a line break splits
#: (U+2028/U+2029): escaped as \uXXXX, which JSON reads back as the same character
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def header_line(info: dict) -> str:
    """*info* as the file's first line: JSON on one line, every control character escaped (JSON escapes those
    below U+0020 itself), so the file always reads back and :func:`meta` gives *info* back unchanged."""
    text = json.dumps(info, ensure_ascii=False)
    return HEADER + _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def save(ws, demand: Demand, who: str = "", note: str = "", source: int | None = None) -> int:
    """*demand* as the newest version; the number. Never replaces a file: a number taken meanwhile is skipped.
    All or nothing: the change log's row is written in the same transaction as the file is linked into place, so
    a database that cannot take the row (locked, read-only: ``sqlite3.DatabaseError``) leaves no file."""
    d = ws.root / FOLDER
    d.mkdir(exist_ok=True)
    info = {"saved": dt.datetime.now().replace(microsecond=0).isoformat(sep=" "), "who": who, "note": note,
            "from": source}
    text = demand_to_toml(demand, header_line(info))
    tomllib.loads(text)  # reads back (a TOMLDecodeError here is a bug of the writer: nothing written)
    fd, tmp = tempfile.mkstemp(prefix=".demand-", dir=d)
    linked = None
    con = ws._connect()
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        con.execute("BEGIN IMMEDIATE")  # the log first: a database that cannot be written refuses before any file
        n = (numbers(ws) or [0])[-1] + 1
        while True:
            try:
                os.link(tmp, d / f"{n}.toml")  # fails rather than overwrite
                linked = d / f"{n}.toml"
                break
            except FileExistsError:
                n += 1
        ws.record(con, f"save-demand:第{n}版", None, who)
        ws.commit(con)
    except BaseException:
        try:
            ws.rollback(con)
        finally:  # this save's own file, its row never committed: as if the save had not begun
            if linked is not None:
                linked.unlink(missing_ok=True)
        raise
    finally:
        con.close()
        os.unlink(tmp)
    return n


# -- the form ---------------------------------------------------------------------------------------------------
def category_key(stream: str, category: str, line: str) -> str:
    return f"c.{stream}.{category}.{line}"


def site_key(site: str, what: str) -> str:
    return f"s.{site}.{what}"


def values_of(demand: Demand) -> dict[str, str]:
    """The form's fields as the demand holds them."""
    v = {"status": demand.status}
    for sid, sd in demand.streams.items():
        for cid, c in sd.categories.items():
            v.update({category_key(sid, cid, k): str(getattr(c, k)) for k in LINES})
    for iid, s in demand.sites.items():
        v.update({site_key(iid, k): str(getattr(s, k)) for k in SITE_FIELDS})
    return v


#: a whole number written as Excel/WPS shows it: thousands separated by commas (4,264)
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+$")


def _typed(raw: str):
    """A form field as TOML would have typed it: a whole number, a number, else the text (the reader says why).
    Full-width digits and commas read as ASCII ones, thousands separators are dropped (4,264 is 4264), and a number
    with no fraction is the whole number it is (1e9), so that the reader judges its range, not its spelling."""
    import unicodedata

    raw = unicodedata.normalize("NFKC", raw).strip()
    if _GROUPED.match(raw):
        raw = raw.replace(",", "")
    for kind in (int, float):
        try:
            v = kind(raw)
        except ValueError:
            continue
        return int(v) if isinstance(v, float) and v.is_integer() and "." not in raw else v
    return raw


def _where(v: dict, key: str) -> tuple[dict, str] | None:
    """(table, key) of a form field in a demand document."""
    parts = key.split(".")
    if parts[0] == "c" and len(parts) == 4:
        return v["streams"][parts[1]]["categories"][parts[2]], parts[3]
    if parts[0] == "s" and len(parts) == 3:
        return v["sites"][parts[1]], parts[2]
    return None


def field_of(err: PlannerError) -> str:
    """The form field a demand-file error belongs to ("" = none of them)."""
    f = err.field or ""
    m = re.match(r"^streams\.(\w+)\.categories\.(\w+)\.(\w+)", f)
    if m:
        return category_key(*m.groups())
    m = re.match(r"^sites\.(\w+)\.(\w+)", f)
    if m:
        return site_key(*m.groups())
    return "status" if f == "status" else ""


def message(err: PlannerError) -> str:
    """A reader's refusal in Chinese, for the field next to it."""
    m = err.message
    if m.startswith("expected a whole number") or m.startswith("expected a number"):
        return "须为整数"
    if "out of range" in m:
        lo, hi = re.search(r"\[([^,]+), ([^\]]+)\]", m).groups()
        return f"须在 {_plain(lo)}–{_plain(hi)} 之间"
    if "seats_per_day is required" in m:
        return "请填写每个考试日的考位数（至少1）"
    if m.startswith("nine in ten"):
        return "按参考率、通过率和重考比例，九成以上考生会再次报考，请核对"
    if m.startswith("status must be"):
        return "请选择“估计”或“实际”"
    return f"不正确（原文：{m}）"


def _plain(x: str) -> str:
    x = x.strip()
    try:
        f = float(x)
    except ValueError:
        return x
    return str(int(f)) if f == int(f) else x


def apply_form(base: Demand, form: dict, catalogue) -> tuple[Demand | None, dict, dict]:
    """(the edited demand or None, the form's values, {field: Chinese message}). Only the fields of *base*
    are read; the reader judges every value."""
    doc = tomllib.loads(demand_to_toml(base))
    saved = values_of(base)
    values = {k: str(form.get(k, saved[k])).strip() for k in saved}
    for k, raw in values.items():
        if k == "status":
            doc["status"] = raw
            continue
        table, key = _where(doc, k)
        table[key] = _typed(raw)
        if key == "seats_per_day" and raw != saved[k] and str(table.get("basis", "")).startswith("估计"):
            # the planner typed the site's seats: the bureau's own figure from now on, no longer the estimate's
            table["basis"] = "本局填写"
    errors: dict[str, str] = {}

    def revert(key: str) -> None:
        if key == "status":
            doc["status"] = saved["status"]
        else:
            table, name = _where(doc, key)
            table[name] = _typed(saved[key])

    whole: set[str] = set()  # rows put back as saved: a field refused for a sibling's value (days against max_days)
    for _ in range(2 * len(values) + 2):
        try:
            demand = demand_from_dict(doc, base.file, catalogue)
            return (None if errors else demand), values, errors
        except PlannerError as err:
            key = field_of(err)
            row = key.rpartition(".")[0] or key
            if key not in saved or row in whole:  # not a field of the form: the saved file itself is refused
                raise
            if key not in errors:
                errors[key] = message(err)
                revert(key)
            else:
                whole.add(row)
                for k in saved:
                    if k == row or k.startswith(row + "."):
                        revert(k)
    raise AssertionError("unreachable")  # pragma: no cover


# -- what the page shows ------------------------------------------------------------------------------------------
def category_table(demand: Demand, catalogue, lines=None) -> list[dict]:
    """The page's rows; *lines*, the compiled (stream, category) -> lines of a plan year, gives the returning
    candidates and the renewal wave the queue uses that year (the regulation's retake limit), else the file's own
    unlimited series."""
    rows = []
    for sid, sd in demand.streams.items():
        for cid, c in sd.categories.items():
            year = (lines or {}).get((sid, cid), {})
            rows.append({"returning": year.get("returning", c.returning),
                         "wave": year.get("renewal_wave", 0) - year.get("renewal_replaced", 0),"stream": catalogue.streams[sid].name if sid in catalogue.streams else sid,
                         "name": catalogue.category_name(cid), "keys": {k: category_key(sid, cid, k) for k in LINES},
                         "base": c.base,
                         "profile": "、".join(f"{w:g}" for w in c.profile) if len(set(c.profile)) > 1 else "全年均匀",
                         "show": f"{c.show_rate:.1%}", "pass": f"{c.pass_rate:.1%}",
                         "retake": f"{c.retake_share:.0%}"})
    return rows


def site_table(demand: Demand, catalogue) -> list[dict]:
    return [{"name": catalogue.institutions[i].short_name, "keys": {k: site_key(i, k) for k in SITE_FIELDS},
             "seats": s.seats_per_day * s.days_per_session} for i, s in demand.sites.items()]


def sizing_scenario(name: str, job) -> str:
    """The counts of a 推荐场次 job as a scenario of the workbench (on top of the scenario it sized, if any), so
    that 年度计划 can plan the year with them."""
    o, base = job.outcome, job.spec.get("scenario")
    which = f"第{job.spec['demand']}版" if job.spec.get("demand") else "：程序提供的估计"
    lines = [f"# 推荐场次（需求{which}，{o['demand_status']}）", f'name = "{name}"', f"year = {o['year']}"]
    if base:
        lines.append(f'extends = "{base}.toml"')
    stated = o.get("count_toml", {})  # a job of an older workbench has the counts only
    lines += ["", "[sessions]"] + [f"{sid} = {stated.get(sid, n)}" for sid, n in o["counts"].items()]
    return "\n".join(lines) + "\n"


def statuses() -> tuple[str, ...]:
    return STATUSES


# -- in the solver process ------------------------------------------------------------------------------------
def scaled(ws, n: int | None, ctx, sc):
    """Demand version *n* (None: the shipped estimate) as the scenario *sc* expects it (需求 ± %)."""
    demand = load(ws, n, ctx.catalogue)
    return sc.scale_demand(demand) if sc is not None else demand


def compute_size(spec: dict, ctx, sc) -> dict:
    """The sizing job: ``planner size`` in *ctx* (the rules of the scenario *sc*, or the embedded ones) on the
    workspace's demand, scaled by the scenario's 需求 ± %; plain data."""
    from ..errors import InfeasibleError
    from ..plan import plan_to_csv
    from ..queueing import CATEGORY_HEADER, category_rows, evaluate
    from ..sizing import count_toml, size
    from .workspace import Workspace

    demand = scaled(Workspace(spec["root"], verify=False), spec.get("demand"), ctx, sc)
    sized = size(ctx, demand, time_limit=float(spec["time_limit"]))
    if sized.status == "INFEASIBLE":
        raise InfeasibleError(sized.infeasible_message(), sized.conflict, sized.conflict_minimal)
    if sized.result is None:
        raise PlannerError(f"no sizing found within the time limit ({spec['time_limit']})", field="time-limit")
    plan = sized.result.plan
    load_ = evaluate(plan, sized.ctx)
    names = ctx.catalogue
    return {"ok": True, "year": ctx.year, "status": sized.status, "estimated": demand.estimated,
            "demand_status": demand.status, "sessions": [[names.streams[s].name, n] for s, n in sized.sessions.items()],
            "counts": dict(sized.sessions),
            "count_toml": {sid: count_toml(sized.ctx, sid, n) for sid, n in sized.sessions.items()},
            "total": sized.total, "lower_bound": sized.lower_bound,
            "gap": None if sized.gap is None else round(100 * sized.gap, 1),
            "days": sorted({(names.institutions[site].short_name, d) for (_, site), d in sized.days.items()}),
            "exam_days": sized.exam_days, "load": load_.summary(), "header": CATEGORY_HEADER,
            "rows": category_rows(load_, plan, sized.ctx), "plan_csv": plan_to_csv(plan),
            "percent": sc.demand_percent if sc is not None else 0}
