"""plan.json: the plan for other programs, with what the notice leaves implicit spelled out
(noon deadlines with their time zone, site addresses, training-plan upload dates)."""
from __future__ import annotations

import json

from ..plan import Plan
from ..regulation import printed_kind
from . import tables as T
from .ics import DEADLINE_TIME

FORMAT = "planner plan.json 1"
OFFICIAL_NOTE = "各日期均依国务院公布的节假日安排"


def violations_list(report) -> list[dict]:
    return [{"rule": v.rule, "where": v.where(), "message": v.message, "hard": v.hard} for v in report.violations]


def plan_json_bytes(plan: Plan, ctx, report, class_days: int = T.DEFAULT_CLASS_DAYS, flag: str = "",
                    notice: dict | None = None) -> bytes:
    """*notice*: the published notice's ``title`` and ``doc_no`` (发文字号), which a later 调整通知 cites."""
    from ..queueing import evaluate

    closes = DEADLINE_TIME.isoformat(timespec="minutes")
    load = evaluate(plan, ctx)
    sessions = []
    for s in plan.sessions:
        inst = ctx.catalogue.institutions[s.institution]
        sessions.append({
            "stream": s.stream, "no": s.no, "kind": printed_kind(ctx, s), "notes": s.notes,
            "registration_deadline": s.registration_deadline.isoformat(),
            "registration_closes": f"{s.registration_deadline.isoformat()}T{closes}:00+08:00",
            "exam_date": s.exam_date.isoformat(),
            "institution": s.institution, "site": inst.plan_name, "address": inst.address,
            "class_opens_latest": T.class_opens(s, class_days).isoformat(),
            "training_plan_upload_by": T.upload_by(s, class_days).isoformat(),
        })
        if load is not None and s.key in load.by_key:  # 估计 unless the demand file holds the bureau's own figures
            sl = load.by_key[s.key]
            # per category too: a re-plan from this file then knows whom a move to a site without a category strands
            sessions[-1].update(expected_candidates=sl.candidates, expected_by_category=sl.by_category, seats=sl.seats)
    doc = {
        "format": FORMAT,
        "year": plan.year,
        "calendar": ctx.calendar.status(),
        "calendar_official": ctx.calendar.is_official(),
        # the same in the notice's words, for a reader of the file (issue 19: "provisional" only in English)
        "calendar_note": T.provisional_note(plan, ctx) or OFFICIAL_NOTE,
        "class_days": class_days,
        "check": {"ok": report.ok, "violations": violations_list(report)},
        "watermark": flag or None,
        "streams": {sid: {"name": st.name, "attachment": st.attachment, "title": st.title.format(year=plan.year)}
                    for sid, st in ctx.catalogue.streams.items()},
        "institutions": {i.id: {"name": i.name, "plan_name": i.plan_name, "short_name": i.short_name,
                                "address": i.address, "phones": list(i.phones), "contact": i.contact}
                         for i in sorted(ctx.catalogue.institutions.values(), key=lambda i: i.seq)},
        "sessions": sessions,
    }
    if load is not None:
        doc["demand"] = load.report(ctx)
    if notice is not None:
        doc["notice"] = notice
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


