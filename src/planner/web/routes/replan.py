"""重新排期 (keep what is past, re-plan the rest) and 固定一场 (move one session, re-plan around it)."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...errors import PlannerError
from ...publish import wording as W
from .. import i18n, views
from ..bench import DEFAULT_TIME_LIMIT, bench, session_of

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
    if errors:
        return b.page(request, "replan.html", 400, errors=errors, form=dict(form))
    job = b.submit({"kind": "replan", "root": str(b.ws.root), "base": base.id, "scenario": scenario,
                         "from_date": from_date.isoformat(), "time_limit": limit})
    return RedirectResponse(f"/job/{job.id}", status_code=303)


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
