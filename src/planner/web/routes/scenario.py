"""调整/情景: a scenario built field by field (``scenario_form``), saved only when the core reads it."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from ...errors import PlannerError
from .. import i18n
from .. import scenario_form as SF
from ..bench import bench, catalogue

router = APIRouter()


@lru_cache(maxsize=1)
def _defaults() -> dict:
    """The embedded rule set's values, shown as placeholders in the scenario form."""
    from ...api import make_context, next_year

    rs = make_context(next_year()).ruleset
    gap, cov, cnt = rs.rule("registration_gap"), rs.rule("coverage"), rs.rule("session_count")
    return {"gap_min": gap.min_days, "gap_max": gap.max_days, "coverage_days": cov.max_days_between_opportunities,
            "sessions_managers": cnt.sessions.get("managers", ""), "sessions_special_ops": cnt.sessions.get("special_ops", "")}


def scenario_page(request, values, errors, status=200, saved=False, general="", restored=""):
    cat = catalogue()
    cats = sorted({(op.category_code, op.category) for op in cat.operations.values()})
    return bench(request).page(request, "scenario.html", status, values=values, errors=errors, saved=saved,
                               general=general, institutions=sorted(cat.institutions.values(), key=lambda i: i.seq),
                               categories=cats, closure_rows=range(1, SF.CLOSURE_ROWS + 1),
                               licenses=SF.licenses_supported(), defaults=_defaults(), restored=restored)


@router.get("/scenario", response_class=HTMLResponse)
def scenario_get(request: Request, name: str = "", saved: str = "", deleted: str = ""):
    values = SF.empty_values()
    if deleted:
        return scenario_page(request, values, {}, restored=deleted if bench(request).ws.in_trash(deleted) else "")
    if name:
        path = bench(request).ws.scenario_path(name)
        if not path.is_file():
            raise HTTPException(404, "没有这个情景。")
        values = SF.values_from_toml(path.read_text(encoding="utf-8"), name)
    return scenario_page(request, values, {}, saved=bool(saved))


@router.post("/scenario")
async def scenario_post(request: Request):
    from ...scenario import load_scenario

    b = bench(request)
    form = await b.form_of(request)
    res = SF.build({k: v for k, v in form.items() if isinstance(v, str)}, catalogue())
    if res.errors:
        return scenario_page(request, res.values, res.errors, 400)
    with b.ws.scratch() as tmp:
        trial = tmp / f"{res.values['name']}.toml"
        trial.write_text(res.toml, encoding="utf-8")
        try:
            load_scenario(trial)
        except PlannerError as err:
            field = SF.form_field(err)
            msg = i18n.input_error(err.field) + f"（原文：{err.message}）"
            return scenario_page(request, res.values, {field: msg} if field else {}, 400,
                                 general="" if field else msg)
    b.ws.write_scenario(res.values["name"], res.toml)
    b.forget_contexts()
    return RedirectResponse(f"/scenario?name={quote(res.values['name'])}&saved=1", status_code=303)


@router.post("/scenario/delete")
async def scenario_delete(request: Request):
    """A scenario moved to scenarios/.trash/ (撤销 moves it back); the versions made with it keep their rules
    only while it exists, so the page says who deleted it in the change log."""
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    name = str(form.get("name", ""))
    if name not in b.ws.scenarios():
        raise HTTPException(404, "没有这个情景。")
    b.ws.trash_scenario(name, who(request))
    b.forget_contexts()
    return RedirectResponse(f"/scenario?deleted={quote(name)}", status_code=303)


@router.post("/scenario/undelete")
async def scenario_undelete(request: Request):
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    name = str(form.get("name", ""))
    if not b.ws.in_trash(name):
        raise HTTPException(404, "没有可恢复的情景。")
    b.ws.untrash_scenario(name, who(request))
    b.forget_contexts()
    return RedirectResponse(f"/scenario?name={quote(name)}", status_code=303)
