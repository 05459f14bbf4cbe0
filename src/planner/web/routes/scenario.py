"""调整/情景: a scenario built field by field (``scenario_form``), saved only when the core reads it."""
from __future__ import annotations

import secrets
import tomllib
from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from ...errors import PlannerError
from .. import i18n
from .. import scenario_form as SF
from ..bench import bench, catalogue
from ..security import field_limit
from ..workspace import ScenarioChanged, ScenarioExists, scenario_digest

router = APIRouter()


@lru_cache(maxsize=1)
def _defaults() -> dict:
    """The embedded rule set's values, shown as placeholders in the scenario form."""
    from ...api import make_context, next_year

    rs = make_context(next_year()).ruleset
    gap, cov, cnt = rs.rule("registration_gap"), rs.rule("coverage"), rs.rule("session_count")
    return {"gap_min": gap.min_days, "gap_max": gap.max_days, "coverage_days": cov.max_days_between_opportunities,
            "sessions_managers": cnt.sessions.get("managers", ""), "sessions_special_ops": cnt.sessions.get("special_ops", "")}


def scenario_page(request, values, errors, status=200, saved=False, general="", restored="", base="", original=None,
                  stale=False, renamed=""):
    """The form; *original*: the name of the scenario it edits ("" for a new one; default: *values*' name when
    that scenario exists), *base*: the digest of that file's text as shown (a save checks it is still the same)."""
    cat = catalogue()
    cats = sorted({(op.category_code, op.category) for op in cat.operations.values()})
    b = bench(request)
    if original is None:
        text = b.ws.scenario_text(values["name"]) if values.get("name") else None
        original, base = (values["name"], scenario_digest(text)) if text is not None else ("", "")
    return b.page(request, "scenario.html", status, values=values, errors=errors, saved=saved,
                  general=general, institutions=sorted(cat.institutions.values(), key=lambda i: i.seq),
                  categories=cats, closure_rows=range(1, SF.CLOSURE_ROWS + 1),
                  licenses=SF.licenses_supported(), defaults=_defaults(), restored=restored, original=original,
                  base=base, stale=stale, renamed=renamed)


def _values_of(name: str, text: str) -> dict:
    """The form's values of a scenario file; a file that is not TOML (edited by hand) is said in Chinese."""
    try:
        return SF.values_from_toml(text, name)
    except tomllib.TOMLDecodeError as err:
        raise HTTPException(400, f"情景文件 {name}.toml 不是有效的 TOML，工作台无法打开它（原文：{err}）。"
                                 "请用文本编辑器改正，或删除后重新建立。") from None


@router.get("/scenario", response_class=HTMLResponse)
def scenario_get(request: Request, name: str = "", saved: str = "", deleted: str = "", renamed: str = ""):
    values = SF.empty_values()
    ws = bench(request).ws
    if deleted:
        return scenario_page(request, values, {}, restored=deleted if ws.in_trash(deleted) else "")
    if name:
        ws.scenario_path(name)  # the name check
        text = ws.scenario_text(name)
        if text is None:
            raise HTTPException(404, "没有这个情景。")
        values = _values_of(name, text)
    return scenario_page(request, values, {}, saved=bool(saved), renamed=renamed if renamed != name else "")


#: the form's text fields: one over its length is said next to it, with everything typed shown again
_TEXT_FIELDS = ("name", "question", "closed_days", "demand_percent", "license_reason", "closure_reason_")


async def lenient_form(b, request, fields) -> tuple:
    """(form, {field: length}) — ``b.form_of`` (the CSRF token, every field's limit), except that the *fields*
    named (a page's own text fields; a name ending in "_" stands for its numbered rows) may come over their
    limit: their lengths are returned, so that the page can say so next to the field and show again what the
    planner typed, instead of a bare error page that loses it."""
    try:
        return await b.form_of(request), {}
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        form = await request.form()  # parsed once and kept by Starlette; its CSRF token passed (checked first)
        over = {k: len(x) for k, x in form.multi_items() if isinstance(x, str) and len(x) > field_limit(k)}
        ok = all(any(k == f or f.endswith("_") and k.startswith(f) for f in fields) for k in over)
        if not over or not ok:
            raise
        return form, over


def too_long(key: str, got: int) -> str:
    """An over-long field, said next to it (the words ``form_of`` uses)."""
    return i18n.text("too_long", field=i18n.field_name(key.rstrip("_0123456789")), limit=field_limit(key), got=got)


