"""The 调整 page (a finished 重新排期): what it shows of a proposal, read from the job's own changes.csv rows.

Kept apart from the routes (``routes/jobs.py`` renders it, ``routes/replan.py`` acts on it), so neither
route module imports the other's page.
"""
from __future__ import annotations

from ..errors import PlannerError
from ..textio import ascii_digits
from . import i18n


def proposal(b, job) -> dict:
    """A finished re-plan job's proposal for the 调整 page and its notice, from the job's own changes.csv rows:

    ``base``/``new`` (plans), ``ctx``, ``changes`` (``compare.Change``), ``reasons`` ((stream, 期次) ->
    ``replan.Reason``, read back from changes.csv's ``rule`` and ``reason`` columns, as ``planner publish
    --revision-of`` reads them), ``rows`` (changes.csv's rows, keyed like the changes)."""
    from ..compare import diff_plans
    from ..planio import read_plan
    from ..publish.revision import row_reason_text

    base_v = b.ws.version(job.spec["base"])
    base, ctx = b.plan_of(base_v)
    if job.version is not None:
        new = b.plan_of(b.ws.version(job.version))[0]
    else:
        with b.ws.scratch() as tmp:
            (tmp / "plan.csv").write_text(job.outcome["plan_csv"], encoding="utf-8")
            new = read_plan(tmp / "plan.csv", ctx.catalogue, year=base_v.year)
    ctx = b.ctx_for(job.spec.get("scenario"), base_v.year)
    rows = {(r[1], int(r[2])): r for r in job.outcome.get("rows", [])}
    reasons = {k: row_reason_text(r[12], r[13]) for k, r in rows.items()}
    return {"base": base, "new": new, "ctx": ctx, "changes": diff_plans(base, new), "rows": rows,
            "reasons": {k: r for k, r in reasons.items() if r is not None}}


def published_original(b, vid: int, plan) -> dict | None:
    """The notice a version was published as (title, 发文字号: ``revision.published_notice``), None if never."""
    from ..publish.revision import published_notice

    if not (b.ws.published_dir(vid) / "plan.json").is_file():
        return None
    try:
        return published_notice(b.ws.published_dir(vid) / "plan.csv", plan)
    except PlannerError:
        return None


def revision_view(b, job, form: dict | None = None) -> dict:
    """What the 调整 page shows of a finished re-plan: each change in the notice's words, with the candidates
    it affects and why (changes.csv's figures), which changes may be refused, and the notice's text fields."""
    from ..publish.revision import DETAIL_FILE, default_advice, detail_entries, notice_reason

    p = proposal(b, job)
    ctx, year = p["ctx"], p["base"].year
    cat = ctx.catalogue
    out = detail_entries(p["changes"], p["rows"], ctx, year, i18n.rule_title)
    refused = [f"{cat.streams[s].name} 第{n}期" for s, n in job.spec.get("refuse", ())]
    original = published_original(b, job.spec["base"], p["base"])
    form = form or job.outcome.get("notice_texts") or {}
    default = notice_reason(p["changes"], p["reasons"], ctx, year)
    from ..publish.pdfconvert import soffice

    return {"revision": out, "refused": refused, "counted": job.outcome.get("counted", False),
            "catalogue": cat, "pdf": b.documents and soffice() is not None, "documents": b.documents,
            "affected": sum(int(r[10]) for r in p["rows"].values() if ascii_digits(r[10])),
            "original": original,
            "notice_form": {"reason": form.get("reason", default), "advice": form.get("advice", default_advice())},
            "revision_files": [f for f in b.ws.published_files(job.version)
                               if f.startswith("revision.") or f in ("changes.csv", DETAIL_FILE)] if job.version else []}


def replan_job(b, jid: str):
    from starlette.exceptions import HTTPException

    job = b.jobs.get(jid)
    if job is None or job.state != "done" or job.spec["kind"] != "replan" or "rows" not in (job.outcome or {}):
        raise HTTPException(404, "没有这个重新排期方案。")
    return job


def changes_csv_bytes(job) -> bytes:
    """The proposal's changes.csv, byte for byte as `planner replan` writes it (the rows the 调整 page shows)."""
    from ..compare import to_csv
    from ..replan import REPLAN_HEADER

    return to_csv(job.outcome["rows"], REPLAN_HEADER).encode("utf-8")


def revision_csv_bytes(view: dict, basis: str = "") -> bytes:
    """The 调整 page's table (:func:`revision_view`'s rows) as 调整明细.csv, as `planner replan` writes it."""
    from ..publish.revision import detail_csv

    return detail_csv(view["revision"], basis)


# -- a version's lineage: what it revises, for 发布 again and for 修改一场 ------------------------------------------

#: versions made from another as a revision of it (``jobs``: 重新排期 always solves as one; 固定一场 when its base
#: was published)
REVISION_KINDS = ("replan", "pin")
#: the planner-only files a 调整 page's publication adds to the set (`planner replan`'s), kept when it is built again
REVISION_EXTRA = ("changes.csv", "调整明细.csv", "revision_of.csv")


