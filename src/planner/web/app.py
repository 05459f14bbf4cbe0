"""排考工作台: the workbench app (FastAPI, server-rendered Jinja2, htmx shipped in ``static/``).

Every page calls the same core functions as the CLI (solve, replan, check_plan, diff_plans,
build_outputs) and reads and writes the workspace (``workspace.py``). The pages live in
``routes/`` (one router per page) and share one :class:`~planner.web.bench.Bench`. Solves run in
the background queue (``jobs.py``); a page only enqueues and polls. Security: a token when one is
set (query ``?token=`` once, then a cookie), a CSRF token on every POST, uploads capped and
type-checked, every path checked to be inside the workspace, Jinja autoescaping on.
"""
from __future__ import annotations

import secrets
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ..errors import IOFailure, PlannerError
from . import i18n
from .bench import HERE, MAX_UPLOAD, PUBLISHED_NOT_CURRENT, STORED_VERSION, TOKEN_COOKIE, Bench, hostname
from .routes import ROUTERS
from .security import calendar_of, same_origin
from .workspace import OutsideWorkspace


def create_app(workspace: str | Path = "planner-workspace", *, token: str | None = None,
               allowed_hosts: set[str] | None = None, public_url: str | None = None,
               documents: bool = True, warm: bool = True) -> FastAPI:
    """The app on *workspace*. *token*: the planner's token, required on every request (a read-only
    subscription token is made beside it for the calendars); *allowed_hosts*: the only Host names answered
    (``planner serve`` on loopback passes the loopback names, so a page elsewhere cannot reach it through a
    rebinding DNS name); *public_url*: the address other machines use, for the links handed out;
    *documents*: 发布 makes the PDFs and the wall calendar as ``planner publish`` does (tests that only need
    the set's other files pass False: LibreOffice takes seconds); *warm*: start the solver process with the
    server, so the first 生成 does not wait for OR-Tools to load (an app that may never solve, like most tests',
    passes False: the process then starts with the first job)."""
    b = Bench(workspace, token, public_url, documents)

    @asynccontextmanager
    async def lifespan(_app):
        if warm:
            b.jobs.warm()
        b.start()
        yield
        b.jobs.shutdown()  # a running solve is stopped with the server

    app = FastAPI(title="排考工作台", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.bench = b
    app.state.ws, app.state.jobs, app.state.csrf, app.state.token = b.ws, b.jobs, b.csrf, token
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _guard(app, b, allowed_hosts)
    _error_pages(app, b)
    return app


def _guard(app: FastAPI, b: Bench, allowed_hosts: set[str] | None) -> None:
    """Host check, token, upload size, and the headers every answer carries."""
    token = b.token

    @app.middleware("http")
    async def guard(request: Request, call_next):
        via_query = False
        if allowed_hosts is not None and hostname(request.headers.get("host", "")) not in allowed_hosts:
            return b.plain_page(request, 403, "地址不正确", "请使用启动工作台时显示的地址打开本页。")
        if token is not None:
            given = request.query_params.get("token")
            via_query = given is not None
            if given is None:
                given = request.cookies.get(TOKEN_COOKIE) or request.headers.get("x-planner-token")
            given = given or ""
            if secrets.compare_digest(given.encode(), token.encode()):
                pass  # the planner
            elif request.method == "GET" and calendar_of(b.sub_token, given, request.url.path) is not None:
                via_query = False  # an institution's token opens its own calendar, and never becomes a cookie
            elif b.subscriber(given) is not None:  # an institution's token anywhere else: another's calendar, a page
                return b.plain_page(request, 403, "只能订阅本机构的日历", i18n.text("subscription_only"))
            elif secrets.compare_digest(given.encode(), b.sub_token.encode()):  # the one shared link of before
                return b.plain_page(request, 403, "订阅地址已更换", i18n.text("subscription_renewed"))
            else:
                return b.plain_page(request, 403, "需要访问令牌",
                                    "请使用启动工作台时显示的完整地址（含 ?token=…）打开本页。")
        if request.method == "POST" and not same_origin(request.headers):
            return b.plain_page(request, 403, "操作被拒绝", i18n.text("cross_site"))
        if request.method == "POST":
            size = request.headers.get("content-length")
            if size is not None and size.isdigit() and int(size) > MAX_UPLOAD + 64 * 1024:
                return b.plain_page(request, 413, "文件过大", "上传的文件不能超过 5 MB。")
        response = await call_next(request)
        if via_query:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")  # a POST then carries its Origin
        return response


def _error_pages(app: FastAPI, b: Bench) -> None:
    """Every error a page can meet, as a Chinese page (never a traceback)."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        titles = {400: "输入有误", 403: "操作被拒绝", 404: "未找到", 405: "不支持的操作", 413: "文件过大",
                  503: "工作台忙"}
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else "请返回上一页。"
        return b.plain_page(request, exc.status_code, titles.get(exc.status_code, "出错了"), detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        """A page address without a parameter it needs (``/edit?v=1``), or with one it cannot read: said in
        Chinese, naming the parameter (messages.toml [params]), never FastAPI's English JSON."""
        names = i18n.table()["params"]
        missing, bad = [], []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body", "header", "cookie")]
            key = loc[-1] if loc else ""
            said = f"参数“{names.get(key, key)}”（{key}）" if key else "参数"
            target = missing if e.get("type") == "missing" else bad
            if said not in target:
                target.append(said)
        message = "；".join(([i18n.text("missing_params", names="、".join(missing))] if missing else [])
                           + ([i18n.text("bad_params", names="、".join(bad))] if bad else []))
        return b.plain_page(request, 400, "输入有误", message or i18n.text("bad_params", names="参数"))

    @app.exception_handler(OutsideWorkspace)
    async def outside(request: Request, exc: OutsideWorkspace):
        return b.plain_page(request, 404, "未找到", "所请求的文件不在工作区内。")

    @app.exception_handler(PlannerError)
    async def planner_error(request: Request, exc: PlannerError):
        """A file of the workspace the core refuses (e.g. a scenario edited by hand): said in Chinese."""
        return b.plain_page(request, 400, "无法打开", i18n.input_error(exc.field, exc.row)
                            + (f"（文件 {Path(exc.file).name}）" if exc.file else "") + f" 原文：{exc.message}")

    @app.exception_handler(sqlite3.DatabaseError)
    async def database_error(request: Request, exc: sqlite3.DatabaseError):
        """The history database damaged or taken away while the server runs: what happened and the way back. A
        database locked by another program or not writable is not damaged: try again, never restore (a restore
        would roll the history back to the day's backup); an error on a file that checks sound, the same."""
        from starlette.concurrency import run_in_threadpool

        from .safekeeping import db_state, disk_state, unavailable

        ws = b.ws
        detail = str(exc) or type(exc).__name__
        # a full or read-only disk first: SQLite says only "disk I/O error" there, never a reason to restore
        kind = unavailable(exc) or await run_in_threadpool(disk_state, ws.root)
        if kind is None:  # what the file itself is like: only a damaged, empty or missing one is restored
            state, _ = await run_in_threadpool(db_state, ws.db_path)
            kind = "retry" if state == "ok" else state if state in ("busy", "readonly", "full") else None
        if kind is not None:
            return b.plain_page(request, 503, "工作区数据库暂时不可用" if kind != "retry" else "工作区数据库读写出错",
                                i18n.text(f"database_{kind}", path=ws.db_path, detail=detail,
                                          unchanged=_unchanged(request)))
        return b.plain_page(request, 503, "工作区数据库出错", i18n.text(
            "database", path=ws.db_path, detail=detail, root=ws.root, backups=ws.backup_dir))

    @app.exception_handler(OSError)
    async def storage_error(request: Request, exc: OSError):
        """A workspace file that cannot be written (disk full, folder read-only): said as such, never "出错了"."""
        return _storage_page(request, exc) or await internal_error(request, exc)

    @app.exception_handler(IOFailure)
    async def io_failure(request: Request, exc: IOFailure):
        """The same, as the writers (``textio``, ``outset``) raise it, and what else stopped a set being written
        (another run writing the same folder): never "输入有误", the planner's input is not at fault."""
        return _storage_page(request, exc, other=True)

    def _storage_page(request: Request, exc: BaseException, other: bool = False):
        from .safekeeping import UNAVAILABLE_WORDS, unwritable

        kind = unwritable(exc) or ("other" if other else None)
        if kind is None:
            return None
        # 507 Insufficient Storage says exactly "the disk is full" (a client or proxy may act on it); a folder that
        # may not be written is the server unable to serve for now, fixed by someone, then retried: 503, as the
        # database pages say for a read-only database
        status = 507 if kind == "full" else 503
        stored = getattr(request.state, STORED_VERSION, None)
        detail = (exc.message if isinstance(exc, PlannerError) else f"{exc.strerror or exc}：{exc.filename or ''}")
        words = UNAVAILABLE_WORDS.get(kind, "的文件写入出错")
        return b.plain_page(request, status, "工作区磁盘已满" if kind == "full" else "工作区文件无法写入",
                            i18n.text("storage", path=b.ws.root, words=words, detail=detail.rstrip("：") or kind,
                                      unchanged=_unchanged(request), advice=i18n.text(f"storage_{kind}"),
                                      stored=i18n.text("storage_stored", vid=stored) if stored is not None else ""))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        return b.plain_page(request, 500, "出错了", i18n.text("internal"))


def _unchanged(request: Request) -> str:
    """What a fault left as it was: nothing, or a publication whose files were written before the fault, not yet
    current (``PUBLISHED_NOT_CURRENT``)."""
    return i18n.text("database_not_current" if getattr(request.state, PUBLISHED_NOT_CURRENT, False)
                     else "database_unchanged")


__all__ = ["create_app"]