@router.post("/scenario")
async def scenario_post(request: Request):
    """A new scenario (never over an existing one of the same name) or an edit of the one the form was opened on
    (``original``): the keys the form does not show are kept (``scenario_form.merged_toml``), and a file saved or
    deleted since the form was opened (``base``) is not silently replaced."""
    from ...scenario import load_scenario

    b = bench(request)
    form, over = await lenient_form(b, request, _TEXT_FIELDS)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    original, base = fields.get("original", ""), fields.get("base", "")
    old_text = b.ws.scenario_text(original) if original and SF.NAME_RE.match(original) else None
    res = SF.build(fields, catalogue())
    if old_text is not None:  # an unchanged 说明 of a hand-written file may be longer than the field
        try:
            if "question" in over and res.values["question"] == _values_of(original, old_text)["question"]:
                del over["question"]
        except HTTPException:
            pass
    for key, got in over.items():
        res.errors.setdefault(key, too_long(key, got))
    page = {"original": original, "base": base}
    if res.errors:
        return scenario_page(request, res.values, res.errors, 400, **page)
    name = res.values["name"]
    editing = original == name
    if not editing and name in b.ws.scenarios():
        return scenario_page(request, res.values, {"name": f"已有名为“{name}”的情景，没有保存（不会替换它）。请换一个名称；"
                                                           "要修改那个情景，请在上方“已有情景”中打开它。"}, 400, **page)
    if editing and base and (old_text is None or scenario_digest(old_text) != base):
        return _stale(request, res.values, name, old_text)
    try:
        text = SF.merged_toml(res, old_text) if old_text is not None else res.toml
    except tomllib.TOMLDecodeError as err:
        return scenario_page(request, res.values, {}, 400, general=f"原情景文件 {original}.toml 不是有效的 TOML"
                             f"（原文：{err}），为免丢失其中的内容，没有保存。请换一个名称另存。", **page)
    if editing and old_text is not None and tomllib.loads(text) == tomllib.loads(old_text) \
            and SF.comment_lines(text) == SF.comment_lines(old_text):  # nothing changed: the file stays as written
        return RedirectResponse(f"/scenario?name={quote(name)}&saved=1", status_code=303)
    # read by the core before it lands: beside the scenarios, so that an ``extends`` finds its file
    trial = b.ws.scenario_path(name).with_name(f".{name}.trial-{secrets.token_hex(4)}.toml")
    try:
        trial.write_text(text, encoding="utf-8")
        load_scenario(trial)
    except PlannerError as err:
        field = SF.form_field(err)
        named = field if field in i18n.table()["fields"] else err.field  # the form's own label when it has one
        msg = i18n.input_error(named) + f"（原文：{err.message}）"
        return scenario_page(request, res.values, {field: msg} if field else {}, 400,
                             general="" if field else msg, **page)
    finally:
        trial.unlink(missing_ok=True)
    try:
        if editing and old_text is not None:
            b.ws.write_scenario(name, text, based_on=scenario_digest(old_text))
        else:
            b.ws.write_scenario(name, text, new=True)
    except ScenarioExists:  # made a moment ago by another save
        return scenario_page(request, res.values, {"name": f"已有名为“{name}”的情景，没有保存（不会替换它）。"
                                                           "请换一个名称。"}, 400, **page)
    except ScenarioChanged:
        return _stale(request, res.values, name, b.ws.scenario_text(name))
    log_scenario(b, ("save-scenario" if editing and old_text is not None else "add-scenario") + f":{name}", request)
    b.forget_contexts()
    return RedirectResponse(f"/scenario?name={quote(name)}&saved=1", status_code=303)


def log_scenario(b, what: str, request) -> None:
    """A saved scenario in the change log (变更记录, changes.jsonl), with who saved it, as a delete is
    (``Workspace.trash_scenario``): "add-scenario:NAME" or "save-scenario:NAME". The file is written already:
    a log the database cannot take now does not undo the save."""
    from contextlib import closing

    from .versions import who

    try:
        with closing(b.ws._connect()) as con:
            b.ws.record(con, what, None, who(request))
    except Exception:  # noqa: BLE001 - sqlite3 errors: the scenario is saved; only its log line is missing
        import logging

        logging.getLogger(__name__).warning("could not log %s", what, exc_info=True)


def _stale(request, values, name, now_text):
    """The form sent back unsaved: the scenario was saved (or deleted) elsewhere since it was opened. Saving again
    is the planner's explicit choice: the form now carries the newer text's digest (that text is kept in
    scenarios/.previous/ when replaced)."""
    if now_text is None:
        return scenario_page(request, values, {}, 409, original="", base="", stale="deleted")
    return scenario_page(request, values, {}, 409, original=name, base=scenario_digest(now_text), stale="changed")


@router.post("/scenario/delete")
async def scenario_delete(request: Request):
    """A scenario moved to scenarios/.trash/ (撤销 moves it back); the versions made with it keep their rules
    only while it exists, so the page says who deleted it in the change log."""
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    name = str(form.get("name", ""))
    if name not in b.ws.scenarios():
        raise HTTPException(404, "没有这个情景。")
    b.ws.trash_scenario(name, who(request))
    b.forget_contexts()
    return RedirectResponse(f"/scenario?deleted={quote(name)}", status_code=303)


@router.post("/scenario/undelete")
async def scenario_undelete(request: Request):
    """The deleted scenario back; when one of the same name was made since, it is kept and the deleted one comes
    back under a free name (the page says which)."""
    from .versions import who

    b = bench(request)
    form = await b.form_of(request)
    name = str(form.get("name", ""))
    if not b.ws.in_trash(name):
        raise HTTPException(404, "没有可恢复的情景。")
    back = b.ws.untrash_scenario(name, who(request))
    b.forget_contexts()
    return RedirectResponse(f"/scenario?name={quote(back)}" + (f"&renamed={quote(name)}" if back != name else ""),
                            status_code=303)
