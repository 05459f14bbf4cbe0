"""plan.json's expected candidates per operation category, and a re-plan from them.

A set published with its candidates records, per session, the queue's seated candidates per category
(``expected_by_category``) beside their sum (``expected_candidates``), from the one queue evaluation. The workbench's
重新排期 without an upload and without a demand reads them back (``replan.published_people``), so it strands whom
``--demand`` would; a plan.json written before the field keeps its plain totals (nobody counted stranded).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from planner.check import check_plan
from planner.data import constraints_dir
from planner.demand import load_demand
from planner.publish.jsonout import plan_json_bytes
from planner.queueing import evaluate
from planner.replan import expected_people, people_costs

FROM = dt.date(2024, 5, 1)


@pytest.fixture(scope="module")
def with_demand(ctx2024):
    return ctx2024.with_demand(load_demand(constraints_dir() / "demand.toml", ctx2024.catalogue))


def test_plan_json_records_the_expected_candidates_per_category_summing_to_the_total(plan2024, with_demand):
    """Each session's figures per category are the queue's seated ones, only those with any, by category code in
    order, and sum to its expected_candidates; the same inputs give the same bytes."""
    raw = plan_json_bytes(plan2024, with_demand, check_plan(plan2024, with_demand))
    assert raw == plan_json_bytes(plan2024, with_demand, check_plan(plan2024, with_demand))
    load = evaluate(plan2024, with_demand)
    sessions = json.loads(raw)["sessions"]
    counted = [s for s in sessions if "expected_candidates" in s]
    assert len(counted) == len(sessions) == len(load.by_key)
    for s in counted:
        by = s["expected_by_category"]
        served = load.by_key[(s["stream"], s["no"])].served
        assert sum(by.values()) == s["expected_candidates"] == sum(served.values())
        assert by == {c: n for c, n in served.items() if n} and all(n > 0 for n in by.values())
        assert list(by) == sorted(by)
    assert any(len(s["expected_by_category"]) > 1 for s in counted)
    assert sum(s["expected_candidates"] for s in counted) == load.summary()["seated"]


def test_the_figures_read_back_as_written_and_as_the_demand_gives_them(plan2024, with_demand):
    """Round trip: plan.json's figures read back (``published_people``) equal what was written and what
    ``--demand`` counts for the same plan (``expected_people``), category by category."""
    from planner.replan import published_people

    doc = json.loads(plan_json_bytes(plan2024, with_demand, check_plan(plan2024, with_demand)))
    back = published_people(doc)
    want = expected_people(plan2024, with_demand)
    assert back == want and back
    for key, n in back.items():
        assert n.groups == want[key].groups
        s = next(s for s in doc["sessions"] if (s["stream"], s["no"]) == key)
        assert n.groups == s["expected_by_category"] and int(n) == s["expected_candidates"]


def _stranding_move(plan, people, ctx):
    """The first special_ops session with 制冷与空调作业 candidates moved, same day, to 新世纪 (which examines no
    制冷与空调 type, 附件4): those candidates are stranded (and those of any other category it does not examine)."""
    s = next(s for s in sorted(plan.stream("special_ops"), key=lambda x: x.no)
             if people.get(s.key) is not None and people[s.key].groups.get("refrigeration")
             and s.institution != "xinshiji")
    moved = dataclasses.replace(s, institution="xinshiji")
    return s, plan.with_sessions([x for x in plan.sessions if x.key != s.key] + [moved])


# -- the workbench ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """A workspace holding the 2024 plan as a version, published with its candidates (发布, 附上考生与考位)."""
    from test_web_edit import PLAN_CSV, TestClient

    from planner.web.app import create_app

    app = create_app(tmp_path_factory.mktemp("ws"), documents=False, warm=False)
    vid = app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None,
                                   parent=None, note="2024年通知", kind="upload")
    with TestClient(app) as client:
        r = client.post(f"/publish/{vid}", data={"csrf": app.state.csrf, "with_demand": "1"}, follow_redirects=False)
        assert r.status_code == 303
        yield app, vid


def test_a_workbench_replan_from_the_published_figures_strands_whom_the_demand_would(bench):
    """重新排期 without an upload and without 按需求与考位 counts the published set's figures (``replan_people``):
    per category, as ``--demand`` on the same plan and demand counts them, so a move to a site that does not
    examine a category strands the same candidates at the same points (``people_costs``)."""
    from planner.web import demands as D
    from planner.web.jobs import replan_people
    from planner.web.routes.demand import loaded

    app, vid = bench
    ws = app.state.ws
    plan, dctx, _, _ = loaded(app.state.bench, ws.version(vid), D.chosen(ws, None))  # the demand 发布 joined
    doc = json.loads((ws.published_dir(vid) / "plan.json").read_text(encoding="utf-8"))
    assert all(sum(s["expected_by_category"].values()) == s["expected_candidates"] for s in doc["sessions"])
    people = replan_people({"base": vid}, ws)
    assert {k: n.groups for k, n in people.items()} == {(s["stream"], s["no"]): s["expected_by_category"]
                                                        for s in doc["sessions"] if s["expected_candidates"]}
    want = expected_people(plan, dctx.revising(plan))  # the workbench's 按需求与考位 re-plan counts these
    assert people == want and {k: n.groups for k, n in people.items()} == {k: n.groups for k, n in want.items()}
    s, moved = _stranding_move(plan, people, dctx)
    got = people_costs(plan, moved, people, FROM, ctx=dctx)
    assert got == people_costs(plan, moved, want, FROM, ctx=dctx)
    assert got[s.key].stranded >= people[s.key].groups["refrigeration"] > 0  # and any other category 新世纪 lacks
    assert got[s.key].points == int(people[s.key]) * 30 + got[s.key].stranded * 30


def test_a_plan_json_without_the_categories_still_replans_with_plain_totals(bench):
    """A set published before the per-category figures: the totals as before, nobody counted stranded, and the
    workbench's 重新排期 from it still gives a proposal with the candidates counted."""
    from planner.web.jobs import compute, replan_people

    app, vid = bench
    ws = app.state.ws
    doc = json.loads((ws.published_dir(vid) / "plan.json").read_text(encoding="utf-8"))
    for s in doc["sessions"]:
        s.pop("expected_by_category", None)
    csv = ws.plan_csv_path(vid).read_text(encoding="utf-8")
    old = ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="", kind="upload")
    ws.write_published(old, {"plan.json": json.dumps(doc, ensure_ascii=False).encode("utf-8")})
    people = replan_people({"base": old}, ws)
    assert people == {(s["stream"], s["no"]): s["expected_candidates"] for s in doc["sessions"]
                      if s.get("expected_candidates")}
    assert people and all(n.groups == {} for n in people.values())
    out = compute({"kind": "replan", "root": str(ws.root), "base": old, "scenario": None,
                   "from_date": "2024-06-01", "time_limit": 5})
    assert out["ok"] is True and out["counted"], out
