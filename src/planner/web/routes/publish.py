"""发布: a version's publication set (build, list, download, zip) and the institutions' ICS subscriptions."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ...errors import IOFailure, PlannerError
from ...publish.checklist import CHECKLIST_FILE
from ...publish.checklist import HEADER as CHECKLIST_HEADER  # noqa: N811
from ...publish.revision import DETAIL_FILE
from .. import demands as D
from .. import i18n
from ..bench import PUBLISHED_NOT_CURRENT, bench, catalogue, hostname
from ..security import field_limit
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
    """The link handed to an institution: the address other machines use, and only that institution's read-only
    token (``security.institution_token``: it opens this calendar, no other)."""
    from ..security import institution_token

    b = bench(request)
    url = (b.public_url or str(request.base_url)) + f"ics/{inst}.ics"
    return url + (f"?token={quote(institution_token(b.sub_token, inst))}" if b.sub_token else "")


#: the 发布 form's fields for the notice's letterhead, as ``planner publish --doc-number/--issued``
NOTICE_FIELDS = ("doc_number", "issued")


def notice_fields(form, over: dict | None = None) -> tuple[dict, dict, dict]:
    """(what was typed, {field: error in Chinese}, build_outputs options) of the 发文字号 and 成文日期 fields.

    Checked by the functions ``planner publish`` uses (``textio.one_line``, ``letterhead.check_issued``); an empty
    成文日期 is today. *over*: the fields :func:`lenient_form` found over their limit (said next to them)."""
    from ...publish.letterhead import check_issued, publish_day
    from ...textio import one_line

    over = over or {}
    texts = {k: str(form.get(k) or "") for k in NOTICE_FIELDS}
    errors: dict[str, str] = {}
    options: dict = {}
    limit = field_limit("doc_number")
    number = texts["doc_number"]
    if "doc_number" in over or len(number) > limit:
        errors["doc_number"] = f"发文字号不能超过 {limit} 个字（现有 {len(number)} 个字），请缩短后再发布。"
    else:
        try:
            options["document_number"] = one_line(number, "the 发文字号 (one line of the letterhead)",
                                                  fieldname="doc_number").strip()
        except PlannerError:
            errors["doc_number"] = "发文字号须为一行，不能含换行符、制表符等控制字符，请删去后再发布。"
    raw, issued = texts["issued"].strip(), None
    if raw:
        try:
            issued = dt.date.fromisoformat(raw) if "issued" not in over else None
        except ValueError:
            pass
        if issued is None:
            errors["issued"] = "成文日期不是有效的日期，请按“年-月-日”填写，例如 2025-03-18。"
    if "issued" not in errors:
        try:
            options["issued"] = check_issued(issued)
        except PlannerError:
            today = publish_day()
            errors["issued"] = (f"成文日期不能晚于今天（{_cn_date(today)}），请改为今天或更早的日期。" if issued > today
                                else "成文日期早于 2000 年，可能是输入有误，请检查年份。")
    return texts, errors, options


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def remembered_notice(b, version) -> dict:
    """The 发文字号 and 成文日期 the version was last published with (``Workspace.notice_record``); for a set
    published without the record (the command line, an older workbench) the 字号 its plan.json names."""
    record = b.ws.notice_record(version.id)
    if "document_number" not in record and "plan.json" in b.ws.published_files(version.id):
        import json

        try:
            doc = json.loads(b.ws.published_file(version.id, "plan.json").read_text(encoding="utf-8"))
            doc_no = doc.get("notice", {}).get("doc_no")
        except (OSError, ValueError, AttributeError):
            doc_no = None
        if isinstance(doc_no, str) and doc_no.strip():
            record["document_number"] = doc_no.strip()
    return record


def notice_defaults(b, version) -> dict:
    """The 发布 form's 发文字号 and 成文日期 as first shown: what the version was last published with, else blank
    and today."""
    from ...publish.letterhead import publish_day

    record = remembered_notice(b, version)
    return {"doc_number": record.get("document_number", ""), "issued": record.get("issued") or publish_day().isoformat(),
            "remembered": "字号和日期" if "issued" in record else "字号" if record.get("document_number") else ""}


def notice_page(b, version) -> dict:
    """What the 发布 form needs for its 发文字号 and 成文日期 (limits; today, the latest date allowed)."""
    from ...publish.letterhead import load_letterhead, publish_day

    return {"doc_limit": field_limit("doc_number"), "today": publish_day().isoformat(),
            "doc_example": load_letterhead().document_number(version.year, "12")}


def set_page(request: Request, b, version) -> dict:
    """What the 发布 page shows of *version*'s set, whether the page comes from GET or after a refused POST: the
    files with their labels, 发布前核对, the subscription addresses, and what the set is a revision of."""
    from ..revision import revision_basis

    cat = b.ctx_for(version.scenario, version.year).catalogue
    kw: dict = {"version": version, "files": b.ws.published_files(version.id)}
    kw["labels"] = {f: i18n.file_label(f, cat) for f in kw["files"]}
    if CHECKLIST_FILE in kw["files"]:  # what to confirm before the notice goes out, on the planner's screen
        text = b.ws.published_file(version.id, CHECKLIST_FILE).read_text(encoding="utf-8")
        # the items, without the file's own header line (the page has its heading)
        kw["checklist"] = [ln.strip() for ln in text.split("\n") if ln.strip() and ln.strip() != CHECKLIST_HEADER]
    kw["is_latest"] = b.ws.latest_published() == version.id
    kw["local_only"] = hostname(request.headers.get("host", "")) in {"127.0.0.1", "localhost", "::1"}
    kw["subscriptions"] = [(i.short_name, ics_url(request, i.id))
                           for i in sorted(cat.institutions.values(), key=lambda i: i.seq)]
    basis = revision_basis(b, version)
    if basis is not None:  # said on the page: 发布 again keeps the 调整通知 (finding: it silently went)
        kw["basis"] = {"of": basis["of"], "recorded": basis["recorded"],
                       "notice": any(f.startswith("revision.") for f in kw["files"])}
    kw.update(notice_page(b, version))
    return kw


@router.get("/publish", response_class=HTMLResponse)
def publish_get(request: Request, v: str | None = None):
    b = bench(request)
    kw: dict = {"errors": {}}
    version = b.latest_or(v)
    if version is not None:
        kw.update(set_page(request, b, version))
        kw["notice_form"] = notice_defaults(b, version)
    return b.page(request, "publish.html", **kw)


@router.post("/publish/{vid}")
async def publish_version(request: Request, vid: str):
    from .versions import older_than_current, who

    from .scenario import lenient_form

    b = bench(request)
    # an over-long 发文字号 is said next to its field with what was typed, never a bare error page
    form, over = await lenient_form(b, request, NOTICE_FIELDS)
    version = b.need_version(vid)
    with_demand = form.get("with_demand") == "1"
    texts, errors, notice = notice_fields(form, over)

    def again(status: int, errors: dict, **kw):  # the whole page as GET shows it, with what was typed
        return b.page(request, "publish.html", status, errors=errors, with_demand=with_demand, notice_form=texts,
                      **{**set_page(request, b, version), **kw})

    if errors:  # nothing built, nothing written: the page again with what the planner typed
        return again(400, errors)
    newer = older_than_current(b, version.id)
    if newer is not None and form.get("confirm") != "1":
        carry = {**texts, **({"with_demand": "1"} if with_demand else {})}
        return b.page(request, "confirm.html", 409, version=version, newer=newer,
                      action=f"/publish/{version.id}", what="重新发布", carry=carry)
    drop = form.get("drop_revision") == "1"
    if not drop and _unknown_revision(b, version):  # never drop a 调整通知 unasked: the planner chooses
        return again(409, {}, ask_drop={**texts, **({"with_demand": "1"} if with_demand else {}),
                                        **({"confirm": "1"} if newer is not None else {})})
    try:
        await run_in_threadpool(_publish, b, version, with_demand, notice, drop)
    except PlannerError as err:
        if isinstance(err, IOFailure):  # the disk, not the version: the page that says so (app.storage_error)
            raise
        failed = type(err).__name__ == "CheckFailedError"
        return again(400, {"publish": "该版本未通过规则检查，不能发布" if failed else i18n.input_error(err.field)},
                     causes=getattr(err, "causes", None) or {}, original=err.message)
    setattr(request.state, PUBLISHED_NOT_CURRENT, True)
    b.ws.set_current(version.id, who(request), "publish")
    b.published(version.id)
    return RedirectResponse(f"/publish?v={version.id}", status_code=303)


def _unknown_revision(b, version) -> bool:
    """Is *version*'s set, to be built again as what the institutions have now, a 调整通知 whose basis is not known
    (published by an earlier workbench, without ``revision.json``, and no lineage says what it revises)?"""
    from ..revision import revision_basis

    latest = b.ws.latest_published()
    return ((latest is None or latest == version.id)
            and any(f.startswith("revision.") for f in b.ws.published_files(version.id))
            and revision_basis(b, version) is None)


def _publish(b, version, with_demand: bool = False, notice: dict | None = None, drop: bool = False) -> None:
    """Publish *version*; when another version of the year is what the institutions have now, with the
    调整通知 (revision.docx/.xlsx/.pdf) from that version to this one (see :func:`publish_set`). Published again
    while it is itself what they have, a version that is a revision stays one (:func:`republish`), unless the
    planner chose *drop* (publish it as a plan of its own). *notice*: the 发文字号 and 成文日期 (:func:`notice_fields`)."""
    latest = b.ws.latest_published()
    before = b.ws.version(latest) if latest is not None and latest != version.id else None
    if before is None or before.year != version.year:
        if not drop and (latest is None or latest == version.id) and republish(b, version, with_demand, notice):
            return None
        return publish_set(b, version, None, with_demand=with_demand, notice=notice)
    from ...replan import reasons
    from ..revision import REVISION_EXTRA, published_original, revision_basis

    # the 调整通知 as the 调整 page and `planner replan` word it: a true reason per row, the original cited
    revision_of = b.plan_of(before)[0]
    basis = revision_basis(b, version)
    extra: dict = {}
    if basis is not None and basis["recorded"] and basis["of"] == before.id and basis["reasons"]:
        # already published as a revision of what the institutions have now (cut short before it became current, a
        # database fault, say): the planner's reason and advice as published, never worked out anew
        why = {k: r for k, r in basis["reasons"].items() if k != "original"}
        files = b.ws.published_files(version.id)
        extra = {f: b.ws.published_file(version.id, f).read_bytes() for f in REVISION_EXTRA if f in files}
    else:
        why = reasons(revision_of, *b.plan_of(version))
    original = published_original(b, before.id, revision_of)
    publish_set(b, version, revision_of, {**why, **({"original": original} if original else {})}, extra,
                with_demand=with_demand, notice=notice, of=before.id)


def republish(b, version, with_demand: bool = False, notice: dict | None = None) -> bool:
    """Publish *version* again as the revision it is (:func:`revision.revision_basis`): against the same plan, with
    the reasons, original and advice it was published with (its changes.csv, 调整明细 and revision_of.csv kept);
    without a record (a set of an earlier workbench), as its lineage says, the reasons from its changes.csv or
    worked out again. False: it is a plan of its own."""
    from ..revision import REVISION_EXTRA, published_original, revision_basis

    basis = b.ws.published_dir(version.id).is_dir() and revision_basis(b, version)
    if not basis:
        return False
    files = b.ws.published_files(version.id)
    extra = {f: b.ws.published_file(version.id, f).read_bytes() for f in REVISION_EXTRA if f in files}
    why = basis["reasons"]
    if why is None:  # lineage only: what `planner publish --revision-of` reads, else the reasons worked out again
        plan = b.plan_of(version)[0]
        why = _changes_csv_reasons(extra.get("changes.csv"))
        if why is None:
            from ...replan import reasons

            why = dict(reasons(basis["plan"], plan, b.ctx_for(version.scenario, version.year)))
        original = published_original(b, basis["of"], basis["plan"]) if basis["of"] is not None else None
        if original:
            why["original"] = original
    publish_set(b, version, basis["plan"], why, extra, with_demand=with_demand, notice=notice, of=basis["of"])
    return True


def _changes_csv_reasons(data: bytes | None) -> dict | None:
    """(stream, 期次) -> reason of a published changes.csv (its ``rule`` and ``reason`` columns), None without one."""
    if not data:
        return None
    import csv

    from ...publish.revision import row_reason_text

    out: dict = {}
    for r in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]:
        if len(r) > 13 and r[2].isdigit():
            why = row_reason_text(r[12], r[13])
            if why is not None:
                out[(r[1], int(r[2]))] = why
    return out


def publish_set(b, version, revision_of=None, reasons: dict | None = None, extra: dict | None = None,
                with_demand: bool = False, notice: dict | None = None, of: int | None = None) -> None:
    """Build the set in memory, then swap it in whole, as ``planner publish`` does: notice.pdf and the A3
    wall calendar too (``b.documents``), and with *revision_of* (the plan the institutions were told) the
    调整通知 with *reasons* (``revision.revision_files``). The calendars the subscribers have are passed on,
    so a revision's changed events carry a higher SEQUENCE. *extra*: further files of the same set (the 调整
    page's changes.csv and revision_of.csv, as `planner replan` writes them). *with_demand*: the planner chose
    to add the candidates of 需求与考位 (report.html's 考生与考位, the two charts of people). *notice*: the
    options ``document_number`` and ``issued`` as ``planner publish --doc-number/--issued`` gives them
    (:func:`notice_fields`); None: those the version was last published with (:func:`remembered_options`).
    Both are kept beside the set (``Workspace.write_notice_record``) for the 发布 page to show again, and so is
    what a revision revises and why (``Workspace.write_revision_record``; *of*: the version revised, else the
    version's parent or the one published now when its plan is *revision_of*), so that publishing the version
    again keeps its 调整通知 (:func:`republish`)."""
    from ...publish.letterhead import check_issued
    from ...publish.run import build_outputs, read_previous_ics

    notice = dict(notice) if notice is not None else remembered_options(b, version)
    notice["issued"] = check_issued(notice.get("issued"))  # the day used, recorded below
    notice.setdefault("document_number", "")

    plan, ctx = b.plan_of(version)
    if with_demand:
        from .demand import loaded

        plan, ctx, _, _ = loaded(b, version, D.chosen(b.ws, None))
    latest = b.ws.latest_published()
    previous = read_previous_ics(b.ws.published_dir(latest)) if latest is not None else {}
    options: dict = {"notice_pdf": b.documents, "wall_calendar": b.documents, **notice}
    if revision_of is not None:  # judged as a revision of what candidates were told, as `planner replan` does
        from ..revision import revision_from

        ctx = ctx.revising(revision_of, revision_from(b, version))
        options.update(revision_of=revision_of, revision_reasons=reasons)
    try:
        with b.publish_lock:
            files = build_outputs(plan, ctx, summary=b.ws.summary(version.id) or None, previous_ics=previous,
                                  **options)
    except PlannerError as err:
        if type(err).__name__ == "CheckFailedError":  # which rules, in Chinese, and whether the candidates did it
            err.causes = refusal_causes(b, version, plan, ctx, with_demand)
        raise
    record = None
    if revision_of is not None:
        from ..revision import record_of

        record = record_of(b, version, revision_of, reasons, of if of is not None else _revised_version(b, version,
                                                                                                      revision_of))
    b.ws.write_published(version.id, {**files, **(extra or {})})
    try:
        b.ws.write_revision_record(version.id, record)
    except OSError:  # the set is published; published again, it is judged by its lineage
        pass
    try:
        b.ws.write_notice_record(version.id, notice["document_number"], notice["issued"])
    except OSError:  # the set is published; the form is filled in by hand next time
        pass


def _revised_version(b, version, revision_of) -> int | None:
    """The version whose plan *revision_of* is: *version*'s parent or the one published now (the 调整 page's base)."""
    from ...plan import plan_to_csv

    text = plan_to_csv(revision_of)
    for vid in dict.fromkeys((version.parent, b.ws.latest_published())):
        other = b.ws.version(vid) if vid is not None and vid != version.id else None
        if other is not None and other.year == version.year and plan_to_csv(b.plan_of(other)[0]) == text:
            return other.id
    return None


def remembered_options(b, version) -> dict:
    """build_outputs' ``document_number`` and ``issued`` from what the version was last published with (a 调整通知
    published again keeps the 字号 given on the 发布 page); a recorded date no longer valid is dropped (today)."""
    from ...publish.letterhead import check_issued

    from ...textio import one_line

    record = remembered_notice(b, version)
    out: dict = {"document_number": ""}
    try:
        out["document_number"] = one_line(record.get("document_number", ""), "the 发文字号").strip()[:field_limit("doc_number")]
    except PlannerError:  # a record edited by hand: the 字号 left blank (the checklist asks for it)
        pass
    try:
        out["issued"] = check_issued(dt.date.fromisoformat(record["issued"]))
    except (KeyError, ValueError, PlannerError):
        pass
    return out


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
    name = i18n.download_name(rel, version.year, catalogue())  # saved under a Chinese name, an ASCII one beside it
    return Response(p.read_bytes(), media_type=MEDIA.get(p.suffix, "application/octet-stream"),
                    headers={"Content-Disposition": i18n.disposition(name, p.name)})


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
                    headers={"Content-Disposition": i18n.disposition(name, f"plan-{version.year}-v{version.id}.zip")})


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
