"""排考工作台: the workbench's pages (FastAPI, server-rendered Jinja2, htmx shipped in ``static/``).

Every page calls the same core functions as the CLI (solve, replan, check_plan, diff_plans,
build_outputs) and reads and writes the workspace (``workspace.py``). Solves run in the
background queue (``jobs.py``); a page only enqueues and polls. Security: a token when one
is set (query ``?token=`` once, then a cookie), a CSRF token on every POST, uploads capped
and type-checked, every path checked to be inside the workspace, Jinja autoescaping on.
"""
from __future__ import annotations

import datetime as dt
import io
import secrets
import threading
import zipfile
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.exceptions import HTTPException
from starlette.templating import Jinja2Templates

from ..errors import PlannerError
from ..publish import wording as W
from ..publish.tables import provisional_note
from . import i18n, views
from .jobs import FINISHED, JobQueue, load_context, session_dict
from .workspace import OutsideWorkspace, Workspace

HERE = Path(__file__).parent
MAX_UPLOAD = 5 * 1024 * 1024
DEFAULT_TIME_LIMIT = 10
TOKEN_COOKIE = "planner_token"
UPLOAD_TYPES = {".csv": "csv", ".xlsx": "xlsx"}
#: a fixed timestamp for zip members, so the same published set gives the same zip
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def create_app(workspace: str | Path = "planner-workspace", *, token: str | None = None,
               allowed_hosts: set[str] | None = None) -> FastAPI:
    """The app on *workspace*. *token*: required on every request; *allowed_hosts*: the only Host names
    answered (``planner serve`` on loopback passes the loopback names, so a page elsewhere cannot reach it
    through a rebinding DNS name)."""
    ws = Workspace(workspace)
    csrf = secrets.token_urlsafe(24)
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["day"] = lambda d, year: W.day_text(dt.date.fromisoformat(d) if isinstance(d, str) else d, year)
    env.filters["deadline"] = lambda d, year: W.deadline_text(
        dt.date.fromisoformat(d) if isinstance(d, str) else d, year)
    env.globals.update(i18n=i18n, csrf=csrf, token=token)
    templates = Jinja2Templates(env=env)
    publish_lock = threading.Lock()

    def stored(job) -> None:
        """A finished generate job becomes a version at once; re-plans wait for 接受."""
        if job.spec["kind"] == "generate":
            job.version = _store(job, parent=None, note=job.spec.get("note", ""))

    def _store(job, parent, note) -> int:
        o = job.outcome
        name = job.spec.get("scenario") or None
        return ws.add_version(o["plan_csv"], o["summary"], year=o["year"], scenario=name, parent=parent,
                              note=note, kind=job.spec["kind"])

    jobs = JobQueue(on_done=stored)

    @asynccontextmanager
    async def lifespan(_app):
        jobs.warm()
        yield
        jobs.shutdown()  # a running solve is stopped with the server

    app = FastAPI(title="排考工作台", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.ws, app.state.jobs, app.state.csrf, app.state.token = ws, jobs, csrf, token
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # -- security -----------------------------------------------------------------------------------
    @app.middleware("http")
    async def guard(request: Request, call_next):
        via_query = False
        if allowed_hosts is not None and _hostname(request.headers.get("host", "")) not in allowed_hosts:
            return _plain_page(templates, request, 403, "地址不正确", "请使用启动工作台时显示的地址打开本页。")
        if token is not None:
            given = request.query_params.get("token")
            via_query = given is not None
            if given is None:
                given = request.cookies.get(TOKEN_COOKIE) or request.headers.get("x-planner-token")
            if not given or not secrets.compare_digest(given.encode(), token.encode()):
                return _plain_page(templates, request, 403, "需要访问令牌",
                                   "请使用启动工作台时显示的完整地址（含 ?token=…）打开本页。")
        if request.method == "POST":
            size = request.headers.get("content-length")
            if size is not None and size.isdigit() and int(size) > MAX_UPLOAD + 64 * 1024:
                return _plain_page(templates, request, 413, "文件过大", "上传的文件不能超过 5 MB。")
        response = await call_next(request)
        if via_query:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    async def form_of(request: Request) -> dict:
        """The POSTed form after the CSRF check (form field or htmx header)."""
        form = await request.form(max_files=1, max_fields=200)
        sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
        if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), csrf.encode()):
            raise HTTPException(403, "页面已过期或请求来源不明，请刷新页面后重试。")
        return form

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        titles = {403: "操作被拒绝", 404: "未找到", 405: "不支持的操作", 413: "文件过大"}
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else "请返回上一页。"
        return _plain_page(templates, request, exc.status_code, titles.get(exc.status_code, "出错了"), detail)

    @app.exception_handler(OutsideWorkspace)
    async def outside(request: Request, exc: OutsideWorkspace):
        return _plain_page(templates, request, 404, "未找到", "所请求的文件不在工作区内。")

    @app.exception_handler(PlannerError)
    async def planner_error(request: Request, exc: PlannerError):
        """A file of the workspace the core refuses (e.g. a scenario edited by hand): said in Chinese."""
        return _plain_page(templates, request, 400, "无法打开", i18n.input_error(exc.field, exc.row)
                           + (f"（文件 {Path(exc.file).name}）" if exc.file else "") + f" 原文：{exc.message}")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        return _plain_page(templates, request, 500, "出错了", i18n.text("internal"))

    def page(request: Request, name: str, status: int = 200, **kw) -> HTMLResponse:
        kw.setdefault("versions", ws.versions())
        kw.setdefault("scenarios", ws.scenarios())
        kw.setdefault("running", jobs.running())
        return templates.TemplateResponse(request, name, kw, status_code=status)

    def need_version(vid) -> object:
        v = ws.version(vid) if vid not in (None, "") else None
        if v is None:
            raise HTTPException(404, "没有这个版本。")
        return v

    @lru_cache(maxsize=16)
    def _ctx(scenario: str | None, year: int, stamp: float):
        return load_context(str(ws.root), scenario, year)[0]

    def ctx_for(scenario: str | None, year: int):
        stamp = 0.0
        if scenario:
            p = ws.scenario_path(scenario)
            stamp = p.stat().st_mtime if p.exists() else -1.0
            if stamp < 0:
                scenario = None
        return _ctx(scenario, year, stamp)

    def plan_of(v):
        from .. import read_plan

        ctx = ctx_for(v.scenario, v.year)
        return read_plan(ws.plan_csv_path(v.id), ctx.catalogue, year=v.year), ctx

    def time_limit(form, errors: dict) -> float:
        raw = str(form.get("time_limit", "") or DEFAULT_TIME_LIMIT)
        try:
            t = float(raw)
            if not 0 < t <= 600:
                raise ValueError
        except ValueError:
            errors["time_limit"] = "求解时限须为 0–600 之间的数（秒）"
            return DEFAULT_TIME_LIMIT
        return t

    def scenario_choice(form, errors: dict) -> str | None:
        name = str(form.get("scenario", "") or "")
        if name and name not in ws.scenarios():
            errors["scenario"] = "没有这个情景"
        return name or None

    # -- 年度计划 ------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        return RedirectResponse("/plan", status_code=303)

    @app.get("/plan", response_class=HTMLResponse)
    def plan_page(request: Request, v: str | None = None):
        from ..api import next_year

        versions = ws.versions()
        version = need_version(v) if v else (versions[0] if versions else None)
        shown = {}
        if version is not None:
            plan, ctx = plan_of(version)
            shown = {"version": version, "plan": plan, "months": views.months(plan, ctx),
                     "legend": views.legend(plan, ctx), "tables": views.notice_tables(plan, ctx),
                     "kpis": views.kpis(plan, ctx), "waits": views.waits(plan, ctx), "banner": provisional_note(plan, ctx),
                     "chain": ws.chain(version.id), "summary": ws.summary(version.id)}
        return page(request, "plan.html", default_year=next_year(), default_limit=DEFAULT_TIME_LIMIT,
                    errors={}, **shown)

    @app.post("/generate")
    async def generate(request: Request):
        from ..api import next_year
        from ..calendar import FIRST_YEAR, LAST_YEAR

        form = await form_of(request)
        errors: dict[str, str] = {}
        try:
            year = int(str(form.get("year", "")))
            if not FIRST_YEAR <= year <= LAST_YEAR - 1:
                raise ValueError
        except ValueError:
            errors["year"] = f"年度须为 {FIRST_YEAR}–{LAST_YEAR - 1} 之间的整数"
            year = None
        limit = time_limit(form, errors)
        scenario = scenario_choice(form, errors)
        if errors:
            return page(request, "plan.html", 400, default_year=next_year(), default_limit=DEFAULT_TIME_LIMIT,
                        errors=errors, form=dict(form))
        job = jobs.submit({"kind": "generate", "root": str(ws.root), "year": year, "scenario": scenario,
                           "time_limit": limit, "note": str(form.get("note", ""))[:200]})
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    # -- jobs ----------------------------------------------------------------------------------------
    def job_view(request: Request, jid: str, template: str):
        job = jobs.get(jid)
        if job is None:
            raise HTTPException(404, "没有这个任务（工作台重启后，未完成的任务不再保留）。")
        position = jobs.position(job)
        kw = {"job": job, "position": position, "finished": job.state in FINISHED,
              "ahead": max(0, position - 1) + (1 if position and jobs.running() is not None else 0),
              "fragment": template.startswith("_")}
        if job.spec.get("base") and ws.version(job.spec["base"]) is not None:
            kw["year"] = ws.version(job.spec["base"]).year
        if job.state in FINISHED and job.outcome and not job.outcome.get("ok"):
            cat = ctx_for(job.spec.get("scenario"), job.spec.get("year") or _base_year(job)).catalogue \
                if _ctx_safe(job) else None
            kw["error"] = i18n.error_view(job.outcome, cat or _catalogue())
        if job.state == "done" and job.spec["kind"] in ("replan", "pin"):
            base = ws.version(job.spec["base"])
            ctx = ctx_for(job.spec.get("scenario"), base.year)
            kw["changes"] = _changes(job.outcome["changes"], ctx, base.year)
            kw["year"] = base.year
            kw["kept"] = job.outcome["summary"].get("kept")
        resp = page(request, template, **kw)
        if job.state == "done" and job.spec["kind"] == "generate" and job.version and template.startswith("_"):
            resp.headers["HX-Redirect"] = f"/plan?v={job.version}"
        return resp

    def _base_year(job) -> int:
        v = ws.version(job.spec.get("base")) if job.spec.get("base") else None
        return v.year if v else job.spec.get("year")

    def _ctx_safe(job) -> bool:
        try:
            ctx_for(job.spec.get("scenario"), job.spec.get("year") or _base_year(job))
            return True
        except PlannerError:
            return False

    def _changes(changes: list[dict], ctx, year: int) -> list[dict]:
        insts = ctx.catalogue.institutions
        out = []
        for c in changes:
            def side(s):
                if s is None:
                    return None
                return {"exam": W.day_text(dt.date.fromisoformat(s["exam"]), year),
                        "deadline": W.deadline_text(dt.date.fromisoformat(s["deadline"]), year),
                        "site": insts[s["institution"]].short_name if s["institution"] in insts else s["institution"]}
            days = ""
            if c["old"] and c["new"]:
                n = (dt.date.fromisoformat(c["new"]["exam"]) - dt.date.fromisoformat(c["old"]["exam"])).days
                days = f"{n:+d}天" if n else ""
            what = c["what"]
            if what == "moved":
                site = c["old"]["institution"] != c["new"]["institution"]
                what = ("moved_both" if site else "moved_day") if days else "moved_site"
            out.append({"stream": ctx.catalogue.streams[c["stream"]].name, "no": c["no"],
                        "what": i18n.change(what), "old": side(c["old"]), "new": side(c["new"]), "days": days,
                        "reasons": i18n.reason(c.get("reason", ""), ctx.catalogue), "original": c.get("reason", "")})
        return out

    @app.get("/job/{jid}", response_class=HTMLResponse)
    def job_page(request: Request, jid: str):
        return job_view(request, jid, "job.html")

    @app.get("/job/{jid}/status", response_class=HTMLResponse)
    def job_status(request: Request, jid: str):
        return job_view(request, jid, "_job_status.html")

    @app.post("/job/{jid}/cancel")
    async def job_cancel(request: Request, jid: str):
        await form_of(request)
        if jobs.get(jid) is None:
            raise HTTPException(404, "没有这个任务。")
        jobs.cancel(jid)
        return RedirectResponse(f"/job/{jid}", status_code=303)

    @app.post("/job/{jid}/accept")
    async def job_accept(request: Request, jid: str):
        form = await form_of(request)
        job = jobs.get(jid)
        if job is None or job.state != "done" or job.spec["kind"] not in ("replan", "pin"):
            raise HTTPException(404, "没有可接受的方案。")
        if job.version is None:
            job.version = _store(job, parent=int(job.spec["base"]), note=str(form.get("note", ""))[:200])
        return RedirectResponse(f"/plan?v={job.version}", status_code=303)

    # -- 调整 / 情景 ---------------------------------------------------------------------------------
    from . import scenario_form as SF

    def scenario_page(request, values, errors, status=200, saved=False, general=""):
        cat = _catalogue()
        cats = sorted({(op.category_code, op.category) for op in cat.operations.values()})
        defaults = _defaults()
        return page(request, "scenario.html", status, values=values, errors=errors, saved=saved, general=general,
                    institutions=sorted(cat.institutions.values(), key=lambda i: i.seq), categories=cats,
                    closure_rows=range(1, SF.CLOSURE_ROWS + 1), licenses=SF.licenses_supported(),
                    defaults=defaults)

    @app.get("/scenario", response_class=HTMLResponse)
    def scenario_get(request: Request, name: str = "", saved: str = ""):
        values = SF.empty_values()
        if name:
            path = ws.scenario_path(name)
            if not path.is_file():
                raise HTTPException(404, "没有这个情景。")
            values = SF.values_from_toml(path.read_text(encoding="utf-8"), name)
        return scenario_page(request, values, {}, saved=bool(saved))

    @app.post("/scenario")
    async def scenario_post(request: Request):
        from ..scenario import load_scenario

        form = await form_of(request)
        res = SF.build({k: v for k, v in form.items() if isinstance(v, str)}, _catalogue())
        if res.errors:
            return scenario_page(request, res.values, res.errors, 400)
        with ws.scratch() as tmp:
            trial = tmp / f"{res.values['name']}.toml"
            trial.write_text(res.toml, encoding="utf-8")
            try:
                load_scenario(trial)
            except PlannerError as err:
                field = SF.form_field(err)
                msg = i18n.input_error(err.field) + f"（原文：{err.message}）"
                return scenario_page(request, res.values, {field: msg} if field else {}, 400,
                                     general="" if field else msg)
        ws.write_scenario(res.values["name"], res.toml)
        _ctx.cache_clear()
        return RedirectResponse(f"/scenario?name={quote(res.values['name'])}&saved=1", status_code=303)

    # -- 重新排期 -------------------------------------------------------------------------------------
    @app.get("/replan", response_class=HTMLResponse)
    def replan_get(request: Request, v: str | None = None):
        return page(request, "replan.html", errors={}, form={"v": v or "", "time_limit": DEFAULT_TIME_LIMIT})

    @app.post("/replan")
    async def replan_post(request: Request):
        form = await form_of(request)
        errors: dict[str, str] = {}
        base = ws.version(str(form.get("v", "")))
        if base is None:
            errors["v"] = "请选择要调整的版本"
        try:
            from_date = dt.date.fromisoformat(str(form.get("from_date", "")))
        except ValueError:
            errors["from_date"] = "请填写有效日期（格式：2027-06-17）"
            from_date = None
        limit = time_limit(form, errors)
        scenario = scenario_choice(form, errors)
        if base is not None and from_date is not None and not errors:
            try:
                start, stop = ctx_for(scenario, base.year).window
            except PlannerError as err:
                errors["scenario"] = i18n.input_error(err.field) + f"（原文：{err.message}）"
            else:
                if not start <= from_date <= stop + dt.timedelta(days=1):
                    errors["from_date"] = (f"日期须在本年度计划区间内（{W.day_text(start, base.year)}至"
                                           f"{W.day_text(stop, base.year)}）")
        if errors:
            return page(request, "replan.html", 400, errors=errors, form=dict(form))
        job = jobs.submit({"kind": "replan", "root": str(ws.root), "base": base.id, "scenario": scenario,
                           "from_date": from_date.isoformat(), "time_limit": limit})
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    # -- 固定一场 -------------------------------------------------------------------------------------
    @app.get("/pin", response_class=HTMLResponse)
    def pin_get(request: Request, v: str | None = None, s: str | None = None):
        kw: dict = {"errors": {}, "form": {"v": v or "", "s": s or ""}}
        if v:
            version = need_version(v)
            plan, ctx = plan_of(version)
            kw["version"], kw["year"] = version, version.year
            kw["sessions"] = [(f"{x.stream}-{x.no}", views.session_label(x, ctx)) for x in plan.sessions]
            if s:
                chosen = _session_of(plan, s)
                kw["chosen"] = views.session_label(chosen, ctx)
                kw["days"] = [(d.isoformat(), W.day_text(d, version.year)
                               + ("（原日期）" if d == chosen.exam_date else ""))
                              for d in views.allowed_days(chosen, ctx)]
        return page(request, "pin.html", **kw)

    @app.post("/pin")
    async def pin_post(request: Request):
        form = await form_of(request)
        version = need_version(str(form.get("v", "")))
        plan, ctx = plan_of(version)
        chosen = _session_of(plan, str(form.get("s", "")))
        errors: dict[str, str] = {}
        try:
            day = dt.date.fromisoformat(str(form.get("date", "")))
        except ValueError:
            day = None
        if day is None or day not in views.allowed_days(chosen, ctx):
            errors["date"] = "请从列表中选择允许的日期"
        elif day == chosen.exam_date:
            errors["date"] = "新日期与原日期相同"
        limit = time_limit(form, errors)
        if errors:
            return pin_get_errors(request, version, plan, ctx, chosen, errors)
        job = jobs.submit({"kind": "pin", "root": str(ws.root), "base": version.id, "scenario": version.scenario,
                           "stream": chosen.stream, "no": chosen.no, "date": day.isoformat(), "time_limit": limit})
        return RedirectResponse(f"/job/{job.id}", status_code=303)

    def pin_get_errors(request, version, plan, ctx, chosen, errors):
        key = f"{chosen.stream}-{chosen.no}"
        return page(request, "pin.html", 400, errors=errors, form={"v": str(version.id), "s": key},
                    version=version, year=version.year, chosen=views.session_label(chosen, ctx),
                    sessions=[(f"{x.stream}-{x.no}", views.session_label(x, ctx)) for x in plan.sessions],
                    days=[(d.isoformat(), W.day_text(d, version.year)) for d in views.allowed_days(chosen, ctx)])

    # -- 对比 ----------------------------------------------------------------------------------------
    @app.get("/compare", response_class=HTMLResponse)
    def compare_get(request: Request, a: str | None = None, b: str | None = None):
        from ..compare import diff_plans, kpi_rows

        kw: dict = {"a": a or "", "b": b or ""}
        if a and b:
            va, vb = need_version(a), need_version(b)
            pa, ctx_a = plan_of(va)
            pb, ctx_b = plan_of(vb)
            changes = [{"stream": c.stream, "no": c.no, "what": c.what, "old": session_dict(c.old), "new": session_dict(c.new),
                        "reason": ""} for c in diff_plans(pa, pb)]
            kw["changes"] = _changes(changes, ctx_b, vb.year)
            names = {i: x.short_name for i, x in ctx_b.catalogue.institutions.items()}
            kw["kpis"] = [[names.get(r[0], "全部考点")] + r[1:] for r in kpi_rows(pa, pb)]
            kw["va"], kw["vb"] = va, vb
        return page(request, "compare.html", **kw)

    @app.get("/compare/chart.png")
    def compare_chart(a: str, b: str):
        from ..charts.compare import draw
        from ..charts.style import render

        va, vb = need_version(a), need_version(b)
        pa, _ = plan_of(va)
        pb, ctx = plan_of(vb)
        with publish_lock:  # matplotlib's font and style state is shared
            png = render(draw, pa, pb, ctx)["png"]
        return Response(png, media_type="image/png")

    # -- 检查 ----------------------------------------------------------------------------------------
    @app.get("/check", response_class=HTMLResponse)
    def check_get(request: Request):
        return page(request, "check.html", errors={})

    def read_checked(path: Path, scenario: str | None):
        """(plan, ctx, report) of a plan file, read against the scenario's catalogue and rules if one is named."""
        from ..check import check_plan
        from .. import read_plan

        catalogue = ctx_for(scenario, None).catalogue if scenario else _catalogue()
        plan = read_plan(path, catalogue)
        ctx = ctx_for(scenario, plan.year)
        return plan, ctx, check_plan(plan, ctx)

    def check_result(request, status: int, filename: str, scenario, plan, ctx, report, **kw):
        by_session: dict = {}
        for x in report.violations:
            if not x.hard:
                continue
            s = plan.by_key().get((x.stream, x.no)) if x.no is not None else None
            where = views.session_label(s, ctx) if s else (ctx.catalogue.streams[x.stream].name
                                                              if x.stream in ctx.catalogue.streams else "全年")
            by_session.setdefault(where, []).append({"rule": i18n.rule_title(x.rule), "text": i18n.violation(x, s, ctx),
                                                     "original": x.message})
        from ..plan import plan_to_csv

        return page(request, "check.html", status, errors=kw.pop("errors", {}), checked=True, filename=filename,
                    plan=plan, by_session=by_session, banner=provisional_note(plan, ctx), year=plan.year,
                    scenario=scenario or "", plan_csv=plan_to_csv(plan), ok=report.ok,
                    per_rule=[(i18n.rule_title(r), n) for r, n in report.per_rule.items()], **kw)

    @app.post("/check")
    async def check_post(request: Request):
        form = await form_of(request)
        upload = form.get("plan")
        errors: dict[str, str] = {}
        scenario = scenario_choice(form, errors)
        if upload is None or isinstance(upload, str) or not upload.filename:
            errors["plan"] = "请选择要检查的文件（CSV 或 notice.xlsx）"
            return page(request, "check.html", 400, errors=errors)
        suffix = Path(upload.filename).suffix.lower()
        data = await upload.read(MAX_UPLOAD + 1)
        if suffix not in UPLOAD_TYPES:
            errors["plan"] = "只能上传计划 CSV 文件或 Excel 文件（.xlsx）"
        elif len(data) > MAX_UPLOAD:
            errors["plan"] = "文件不能超过 5 MB"
        elif not data:
            errors["plan"] = "文件是空的"
        elif UPLOAD_TYPES[suffix] == "xlsx" and not data.startswith(b"PK\x03\x04"):
            errors["plan"] = "这不是有效的 Excel（.xlsx）文件"
        elif UPLOAD_TYPES[suffix] == "csv" and b"\x00" in data:
            errors["plan"] = "这不是文本格式的 CSV 文件"
        if errors:
            return page(request, "check.html", 400, errors=errors)
        with ws.scratch() as tmp:
            path = tmp / f"upload{suffix}"
            path.write_bytes(data)
            try:
                plan, ctx, report = read_checked(path, scenario)
            except PlannerError as err:
                msg = i18n.input_error(err.field, err.row)
                return page(request, "check.html", 400, errors={"plan": msg}, original=err.message)
            except Exception:  # noqa: BLE001 - a damaged workbook: openpyxl raises many kinds
                return page(request, "check.html", 400,
                            errors={"plan": "无法读取这个文件，请确认它是计划 CSV 或发布的 notice.xlsx"})
        return check_result(request, 200, upload.filename, scenario, plan, ctx, report)

    @app.post("/import")
    async def import_plan(request: Request):
        """A checked upload kept as a version (e.g. the plan already published), so it can be re-planned.
        The canonical CSV comes back from the check page and is read and checked again here."""
        form = await form_of(request)
        errors: dict[str, str] = {}
        scenario = scenario_choice(form, errors)
        text = form.get("plan_csv")
        if not isinstance(text, str) or not text.strip() or len(text.encode("utf-8")) > MAX_UPLOAD or errors:
            return page(request, "check.html", 400, errors={"plan": "没有可保存的计划，请重新上传"})
        with ws.scratch() as tmp:
            path = tmp / "upload.csv"
            path.write_text(text, encoding="utf-8")
            try:
                plan, ctx, report = read_checked(path, scenario)
            except PlannerError as err:
                return page(request, "check.html", 400, errors={"plan": i18n.input_error(err.field, err.row)},
                            original=err.message)
        if not report.ok:
            return check_result(request, 400, "", scenario, plan, ctx, report,
                                errors={"import": "有违反规则之处的计划不能保存为版本"})
        from ..plan import plan_to_csv

        summary = {"status": "UPLOADED", "year": plan.year, "sessions": len(plan.sessions),
                   "calendar": ctx.calendar.status(), "scenario": scenario or ""}
        vid = ws.add_version(plan_to_csv(plan), summary, year=plan.year, scenario=scenario, parent=None,
                             note=str(form.get("note", ""))[:200], kind="upload")
        return RedirectResponse(f"/plan?v={vid}", status_code=303)

    # -- 发布 ----------------------------------------------------------------------------------------
    def ics_url(request: Request, inst: str) -> str:
        url = str(request.base_url) + f"ics/{inst}.ics"
        return url + (f"?token={quote(token)}" if token else "")

    @app.get("/publish", response_class=HTMLResponse)
    def publish_get(request: Request, v: str | None = None):
        kw: dict = {"errors": {}}
        versions = ws.versions()
        version = need_version(v) if v else (versions[0] if versions else None)
        if version is not None:
            kw["version"] = version
            cat = ctx_for(version.scenario, version.year).catalogue
            kw["files"] = ws.published_files(version.id)
            kw["labels"] = {f: i18n.file_label(f, cat) for f in kw["files"]}
            kw["is_latest"] = ws.latest_published() == version.id
            kw["local_only"] = _hostname(request.headers.get("host", "")) in {"127.0.0.1", "localhost", "::1"}
            kw["subscriptions"] = [(i.short_name, ics_url(request, i.id))
                                   for i in sorted(cat.institutions.values(), key=lambda i: i.seq)]
        return page(request, "publish.html", **kw)

    @app.post("/publish/{vid}")
    async def publish_version(request: Request, vid: str):
        await form_of(request)
        version = need_version(vid)
        from starlette.concurrency import run_in_threadpool

        try:
            await run_in_threadpool(_publish, version)
        except PlannerError as err:
            return page(request, "publish.html", 400, version=version, files=ws.published_files(version.id),
                        errors={"publish": "该版本未通过规则检查，不能发布"
                                if type(err).__name__ == "CheckFailedError" else i18n.input_error(err.field)},
                        original=err.message, subscriptions=[])
        return RedirectResponse(f"/publish?v={version.id}", status_code=303)

    def _publish(version) -> None:
        """Build the set in memory, then swap it in whole. The calendars the subscribers have now (the
        latest published set) are passed on, so a revision's changed events carry a higher SEQUENCE."""
        from ..publish.run import build_outputs, read_previous_ics

        plan, ctx = plan_of(version)
        latest = ws.latest_published()
        previous = read_previous_ics(ws.published_dir(latest)) if latest is not None else {}
        with publish_lock:
            files = build_outputs(plan, ctx, summary=ws.summary(version.id) or None, previous_ics=previous)
        ws.write_published(version.id, files)

    @app.get("/files/{vid}/{rel:path}")
    def published_file(vid: str, rel: str):
        version = need_version(vid)
        p = ws.published_file(version.id, rel)
        media = {".ics": "text/calendar; charset=utf-8", ".csv": "text/csv; charset=utf-8",
                 ".html": "text/html; charset=utf-8", ".json": "application/json", ".png": "image/png",
                 ".svg": "image/svg+xml",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        return Response(p.read_bytes(), media_type=media.get(p.suffix, "application/octet-stream"),
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(p.name)}"})

    @app.get("/zip/{vid}")
    def published_zip(vid: str):
        version = need_version(vid)
        files = ws.published_files(version.id)
        if not files:
            raise HTTPException(404, "该版本还没有生成发布文件。")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for rel in files:
                info = zipfile.ZipInfo(rel, ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, ws.published_file(version.id, rel).read_bytes())
        name = f"运城市{version.year}年考试计划-版本{version.id}.zip"
        return Response(buf.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    @app.get("/ics/{inst}.ics")
    def subscription(inst: str):
        vid = ws.latest_published()
        if vid is None:
            raise HTTPException(404, "还没有已发布的计划。")
        p = ws.published_file(vid, f"ics/{inst}.ics")
        return Response(p.read_bytes(), media_type="text/calendar; charset=utf-8")

    return app


def _hostname(host: str) -> str:
    """"127.0.0.1:8765" → "127.0.0.1"; "[::1]:8765" → "::1"."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _session_of(plan, key: str):
    stream, _, no = key.rpartition("-")
    s = plan.by_key().get((stream, int(no))) if no.isdigit() else None
    if s is None:
        raise HTTPException(404, "没有这一场考试。")
    return s


@lru_cache(maxsize=1)
def _catalogue():
    from ..data import load_catalogue

    return load_catalogue()


@lru_cache(maxsize=1)
def _defaults() -> dict:
    """The embedded rule set's values, shown as placeholders in the scenario form."""
    from ..api import make_context, next_year

    rs = make_context(next_year()).ruleset
    gap, cov, cnt = rs.rule("registration_gap"), rs.rule("coverage"), rs.rule("session_count")
    return {"gap_min": gap.min_days, "gap_max": gap.max_days, "coverage_days": cov.max_days_between_opportunities,
            "sessions_managers": cnt.sessions.get("managers", ""), "sessions_special_ops": cnt.sessions.get("special_ops", "")}


def _plain_page(templates, request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "message.html", {"title": title, "message": message},
                                      status_code=status)
