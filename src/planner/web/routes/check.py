"""检查: an uploaded plan (CSV or notice.xlsx) against the rules; 保存为版本 keeps a clean one."""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ...errors import PlannerError
from ...publish.tables import provisional_note
from ...textio import ascii_digits
from .. import i18n, views
from ..bench import MAX_UPLOAD, bench, catalogue

router = APIRouter()
UPLOAD_TYPES = {".csv": "csv", ".xlsx": "xlsx"}
#: an uploaded workbook, unpacked, may not exceed this (a published notice.xlsx unpacks to about 100 KB)
MAX_UNPACKED = 10 * 1024 * 1024
#: nor unpack to more than this many times its packed size once past MAX_RATIO_FLOOR (XML packs ~10-20:1)
MAX_RATIO = 100
MAX_RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 300


def unpacked_problem(data: bytes) -> str | None:
    """Why a workbook may not be opened (a zip bomb, a broken zip), found by unpacking it against a budget
    (the sizes a zip declares can lie); None when openpyxl may read it."""
    import io
    import zipfile
    import zlib

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        members = z.infolist()
        if len(members) > MAX_MEMBERS:
            return f"这个 Excel 文件包含 {len(members)} 个部件，不是计划表格"
        total = 0
        for info in members:
            with z.open(info) as fh:
                while chunk := fh.read(256 * 1024):
                    total += len(chunk)
                    if total > MAX_UNPACKED:
                        return (f"这个 Excel 文件解压后超过 {MAX_UNPACKED // 2**20} MB（上传 {len(data) // 1024} KB），"
                                "不是计划表格，已拒绝")
                    if total > MAX_RATIO_FLOOR and total > MAX_RATIO * len(data):
                        return f"这个 Excel 文件的压缩比异常（超过 {MAX_RATIO} 倍），不是计划表格，已拒绝"
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        return "这不是有效的 Excel（.xlsx）文件（文件已损坏）"
    return None


@router.get("/check", response_class=HTMLResponse)
def check_get(request: Request):
    return bench(request).page(request, "check.html", errors={})


def read_checked(b, path: Path, scenario: str | None, revision_of=None):
    """(plan, ctx, report) of a plan file, read against the scenario's catalogue and rules if one is named; with
    *revision_of* (a plan: what the institutions were told), judged as its revision, as ``planner check
    --revision-of`` does (rotation binds only the 期次 it lacks)."""
    from ...check import check_plan
    from ... import read_plan

    cat = b.ctx_for(scenario, None).catalogue if scenario else catalogue()
    plan = read_plan(path, cat)
    ctx = b.ctx_for(scenario, plan.year)
    if revision_of is not None:
        ctx = ctx.revising(revision_of)
    return plan, ctx, check_plan(plan, ctx)


def revision_choice(b, form, errors: dict):
    """(version id, its plan) the form asks the upload to be judged a revision of, or (None, None)."""
    raw = str(form.get("revision_of", "") or "").strip()
    if not raw:
        return None, None
    version = next((v for v in b.ws.versions() if str(v.id) == raw), None) if ascii_digits(raw) else None
    if version is None:
        errors["revision_of"] = "没有这个版本"
        return None, None
    return version.id, b.plan_of(version)[0]


def _by_session(report, plan, ctx) -> dict:
    out: dict = {}
    for x in report.violations:
        if not x.hard:
            continue
        s = plan.by_key().get((x.stream, x.no)) if x.no is not None else None
        where = views.session_label(s, ctx) if s else (ctx.catalogue.streams[x.stream].name
                                                          if x.stream in ctx.catalogue.streams else "全年")
        out.setdefault(where, []).append({"rule": i18n.rule_title(x.rule), "text": i18n.violation(x, s, ctx),
                                          "original": x.message})
    return out


def check_result(request, status: int, filename: str, scenario, plan, ctx, report, **kw):
    from ...plan import plan_to_csv

    return bench(request).page(
        request, "check.html", status, errors=kw.pop("errors", {}), checked=True, filename=filename,
        plan=plan, by_session=_by_session(report, plan, ctx), banner=provisional_note(plan, ctx), year=plan.year,
        scenario=scenario or "", plan_csv=plan_to_csv(plan), ok=report.ok,
        per_rule=[(i18n.rule_title(r), n) for r, n in report.per_rule.items()], **kw)


