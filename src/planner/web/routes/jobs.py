"""任务: a queued or running solve, polled by htmx; 取消 and, for re-plans, 接受."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from ...errors import PlannerError
from .. import i18n
from ..bench import bench, catalogue
from ..jobs import FINISHED

router = APIRouter()
PINNED = "pinned"


def _base_year(b, job) -> int:
    v = b.ws.version(job.spec.get("base")) if job.spec.get("base") else None
    return v.year if v else job.spec.get("year")


def _error_catalogue(b, job):
    """The catalogue the failed job ran against, or the embedded one when its scenario no longer reads."""
    try:
        return b.ctx_for(job.spec.get("scenario"), job.spec.get("year") or _base_year(b, job)).catalogue
    except PlannerError:
        return catalogue()


def _demand_at_fault(b, job) -> int | None:
    """The saved demand version a failed job read, when the error lies in its file (the planner mends it on
    需求与考位, not in the scenario)."""
    from pathlib import Path

    from .. import demands as D

    n, where = job.spec.get("demand"), job.outcome.get("file")
    if n is None or not where:
        return None
    try:
        return int(n) if Path(where).resolve() == D.path(b.ws, int(n)).resolve() else None
    except (OSError, ValueError, PlannerError):
        return None


def job_view(request: Request, jid: str, template: str, status: int = 200, errors: dict | None = None,
             notice_form: dict | None = None):
    """A job's page (or its polled fragment); a finished re-plan is the 调整 page (``replan.revision_view``);
    *errors* and *notice_form*: the 调整通知 form sent back with what was wrong (nothing written)."""
    b = bench(request)
    job = b.jobs.get(jid)
    if job is None:
        raise HTTPException(404, "没有这个任务（工作台重启后，未完成的任务不再保留）。")
    position = b.jobs.position(job)
    kw = {"job": job, "position": position, "finished": job.state in FINISHED,
          "ahead": max(0, position - 1) + (1 if position and b.jobs.running() is not None else 0),
          "fragment": template.startswith("_")}
    if job.spec.get("base") and b.ws.version(job.spec["base"]) is not None:
        kw["year"] = b.ws.version(job.spec["base"]).year
    if job.state in FINISHED and job.outcome and not job.outcome.get("ok"):
        kw["error"] = i18n.error_view(job.outcome, _error_catalogue(b, job))
        kw["demand_at_fault"] = _demand_at_fault(b, job)
        if kw["demand_at_fault"] is not None:
            from .. import demands as D

            o = job.outcome
            kw["demand_reason"] = D.message(PlannerError(o.get("message", ""), field=o.get("field")))
    if job.state == "done" and job.spec["kind"] in ("replan", "pin"):
        base = b.ws.version(job.spec["base"])
        ctx = b.ctx_for(job.spec.get("scenario"), base.year)
        changes = job.outcome["changes"]
        if job.spec["kind"] == "pin":  # the session the planner moved is not a knock-on of itself
            pinned = (job.spec["stream"], int(job.spec["no"]))
            changes = [{**c, "reason": PINNED} if (c["stream"], c["no"]) == pinned else c for c in changes]
        kw["changes"] = b.changes(changes, ctx, base.year)
        if job.spec["kind"] == "pin" and not job.version:
            kw["refusable"] = {c["key"] for c, raw in zip(kw["changes"], changes) if pin_refusable(raw, job.spec)}
        kw["year"] = base.year
        kw["kept"] = job.outcome["summary"].get("kept")
        if job.spec["kind"] == "replan" and "rows" in job.outcome:
            from ..revision import revision_view

            kw.update(revision_view(b, job, notice_form))
    if job.spec.get("prev") and job.spec.get("refuse"):  # a refusal: what was refused, and the way back
        s, n = job.spec["refuse"][-1]
        kw["refusing"] = f"{_error_catalogue(b, job).streams[s].name} 第{n}期"
    kw["errors"] = errors or {}
    resp = b.page(request, template, status, **kw)
    if job.state == "done" and job.spec["kind"] == "generate" and job.version and template.startswith("_"):
        resp.headers["HX-Redirect"] = f"/plan?v={job.version}"
    return resp


def pin_refusable(change: dict, spec: dict) -> bool:
    """May the planner refuse this change of a 固定一场 proposal? A session moved to make room (a knock-on, before
    and after both there), not the one the planner moved."""
    return bool(change["old"] and change["new"]) and (change["stream"], change["no"]) != (spec["stream"],
                                                                                            int(spec["no"]))


@router.get("/job/{jid}", response_class=HTMLResponse)
def job_page(request: Request, jid: str):
    return job_view(request, jid, "job.html")


#: how long a job's page waits for the job's next state before it is sent the page as it is: the running
#: job's seconds tick at this beat, and a state change reaches the page at once
STATUS_WAIT = 1.0


@router.get("/job/{jid}/status", response_class=HTMLResponse)
async def job_status(request: Request, jid: str, seen: str = ""):
    """The job's status fragment; with *seen* (the state the page shows), once that state has changed or
    :data:`STATUS_WAIT` has passed. The wait holds no worker thread (``JobQueue.wait_change``); the page is
    rendered in one, as a sync route's would be."""
    from starlette.concurrency import run_in_threadpool

    if seen:
        await bench(request).jobs.wait_change(jid, seen, STATUS_WAIT)
    return await run_in_threadpool(job_view, request, jid, "_job_status.html")


@router.post("/job/{jid}/cancel")
async def job_cancel(request: Request, jid: str):
    b = bench(request)
    await b.form_of(request)
    if b.jobs.get(jid) is None:
        raise HTTPException(404, "没有这个任务。")
    b.jobs.cancel(jid)
    return RedirectResponse(f"/job/{jid}", status_code=303)


@router.post("/job/{jid}/save")
async def job_save(request: Request, jid: str):
    """现在保存: store an UNSAVED job's plan now, as the idle queue tries every 15 s (one store at a time: a plan
    is never stored twice); while the database still refuses, the page says so again, the plan kept."""
    from starlette.concurrency import run_in_threadpool

    b = bench(request)
    await b.form_of(request)
    job = b.jobs.get(jid)
    if job is None:
        raise HTTPException(404, "没有这个任务。")
    if job.state == "unsaved":
        await run_in_threadpool(b.jobs.retry_unsaved)
    return RedirectResponse(f"/plan?v={job.version}" if job.version is not None and job.state == "done"
                            else f"/job/{jid}", status_code=303)


@router.post("/job/{jid}/accept")
async def job_accept(request: Request, jid: str):
    b = bench(request)
    form = await b.form_of(request)
    job = b.jobs.get(jid)
    if job is None or job.state != "done" or job.spec["kind"] not in ("replan", "pin"):
        raise HTTPException(404, "没有可接受的方案。")
    if job.version is None:
        from .versions import who

        job.outcome["accept_note"] = str(form.get("note", ""))  # shown again after a database fault and a restart
        b.keep(job)
        job.version = b.store(job, parent=int(job.spec["base"]), note=job.outcome["accept_note"], who=who(request))
        b.ws.drop_pending(job.id)
    return RedirectResponse(f"/plan?v={job.version}", status_code=303)
