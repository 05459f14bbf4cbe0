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
    refused = [f"{cat.streams[s].name}第{n}期" for s, n in job.spec.get("refuse", ())]
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
