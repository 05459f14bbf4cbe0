"""The notice's tables as UTF-8-with-BOM CSV, so Excel and WPS show the Chinese without an import dialog."""
from __future__ import annotations

import csv
import io

from ..plan import Plan
from . import tables as T
from . import wording as W
from .cells import csv_field


def bom_csv(rows, header, flag: str = "", note: str = "") -> bytes:
    """CSV bytes with a BOM; a watermark line first when the plan failed its check, then the provisional
    calendar's note when a date lies in a year without the official arrangement."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for line in (flag, note):
        if line:
            w.writerow([line])
    w.writerow(header)
    w.writerows([csv_field(v) for v in r] for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def csv_files(plan: Plan, ctx, class_days: int = T.DEFAULT_CLASS_DAYS, flag: str = "") -> dict[str, bytes]:
    """File name -> bytes: one CSV per attachment table (sub-tables in their own file) and the schedule."""
    note = T.provisional_note(plan, ctx)
    out = {"annex1_materials.csv": bom_csv([[W.MATERIALS_KINDS[s], t] for s, t in T.materials_lines(ctx.catalogue)[1:]],
                                           ["类型", "内容"], flag, note)}
    for att in T.attachments(plan, ctx):
        n = "".join(c for c in att.sheet if c.isdigit()) or att.sheet
        for sec in att.sections:
            rows = T.plan_rows(sec.sessions, plan.year, ctx)
            out[f"annex{n}_{sec.stream}.csv"] = bom_csv(rows, W.PLAN_HEADERS, flag, note)
    out["annex4_institutions.csv"] = bom_csv(T.directory_rows(ctx.catalogue), W.DIRECTORY_HEADERS, flag, note)
    out["training_plan_uploads.csv"] = bom_csv(T.schedule_rows(plan, ctx, class_days), W.SCHEDULE_HEADERS, flag, note)
    return out
