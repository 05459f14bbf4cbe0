"""A version that is a revision (调整通知) stays one when it is published again or edited (audit E, findings 1–3).

One workspace per module: the published 2024 plan, a scenario closing 华安 from 15 July to 31 August 2024 and
its 重新排期 from 1 July, published from the 调整 page with the planner's reason and advice (as in
tests/test_web_revision.py). The re-plan moves special_ops #25 off 华安, so the plan alone breaks the
rotation (特种作业考点按顺序轮流), a rule that binds a revision only for 期次 the published plan lacks.
"""
from __future__ import annotations

import io
import re
import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.check import check_plan  # noqa: E402
from planner.data import scenarios_dir  # noqa: E402
from planner.web.app import create_app  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
SCENARIO = ('year = 2024\n[[closures]]\ninstitution = "huaan"\nstart = 2024-07-15\nend = 2024-08-31\n'
            'reason = "场地整改"\n')
REASON = "华安考点场地整改"
ADVICE = "已报名上述期次的考生，请按调整后的时间参加考试，报名继续有效。"
REVISION = {"revision.docx", "revision.xlsx"}
EXTRA = {"changes.csv", "调整明细.csv", "revision_of.csv"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _docx(data: bytes) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def _set(ws, vid) -> dict:
    return {f: ws.published_file(vid, f).read_bytes() for f in ws.published_files(vid) if f != "manifest.json"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(app, client, the published original, the re-plan's version published with its 调整通知)."""
    app = create_app(tmp_path_factory.mktemp("revver"), warm=False, documents=False)
    with TestClient(app) as client:
        ws, csrf = app.state.ws, app.state.csrf
        vid = ws.add_version(PLAN_CSV, {}, year=2024, scenario=None, parent=None, note="", kind="upload")
        assert client.post(f"/publish/{vid}", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        ws.write_scenario("华安整改", SCENARIO)
        r = client.post("/replan", data={"csrf": csrf, "v": str(vid), "from_date": "2024-07-01", "scenario": "华安整改",
                                         "time_limit": "20"}, follow_redirects=False)
        jid = r.headers["location"].rsplit("/", 1)[-1]
        assert app.state.jobs.wait(jid, timeout=600).state == "done"
        r = client.post(f"/job/{jid}/publish", data={"csrf": csrf, "reason": REASON, "advice": ADVICE},
                        follow_redirects=False)
        assert r.status_code == 303
        new = app.state.jobs.get(jid).version
        assert ws.latest_published() == new and REVISION | EXTRA <= set(ws.published_files(new))
        yield app, client, vid, new


def test_the_re_plan_breaks_rotation_alone_but_not_as_a_revision(env):
    """The premise: checked as a fresh plan the re-plan fails (rotation), as the revision it is it passes."""
    app, _, vid, new = env
    plan, ctx = app.state.bench.plan_of(app.state.ws.version(new))
    assert {v.rule for v in check_plan(plan, ctx).violations if v.hard} == {"rotation"}
    base = app.state.bench.plan_of(app.state.ws.version(vid))[0]
    assert check_plan(plan, ctx.revising(base)).ok


def test_a_re_plan_published_again_keeps_its_notice_reasons_and_files(env):
    """Findings 1 and 2: 重新生成发布文件 on the re-plan's version is a 303 (not “未通过规则检查”), and the set
    keeps revision.docx/.xlsx with the same reason, advice and original, and the planner-only files."""
    app, client, vid, new = env
    ws = app.state.ws
    first = _set(ws, new)
    page = client.get(f"/publish?v={new}").text
    assert 'id="publish-basis"' in page and f"版本{vid}" in _text(page)
    r = client.post(f"/publish/{new}", data={"csrf": app.state.csrf}, follow_redirects=False)
    assert r.status_code == 303, _text(r.text)[-800:]
    again = _set(ws, new)
    assert REVISION | EXTRA <= set(again)
    for f in REVISION | EXTRA:  # the same 调整通知, byte for byte (same day, same reasons)
        assert again[f] == first[f], f
    text = _docx(again["revision.docx"])
    assert ADVICE in text and f"因{REASON}" in text and "3个期次" in text
    assert ws.revision_record(new)["of"] == vid
    # a second click sends the same request again: the same set, nothing lost (the server is idempotent)
    assert client.post(f"/publish/{new}", data={"csrf": app.state.csrf}, follow_redirects=False).status_code == 303
    assert {f: b for f, b in _set(ws, new).items() if f in REVISION | EXTRA} == \
        {f: b for f, b in first.items() if f in REVISION | EXTRA}


def test_the_publish_button_shows_progress_and_sends_once(env):
    app, client, _, new = env
    page = client.get(f"/publish?v={new}").text
    assert 'id="publish-busy"' in page and "hidden" in page.split('id="publish-busy"')[1][:80]
    assert 'class="publish-form"' in page and "form.dataset.sent" in page and "b.disabled = true" in page


def test_an_edit_of_a_re_plan_is_judged_as_a_revision(env):
    """Finding 3: a 备注-only edit of the re-plan's version is saved; an edit that newly breaks a rule is not."""
    app, client, _, new = env
    ws, csrf = app.state.ws, app.state.csrf
    plan, ctx = app.state.bench.plan_of(ws.version(new))
    key = "special_ops-25"
    v = client.post("/edit/verdict", data={"csrf": csrf, "v": new, "s": key, "notes": "请携带身份证原件"}).text
    assert "符合全部规则" in v and "违反" not in v
    s = plan.by_key()[("special_ops", 25)]
    saturday = next(d for d in (s.exam_date.fromordinal(s.exam_date.toordinal() + n) for n in range(1, 8))
                    if not ctx.calendar.is_working_day(d))
    before = [x.id for x in ws.versions()]
    r = client.post("/edit", data={"csrf": csrf, "v": new, "s": key, "exam_date": saturday.isoformat()})
    assert r.status_code == 400 and "不能保存" in r.text and [x.id for x in ws.versions()] == before
    r = client.post("/edit", data={"csrf": csrf, "v": new, "s": key, "notes": "请携带身份证原件"},
                    follow_redirects=False)
    assert r.status_code == 303, _text(r.text)[-600:]
    edited = ws.versions()[0]
    assert (edited.parent, edited.kind) == (new, "edit")
    assert app.state.bench.plan_of(edited)[0].by_key()[("special_ops", 25)].notes == "请携带身份证原件"
    # an edit of that edit is still judged as the same revision
    v = client.post("/edit/verdict", data={"csrf": csrf, "v": edited.id, "s": key, "notes": "带笔"}).text
    assert "符合全部规则" in v


def test_a_restored_version_published_again_keeps_its_notice(env):
    """Finding 1: 恢复为最新版本 of the original, published (a 调整通知 back from the re-plan), then published again:
    the notice stays; a set whose basis is unknown (an earlier workbench) is rebuilt only when the planner says so."""
    app, client, vid, new = env
    ws, csrf = app.state.ws, app.state.csrf
    r = client.post(f"/version/{vid}/restore", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    restored = ws.versions()[0]
    assert restored.kind == "restore"
    assert client.post(f"/publish/{restored.id}", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    first = _set(ws, restored.id)
    assert REVISION <= set(first) and ws.revision_record(restored.id)["of"] == new
    r = client.post(f"/publish/{restored.id}", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    again = _set(ws, restored.id)
    assert all(again.get(f) == first[f] for f in REVISION)
    # without the record nothing says what the notice revised: asked, nothing rewritten
    (ws.version_dir(restored.id) / "revision.json").unlink()
    r = client.post(f"/publish/{restored.id}", data={"csrf": csrf, "doc_number": "12"}, follow_redirects=False)
    assert r.status_code == 409 and 'id="publish-ask-drop"' in r.text and 'name="drop_revision"' in r.text
    assert 'name="doc_number" value="12"' in r.text and _set(ws, restored.id) == again
    r = client.post(f"/publish/{restored.id}", data={"csrf": csrf, "drop_revision": "1"}, follow_redirects=False)
    assert r.status_code == 303 and not REVISION & set(ws.published_files(restored.id))


def test_a_refused_publish_names_the_rule_and_keeps_the_page(tmp_path):
    """Finding 2's page: a set refused by the check names the broken rule, and keeps the file labels, the
    checklist and the subscription addresses the page shows otherwise."""
    app = create_app(tmp_path, warm=False, documents=False)
    with TestClient(app) as client:
        ws, csrf = app.state.ws, app.state.csrf
        ws.write_scenario("停考", "year = 2024\n")
        vid = ws.add_version(PLAN_CSV, {}, year=2024, scenario="停考", parent=None, note="", kind="upload")
        assert client.post(f"/publish/{vid}", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        ok = client.get(f"/publish?v={vid}").text
        plan, _ = app.state.bench.plan_of(ws.version(vid))
        s = plan.by_key()[("managers", 6)]
        ws.write_scenario("停考", f'year = 2024\n[[closures]]\ninstitution = "{s.institution}"\n'
                                 f'start = {s.exam_date.isoformat()}\nend = {s.exam_date.isoformat()}\n')
        r = client.post(f"/publish/{vid}", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 400
        assert 'id="publish-causes"' in r.text and "停考期间该机构不安排考试" in _text(r.text)
        for part in ('id="checklist"', 'id="subscriptions"', 'id="files"'):
            assert part in r.text and part in ok
        assert "其他文件" not in r.text


def test_check_judges_an_upload_as_the_revision_the_planner_names(env):
    """检查 of an uploaded re-plan: as a fresh plan it breaks the rotation; named as a revision of the published
    version it passes (as `planner check --revision-of`), and kept as a version it is that version's child, which
    发布 then publishes as its revision."""
    from planner.plan import plan_to_csv

    app, client, vid, new = env
    ws, csrf = app.state.ws, app.state.csrf
    plan, _ = app.state.bench.plan_of(ws.version(new))
    upload = {"plan": ("调整后.csv", plan_to_csv(plan).encode("utf-8"), "text/csv")}
    fresh = client.post("/check", data={"csrf": csrf}, files=upload)
    assert fresh.status_code == 200 and 'id="violation-count"' in fresh.text and "import-form" not in fresh.text
    revised = client.post("/check", data={"csrf": csrf, "revision_of": str(vid)}, files=upload)
    assert revised.status_code == 200 and 'id="no-violations"' in revised.text
    assert f"作为版本{vid}的调整检查" in revised.text
    assert client.post("/check", data={"csrf": csrf, "revision_of": "999"}, files=upload).status_code == 400
    r = client.post("/import", data={"csrf": csrf, "revision_of": str(vid), "plan_csv": plan_to_csv(plan), "note": "调整"},
                    follow_redirects=False)
    assert r.status_code == 303
    kept = ws.versions()[0]
    assert (kept.parent, kept.kind) == (vid, "upload")
    assert client.post(f"/publish/{kept.id}", data={"csrf": csrf}, follow_redirects=False).status_code == 303


def test_a_re_plan_s_version_is_judged_from_its_first_day(env):
    """The workbench judges a re-plan's version (and a 修改一场 edit of it) from the re-plan's first day, as
    ``planner check`` does from the summary beside its plan: a changed session dated before that day breaks
    plan_window's revision part, which the revision without its day let through."""
    import dataclasses
    import datetime as dt

    from planner.check import check_plan
    from planner.plan import plan_to_csv
    from planner.web.revision import judged_ctx, revision_basis, revision_from

    app, _, _, new = env
    b, ws = app.state.bench, app.state.ws
    version = ws.version(new)
    assert revision_from(b, version) == dt.date(2024, 7, 1)
    plan, _ = b.plan_of(version)
    s = plan.by_key()[("special_ops", 2)]  # February: before the re-plan's first day
    moved = dataclasses.replace(s, registration_deadline=s.registration_deadline + dt.timedelta(days=1))
    edited = plan.with_sessions([x for x in plan.sessions if x.key != s.key] + [moved])
    vid = ws.add_version(plan_to_csv(edited), {}, year=2024, scenario=version.scenario, parent=new, note="",
                         kind="edit")
    edit = ws.version(vid)
    assert revision_from(b, edit) == dt.date(2024, 7, 1)
    report = check_plan(edited, judged_ctx(b, edit))
    assert [v.rule for v in report.violations] == ["plan_window"]
    basis = revision_basis(b, edit)["plan"]  # what the institutions were told
    assert check_plan(edited, b.ctx_for(version.scenario, 2024).revising(basis)).ok  # without the day: let through