def upload_error(suffix: str, data: bytes, kind: str = "计划 CSV 文件", utf16: bool = False) -> str | None:
    """Why an upload cannot be a plan file (or a *kind* of CSV file), before anything reads it (None when it may
    be one). *utf16*: the reader takes UTF-16 text with its byte-order mark (Excel's "Unicode 文本", which a
    registration export may be saved as), whose NUL bytes are then text, not a sign of a binary file."""
    if suffix in (".xls", ".et", ".xlt", ".ett"):  # what Excel and WPS save by default where .xlsx is not set
        return "这是旧版 Excel（.xls）或 WPS（.et）文件，无法读取：请在 Excel/WPS 中“另存为”Excel 工作簿（.xlsx）后上传"
    if suffix not in UPLOAD_TYPES:
        return f"只能上传{kind}或 Excel 文件（.xlsx）"
    if len(data) > MAX_UPLOAD:
        return "文件不能超过 5 MB"
    if not data:
        return "文件是空的"
    if UPLOAD_TYPES[suffix] == "xlsx" and not data.startswith(b"PK\x03\x04"):
        return "这不是有效的 Excel（.xlsx）文件"
    if UPLOAD_TYPES[suffix] == "csv" and b"\x00" in data and not (utf16 and data[:2] in (b"\xff\xfe", b"\xfe\xff")):
        return "这不是文本格式的 CSV 文件"
    return None


def plan_error(err: PlannerError) -> str:
    """Why a plan file was refused, in Chinese: for a wrong header or layout, what it must be and what it is
    (messages.toml); else the row and field (``i18n.input_error``)."""
    m = err.message
    header = re.match(r"wrong header (['\"])(.*)\1, expected (['\"])(.*)\3$", m)
    if header:
        return i18n.text("plan_wrong_header", row=err.row or 1, found=header.group(2) or "（空）",
                         expected=header.group(4))
    fields = re.match(r"has (\d+) fields, expected (\d+)", m)
    if fields and err.field is None:
        return i18n.text("plan_wrong_fields", row=err.row, got=fields.group(1), want=fields.group(2))
    sheet = re.match(r"not a notice\.xlsx in the published layout: no sheet (['\"])(.*)\1 \(expected sheets (.*)\)", m)
    if sheet:
        return i18n.text("notice_no_sheet", sheet=sheet.group(2), sheets="、".join(sheet.group(3).split(", ")))
    if m.startswith("not a notice.xlsx in the published layout: no header row"):
        return i18n.text("notice_no_header")
    return i18n.input_error(err.field, err.row, m)


def parse_upload(b, path: Path, suffix: str, data: bytes, scenario, revision_of=None):
    """Unpack-check and read an upload (runs in a worker thread, never on the request loop):
    ("error", message, original) or ("ok", (plan, ctx, report))."""
    if UPLOAD_TYPES[suffix] == "xlsx":
        problem = unpacked_problem(data)
        if problem:
            return "error", problem, ""
    path.write_bytes(data)
    try:
        return "ok", read_checked(b, path, scenario, revision_of), ""
    except PlannerError as err:
        return "error", plan_error(err), err.message
    except Exception:  # noqa: BLE001 - a damaged workbook: openpyxl raises many kinds
        return "error", "无法读取这个文件，请确认它是计划 CSV 或发布的 notice.xlsx", ""