def record_of(b, version, revision_of, reasons: dict | None, of: int | None = None) -> dict:
    """What :meth:`Workspace.write_revision_record` keeps of a set published as a revision of *revision_of*: the
    plan revised (its CSV), the reasons per 期次 (rule, text, own, cause, as ``replan.Reason``), the planner's
    reason ("*"), the original notice cited and the advice; *of*: the version revised, when known."""
    from ..plan import plan_to_csv

    reasons = reasons or {}
    rows = []
    for key, r in reasons.items():
        if isinstance(key, tuple) and r is not None:
            cause = getattr(r, "cause", None)
            rows.append({"stream": key[0], "no": int(key[1]), "text": str(r), "rule": getattr(r, "rule", None),
                         "own": getattr(r, "own", None), "cause": list(cause) if cause else None})
    return {"of": of, "plan_csv": plan_to_csv(revision_of), "reasons": rows, "reason": str(reasons.get("*") or ""),
            "original": reasons.get("original") if isinstance(reasons.get("original"), dict) else None,
            "advice": str(reasons.get("advice") or "")}


def _recorded_reasons(doc: dict) -> dict:
    from ..replan import Reason

    out: dict = {}
    for r in doc.get("reasons") or ():
        try:
            key = (str(r["stream"]), int(r["no"]))
            cause = tuple(r["cause"]) if r.get("cause") else None
            out[key] = (Reason(str(r["rule"]), str(r["text"]), bool(r.get("own")),
                               (str(cause[0]), int(cause[1])) if cause else None)
                        if r.get("rule") is not None else str(r["text"]))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
    for key, name in (("*", "reason"), ("advice", "advice")):
        if doc.get(name):
            out[key] = str(doc[name])
    if isinstance(doc.get("original"), dict):
        out["original"] = {k: str(v) for k, v in doc["original"].items()}
    return out


def revision_basis(b, version, _depth: int = 0) -> dict | None:
    """What *version* is a revision of, or None when it is a plan of its own: ``{"plan": the plan revised, "of": its
    version id (None when unknown), "reasons": the 调整通知's reasons as last published (None: not recorded),
    "recorded": published as a revision}``.

    In order: how its set was last published (``Workspace.revision_record``); else its lineage, as the job that
    made it solved it: a 重新排期 (or an upload 检查 judged as a revision) revises its parent, a 固定一场 its parent
    when that was published, and a
    修改一场 edit is a revision of whatever the version it edits revises."""
    doc = b.ws.revision_record(version.id)
    if doc.get("plan_csv"):
        from ..planio import read_plan

        try:
            with b.ws.scratch() as tmp:
                (tmp / "revision_of.csv").write_text(str(doc["plan_csv"]), encoding="utf-8")
                plan = read_plan(tmp / "revision_of.csv", b.ctx_for(version.scenario, version.year).catalogue,
                                 year=version.year)
        except (PlannerError, OSError):
            plan = None
        if plan is not None:
            of = doc.get("of")
            return {"plan": plan, "of": of if isinstance(of, int) else None, "reasons": _recorded_reasons(doc),
                    "recorded": True}
    parent = b.ws.version(version.parent) if version.parent is not None else None
    if parent is None or parent.year != version.year or _depth > 64:
        return None
    # an upload kept from 检查 as a revision of a version (its parent) is that revision, as a re-plan is
    if version.kind in ("replan", "upload") or (version.kind == "pin" and b.ws.published_dir(parent.id).is_dir()):
        return {"plan": b.plan_of(parent)[0], "of": parent.id, "reasons": None, "recorded": False}
    if version.kind == "edit":
        return revision_basis(b, parent, _depth + 1)
    return None


def revision_from(b, version, _depth: int = 0):
    """The first day of the re-plan *version* is, or of the one a 修改一场 edit of it edits: nothing that changed may
    be dated before it (``plan_window``), as ``planner check`` reads it from the summary beside a re-plan's plan;
    None for any other version."""
    from ..replan import first_day

    if version.kind == "replan":
        try:
            return first_day(b.ws.summary(version.id))
        except PlannerError:
            return None  # a summary that does not say a day: judged without one, as before the day was kept
    parent = b.ws.version(version.parent) if version.kind == "edit" and version.parent is not None else None
    return revision_from(b, parent, _depth + 1) if parent is not None and _depth < 64 else None


def judged_ctx(b, version, ctx=None):
    """The rule context *version* is checked in: its scenario's, as a revision of what it revises
    (:func:`revision_basis`) from the re-plan's first day (:func:`revision_from`), as 重新排期 solved it and 发布
    publishes it."""
    ctx = ctx if ctx is not None else b.ctx_for(version.scenario, version.year)
    basis = revision_basis(b, version)
    return ctx.revising(basis["plan"], revision_from(b, version)) if basis is not None else ctx
