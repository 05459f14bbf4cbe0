"""修改一场 (issue 21 (a)): a session's date, site or 备注 changed by hand; the verdict is ``check_plan``'s.

The page's verdict is compared with ``check_plan`` on the same edited plan for many edits (every exam
moved to each of several days and sites): the page names exactly the rules the check face reports new.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
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
from planner.web import i18n  # noqa: E402
from planner.web.app import create_app  # noqa: E402

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("edit"), warm=False)
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024}, year=2024, scenario=None, parent=None, note="",
                                   kind="upload")
    with TestClient(app) as client:
        yield app, client, vid


def _verdict(client, app, vid, key, **fields) -> str:
    r = client.post("/edit/verdict", data={"csrf": app.state.csrf, "v": vid, "s": key, **fields})
    assert r.status_code == 200
    return r.text


def test_every_calendar_chip_opens_its_edit_page(env):
    app, client, vid = env
    page = client.get(f"/plan?v={vid}").text
    links = re.findall(r'href="(/edit\?v=\d+&s=[a-z_]+-\d+)"', page)
    assert len(links) == 59
    r = client.get(links[0])
    assert r.status_code == 200 and "修改一场" in r.text and 'name="exam_date"' in r.text


def test_the_verdict_names_exactly_what_check_plan_finds_new(env):
    app, client, vid = env
    plan, ctx = app.state.bench.plan_of(app.state.ws.version(vid))
    before = {(v.rule, v.stream, v.no, v.date) for v in check_plan(plan, ctx).violations if v.hard}
    rng = random.Random(21)
    sites = sorted(ctx.catalogue.institutions)
    for _ in range(25):
        s = rng.choice(plan.sessions)
        shift = dt.timedelta(days=rng.randint(-20, 20))
        site = rng.choice(sites)
        edited = dataclasses.replace(s, exam_date=s.exam_date + shift,
                                     registration_deadline=s.registration_deadline + shift, institution=site)
        new = dataclasses.replace(plan, sessions=tuple(edited if x is s else x for x in plan.sessions))
        expected = {i18n.rule_title(v.rule) for v in check_plan(new, ctx).violations
                    if v.hard and (v.rule, v.stream, v.no, v.date) not in before}
        text = _verdict(client, app, vid, f"{s.stream}-{s.no}", exam_date=edited.exam_date.isoformat(),
                        registration_deadline=edited.registration_deadline.isoformat(), institution=site)
        shown = set(re.findall(r"<li><strong>([^<]+)</strong>", text))
        assert shown == expected, (s, edited)
        assert ("符合全部规则" in text) == (not expected and check_plan(new, ctx).ok)


def test_a_clean_edit_is_saved_as_a_child_version_and_a_breaking_one_is_not(env):
    app, client, vid = env
    plan, ctx = app.state.bench.plan_of(app.state.ws.version(vid))
    s = plan.stream("special_ops")[4]
    before = [v.id for v in app.state.ws.versions()]
    saturday = next(s.exam_date + dt.timedelta(n) for n in range(1, 8)
                    if not ctx.calendar.is_working_day(s.exam_date + dt.timedelta(n)))
    r = client.post("/edit", data={"csrf": app.state.csrf, "v": vid, "s": f"special_ops-{s.no}",
                                   "exam_date": saturday.isoformat()})
    assert r.status_code == 400 and "不能保存" in r.text and [v.id for v in app.state.ws.versions()] == before
    r = client.post("/edit", data={"csrf": app.state.csrf, "v": vid, "s": f"special_ops-{s.no}",
                                   "notes": "请携带身份证原件"}, follow_redirects=False)
    assert r.status_code == 303
    new = app.state.ws.versions()[0]
    assert (new.parent, new.kind) == (vid, "edit")
    got, _ = app.state.bench.plan_of(new)
    assert got.by_key()[("special_ops", s.no)].notes == "请携带身份证原件"
    assert [x for x in got.sessions if x.no != s.no or x.stream != "special_ops"] == \
        [x for x in plan.sessions if x.no != s.no or x.stream != "special_ops"]


def test_edit_refuses_unknown_sessions_and_bad_input(env):
    app, client, vid = env
    assert client.get(f"/edit?v={vid}&s=special_ops-999").status_code == 404
    assert client.get("/edit?v=999&s=special_ops-1").status_code == 404
    text = _verdict(client, app, vid, "special_ops-1", exam_date="2024-13-40", institution="nowhere")
    assert "请填写有效日期" in text and "没有这个考点" in text
    r = client.post("/edit", data={"csrf": app.state.csrf, "v": vid, "s": "special_ops-1", "notes": "x" * 201})
    assert r.status_code == 400 and "200" in r.text
