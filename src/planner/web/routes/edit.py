"""修改一场: a session's date, site or 备注 changed by hand, with every rule's verdict before it is saved.

The verdict is ``check_plan`` on the edited plan (the rules' own check face, nothing re-implemented
here), in the context the version itself is judged in: a version that revises a published plan (重新排期,
固定一场, an edit of one) as that revision (``revision.judged_ctx``), as 发布 publishes it. The page lists
what the edit breaks that the version did not. Saving keeps the edited plan as a new version (kind
``edit``, parent the version it came from) only when it newly breaks no hard rule.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...textio import UNPRINTABLE, ascii_digits
from .. import i18n, views
from ..bench import bench
from ..revision import judged_ctx

router = APIRouter()


def _edited(form, chosen, ctx, errors: dict):
    """The session as the form describes it (the chosen one where a field is missing or wrong)."""
    def day(key, default):
        raw = str(form.get(key, "") or "")
        if not raw:
            return default
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors[key] = "请填写有效日期"
            return default

    exam = day("exam_date", chosen.exam_date)
    deadline = day("registration_deadline", chosen.registration_deadline)
    site = str(form.get("institution", "") or chosen.institution)
    if site not in ctx.catalogue.institutions:
        errors["institution"] = "没有这个考点"
        site = chosen.institution
    notes = str(form.get("notes", chosen.notes))
    if UNPRINTABLE.search(notes):  # a version with it could not be opened or published (XML holds no such char)
        errors["notes"] = "备注中含有无法打印的控制字符，已删除，请核对后再保存"
        notes = UNPRINTABLE.sub("", notes)
    return dataclasses.replace(chosen, exam_date=exam, registration_deadline=deadline, institution=site, notes=notes)


def verdict(plan, ctx, chosen, edited) -> dict:
    """What the edit breaks: hard violations of the edited plan not present in the version, in Chinese."""
    from ...check import check_plan

    key = (chosen.stream, chosen.no)
    sessions = tuple(edited if (s.stream, s.no) == key else s for s in plan.sessions)
    new_plan = dataclasses.replace(plan, sessions=sessions)
    had = [v for v in check_plan(plan, ctx).violations if v.hard]
    before = {(v.rule, v.stream, v.no, v.date) for v in had}
    report = check_plan(new_plan, ctx)
    broken = []
    for v in report.violations:
        if not v.hard or (v.rule, v.stream, v.no, v.date) in before:
            continue
        s = new_plan.by_key().get((v.stream, v.no)) if v.no is not None else None
        item = {"rule": i18n.rule_title(v.rule), "text": i18n.violation(v, s, ctx),
                "where": views.session_label(s, ctx) if s else "全年"}
        if item not in broken:  # one rule broken for several operation types reads once
            broken.append(item)
    # what the version broke already (the edit may keep it): named, so that "原有违反" says which
    existing = list(dict.fromkeys(i18n.violation_line(v, plan, ctx) for v in had))
    return {"broken": broken, "ok": report.ok, "plan": new_plan, "changed": edited != chosen,
            "existing": existing[:5], "more": max(0, len(existing) - 5)}


def _newest(b) -> int:
    """The newest version's id (0 in an empty workspace): the form carries it, to tell a save made meanwhile."""
    versions = b.ws.versions()
    return versions[0].id if versions else 0


def _page(request, b, version, plan, ctx, chosen, edited, errors, status=200, checked=None, latest=None,
          stale=None, note=""):
    """*latest*: the newest version when the form was first shown; *stale*: the versions saved since, when a
    save was sent back for them (nothing saved)."""
    insts = sorted(ctx.catalogue.institutions.values(), key=lambda i: i.seq)
    return b.page(request, "edit.html", status, version=version, year=version.year, errors=errors,
                  key=f"{chosen.stream}-{chosen.no}", chosen=views.session_label(chosen, ctx), s=edited,
                  institutions=insts, checked=checked, latest=_newest(b) if latest is None else latest,
                  stale=stale or [], note=note)


@router.get("/edit", response_class=HTMLResponse)
def edit_get(request: Request, v: str, s: str):
    b = bench(request)
    version, plan, ctx, chosen = b.session_at(v, s)
    return _page(request, b, version, plan, ctx, chosen, chosen, {})


async def _posted(request: Request):
    """(bench, form, version, plan, ctx, the session, the session as edited, field errors) of a POST."""
    b = bench(request)
    form = await b.form_of(request)
    version, plan, ctx, chosen = b.session_at(str(form.get("v", "")), str(form.get("s", "")))
    ctx = judged_ctx(b, version, ctx)  # a re-plan's version is judged as the revision it is, as 发布 judges it
    errors: dict[str, str] = {}
    return b, form, version, plan, ctx, chosen, _edited(form, chosen, ctx, errors), errors


@router.post("/edit/verdict", response_class=HTMLResponse)
async def edit_verdict(request: Request):
    """The verdict alone (htmx swaps it in as the planner types): nothing is stored."""
    b, _, version, plan, ctx, chosen, edited, errors = await _posted(request)
    return b.templates.TemplateResponse(request, "_verdict.html",
                                        {"checked": verdict(plan, ctx, chosen, edited), "errors": errors,
                                         "year": version.year})


@router.post("/edit")
async def edit_post(request: Request):
    from ...plan import plan_to_csv

    b, form, version, plan, ctx, chosen, edited, errors = await _posted(request)
    checked = verdict(plan, ctx, chosen, edited)
    note = str(form.get("note", ""))
    raw = str(form.get("latest", "") or "")
    latest = int(raw) if ascii_digits(raw) else None  # a form without it (a script) is not checked
    if not checked["changed"]:
        errors["general"] = "没有修改任何内容"
    elif checked["broken"]:  # only what the edit newly breaks: what the version broke already is not the edit's
        errors["general"] = "修改后的计划违反规则，不能保存；请按下方提示调整"
    if errors:
        return _page(request, b, version, plan, ctx, chosen, edited, errors, 400, checked, latest=latest, note=note)
    # a version saved since this form was shown (another tab's edit, an accepted re-plan …): said, with links,
    # never silently buried under this one; the form comes back as typed, carrying the newest id, so that
    # saving again is the planner's choice (both versions are kept either way)
    if latest is not None and _newest(b) > latest:
        newer = [v for v in b.ws.versions() if v.id > latest]
        return _page(request, b, version, plan, ctx, chosen, edited, {}, 409, checked, latest=_newest(b),
                     stale=newer, note=note)
    summary = {"status": "EDITED", "year": plan.year, "sessions": len(plan.sessions),
               "edited": f"{chosen.stream}#{chosen.no}", "scenario": version.scenario or ""}
    vid = b.ws.add_version(plan_to_csv(checked["plan"]), summary, year=version.year, scenario=version.scenario,
                           parent=version.id, note=note or f"修改{views.session_label(chosen, ctx)}",
                           kind="edit")
    return RedirectResponse(f"/plan?v={vid}", status_code=303)
