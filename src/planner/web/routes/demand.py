"""需求与考位: expected candidates and seats edited and saved (``web/demands.py``), the load of a plan version
under them (the queue of ``planner.queueing``, the two demand charts of ``planner.charts``), and 推荐场次
(``planner size`` as a background job)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from ...errors import PlannerError
from ...textio import ascii_digits
from .. import demands as D
from .. import i18n
from ..bench import bench, catalogue

router = APIRouter()
#: the two charts of people, not sessions (``charts.DEMAND_CHARTS``)
CHARTS = ("candidates_month", "waits")
#: 推荐场次's default time limit: the README's sizing of the shipped estimate ran at 30 (and took 30.8 s)
SIZE_LIMIT = 30


def _demand_no(b, d):
    try:
        return D.chosen(b.ws, d)
    except LookupError:
        raise HTTPException(404, "没有这个需求版本。") from None


#: a form's ``d`` when the page showed the shipped estimate (an empty ``d`` means the newest version)
ESTIMATE = "estimate"


def _base_no(b, d):
    """The demand version a form was filled in on: its ``d``, the estimate when it says so."""
    return None if d == ESTIMATE else _demand_no(b, d)


def _newest(b) -> int:
    """The newest saved demand version (0 when none): a form carries it, to tell a save made meanwhile."""
    return (D.numbers(b.ws) or [0])[-1]


def _newer(b, since: int) -> list[dict]:
    """The demand versions saved after *since*, newest first, as the page lists them."""
    out = []
    for k in reversed(D.numbers(b.ws)):
        if k <= since:
            break
        m = D.meta(b.ws, k)
        out.append({"n": k, "saved_text": i18n.when(m.get("saved")), "who": m.get("who", ""),
                    "note": m.get("note", "")})
    return out


def _percent(b, scenario: str | None) -> int:
    """The 需求 ± % of a version's scenario (0 without one, or when the file no longer reads)."""
    from ...scenario import demand_percent_of

    if not scenario or scenario not in b.ws.scenarios():
        return 0
    try:
        return demand_percent_of(b.ws.scenario_path(scenario))
    except PlannerError:
        return 0


def loaded(b, version, n):
    """(plan, ctx with the demand, load, percent) of a plan version under demand version *n*."""
    from ...demand import scale_candidates
    from ...queueing import evaluate

    plan, ctx = b.plan_of(version)
    percent = _percent(b, version.scenario)
    demand = scale_candidates(D.load(b.ws, n, ctx.catalogue), percent)
    ctx = ctx.with_demand(demand)
    return plan, ctx, evaluate(plan, ctx), percent


def figures(b, version, n) -> dict:
    from ... import regulation
    from ...queueing import CATEGORY_HEADER, category_rows, site_month_candidates
    from ...demand import demand_origin

    plan, ctx, load, percent = loaded(b, version, n)
    head, rows = site_month_candidates(load, ctx)
    rule = ctx.ruleset.rule("waiting")
    limit = getattr(rule, "max_wait_days", None)
    origin = demand_origin(ctx.demand.demand)
    table = []
    for c, r in zip(load.categories, category_rows(load, plan, ctx)):
        late = c.over(limit) if limit else 0
        seated_late = sum(k for w, k in c.waits.items() if w > limit) if late else 0
        # red: the category, and its longest wait or its carried-over candidates, whichever passed the limit
        red = {1} | ({7} if seated_late else set()) | ({6} if late > seated_late else set()) if late else set()
        table.append({"cells": r, "late": late, "red": red})
    over = [{"name": ctx.catalogue.category_name(c.category), "late": c.over(limit), "max_wait": c.max_wait}
            for c in load.categories if limit and c.over(limit)]
    # the form shows the demand itself: the year's returning candidates and renewal wave of the unscaled figures,
    # whatever 需求 ± % the plan version's scenario applies to the load below
    plain = b.plan_of(version)[1].with_demand(D.load(b.ws, n, ctx.catalogue)) if percent else ctx
    return {"load": load.summary(), "header": CATEGORY_HEADER, "rows": table,
            "month_header": head, "month_rows": rows, "percent": percent, "year": plan.year, "origin": origin,
            # the year's regulation facts not yet checked against its text: the planner's to confirm
            "pending": regulation.pending_items(ctx.catalogue, ctx.window),
            "lines": {(sid, cid): lines for sid, sf in plain.demand.streams.items() for cid, lines in sf.lines.items()},
            "limit": limit, "over": over, "late": sum(o["late"] for o in over),
            "rule": i18n.rule_title("waiting")}