@router.post("/check")
async def check_post(request: Request):
    b = bench(request)
    form = await b.form_of(request)
    upload = form.get("plan")
    errors: dict[str, str] = {}
    scenario = b.scenario_choice(form, errors)
    rev_id, rev_plan = revision_choice(b, form, errors)
    if upload is None or isinstance(upload, str) or not upload.filename:
        errors["plan"] = "请选择要检查的文件（CSV 或 notice.xlsx）"
        return b.page(request, "check.html", 400, errors=errors)
    suffix = Path(upload.filename).suffix.lower()
    data = await upload.read(MAX_UPLOAD + 1)
    problem = upload_error(suffix, data)
    if problem:
        return b.page(request, "check.html", 400, errors={**errors, "plan": problem})
    if errors:
        return b.page(request, "check.html", 400, errors=errors)
    async with b.parse_lock:  # one upload unpacked at a time: memory stays bounded under many
        with b.ws.scratch() as tmp:
            state, got, original = await run_in_threadpool(parse_upload, b, tmp / f"upload{suffix}", suffix, data,
                                                           scenario, rev_plan)
    if state == "error":
        return b.page(request, "check.html", 400, errors={"plan": got}, original=original)
    plan, ctx, report = got
    return check_result(request, 200, upload.filename, scenario, plan, ctx, report, revision_of=rev_id)


@router.post("/check/export.xlsx")
async def check_export(request: Request):
    """The check page's findings as Excel (the plan comes back from the page and is checked again here)."""
    from ..export import download, table_xlsx

    b = bench(request)
    form = await b.form_of(request)
    errors: dict[str, str] = {}
    scenario = b.scenario_choice(form, errors)
    _, rev_plan = revision_choice(b, form, errors)
    text = form.get("plan_csv")
    if not isinstance(text, str) or not text.strip() or errors:
        return b.page(request, "check.html", 400, errors={"plan": "没有可导出的检查结果，请重新上传"})
    async with b.parse_lock:
        with b.ws.scratch() as tmp:
            state, got, _ = await run_in_threadpool(parse_upload, b, tmp / "upload.csv", ".csv", text.encode("utf-8"),
                                                    scenario, rev_plan)
    if state == "error":
        return b.page(request, "check.html", 400, errors={"plan": got})
    plan, ctx, report = got
    rows = [[where, it["text"], it["rule"]] for where, items in _by_session(report, plan, ctx).items() for it in items]
    rules = [[i18n.rule_title(r), f"{n} 处" if n else "符合"] for r, n in report.per_rule.items()]
    data = table_xlsx([("违反规则之处", ["考试", "问题", "违反的规则"], rows), ("逐条规则", ["规则", "结果"], rules)])
    return download(data, f"检查结果-{plan.year}年.xlsx", fallback=f"check-{plan.year}.xlsx")


@router.post("/import")
async def import_plan(request: Request):
    """A checked upload kept as a version (e.g. the plan already published), so it can be re-planned.
    The canonical CSV comes back from the check page and is read and checked again here."""
    from ...plan import plan_to_csv

    b = bench(request)
    form = await b.form_of(request)
    errors: dict[str, str] = {}
    scenario = b.scenario_choice(form, errors)
    rev_id, rev_plan = revision_choice(b, form, errors)
    text = form.get("plan_csv")
    if not isinstance(text, str) or not text.strip() or len(text.encode("utf-8")) > MAX_UPLOAD or errors:
        return b.page(request, "check.html", 400, errors={"plan": "没有可保存的计划，请重新上传"})
    with b.ws.scratch() as tmp:
        path = tmp / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            plan, ctx, report = read_checked(b, path, scenario, rev_plan)
        except PlannerError as err:
            return b.page(request, "check.html", 400, errors={"plan": plan_error(err)}, original=err.message)
    if not report.ok:
        return check_result(request, 400, "", scenario, plan, ctx, report, revision_of=rev_id,
                            errors={"import": "有违反规则之处的计划不能保存为版本"})
    summary = {"status": "UPLOADED", "year": plan.year, "sessions": len(plan.sessions),
               "calendar": ctx.calendar.status(), "scenario": scenario or ""}
    # judged as a revision of a version, it is that version's child: 发布 and 修改一场 then judge it as its revision
    vid = b.ws.add_version(plan_to_csv(plan), summary, year=plan.year, scenario=scenario, parent=rev_id,
                           note=str(form.get("note", ""))[:200], kind="upload")
    return RedirectResponse(f"/plan?v={vid}", status_code=303)
