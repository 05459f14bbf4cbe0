"""对比: two versions session by session, KPI deltas and the comparison chart."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from ..bench import bench
from ..jobs import session_dict

router = APIRouter()
#: compare charts kept (a version pair's chart never changes: versions are immutable)
CHART_CACHE = 32


def compared(bn, a: str, b: str) -> dict:
    """The two versions, their changes (worded) and KPI rows."""
    from ...compare import diff_plans, kpi_table

    va, vb = bn.need_version(a), bn.need_version(b)
    pa, _ = bn.plan_of(va)
    pb, ctx_b = bn.plan_of(vb)
    changes = [{"stream": c.stream, "no": c.no, "what": c.what, "old": session_dict(c.old),
                "new": session_dict(c.new), "reason": ""} for c in diff_plans(pa, pb)]
    header, rows = kpi_table(pa, pb, ctx_b.catalogue, (f"版本{va.id}", f"版本{vb.id}"))
    return {"va": va, "vb": vb, "changes": bn.changes(changes, ctx_b, vb.year), "kpis": rows, "kpi_headers": header,
            **_people(bn, va, vb, pa, pb, ctx_b)}


def _people(bn, va, vb, pa, pb, ctx) -> dict:
    """The same candidates in both versions, under 需求与考位's newest demand (the estimate when none is saved),
    as 生成 plans with it: its seats and waits per version (``compare.people_table``). None of the versions'
    scenarios' 需求 ± % applies: one demand, two plans. Empty when the demand file no longer reads (the 需求与考位
    page says why)."""
    from ...compare import people_table
    from ...demand import demand_origin
    from ...errors import PlannerError
    from .. import demands as D
    from .demand import _percent

    n = D.chosen(bn.ws, None)
    try:
        demand = D.load(bn.ws, n, ctx.catalogue)
    except PlannerError:
        return {}
    header, rows = people_table(pa, pb, ctx.with_demand(demand), (f"版本{va.id}", f"版本{vb.id}"))
    return {"people": rows, "people_headers": header, "people_status": demand_origin(demand)["label"],
            "people_demand": f"第{n}版" if n else "程序提供的估计",
            "people_unscaled": any(_percent(bn, v.scenario) for v in (va, vb))}


@router.get("/compare", response_class=HTMLResponse)
def compare_get(request: Request, a: str | None = None, b: str | None = None):
    bn = bench(request)
    if not (a and b):  # opened from the menu: the newest version against the one it came from
        a, b = default_pair(bn.ws.versions(), a, b)
    kw: dict = {"a": a or "", "b": b or ""}
    if a and b:
        kw |= compared(bn, a, b)
        kw["same"] = kw["va"].id == kw["vb"].id
    return bn.page(request, "compare.html", **kw)


def default_pair(versions, a: str | None, b: str | None) -> tuple[str, str]:
    """(a, b) to compare when the page is opened without both: *b* (default the newest version) against *a*,
    default the version it came from when that is listed, else the one before it (of the same year first); ("", "") with fewer than two
    versions, so the page never opens on a version compared with itself."""
    ids = [v.id for v in versions]
    if len(ids) < 2:
        return a or "", b or ""
    chosen = next((v for v in versions if str(v.id) == str(b)), versions[0]) if b else versions[0]
    if a:
        return a, str(chosen.id)
    if chosen.parent in ids and chosen.parent != chosen.id:
        return str(chosen.parent), str(chosen.id)
    older = [v for v in versions if v.id < chosen.id]
    older = [v for v in older if v.year == chosen.year] or older  # the same year's plan first
    other = older[0].id if older else next(i for i in ids if i != chosen.id)
    return str(other), str(chosen.id)


@router.get("/compare/export.xlsx")
def compare_export(request: Request, a: str, b: str):
    from ..export import download, table_xlsx

    c = compared(bench(request), a, b)
    va, vb = c["va"], c["vb"]

    def side(x):
        return f"{x['exam']} {x['site']}（报名截止{x['deadline']}）" if x else "—"

    rows = [[f"{x['stream']} 第{x['no']}期", x["what"] + (f" {x['days']}" if x["days"] else ""),
             side(x["old"]), side(x["new"])] for x in c["changes"]]
    sheets = [("变化", ["期次", "变化", f"版本{va.id}", f"版本{vb.id}"], rows), ("指标", c["kpi_headers"], c["kpis"])]
    if c.get("people"):
        sheets.append(("考生", c["people_headers"], c["people"]))
    data = table_xlsx(sheets)
    return download(data, f"对比-版本{va.id}-版本{vb.id}.xlsx", fallback=f"compare-v{va.id}-v{vb.id}.xlsx")


@router.get("/compare/chart.png")
def compare_chart(request: Request, a: str, b: str):
    from ...charts.compare import draw
    from ...charts.style import render

    bn = bench(request)
    if request.headers.get("sec-fetch-site") == "cross-site":  # another site's page may not make us draw
        raise HTTPException(403, "请在工作台页面上查看对比图。")
    va, vb = bn.need_version(a), bn.need_version(b)
    key = (va.id, va.sha256, vb.id, vb.sha256)
    png = bn.charts.get(key)
    if png is None:
        pa, _ = bn.plan_of(va)
        pb, ctx = bn.plan_of(vb)
        with bn.publish_lock:
            png = bn.charts.get(key) or render(draw, pa, pb, ctx)["png"]
        if len(bn.charts) >= CHART_CACHE:
            bn.charts.pop(next(iter(bn.charts)))
        bn.charts[key] = png
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})