def demand_page(request, n, values=None, errors=None, status=200, saved=False, v=None, general="", imported=None,
                latest=None, stale=None, note="", sizing=None):
    """*latest*: the newest demand version when the form was first shown (a save checks none came since);
    *stale*: the versions saved meanwhile, when a save was sent back for that (nothing saved); *sizing*: the
    推荐场次 form as sent back ({"values", "errors"}) when a field of it is refused."""
    from ...demand import demand_origin

    b = bench(request)
    cat = catalogue()
    try:
        demand = D.load(b.ws, n, cat)
    except PlannerError as err:  # a file edited by hand outside the workbench: said, and the estimate shown
        general = (f"第{n}版的需求文件 {D.path(b.ws, n).name} 无法读取（{i18n.input_error(err.field)}；原文："
                   f"{err.message}），下面显示程序提供的估计；可从“各版本”恢复其他版本。")
        n, values, errors = None, None, None
        demand = D.load(b.ws, None, cat)
    version = b.latest_or(v)
    kw = {"n": n, "demand": demand, "values": values or D.values_of(demand), "errors": errors or {},
          "saved": saved, "general": general, "sites": D.site_table(demand, cat), "statuses": D.statuses(), "history": [
              {"n": k, **D.meta(b.ws, k)} for k in reversed(D.numbers(b.ws))], "version": version,
          "size_limit": SIZE_LIMIT, "imported": imported or {}, "origin": demand_origin(demand),
          "sizing": sizing or {"values": {}, "errors": {}},
          "latest": _newest(b) if latest is None else latest, "stale": stale or [], "note": note}
    for h in kw["history"]:
        h["saved_text"] = i18n.when(h.get("saved"))
    if version is not None:
        kw["fig"] = figures(b, version, n)
    # the year's own lines (its regulation's retake limit and renewal wave) when a plan version gives the year
    kw["categories"] = D.category_table(demand, cat, kw["fig"]["lines"] if "fig" in kw else None)
    return b.page(request, "demand.html", status, **kw)


@router.get("/demand", response_class=HTMLResponse)
def demand_get(request: Request, d: str | None = None, v: str | None = None, saved: str = ""):
    b = bench(request)
    return demand_page(request, _demand_no(b, d), saved=bool(saved), v=v)


@router.post("/demand")
async def demand_post(request: Request):
    """The edits as a new demand version; a refused field is said next to it and nothing is saved."""
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    n = _base_no(b, str(form.get("d", "") or ""))
    base = D.load(b.ws, n, catalogue())
    demand, values, errors = D.apply_form(base, {k: x for k, x in form.items() if isinstance(x, str)}, catalogue())
    v = str(form.get("v", "") or "")
    note = str(form.get("note", ""))[:200]
    raw = str(form.get("latest", "") or "")
    latest = int(raw) if ascii_digits(raw) else None  # a form without it (a script) is not checked
    if errors:
        return demand_page(request, n, values, errors, 400, v=v or None, latest=latest, note=note)
    # another tab (or planner) saved since this form was shown: said, with the newer versions, never silently
    # superseded; the form comes back as typed and carries the newest number, so saving again is a choice
    if latest is not None and _newest(b) != latest:
        return demand_page(request, n, values, {}, 409, v=v or None, latest=_newest(b), stale=_newer(b, latest),
                           note=note)
    new = D.save(b.ws, demand, who(request), note, n)
    return RedirectResponse(f"/demand?d={new}&saved=1" + (f"&v={v}" if ascii_digits(v) else ""), status_code=303)


def _upload_name(raw: str, suffix: str) -> str:
    """The uploaded file's own name, as the new version's basis and note say it: no folders, no control
    characters, never hidden (a leading dot)."""
    import re

    name = "".join(ch for ch in re.split(r"[\\/]", raw)[-1] if ch.isprintable()).strip()[-100:]
    while len(name.encode("utf-8")) > 200:  # a file name holds 255 bytes, and a Chinese character takes 3
        name = name[1:]
    return name if name and not name.startswith(".") else "报名数据" + suffix


