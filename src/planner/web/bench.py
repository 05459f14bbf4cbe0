"""The workbench's shared state and the helpers every page module uses (one :class:`Bench` per app).

Routers (``routes/``) reach it as ``request.app.state.bench`` through :func:`bench`, so the same
router modules serve every app ``create_app`` builds (tests build several, each on its own workspace).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader
from starlette.exceptions import HTTPException
from starlette.templating import Jinja2Templates

from ..commands.common import TIME_LIMIT
from ..publish import wording as W
from ..textio import ascii_digits
from . import i18n
from .jobs import JobQueue, QueueFull, Unsaved, load_context
from .security import field_limit, institution_token, subscription_token
from .workspace import Workspace

HERE = Path(__file__).parent
MAX_UPLOAD = 5 * 1024 * 1024
#: 生成 and 重新排期's limit unless the planner sets one: the command line's (``--time-limit``), so that the
#: workbench and ``planner plan`` / ``planner replan`` give the same plan for the same inputs
#: (``tests/test_web_api.py``). A plan without candidates is proven optimal in about a second and stops there;
#: with them the search uses the time: the 2026 estimate ×1.2 cost 10 095 late candidates at 10 s, 2 756 at 30.
DEFAULT_TIME_LIMIT = TIME_LIMIT if TIME_LIMIT % 1 else int(TIME_LIMIT)  # the form shows 30, not 30.0
TOKEN_COOKIE = "planner_token"

#: ``request.state`` flag a route sets once a publication's files are written and before the version becomes current:
#: a database fault after that must not tell the planner that nothing changed
PUBLISHED_NOT_CURRENT = "published_not_current"
#: ``request.state`` attribute 发布调整通知 sets to the version it stored before writing the set: a page about a fault after
#: that says the plan is kept as that version (pressing again publishes it, never stores it twice)
STORED_VERSION = "stored_version"


def _as_date(d) -> dt.date:
    return dt.date.fromisoformat(d) if isinstance(d, str) else d


def make_templates(**globals_) -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["day"] = lambda d, year: W.day_text(_as_date(d), year)
    env.filters["deadline"] = lambda d, year: W.deadline_text(_as_date(d), year)
    env.globals.update(i18n=i18n, **globals_)
    return Jinja2Templates(env=env)


class Bench:
    """One workspace, its job queue, the page templates and the per-app secrets."""

    def __init__(self, workspace: str | Path, token: str | None, public_url: str | None = None,
                 documents: bool = True) -> None:
        self.ws = Workspace(workspace)
        #: 发布 also makes notice.pdf / revision.pdf (LibreOffice, seconds) and the A3 wall calendar
        self.documents = documents
        self.token = token
        #: the workspace's subscription secret: each institution's read-only token is derived from it
        #: (``security.institution_token``); never handed out itself
        self.sub_token = subscription_token(self.ws.root) if token else None
        #: the address other machines use (``--host 0.0.0.0``), for the links handed out; else the request's
        self.public_url = public_url
        #: compare charts by (version, sha256) pair: drawing one costs seconds
        self.charts: dict[tuple, bytes] = {}
        self.parse_lock = asyncio.Lock()
        #: 固定一场's allowed days per (version, session, ctx): a year of per-day checks
        self.allowed: dict[tuple, list] = {}
        self.csrf = secrets.token_urlsafe(24)
        self.templates = make_templates(csrf=self.csrf, token=token)
        #: matplotlib's font and style state is shared: one chart or publication at a time
        self.publish_lock = threading.Lock()
        self.jobs = JobQueue(on_done=self._stored)
        self._reload_pending()
        self._ctx = lru_cache(maxsize=16)(self._load_ctx)

    # -- jobs → versions ----------------------------------------------------------------------------
    def _stored(self, job) -> None:
        """A finished generate job becomes a version at once; re-plans wait for 接受, kept on disk meanwhile
        (``pending/``), so a restart does not lose a proposal the planner has not looked at yet. A plan the
        history database cannot take now (locked, not writable) is kept there too, and stored later
        (:class:`~planner.web.jobs.Unsaved`: the job's page says so; the queue tries again, and so does a start)."""
        if job.spec["kind"] == "generate":
            self._store_kept(job, parent=None)
        elif job.spec["kind"] == "improve" and job.outcome["improve"]["improved"]:  # nothing better: no version
            self._store_kept(job, parent=int(job.spec["base"]))
        elif job.spec["kind"] in ("replan", "pin"):  # a 推荐场次 is recomputed, never crowds out a proposal
            self.ws.save_pending(job.id, {"spec": job.spec, "outcome": job.outcome})
            job.kept = True

    def _store_kept(self, job, parent) -> None:
        """*job*'s plan as a version; when the database refuses it, the plan kept in pending/ and Unsaved raised."""
        try:
            job.version = self.store(job, parent=parent, note=job.spec.get("note", ""))
        except sqlite3.DatabaseError as exc:
            if not job.kept:
                try:
                    self.ws.save_pending(job.id, {"spec": job.spec, "outcome": job.outcome, "unsaved": str(exc)})
                    job.kept = True
                except OSError:
                    pass  # kept in memory only: stored by a retry while the server runs
            raise Unsaved(str(exc)) from exc
        if job.kept:
            try:
                self.ws.drop_pending(job.id)
            except OSError:
                pass  # stored: the file left behind is one more copy, not a failure of the job

    def _reload_pending(self) -> None:
        """The proposals and unsaved plans of before a restart, at their addresses again; an unsaved plan is stored
        when the server starts (:meth:`start`)."""
        from .jobs import DONE, UNSAVED, Job

        for jid, doc in self.ws.pending():
            unsaved = doc["spec"].get("kind") in ("generate", "improve")
            job = Job(jid, doc["spec"], state=UNSAVED if unsaved else DONE, outcome=doc["outcome"], kept=True)
            job.started = job.finished = job.created
            if isinstance(doc.get("version"), int) and not unsaved:  # accepted, its 调整通知 not yet published
                job.version = doc["version"]
            self.jobs.adopt(job)

    def keep(self, job) -> bool:
        """Keep a proposal in pending/ as it is now: with what the planner typed on its 调整 page (the 调整通知's
        reason and advice, 接受's 备注: in ``job.outcome``) before anything is written, and with the version it was
        stored as until its 调整通知 is published, so that a database fault and a restart lose neither (the page shows
        them again, the version is not stored twice). False: the disk refused (the proposal is in memory only)."""
        doc = {"spec": job.spec, "outcome": job.outcome}
        if job.version is not None:
            doc["version"] = job.version
        try:
            self.ws.save_pending(job.id, doc)
        except OSError:
            return False
        job.kept = True
        return True

    def published(self, vid: int) -> None:
        """*vid*'s set is published and current: a 发布调整通知 of it cut short (:meth:`keep`) is complete now, whichever
        page finished it (the 调整 page again, or 发布); its copy in pending/ goes."""
        for jid, doc in self.ws.pending():
            if doc.get("version") == vid:
                job = self.jobs.get(jid)
                if job is not None:
                    job.outcome.pop("publishing", None)
                try:
                    self.ws.drop_pending(jid)
                except OSError:
                    pass  # published: the file left behind is one more copy of the page

    def start(self) -> None:
        """The server starts (it holds the workspace now): plans solved while the database was unavailable are
        stored as versions."""
        self.jobs.retry_unsaved()

    def store(self, job, parent, note, who: str = "") -> int:
        o = job.outcome
        name = job.spec.get("scenario") or None
        return self.ws.add_version(o["plan_csv"], o["summary"], year=o["year"], scenario=name, parent=parent,
                                   note=note, kind=job.spec["kind"], who=who)

    # -- requests -----------------------------------------------------------------------------------
    async def form_of(self, request: Request) -> dict:
        """The POSTed form after the CSRF check (form field or htmx header)."""
        form = await request.form(max_files=1, max_fields=200)
        sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
        if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), self.csrf.encode()):
            raise HTTPException(403, "页面已过期或请求来源不明，请刷新页面后重试。")
        for key, value in form.multi_items():
            limit = MAX_UPLOAD if key == "plan_csv" else field_limit(key)
            if isinstance(value, str) and len(value) > limit:
                raise HTTPException(400, i18n.text("too_long", field=i18n.field_name(key.rstrip("_0123456789")),
                                                   limit=limit, got=len(value)))
        return form

    def submit(self, spec: dict):
        """Queue a solve; a full queue is a Chinese page (503), nothing queued."""
        try:
            return self.jobs.submit(spec)
        except QueueFull as full:
            raise HTTPException(503, i18n.text("queue_full", n=full.waiting)) from None

    def page(self, request: Request, name: str, status: int = 200, **kw) -> HTMLResponse:
        kw.setdefault("versions", self.ws.versions())
        kw.setdefault("scenarios", self.ws.scenarios())
        kw.setdefault("running", self.jobs.running())
        kw.setdefault("default_limit", DEFAULT_TIME_LIMIT)
        return self.templates.TemplateResponse(request, name, kw, status_code=status)

    def plain_page(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return plain_page(self.templates, request, status, title, message)

    def subscriber(self, given: str) -> str | None:
        """The institution (of the shipped catalogue) whose subscription token *given* is, else None."""
        if not self.sub_token or not given:
            return None
        found = None
        for inst in catalogue().institutions:  # every one compared, in constant time each
            if secrets.compare_digest(given.encode(), institution_token(self.sub_token, inst).encode()):
                found = inst
        return found

    def need_version(self, vid):
        v = self.ws.version(vid) if vid not in (None, "") else None
        if v is None:
            raise HTTPException(404, "没有这个版本。")
        return v

    def latest_or(self, vid):
        """The version asked for (404 when unknown), or the newest one, or None in an empty workspace."""
        if vid:
            return self.need_version(vid)
        versions = self.ws.versions()
        return versions[0] if versions else None

    def session_at(self, vid, key: str):
        """(version, plan, ctx, session) named by a version id and a "stream-期次" key; 404 when either is unknown."""
        version = self.need_version(vid)
        plan, ctx = self.plan_of(version)
        return version, plan, ctx, session_of(plan, key)

    # -- contexts and plans -------------------------------------------------------------------------
    def _load_ctx(self, scenario: str | None, year: int, stamp: float):
        return load_context(str(self.ws.root), scenario, year)[0]

    def ctx_for(self, scenario: str | None, year: int):
        """The rule context of a scenario (re-read when its file changes), or of the embedded rules."""
        stamp = 0.0
        if scenario:
            p = self.ws.scenario_path(scenario)
            stamp = p.stat().st_mtime if p.exists() else -1.0
            if stamp < 0:
                scenario = None
        return self._ctx(scenario, year, stamp)

    def forget_contexts(self) -> None:
        self._ctx.cache_clear()

    def plan_of(self, v):
        from .. import read_plan

        ctx = self.ctx_for(v.scenario, v.year)
        return read_plan(self.ws.plan_csv_path(v.id), ctx.catalogue, year=v.year), ctx

    # -- form fields shared by several pages ----------------------------------------------------------
    @staticmethod
    def time_limit(form, errors: dict) -> float:
        raw = str(form.get("time_limit", "") or DEFAULT_TIME_LIMIT)
        try:
            t = float(raw)
            if not 0 < t <= 600:
                raise ValueError
        except ValueError:
            errors["time_limit"] = i18n.text("time_limit")  # more than 0, at most 600: as the message says
            return DEFAULT_TIME_LIMIT
        return t

    def scenario_choice(self, form, errors: dict) -> str | None:
        name = str(form.get("scenario", "") or "")
        if name and name not in self.ws.scenarios():
            errors["scenario"] = "没有这个情景"
        return name or None

    def changes(self, changes: list[dict], ctx, year: int) -> list[dict]:
        """Changes between two plans (``diff_plans`` / a re-plan's), worded for the page."""
        return [_change_row(c, ctx, year) for c in changes]


def bench(request: Request) -> Bench:
    return request.app.state.bench


def _change_row(c: dict, ctx, year: int) -> dict:
    insts = ctx.catalogue.institutions

    def side(s):
        if s is None:
            return None
        return {"exam": W.day_text(dt.date.fromisoformat(s["exam"]), year),
                "deadline": W.deadline_text(dt.date.fromisoformat(s["deadline"]), year),
                "site": insts[s["institution"]].short_name if s["institution"] in insts else s["institution"]}

    days = ""
    if c["old"] and c["new"]:
        n = (dt.date.fromisoformat(c["new"]["exam"]) - dt.date.fromisoformat(c["old"]["exam"])).days
        days = W.days_moved(n)
    what = c["what"]
    if what == "moved":
        site = c["old"]["institution"] != c["new"]["institution"]
        what = ("moved_both" if site else "moved_day") if days else "moved_site"
    return {"key": f"{c['stream']}-{c['no']}", "stream": ctx.catalogue.streams[c["stream"]].name, "no": c["no"],
            "what": i18n.change(what), "old": side(c["old"]), "new": side(c["new"]), "days": days,
            "reasons": i18n.reason(c.get("reason", ""), ctx.catalogue), "original": c.get("reason", ""),
            "candidates": c.get("candidates")}


def hostname(host: str) -> str:
    """"127.0.0.1:8765" → "127.0.0.1"; "[::1]:8765" → "::1"."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def session_of(plan, key: str):
    stream, _, no = key.rpartition("-")
    s = plan.by_key().get((stream, int(no))) if ascii_digits(no) else None
    if s is None:
        raise HTTPException(404, "没有这一场考试。")
    return s


@lru_cache(maxsize=1)
def catalogue():
    from ..data import load_catalogue

    return load_catalogue()


def plain_page(templates, request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "message.html", {"title": title, "message": message, "plain": True},
                                      status_code=status)
