"""A planner's changes to the list of versions: mark one current (what the subscriptions serve), restore an
older one as a new version, delete and undo, and who made each change (操作人, remembered in a cookie)."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from ..bench import bench

router = APIRouter()
WHO_COOKIE = "planner_who"
MAX_WHO = 20


def who(request: Request) -> str:
    from urllib.parse import unquote

    return unquote(request.cookies.get(WHO_COOKIE, ""))[:MAX_WHO]


def older_than_current(b, vid: int) -> int | None:
    """The current published version when *vid* is older than it (re-publishing or choosing *vid* would
    switch every subscription back), else None."""
    current = b.ws.latest_published()
    return current if current is not None and current != vid and vid < current else None


@router.post("/who")
async def set_who(request: Request):
    b = bench(request)
    form = await b.form_of(request)
    name = str(form.get("who", "")).strip()[:MAX_WHO]
    back = str(form.get("back", "/plan"))
    local = back.startswith("/") and not back.startswith("//") and "\\" not in back and not urlsplit(back).netloc
    resp = RedirectResponse(back if local else "/plan", status_code=303)
    resp.set_cookie(WHO_COOKIE, quote(name), samesite="strict", max_age=365 * 86400)
    return resp


@router.post("/version/{vid}/restore")
async def restore_version(request: Request, vid: str):
    """An older version's plan as the newest version (kind restore, parent the old one); nothing is lost."""
    b = bench(request)
    await b.form_of(request)
    old = b.need_version(vid)
    text = b.ws.plan_csv_path(old.id).read_text(encoding="utf-8")
    summary = {**b.ws.summary(old.id), "restored_from": old.id}
    new = b.ws.add_version(text, summary, year=old.year, scenario=old.scenario, parent=old.id,
                           note=f"恢复自版本{old.id}", kind="restore", who=who(request))
    return RedirectResponse(f"/plan?v={new}", status_code=303)


@router.post("/version/{vid}/current")
async def make_current(request: Request, vid: str):
    """Choose the version the subscriptions serve; an older one than the current only after a confirmation."""
    b = bench(request)
    form = await b.form_of(request)
    version = b.need_version(vid)
    if not b.ws.published_files(version.id):
        raise HTTPException(400, "该版本还没有发布文件，请先在“发布”页生成。")
    newer = older_than_current(b, version.id)
    if newer is not None and form.get("confirm") != "1":
        return b.page(request, "confirm.html", 409, version=version, newer=newer,
                      action=f"/version/{version.id}/current", what="设为当前发布版本")
    b.ws.set_current(version.id, who(request))
    return RedirectResponse(f"/publish?v={version.id}", status_code=303)


#: versions whose own search 继续优化 continues: a plan made by the solver from the rules alone (a re-plan's or a
#: pin's search keeps close to its base first, which a continuation from the result would not)
IMPROVABLE = ("generate", "improve")


def improvable(version, summary: dict) -> bool:
    """The version's search stopped at its time limit, not proven the best: 继续优化 may find a better plan."""
    return version.kind in IMPROVABLE and summary.get("status") in ("TIME_LIMIT", "FEASIBLE")


@router.post("/version/{vid}/improve")
async def improve_version(request: Request, vid: str):
    """继续优化: the version's search continued from its plan, with the same scenario and candidates; a cheaper plan
    becomes a new version (parent this one), else nothing is saved."""
    b = bench(request)
    form = await b.form_of(request)
    version = b.need_version(vid)
    summary = b.ws.summary(version.id)
    if not improvable(version, summary):
        raise HTTPException(400, "只有时限内未证明最优的生成方案可以继续优化。")
    errors: dict[str, str] = {}
    limit = b.time_limit(form, errors)
    if errors:
        raise HTTPException(400, errors["time_limit"])
    spec = {"kind": "improve", "root": str(b.ws.root), "base": version.id, "year": version.year,
            "scenario": version.scenario or "", "time_limit": limit, "note": f"由版本{version.id}继续优化"}
    if summary.get("demand"):  # the same candidates: the version's saved demand, or the shipped estimate
        spec.update(with_demand=True, demand=summary.get("demand_version"))
    job = b.submit(spec)
    return RedirectResponse(f"/job/{job.id}", status_code=303)


# after the fixed paths above: this one matches any last part
@router.post("/version/{vid}/{action:str}")
async def delete_or_undo(request: Request, vid: str, action: str):
    """删除 (the version is hidden, its files kept) and 撤销删除."""
    if action not in ("delete", "undelete"):
        raise HTTPException(404, "没有这个操作。")
    b = bench(request)
    await b.form_of(request)
    version = b.need_version(vid)
    if action == "delete" and b.ws.latest_published() == version.id:
        raise HTTPException(400, "这是各考点正在订阅的发布版本，不能删除；请先把另一个版本设为当前发布版本。")
    b.ws.set_deleted(version.id, action == "delete", who(request))
    return RedirectResponse(f"/plan?deleted={version.id}" if action == "delete" else f"/plan?v={version.id}",
                            status_code=303)
