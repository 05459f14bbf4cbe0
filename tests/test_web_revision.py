

def test_candidates_come_from_the_registrations_else_the_published_expected_candidates(env, tmp_path):
    """The first tier's counts: an uploaded registrations file wins; else each session's expected_candidates of the
    base version's published plan.json (``plan --demand``); else none (sessions changed come first)."""
    import json

    from planner.web.jobs import replan_people

    app, _, vid, _, _ = env
    ws = app.state.ws
    assert replan_people({"base": vid}, ws) is None  # published without a demand: no expected candidates
    doc = json.loads((ws.published_dir(vid) / "plan.json").read_text(encoding="utf-8"))
    doc["sessions"][3]["expected_candidates"], doc["sessions"][7]["expected_candidates"] = 41, 0
    csv = ws.plan_csv_path(vid).read_text(encoding="utf-8")
    other = ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="", kind="upload")
    ws.write_published(other, {"plan.json": json.dumps(doc).encode("utf-8")})
    first = (doc["sessions"][3]["stream"], int(doc["sessions"][3]["no"]))
    assert replan_people({"base": other}, ws) == {first: 41}
    assert replan_people({"base": other, "people": [["managers", 2, 7]]}, ws) == {("managers", 2): 7}
