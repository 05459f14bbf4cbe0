"""发布: a version's publication set (build, list, download, zip) and the institutions' ICS subscriptions."""
from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ...errors import PlannerError
from ...publish.checklist import CHECKLIST_FILE
from ...publish.revision import DETAIL_FILE
from .. import demands as D
from .. import i18n
from ..bench import bench, hostname
from ..workspace import OutsideWorkspace

router = APIRouter()
#: files of a published set for the planner's eyes only (``publish.checklist``): never in the zip that goes out
PLANNER_ONLY = {CHECKLIST_FILE, "changes.csv", DETAIL_FILE, "revision_of.csv"}
#: a fixed timestamp for zip members, so the same published set gives the same zip
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MEDIA = {".ics": "text/calendar; charset=utf-8", ".csv": "text/csv; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json", ".png": "image/png",
         ".svg": "image/svg+xml", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def ics_url(request: Request, inst: str) -> str:
    """The link handed to an institution: the address other machines use, and only the read-only token."""
    b = bench(request)
    url = (b.public_url or str(request.base_url)) + f"ics/{inst}.ics"
    return url + (f"?token={quote(b.sub_token)}" if b.sub_token else "")


@router.get("/publish", response_class=HTMLResponse)
def publish_get(request: Request, v: str | None = None):
    b = bench(request)
    kw: dict = {"errors": {}}
    version = b.latest_or(v)
    if version is not None:
        kw["version"] = version
        cat = b.ctx_for(version.scenario, version.year).catalogue
        kw["files"] = b.ws.published_files(version.id)
        kw["labels"] = {f: i18n.file_label(f, cat) for f in kw["files"]}
        if CHECKLIST_FILE in kw["files"]:  # what to confirm before the notice goes out, on the planner's screen
            text = b.ws.published_file(version.id, CHECKLIST_FILE).read_text(encoding="utf-8")
            kw["checklist"] = [ln.strip() for ln in text.splitlines() if ln.strip()]
        kw["is_latest"] = b.ws.latest_published() == version.id
        kw["local_only"] = hostname(request.headers.get("host", "")) in {"127.0.0.1", "localhost", "::1"}
        kw["subscriptions"] = [(i.short_name, ics_url(request, i.id))
                               for i in sorted(cat.institutions.values(), key=lambda i: i.seq)]
    return b.page(request, "publish.html", **kw)


@router.post("/publish/{vid}")
async def publish_version(request: Request, vid: str):
    from .versions import older_than_current, who

    b = bench(request)
    form = await b.form_of(request)
    version = b.need_version(vid)
    newer = older_than_current(b, version.id)
    if newer is not None and form.get("confirm") != "1":
        return b.page(request, "confirm.html", 409, version=version, newer=newer,
                      action=f"/publish/{version.id}", what="重新发布")
    with_demand = form.get("with_demand") == "1"
    try:
        await run_in_threadpool(_publish, b, version, with_demand)
    except PlannerError as err:
        failed = type(err).__name__ == "CheckFailedError"
        files = b.ws.published_files(version.id)
        cat = b.ctx_for(version.scenario, version.year).catalogue
        return b.page(request, "publish.html", 400, version=version, files=files,
                      labels={f: i18n.file_label(f, cat) for f in files},
                      errors={"publish": "该版本未通过规则检查，不能发布" if failed else i18n.input_error(err.field)},
                      causes=getattr(err, "causes", None) or {}, original=err.message, with_demand=with_demand,
                      subscriptions=[])
    b.ws.set_current(version.id, who(request), "publish")
    return RedirectResponse(f"/publish?v={version.id}", status_code=303)


def _publish(b, version, with_demand: bool = False) -> None:
    """Publish *version*; when another version of the year is what the institutions have now, with the
    调整通知 (revision.docx/.xlsx/.pdf) from that version to this one (see :func:`publish_set`)."""
    latest = b.ws.latest_published()
    before = b.ws.version(latest) if latest is not None and latest != version.id else None
    if before is None or before.year != version.year:
        return publish_set(b, version, None, with_demand=with_demand)
    from ...replan import reasons
    from ..revision import published_original

    # the 调整通知 as the 调整 page and `planner replan` word it: a true reason per row, the original cited
    revision_of = b.plan_of(before)[0]
    why = reasons(revision_of, *b.plan_of(version))
    original = published_original(b, before.id, revision_of)
    publish_set(b, version, revision_of, {**why, **({"original": original} if original else {})},
                with_demand=with_demand)


def publish_set(b, version, revision_of=None, reasons: dict | None = None, extra: dict | None = None,
                with_demand: bool = False) -> None:
    """Build the set in memory, then swap it in whole, as ``planner publish`` does: notice.pdf and the A3
    wall calendar too (``b.documents``), and with *revision_of* (the plan the institutions were told) the
    调整通知 with *reasons* (``revision.revision_files``). The calendars the subscribers have are passed on,
    so a revision's changed events carry a higher SEQUENCE. *extra*: further files of the same set (the 调整
    page's changes.csv and revision_of.csv, as `planner replan` writes them). *with_demand*: the planner chose
    to add the candidates of 需求与考位 (report.html's 考生与考位, the two charts of people)."""
    from ...publish.run import build_outputs, read_previous_ics

    plan, ctx = b.plan_of(version)
    if with_demand:
        from .demand import loaded

        plan, ctx, _, _ = loaded(b, version, D.chosen(b.ws, None))
    latest = b.ws.latest_published()
    previous = read_previous_ics(b.ws.published_dir(latest)) if latest is not None else {}
    options: dict = {"notice_pdf": b.documents, "wall_calendar": b.documents}
    if revision_of is not None:  # judged as a revision of what candidates were told, as `planner replan` does
        ctx = ctx.revising(revision_of)
        options.update(revision_of=revision_of, revision_reasons=reasons)
    try:
        with b.publish_lock:
            files = build_outputs(plan, ctx, summary=b.ws.summary(version.id) or None, previous_ics=previous,
                                  **options)
    except PlannerError as err:
        if type(err).__name__ == "CheckFailedError":  # which rules, in Chinese, and whether the candidates did it
            err.causes = refusal_causes(b, version, plan, ctx, with_demand)
        raise
    b.ws.write_published(version.id, {**files, **(extra or {})})


def refusal_causes(b, version, plan, ctx, with_demand: bool) -> dict:
    """Why the rule check refused the set, as the page says it: {"lines": the hard violations in Chinese,
    "demand": the demand and 需求 ± % the candidates came from (with_demand only), "alone": the version passes
    without the candidates}."""
    from ...check import check_plan
    from ...report import demand_name, what_if_percent

    report = check_plan(plan, ctx)
    lines = list(dict.fromkeys(i18n.violation_line(v, plan, ctx) for v in report.violations if v.hard))
    out: dict = {"lines": lines[:8], "more": max(0, len(lines) - 8), "demand": "", "alone": False}
    if with_demand and ctx.demand is not None:
        demand = ctx.demand.demand
        pct = what_if_percent(demand, ctx.catalogue)
        out["demand"] = demand_name(demand) + (f"；情景“{version.scenario}”需求 {pct:+d}%" if pct else "")
        out["alone"] = check_plan(plan, ctx.with_demand(None)).ok
    return out


@router.get("/files/{vid}/{rel:path}")
def published_file(request: Request, vid: str, rel: str):
    b = bench(request)
    version = b.need_version(vid)
    p = b.ws.published_file(version.id, rel)
    return Response(p.read_bytes(), media_type=MEDIA.get(p.suffix, "application/octet-stream"),
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(p.name)}"})


@router.get("/zip/{vid}")
def published_zip(request: Request, vid: str):
    b = bench(request)
    version = b.need_version(vid)
    files = [f for f in b.ws.published_files(version.id) if f not in PLANNER_ONLY]  # the zip is what goes out
    if not files:
        raise HTTPException(404, "该版本还没有生成发布文件。")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in files:
            info = zipfile.ZipInfo(rel, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, b.ws.published_file(version.id, rel).read_bytes())
    name = f"运城市{version.year}年考试计划-版本{version.id}.zip"
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/ics/{inst}.ics")
def subscription(request: Request, inst: str):
    b = bench(request)
    vid = b.ws.latest_published()
    if vid is None:
        raise HTTPException(404, "还没有已发布的计划。")
    try:
        data = b.ws.published_file(vid, f"ics/{inst}.ics").read_bytes()
    except OutsideWorkspace:
        data = _empty_calendar(b, vid, inst)
    return Response(data, media_type="text/calendar; charset=utf-8")


def _empty_calendar(b, vid: int, inst: str) -> bytes:
    """A listed institution without sessions in the published plan subscribes to an empty calendar of the
    same name (its events appear when a revision gives it some); an unknown name is 404."""
    from ...publish import wording as W
    from ...publish.ics import calendar_bytes

    plan, ctx = b.plan_of(b.ws.version(vid))
    site = ctx.catalogue.institutions.get(inst)
    if site is None:
        raise HTTPException(404, "没有这个考点的日历。")
    return calendar_bytes(W.SITE_CALENDAR_NAME.format(year=plan.year, site=site.short_name), plan, [], None)
