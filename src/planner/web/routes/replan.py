"""重新排期 (keep what is past, re-plan the rest) and 固定一场 (move one session, re-plan around it)."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...errors import IOFailure, PlannerError
from ...plan import plan_to_csv
from ...publish import wording as W
from .. import i18n, views
from ..revision import changes_csv_bytes, proposal, published_original, replan_job, revision_csv_bytes, revision_view
from ..bench import DEFAULT_TIME_LIMIT, PUBLISHED_NOT_CURRENT, STORED_VERSION, bench, session_of

router = APIRouter()


@router.get("/replan", response_class=HTMLResponse)
def replan_get(request: Request, v: str | None = None, scenario: str = ""):
    return bench(request).page(request, "replan.html", errors={},
                               form={"v": v or "", "time_limit": DEFAULT_TIME_LIMIT, "scenario": scenario})


def _from_date_errors(b, form, base, scenario, errors: dict) -> dt.date | None:
    try:
        from_date = dt.date.fromisoformat(str(form.get("from_date", "")))
    except ValueError:
        errors["from_date"] = "请填写有效日期（格式：2027-06-17）"
        return None
    if base is None or errors:
        return from_date
    try:
        start, stop = b.ctx_for(scenario, base.year).window
    except PlannerError as err:
        errors["scenario"] = i18n.input_error(err.field) + f"（原文：{err.message}）"
    else:
        if not start <= from_date <= stop + dt.timedelta(days=1):
            errors["from_date"] = (f"日期须在本年度计划区间内（{W.day_text(start, base.year)}至"
                                   f"{W.day_text(stop, base.year)}）")
    return from_date


#: a registrations CSV (one row per session of a year) is a few kB; more is not one
MAX_REGISTRATIONS = 256 * 1024


async def _registrations(b, form, base, errors: dict) -> list | None:
    """The uploaded registrations per session (``replan.read_people``) as [stream, 期次, count] rows (and, from the
    exam system's export, {category or type: count}), or None."""
    upload = form.get("registrations")
    if upload is None or isinstance(upload, str) or not upload.filename or base is None:
        return None
    data = await upload.read(MAX_REGISTRATIONS + 1)
    if len(data) > MAX_REGISTRATIONS:
        errors["registrations"] = f"报名人数文件过大（超过 {MAX_REGISTRATIONS // 1024} KB）"
        return None
    from pathlib import Path

    from ...replan import read_people
    from .check import unpacked_problem, upload_error

    suffix = Path(upload.filename).suffix.lower()
    problem = upload_error(suffix, data, "报名人数 CSV 文件") or (unpacked_problem(data) if suffix == ".xlsx" else None)
    if problem:
        errors["registrations"] = problem
        return None
    plan, ctx = b.plan_of(base)
    with b.ws.scratch() as tmp:
        path = tmp / f"registrations{suffix}"
        path.write_bytes(data)
        try:
            people = read_people(path, plan, ctx.catalogue)
        except PlannerError as err:
            errors["registrations"] = registrations_error(err, data)
            errors["registrations_original"] = err.message  # shown folded, for whoever supports the planner
            return None
    # the export's categories and types too (a 4th item): whom a move to a site without them strands
    return [[s, n, int(k), *([dict(k.groups)] if getattr(k, "groups", None) else [])]
            for (s, n), k in sorted(people.items())]


#: ``replan.read_people``'s messages for the short form (stream,no,报名人数): their start -> what is wrong, in Chinese
_PEOPLE_REASONS = (
    ("unknown stream", "“考试计划”不是已知的考试计划（请写主要负责人和安全管理员、特种作业人员，或 managers、special_ops）"),
    ("not a session number", "“期次”须写成 3 或 第3期"),
    ("not a whole number", "“报名人数”须为整数"),
    ("is out of range", "“报名人数”须在 0–100000 之间"),
    ("is not a session of the published plan", "这一期不在所选版本的计划中"),
    ("is given twice", "这一期出现了两次"),
)


def registrations_error(err: PlannerError, data: bytes) -> str:
    """A registrations file the re-plan cannot read, said in Chinese: the missing column with the file's own
    first line, or the row and what is wrong in it; the exam system's export as 需求与考位 says it
    (``i18n.import_error``). The English stays for the folded 原文."""
    import re

    missing = re.match(r"no column '([^']+)'", err.message)
    if missing:
        first = data.decode("utf-8-sig", errors="replace").splitlines()[:1]
        found = (first[0].strip()[:80] or "（空行）") if first else "（空文件）"
        return i18n.text("registrations_header", missing=missing.group(1), found=found)
    for start, what in _PEOPLE_REASONS:
        if start in err.message and err.row is not None:
            return i18n.text("registrations_row", row=err.row, what=what)
    return i18n.import_error(err)


@router.post("/replan")
async def replan_post(request: Request):
    b = bench(request)
    form = await b.form_of(request)
    errors: dict[str, str] = {}
    base = b.ws.version(str(form.get("v", "")))
    if base is None:
        errors["v"] = "请选择要调整的版本"
    limit = b.time_limit(form, errors)
    scenario = b.scenario_choice(form, errors)
    from_date = _from_date_errors(b, form, base, scenario, errors)
    people = await _registrations(b, form, base, errors)
    if errors and people is not None:  # the file was good, but the page comes back without it: say so
        errors["registrations"] = i18n.text("registrations_again", name=form["registrations"].filename)
    if errors:
        return b.page(request, "replan.html", 400, errors=errors,
                      form={k: v for k, v in form.items() if isinstance(v, str)})
    spec = {"kind": "replan", "root": str(b.ws.root), "base": base.id, "scenario": scenario,
            "from_date": from_date.isoformat(), "time_limit": limit, "people": people, "refuse": []}
    if form.get("with_demand") == "1":  # as 生成's box: the 需求与考位 page's newest saved figures
        from .. import demands as D

        spec.update(with_demand=True, demand=D.chosen(b.ws, None))
    job = b.submit(spec)
    return RedirectResponse(f"/job/{job.id}", status_code=303)


# -- the 调整 page's actions (what it shows: ..revision) --------------------------------------------------------------

@router.post("/job/{jid}/refuse")
async def refuse_change(request: Request, jid: str):
    """拒绝这项调整: solve again with this knock-on change kept as it was, keeping the earlier refusals (a re-plan's
    ``replan(..., refuse=…)``, or a 固定一场 proposal's pins); the proposal refused from stays as it is (its page,
    pending/)."""
    from .jobs import pin_refusable

    b = bench(request)
    form = await b.form_of(request)
    job = b.jobs.get(jid)
    if job is not None and job.state == "done" and job.spec["kind"] == "pin" and not job.version:
        key = str(form.get("key", ""))
        refusable = any(f"{c['stream']}-{c['no']}" == key and pin_refusable(c, job.spec)
                        for c in job.outcome.get("changes", ()))
        refused_why = "只能拒绝为腾出日期而连带的调整；要固定的这一场不能拒绝。"
    else:
        job = replan_job(b, jid)
        key = str(form.get("key", ""))
        chosen = {c["key"]: c for c in revision_view(b, job)["revision"]}.get(key)
        refusable = chosen is not None and chosen["refusable"]
        refused_why = "只能拒绝因其他场次调整而连带的调整；原安排本身违反新规则的场次必须调整。"
    stream, _, no = key.rpartition("-")
    if not refusable:
        return b.plain_page(request, 400, "不能拒绝这项调整", refused_why)
    spec = {**job.spec, "refuse": [*job.spec.get("refuse", []), [stream, int(no)]], "prev": job.id}
    new = b.submit(spec)
    return RedirectResponse(f"/job/{new.id}", status_code=303)


@router.get("/job/{jid}/changes.csv")
def changes_csv(request: Request, jid: str):
    job = replan_job(bench(request), jid)
    from ..export import download

    return download(changes_csv_bytes(job), f"调整记录（技术格式）-任务{jid}.csv", "text/csv; charset=utf-8",
                    fallback="changes.csv")


@router.get("/job/{jid}/revision.csv")
def revision_csv(request: Request, jid: str):
    """调整明细 in Chinese, as the page shows it (changes.csv is the command line's file, for scripts)."""
    from ..export import download

    b = bench(request)
    job = replan_job(b, jid)
    return download(revision_csv_bytes(revision_view(b, job), job.outcome.get("people_basis", "")),
                    f"调整明细-任务{jid}.csv", "text/csv; charset=utf-8", fallback="revision.csv")


@router.post("/job/{jid}/publish")
async def publish_revision(request: Request, jid: str):
    """发布调整通知: accept the proposal as a version (once) and publish its whole set with the 调整通知
    (revision.docx/.xlsx, .pdf with LibreOffice), changes.csv and revision_of.csv, as `planner replan` writes
    them: one transaction (``Workspace.write_published``); bad text is said next to its field, nothing written."""
    from starlette.concurrency import run_in_threadpool

    from ...publish.revision import DETAIL_FILE, check_advice, check_reason
    from .publish import NOTICE_FIELDS, notice_fields
    from .scenario import lenient_form
    from .versions import who

    b = bench(request)
    # an over-long 调整原因 or 说明 (the default reason may be one) is said next to its field, with what the planner
    # wrote shown again: never a bare page that loses the edited text
    form, over = await lenient_form(b, request, ("reason", "advice", *NOTICE_FIELDS))
    job = replan_job(b, jid)
    errors: dict[str, str] = {}
    notice = None  # the 发文字号 and 成文日期: as the form gives them, else those the version was published with
    if any(k in form for k in NOTICE_FIELDS):
        _, wrong, notice = notice_fields(form, over)
        if wrong:
            errors["publish"] = "；".join(wrong.values())
    texts = {"reason": str(form.get("reason", "")), "advice": str(form.get("advice", ""))}
    try:
        reason = check_reason(texts["reason"])
    except PlannerError:
        n = len(texts["reason"].strip())
        errors["reason"] = "调整原因须为一行（不含换行符或控制字符），不超过 40 个字（写在通知的一句话中）" + (f"；现有 {n} 个字，请缩短后再发布"
                                                                       if n > 40 else "")
    try:
        advice = check_advice(texts["advice"])
    except PlannerError:
        n = len(texts["advice"].strip())
        errors["advice"] = ("对已报名考生的说明须为一段（不含换行符或控制字符），不超过 300 个字，且不以 #、>、@ 等排版符号开头"
                            + (f"；现有 {n} 个字" if n > 300 else ""))
    base_plan = b.plan_of(b.ws.version(job.spec["base"]))[0]
    original = published_original(b, job.spec["base"], base_plan)
    if original is None:
        errors["publish"] = f"版本{job.spec['base']}尚未发布（或发布后被改动），没有可调整的通知：接受后在“发布”页发布即可。"
    if errors:
        from .jobs import job_view

        return job_view(request, jid, "job.html", status=400, errors=errors, notice_form=texts)
    # what the planner typed, kept with the proposal before anything is written: a database fault or a restart
    # part-way shows it again on this page (``Bench.keep``), never the reasons worked out anew
    job.outcome.update(notice_texts=texts, publishing=True)
    b.keep(job)
    if job.version is None:
        job.version = b.store(job, parent=int(job.spec["base"]), note=str(form.get("note", "")) or "调整通知",
                              who=who(request))
        if not b.keep(job):  # kept without the version, a restart would store it again
            b.ws.drop_pending(job.id)
    setattr(request.state, STORED_VERSION, job.version)  # a fault from here on: the page names the version kept
    p = proposal(b, job)
    reasons = {**p["reasons"], "original": original, "advice": advice}
    if reason:
        reasons["*"] = reason
    from .publish import publish_set

    try:
        await run_in_threadpool(publish_set, b, b.ws.version(job.version), p["base"], reasons,
                                {"changes.csv": changes_csv_bytes(job),
                                 DETAIL_FILE: revision_csv_bytes(revision_view(b, job), job.outcome.get("people_basis", "")),
                                 "revision_of.csv": plan_to_csv(p["base"]).encode("utf-8")}, notice=notice)
    except PlannerError as err:
        if isinstance(err, IOFailure):  # cut short by the disk: "publishing" stays, the page says what to do
            raise
        from .jobs import job_view

        job.outcome.pop("publishing", None)  # refused, not cut short: the page says why
        b.keep(job)
        return job_view(request, jid, "job.html", status=400, notice_form=texts, errors={
            "publish": "调整后的计划未通过规则检查，不能发布" if type(err).__name__ == "CheckFailedError"
            else i18n.input_error(err.field) + f" 原文：{err.message}"})
    setattr(request.state, PUBLISHED_NOT_CURRENT, True)
    b.ws.set_current(job.version, who(request), "publish")
    job.outcome.pop("publishing", None)  # notice_texts stay: the page keeps showing what was published
    b.published(job.version)
    return RedirectResponse(f"/job/{jid}#revision-files", status_code=303)


def allowed_days(b, version, chosen, ctx) -> list:
    """``views.allowed_days`` of a session of a stored version, computed once (versions never change; a
    scenario edited since gives another ctx, hence another key)."""
    key = (version.id, version.sha256, chosen.stream, chosen.no, id(ctx))
    if key not in b.allowed:
        if len(b.allowed) > 256:
            b.allowed.clear()
        b.allowed[key] = views.allowed_days(chosen, ctx)
    return b.allowed[key]


def _session_choices(plan, ctx) -> list[tuple[str, str]]:
    return [(f"{x.stream}-{x.no}", views.session_label(x, ctx)) for x in plan.sessions]


@router.get("/pin", response_class=HTMLResponse)
def pin_get(request: Request, v: str | None = None, s: str | None = None):
    b = bench(request)
    kw: dict = {"errors": {}, "form": {"v": v or "", "s": s or ""}}
    if v:
        version = b.need_version(v)
        plan, ctx = b.plan_of(version)
        kw["version"], kw["year"] = version, version.year
        kw["sessions"] = _session_choices(plan, ctx)
        if s:
            chosen = session_of(plan, s)
            kw["chosen"] = views.session_label(chosen, ctx)
            kw["days"] = [(d.isoformat(), W.day_text(d, version.year)
                           + ("（原日期）" if d == chosen.exam_date else ""))
                          for d in allowed_days(b, version, chosen, ctx)]
            kw["original"] = chosen.exam_date.isoformat()
    return b.page(request, "pin.html", **kw)


@router.post("/pin")
async def pin_post(request: Request):
    b = bench(request)
    form = await b.form_of(request)
    version, plan, ctx, chosen = b.session_at(str(form.get("v", "")), str(form.get("s", "")))
    errors: dict[str, str] = {}
    try:
        day = dt.date.fromisoformat(str(form.get("date", "")))
    except ValueError:
        day = None
    if day is None or day not in allowed_days(b, version, chosen, ctx):
        errors["date"] = "请从列表中选择允许的日期"
    elif day == chosen.exam_date:
        errors["date"] = "新日期与原日期相同"
    limit = b.time_limit(form, errors)
    if errors:
        key = f"{chosen.stream}-{chosen.no}"
        return b.page(request, "pin.html", 400, errors=errors, form={"v": str(version.id), "s": key},
                      version=version, year=version.year, chosen=views.session_label(chosen, ctx),
                      sessions=_session_choices(plan, ctx),
                      days=[(d.isoformat(), W.day_text(d, version.year))
                            for d in allowed_days(b, version, chosen, ctx)], original=str(form.get("date", "")))
    job = b.submit({"kind": "pin", "root": str(b.ws.root), "base": version.id, "scenario": version.scenario,
                         "stream": chosen.stream, "no": chosen.no, "date": day.isoformat(), "time_limit": limit})
    return RedirectResponse(f"/job/{job.id}", status_code=303)
