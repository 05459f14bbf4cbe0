"""年度计划: the calendar, the notice's tables and KPIs of a version; 生成 queues a solve."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...publish.tables import provisional_note
from .. import views
from ..bench import DEFAULT_TIME_LIMIT, bench

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    return RedirectResponse("/plan", status_code=303)


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, v: str | None = None, deleted: str | None = None, scenario: str = "",
              year: str = ""):
    from ...api import next_year
    from ...solver import QUICK_STOP
    from .versions import improvable, who

    b = bench(request)
    version = b.latest_or(v)
    shown = {"current": b.ws.latest_published(), "changes": b.ws.changes(), "who": who(request),
             "deleted": b.ws.version(deleted) if deleted and b.ws.is_deleted(deleted) else None}
    if version is not None:
        plan, ctx = b.plan_of(version)
        moved = _moved(b, version, plan)
        months = views.months(plan, ctx, moved)
        shown |= {"version": version, "plan": plan, "months": months, "any_moved": bool(moved),
                 "any_closed": bool(getattr(ctx, "closures", ())), "any_predicted": bool(ctx.calendar.predicted),
                 "published": bool(b.ws.published_files(version.id)),
                 "legend": views.legend(plan, ctx), "tables": views.notice_tables(plan, ctx),
                 "kpis": views.kpis(plan, ctx), "waits": views.waits(plan, ctx), "banner": provisional_note(plan, ctx),
                 "chain": b.ws.chain(version.id), "summary": b.ws.summary(version.id)}
        shown["improvable"] = improvable(version, shown["summary"])
        shown["quick"] = shown["summary"].get("stopped_by") == QUICK_STOP  # the quick answer with candidates
        shown["late"] = _late(shown["summary"], ctx)
    form = {k: x for k, x in (("scenario", scenario), ("year", year)) if x}  # 用此情景生成 from elsewhere
    return b.page(request, "plan.html", default_year=next_year(), default_limit=DEFAULT_TIME_LIMIT,
                  errors={}, form=form, **shown)


def _late(summary: dict, ctx) -> dict | None:
    """With candidates: how many waited longer than the wait preference's target (what it priced), and the target."""
    part = (summary.get("objective_parts") or {}).get("short_wait")
    rule = ctx.ruleset.rule("short_wait")
    if not summary.get("demand") or part is None or rule is None:
        return None
    return {"count": part["cost"], "days": rule.target_days}


def _moved(b, version, plan) -> dict:
    """(stream, 期次) → old exam day, for the sessions moved since the version this one came from."""
    if version.parent is None or b.ws.version(version.parent) is None:
        return {}
    from ...compare import diff_plans

    try:
        old, _ = b.plan_of(b.ws.version(version.parent))
    except Exception:  # noqa: BLE001 - the parent no longer reads: the calendar simply marks nothing
        return {}
    return {(c.stream, c.no): c.old.exam_date for c in diff_plans(old, plan)
            if c.old is not None and c.new is not None and c.old.exam_date != c.new.exam_date}


@router.post("/generate")
async def generate(request: Request):
    from ...api import next_year
    from ...calendar import FIRST_YEAR, LAST_YEAR

    b = bench(request)
    form = await b.form_of(request)
    errors: dict[str, str] = {}
    try:
        year = int(str(form.get("year", "")))
        if not FIRST_YEAR <= year <= LAST_YEAR - 1:
            raise ValueError
    except ValueError:
        errors["year"] = f"年度须为 {FIRST_YEAR}–{LAST_YEAR - 1} 之间的整数"
        year = None
    limit = b.time_limit(form, errors)
    scenario = b.scenario_choice(form, errors)
    if errors:
        return b.page(request, "plan.html", 400, default_year=next_year(), default_limit=DEFAULT_TIME_LIMIT,
                      errors=errors, form=dict(form))
    spec = {"kind": "generate", "root": str(b.ws.root), "year": year, "scenario": scenario, "time_limit": limit,
            "note": str(form.get("note", ""))[:200]}
    if form.get("with_demand") == "1":  # the 需求与考位 page's newest saved figures (else the shipped estimate)
        from .. import demands as D

        spec.update(with_demand=True, demand=D.chosen(b.ws, None))
    job = b.submit(spec)
    return RedirectResponse(f"/job/{job.id}", status_code=303)


@router.get("/plan/export.xlsx")
def plan_export(request: Request, v: str):
    """年度计划 as Excel: the notice's own workbook (附件1–4), exactly as 发布 writes it."""
    from ...publish.xlsx import notice_xlsx_bytes
    from ..export import download

    b = bench(request)
    version = b.need_version(v)
    plan, ctx = b.plan_of(version)
    return download(notice_xlsx_bytes(plan, ctx), f"运城市{version.year}年考试计划-版本{version.id}.xlsx",
                    fallback=f"plan-{version.year}-v{version.id}.xlsx")