def _imported(path, suffix: str, data: bytes, base, plan):
    """Unpack-check and import a registration export (a worker thread, never the request loop): ("ok", demand,
    the import's notes in Chinese) or ("error", message in Chinese, the original message)."""
    import dataclasses

    from ...demand_import import import_registrations
    from .check import UPLOAD_TYPES, unpacked_problem

    if UPLOAD_TYPES[suffix] == "xlsx" and (problem := unpacked_problem(data)):
        return "error", problem, ""
    path.write_bytes(data)
    try:
        demand, notes = import_registrations(path, catalogue(), base, plan)
    except PlannerError as err:
        return "error", i18n.import_error(err), err.message
    except Exception:  # noqa: BLE001 - a damaged workbook: openpyxl raises many kinds
        return "error", "无法读取这个文件，请确认它是考试系统导出的报名数据（CSV 或 Excel）", ""
    # the file's own name, not the workspace's scratch path, is where the figures came from
    return "ok", dataclasses.replace(demand, name=path.stem, source=path.name), i18n.import_notes(notes)


@router.post("/demand/import")
async def demand_import(request: Request):
    """A bureau's registration export (CSV or XLSX, as ``planner demand import`` reads it) saved as a new demand
    version with status 实际; the seats and retake shares are those of the version shown, and a plan version
    chosen dates an export numbered by 期次 alone (``--plan``). A bad file or row is said in one line (row and
    column) and nothing is saved."""
    from pathlib import Path

    from starlette.concurrency import run_in_threadpool

    from ..bench import MAX_UPLOAD
    from .check import upload_error
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    n = _base_no(b, str(form.get("d", "") or ""))
    # the plan version whose 期次 date an export without 考试日期 (none chosen: the export must have dates)
    vid = str(form.get("v", "") or "")
    plan = b.plan_of(b.need_version(vid))[0] if vid else None
    upload = form.get("export")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return demand_page(request, n, status=400,
                           imported={"export": "请选择考试系统导出的报名数据文件（CSV 或 Excel）", "v": vid})
    suffix = Path(upload.filename).suffix.lower()
    data = await upload.read(MAX_UPLOAD + 1)
    problem = upload_error(suffix, data, "报名数据 CSV 文件", utf16=True)
    if problem:
        return demand_page(request, n, status=400, imported={"export": problem, "v": vid})
    name = _upload_name(upload.filename, suffix)
    base = D.load(b.ws, n, catalogue())
    async with b.parse_lock:  # one upload unpacked at a time: memory stays bounded under many
        with b.ws.scratch() as tmp:
            state, got, original = await run_in_threadpool(_imported, tmp / name, suffix, data, base, plan)
    if state == "error":
        return demand_page(request, n, status=400, imported={"export": got, "original": original, "v": vid})
    cat = catalogue()
    none = [cat.streams[sid].name for sid in base.streams if sid not in got.streams]
    # what the import noticed (a row repeated cell for cell, counted twice) stays with the version it made
    note = f"导入报名数据 {name}" + "".join(f"；文件中没有{s}的场次，本版该类考生为0" for s in none) \
        + "".join(f"；{line}" for line in original)
    new = D.save(b.ws, got, who(request), note[:200], n)
    return RedirectResponse(f"/demand?d={new}&saved=1", status_code=303)


@router.post("/demand/restore")
async def demand_restore(request: Request):
    """An older version (or the shipped estimate) saved again as the newest: nothing is overwritten."""
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    raw = str(form.get("d", "") or "")
    n = None if raw == "estimate" else _demand_no(b, raw)
    new = D.save(b.ws, D.load(b.ws, n, catalogue()), who(request), "恢复自" + (f"第{n}版" if n else "程序提供的估计"), n)
    return RedirectResponse(f"/demand?d={new}&saved=1", status_code=303)


@router.get("/demand/export.toml")
def demand_export(request: Request, d: str | None = None):
    """The demand file itself, as ``planner plan --demand`` and ``planner size --demand`` read it."""
    from urllib.parse import quote

    b = bench(request)
    n = _demand_no(b, d)
    name = f"demand-{n}.toml" if n else "demand-估计.toml"
    return Response(D.path(b.ws, n).read_bytes(), media_type="application/toml; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.post("/demand/size")
async def demand_size(request: Request):
    """推荐场次: ``planner size`` on this demand (and a scenario's rules and 需求 ± %) in the background."""
    b = bench(request)
    form = await b.form_of(request)
    from ...calendar import FIRST_YEAR, LAST_YEAR

    errors: dict[str, str] = {}
    n = _demand_no(b, str(form.get("d", "") or ""))
    raw = str(form.get("year", "") or "").strip()
    year = None  # the scenario's year, else next year (as ``planner size``)
    try:
        if raw:
            year = int(raw)
            if not FIRST_YEAR <= year <= LAST_YEAR - 1:
                raise ValueError
    except ValueError:
        errors["year"] = f"年度须为 {FIRST_YEAR}–{LAST_YEAR - 1} 之间的整数"
    limit = b.time_limit(form, errors)
    scenario = b.scenario_choice(form, errors)
    if errors:  # said under the field on 需求与考位, with everything typed kept (nothing computed)
        values = {k: str(form.get(k, "") or "") for k in ("year", "scenario", "time_limit")}
        return demand_page(request, n, status=400, sizing={"values": values, "errors": errors})
    job = b.submit({"kind": "size", "root": str(b.ws.root), "year": year, "scenario": scenario, "demand": n,
                    "time_limit": limit})
    return RedirectResponse(f"/job/{job.id}", status_code=303)


@router.get("/demand/chart/{stem}.png")
def demand_chart(request: Request, stem: str, v: str, d: str | None = None):
    """A demand chart of a version under a demand version, drawn once per (version, demand, scenario %)."""
    import importlib

    from ...charts import DEMAND_CHARTS
    from ...charts.style import render

    b = bench(request)
    if stem not in CHARTS:
        raise HTTPException(404, "没有这张图。")
    if request.headers.get("sec-fetch-site") == "cross-site":  # another site's page may not make us draw
        raise HTTPException(403, "请在工作台页面上查看图表。")
    version = b.need_version(v)
    n = _demand_no(b, d)
    key = ("demand", stem, version.id, version.sha256, n, _percent(b, version.scenario))
    png = b.charts.get(key)
    if png is None:
        plan, ctx, _, _ = loaded(b, version, n)
        draw = importlib.import_module(f"planner.charts.{DEMAND_CHARTS[stem]}").draw
        with b.publish_lock:
            png = render(draw, plan, ctx, formats=("png",))["png"]
        if len(b.charts) >= 32:
            b.charts.pop(next(iter(b.charts)))
        b.charts[key] = png
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/demand/size/{jid}/scenario")
async def sizing_as_scenario(request: Request, jid: str):
    """推荐场次's counts kept as a scenario (read by the core before it is written), to plan the year with them."""
    from urllib.parse import quote

    from ...scenario import load_scenario

    b = bench(request)
    await b.form_of(request)
    job = b.jobs.get(jid)
    if job is None or job.spec.get("kind") != "size" or job.state != "done":
        raise HTTPException(404, "没有这个推荐结果。")
    name = f"推荐场次-{jid}"
    text = D.sizing_scenario(name, job)
    trial = b.ws.scenario_path(name).with_name(f".{name}.trial.toml")  # beside the scenario it may extend
    try:
        trial.write_text(text, encoding="utf-8")
        load_scenario(trial)
    except PlannerError as err:
        raise HTTPException(400, "推荐场次无法保存为情景：" + i18n.input_error(err.field) + f"（原文：{err.message}）") from None
    finally:
        trial.unlink(missing_ok=True)
    from ..workspace import ScenarioExists

    for k in range(1, 100):  # kept once; a scenario of that name edited since is never replaced: another name
        candidate = name if k == 1 else f"{name}-{k}"
        mine = text.replace(f'name = "{name}"', f'name = "{candidate}"', 1)
        if b.ws.scenario_text(candidate) == mine:
            break
        try:
            b.ws.write_scenario(candidate, mine, new=True)
            break
        except ScenarioExists:
            continue
    name = candidate
    b.forget_contexts()
    return RedirectResponse(f"/scenario?name={quote(name)}&saved=1", status_code=303)
