"""The workbench's 调整 page (issue 18, item 5) through Starlette's test client.

One workspace per module: the published 2024 plan as a version, published (without the PDFs), and a
scenario closing 华安 from 15 July to 31 August 2024. Worked out by hand in tests/test_revision.py: a
re-plan from 1 July moves managers #6 and special_ops #25 (华安 closed: must change) and pushes managers
#7 (stream_spacing, a knock-on); refusing #7 is infeasible. The page is compared with changes.csv (the
CLI's own rows recomputed here from the two plans), with the registrations uploaded, and with the
published 调整通知; bad input writes nothing; a read-only token cannot publish.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner import read_plan  # noqa: E402
from planner.compare import to_csv  # noqa: E402
from planner.data import load_catalogue, scenarios_dir  # noqa: E402
from planner.replan import REPLAN_HEADER, Replan, changes_rows, explain_changes  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.jobs import load_context  # noqa: E402

SCENARIO = ('year = 2024\n[[closures]]\ninstitution = "huaan"\nstart = 2024-07-15\nend = 2024-08-31\n'
            'reason = "场地整改"\n')
FROM = dt.date(2024, 7, 1)
LIMIT = "20"  # deterministic units; the same limit tests/test_revision.py proves these answers with


def wait(app, resp):
    assert resp.status_code == 303, re.sub(r"<[^>]+>", " ", resp.text)[-600:]
    jid = resp.headers["location"].rsplit("/", 1)[-1]
    return jid, app.state.jobs.wait(jid, timeout=600)


def snapshot(ws) -> tuple:
    files = sorted((p.relative_to(ws.root).as_posix(), p.stat().st_size) for p in ws.root.rglob("*")
                   if p.is_file() and not p.name.startswith("workspace.db"))
    return files, [v.id for v in ws.versions()]


def page_rows(html: str) -> dict:
    """The 调整 table as {(stream, 期次): {"what", "candidates", "reason", "refuse"}}."""
    out = {}
    for key, body in re.findall(r'<tr class="change" data-key="([\w]+-\d+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        stream, _, no = key.rpartition("-")
        out[(stream, int(no))] = {
            "what": re.sub(r"<[^>]+>", "", cells[1]).split(" ")[0],
            "candidates": cells[4].strip(),
            "reason": re.sub(r"<[^>]+>", "", cells[5].split("<br>")[0]).strip(),
            "refuse": "拒绝此调整" in cells[6]}
    return out


def published_2024(app, client) -> int:
    """The 2024 plan stored and published in *app*'s workspace, and the scenario 华安整改 (SCENARIO) beside it: the
    version's id."""
    ws = app.state.ws
    csv = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
    vid = ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="", kind="upload")
    assert client.post(f"/publish/{vid}", data={"csrf": app.state.csrf}, follow_redirects=False).status_code == 303
    ws.write_scenario("华安整改", SCENARIO)
    return vid


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The app, its client, the published version, the re-plan job with registrations, and the registrations."""
    root = tmp_path_factory.mktemp("ws")
    app = create_app(root, documents=False, warm=False)
    with TestClient(app) as client:
        ws = app.state.ws
        vid = published_2024(app, client)
        plan = read_plan(ws.plan_csv_path(vid), load_catalogue())
        rng = random.Random(18)
        people = {s.key: rng.randint(1, 60) for s in plan.sessions if s.exam_date >= FROM}
        regs = "stream,no,报名人数\n" + "".join(f"{s},{n},{k}\n" for (s, n), k in sorted(people.items()))
        r = client.post("/replan", data={"csrf": app.state.csrf, "v": str(vid), "from_date": FROM.isoformat(),
                                         "scenario": "华安整改", "time_limit": LIMIT},
                        files={"registrations": ("报名人数.csv", regs.encode("utf-8"), "text/csv")},
                        follow_redirects=False)
        jid, job = wait(app, r)
        assert job.state == "done", job.outcome
        yield app, client, vid, jid, people


def form(app, **kw) -> dict:
    return {"csrf": app.state.csrf, **kw}


def test_the_page_shows_changes_csv_s_candidates_and_reasons(env):
    """The page's rows are changes.csv's; changes.csv is the CLI's own rows on the job's plan (recomputed here);
    the candidates are the uploaded registrations of each session whose date or site changed."""
    app, client, vid, jid, people = env
    job = app.state.jobs.get(jid)
    html = client.get(f"/job/{jid}").text
    rows = page_rows(html)
    served = client.get(f"/job/{jid}/changes.csv")
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/csv")
    # the CLI's changes.csv of the same re-plan: explain_changes + changes_rows on the base and the job's plan
    cat = load_catalogue()
    base = read_plan(app.state.ws.plan_csv_path(vid), cat)
    ctx, _ = load_context(str(app.state.ws.root), "华安整改", 2024)
    with app.state.ws.scratch() as tmp:
        (tmp / "p.csv").write_text(job.outcome["plan_csv"], encoding="utf-8")
        new = read_plan(tmp / "p.csv", cat, year=2024)

    class Result:
        plan = new

    rp = explain_changes(Replan(Result(), [], ctx.revising(base)), base, FROM, people)
    assert served.content == to_csv(changes_rows(rp), REPLAN_HEADER).encode("utf-8")
    csv_rows = {(r[1], int(r[2])): r for r in changes_rows(rp)}
    assert set(rows) == set(csv_rows) == {("managers", 6), ("managers", 7), ("special_ops", 25)}
    for key, row in csv_rows.items():
        assert rows[key]["candidates"] == row[10] == str(people[key])
    affected = sum(people[k] for k in csv_rows)
    assert f'<strong id="affected">{affected}</strong>' in html
    # only the knock-on may be refused; the sessions at the closed site must change
    assert [k for k, r in rows.items() if r["refuse"]] == [("managers", 7)]
    assert rows[("managers", 6)]["reason"] == "华安考点暂停考试"
    assert rows[("managers", 7)]["reason"] == "第6期调整后，避免同一考点同类考试间隔过近"
    # the notice's date style, and the default reason is the scenario's closure
    assert "考试 8月2日" in html and "考试 9月2日" in html and "报名截止 7月29日前" in html
    assert 'value="华安考点场地整改，自7月15日起暂停考试"' in html


def test_the_chinese_download_is_the_page_s_table(env):
    """调整明细 for Excel / WPS: a BOM, Chinese columns, and row by row what the page shows (期次, 变化, candidates,
    reason in the notice's words, dates as 8月2日); changes.csv stays the command line's file."""
    import csv
    import io
    from urllib.parse import unquote

    from planner.publish.revision import DETAIL_HEADER

    app, client, vid, jid, people = env
    html = client.get(f"/job/{jid}").text
    assert f'href="/job/{jid}/revision.csv"' in html and f'href="/job/{jid}/changes.csv"' in html
    page = page_rows(html)
    r = client.get(f"/job/{jid}/revision.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1]) == f"调整明细-任务{jid}.csv"
    assert r.content.startswith("\ufeff".encode("utf-8"))
    header, *rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    # the candidates' column says where they come from, as the page does (here: the registrations uploaded)
    assert header == [h + "（按上传的报名人数）" if h == "受影响考生" else h for h in DETAIL_HEADER]
    assert "（按上传的报名人数）" in html
    from planner.web.revision import revision_csv_bytes

    estimated = revision_csv_bytes({"revision": []}, "按发布时的预计考生数，估计").decode("utf-8-sig")
    assert "受影响考生（按发布时的预计考生数，估计）" in estimated.splitlines()[0]
    stream_of = {load_catalogue().streams[s].name: s for s in ("managers", "special_ops")}
    by_key = {(stream_of[row[0]], int(row[1])): row for row in rows}
    assert set(by_key) == set(page)
    for key, row in by_key.items():
        assert row[2] == page[key]["what"] and row[10] == page[key]["candidates"] == str(people[key])
        assert row[11] == page[key]["reason"]
    six = by_key[("managers", 6)]
    assert six[11] == "华安考点暂停考试" and re.fullmatch(r"\d+月\d+日", six[4]) and six[6].endswith("前")


def test_the_command_line_writes_the_same_chinese_table(env, tmp_path, capsys):
    """`planner replan` on the same published plan, scenario, registrations and limit writes 调整明细.csv with the
    page's download's rows; the candidates' column names its basis in the command's words."""
    import csv
    import io

    from planner.cli import main

    app, client, vid, jid, people = env
    ws = app.state.ws
    regs = tmp_path / "报名人数.csv"
    regs.write_text("stream,no,报名人数\n" + "".join(f"{s},{n},{k}\n" for (s, n), k in sorted(people.items())),
                    encoding="utf-8")
    code = main(["replan", str(ws.published_dir(vid) / "notice.xlsx"), "--from", FROM.isoformat(), "--scenario",
                 str(ws.scenario_path("华安整改")), "--registrations", str(regs), "--time-limit", LIMIT,
                 "--no-publish", "--out", str(tmp_path / "o")])
    assert code == 0, capsys.readouterr()
    assert "调整明细.csv" in capsys.readouterr().out
    mine = (tmp_path / "o" / "调整明细.csv").read_bytes()
    web = client.get(f"/job/{jid}/revision.csv").content
    assert mine.startswith("\ufeff".encode("utf-8"))
    (h1, *rows1), (h2, *rows2) = (list(csv.reader(io.StringIO(b.decode("utf-8-sig")))) for b in (mine, web))
    assert rows1 == rows2 and len(rows1) == 3
    assert "受影响考生（按上传的报名人数）" in h1 and h1 == h2  # the same words for the same source


def test_refusing_the_knock_on_is_infeasible_said_in_chinese_and_nothing_is_lost(env):
    app, client, vid, jid, _ = env
    before = snapshot(app.state.ws)
    bad = client.post(f"/job/{jid}/refuse", data=form(app, key="managers-6"), follow_redirects=False)
    assert bad.status_code == 400 and "必须调整" in bad.text  # the forced change cannot be refused
    r = client.post(f"/job/{jid}/refuse", data=form(app, key="managers-7"), follow_redirects=False)
    jid2, job = wait(app, r)
    assert job.state == "infeasible" and job.spec["refuse"] == [["managers", 7]] and job.spec["prev"] == jid
    assert any("managers#7" in c for c in job.outcome["conflict"])
    html = client.get(f"/job/{jid2}").text
    assert "拒绝“高危行业主要负责人和安全管理员 第7期”的调整后没有可行方案" in html
    assert f'href="/job/{jid}" id="back"' in html and "无可行方案" in html
    assert "Traceback" not in html and "pin[" not in re.sub(r'<p class="muted".*?</p>', "", html)
    assert snapshot(app.state.ws) == before  # the proposal refused from is untouched, still pending
    assert client.get(f"/job/{jid}").status_code == 200 and jid in dict(app.state.ws.pending())


@pytest.mark.parametrize("field, value, message", [
    ("reason", "华安考点\n场地整改", "调整原因须为一行"),
    ("advice", "第一段\n第二段", "须为一段"),
    ("advice", "# 标题", "不以 #"),
])
def test_bad_notice_text_is_said_next_to_its_field_and_writes_nothing(env, field, value, message):
    app, client, _, jid, _ = env
    before = snapshot(app.state.ws)
    r = client.post(f"/job/{jid}/publish", data=form(app, **{"reason": "场地整改", "advice": "", field: value}))
    assert r.status_code == 400 and f'id="err-{field}"' in r.text and message in r.text
    assert snapshot(app.state.ws) == before
    too_long = client.post(f"/job/{jid}/publish", data=form(app, reason="长" * 41))
    assert too_long.status_code == 400 and "调整原因" in too_long.text and "40" in too_long.text
    assert snapshot(app.state.ws) == before


def test_publish_the_revision_notice_from_the_page(env, tmp_path):
    """One click: the proposal becomes a version and its set is published with the 调整通知 carrying the planner's
    reason and advice, the page's reasons row by row, changes.csv and revision_of.csv (kept out of the zip).

    Without LibreOffice's PDFs (seconds each): the same ``publish_set`` makes notice.pdf and revision.pdf in
    ``test_web_api.test_publish_zip_files_and_ics_subscription``."""
    import docx
    import openpyxl

    app, client, vid, jid, _ = env
    rows = page_rows(client.get(f"/job/{jid}").text)
    advice = "已报名上述期次的考生，请按调整后的时间参加考试，报名继续有效。"
    r = client.post(f"/job/{jid}/publish", data=form(app, reason="华安考点场地整改", advice=advice),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/job/{jid}#revision-files"
    new = app.state.jobs.get(jid).version
    v = app.state.ws.version(new)
    assert (v.parent, v.kind) == (vid, "replan") and app.state.ws.latest_published() == new
    files = set(app.state.ws.published_files(new))
    assert {"revision.docx", "revision.xlsx", "changes.csv", "revision_of.csv", "notice.docx"} <= files
    assert app.state.ws.published_file(new, "changes.csv").read_bytes() == client.get(f"/job/{jid}/changes.csv").content
    # 调整明细 in the set, as `planner replan` writes it: the page's download
    assert app.state.ws.published_file(new, "调整明细.csv").read_bytes() == client.get(f"/job/{jid}/revision.csv").content
    html = client.get(f"/job/{jid}").text
    assert 'id="revision-files"' in html and f"/files/{new}/revision.docx" in html and advice in html
    d = docx.Document(io.BytesIO(client.get(f"/files/{new}/revision.docx").content))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "因华安考点场地整改，现对《运城市应急管理局关于印发2024年全市安全生产培训考试计划的通知》" in text
    assert advice in text and "3个期次" in text
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/files/{new}/revision.xlsx").content))
    by_no = {}
    for row in wb.active.iter_rows(values_only=True):
        if row[0] and "第" in str(row[0]) and "期" in str(row[0]):
            by_no[int(re.search(r"第(\d+)期", row[0]).group(1)), str(row[0]).startswith("特种")] = row[7]
    for (stream, no), shown in rows.items():  # the notice's reason column is the page's change and reason
        assert by_no[(no, stream == "special_ops")] == f"{shown['what']}（{shown['reason']}）"
    with zipfile.ZipFile(io.BytesIO(client.get(f"/zip/{new}").content)) as z:
        names = set(z.namelist())
    assert "revision.docx" in names and not {"changes.csv", "调整明细.csv", "revision_of.csv"} & names
    # the revision is judged as one: `planner check` of the published set passes
    from planner.cli import main

    assert main(["check", str(app.state.ws.published_dir(new) / "notice.xlsx"), "--revision-of",
                 str(app.state.ws.published_dir(new) / "revision_of.csv"), "--scenario",
                 str(app.state.ws.scenario_path("华安整改"))]) == 0


def test_a_version_never_published_gets_no_notice(env):
    app, client, vid, _, _ = env
    csv = app.state.ws.plan_csv_path(vid).read_text(encoding="utf-8")
    draft = app.state.ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="草稿", kind="upload")
    r = client.post("/replan", data=form(app, v=str(draft), from_date=FROM.isoformat(), scenario="华安整改",
                                         time_limit=LIMIT), follow_redirects=False)
    jid, job = wait(app, r)
    assert job.state == "done" and job.outcome["changes"], job.outcome
    html = client.get(f"/job/{jid}").text
    assert 'id="not-published"' in html and 'id="notice-form"' not in html
    assert "未提供报名人数或预计考生数" in html and set(page_rows(html)) == {  # no counts: sessions changed first
        ("managers", 6), ("managers", 7), ("special_ops", 25)}
    before = snapshot(app.state.ws)
    r = client.post(f"/job/{jid}/publish", data=form(app, reason="", advice=""))
    assert r.status_code == 400 and "尚未发布" in r.text and snapshot(app.state.ws) == before


@pytest.mark.parametrize("name,bad,said", [
    ("r.csv", "stream,no,报名人数\nspecial_ops,999,5\n", "第2行"),
    # the exam system's export, as 需求与考位 imports it: a session the published plan lacks
    ("r.csv", "期次,类别,报名人数\n第99期,电工作业,3\n", "第2行，“期次”所选计划版本中没有这一期"),
    ("r.txt", "stream,no,报名人数\n", "只能上传报名人数 CSV 文件或 Excel 文件（.xlsx）"),
    ("r.xlsx", "stream,no,报名人数\n", "这不是有效的 Excel（.xlsx）文件"),
])
def test_bad_registrations_are_said_on_the_form_and_queue_nothing(env, name, bad, said):
    app, client, vid, _, _ = env
    before = len(app.state.jobs._jobs)
    r = client.post("/replan", data=form(app, v=str(vid), from_date=FROM.isoformat(), time_limit="5"),
                    files={"registrations": (name, bad.encode("utf-8"), "text/csv")})
    assert r.status_code == 400 and 'id="err-registrations"' in r.text and said in r.text
    assert len(app.state.jobs._jobs) == before


def test_a_good_registrations_file_on_a_form_with_another_error_is_asked_for_again(env):
    """The page comes back without the file (a browser never refills a file input): the planner is told the file was
    fine and must be chosen again, not left to re-plan without the candidates they gave."""
    app, client, vid, _, _ = env
    before = len(app.state.jobs._jobs)
    r = client.post("/replan", data=form(app, v=str(vid), from_date="2024-13-45", time_limit="5"),
                    files={"registrations": ("报名.csv", "考试计划,期次,报名人数\n特种作业人员,3,12\n".encode("utf-8"),
                                             "text/csv")})
    assert r.status_code == 400 and 'id="err-from_date"' in r.text and 'id="err-registrations"' in r.text
    assert "报名.csv 没有问题" in r.text and "请重新选择该文件" in r.text
    assert len(app.state.jobs._jobs) == before


def test_a_read_only_token_cannot_publish_or_download(tmp_path):
    app = create_app(tmp_path / "w", token="s3cret-planner-token", documents=False, warm=False)
    with TestClient(app) as client:
        from planner.web.security import institution_token

        sub = institution_token(app.state.bench.sub_token, "huaan")
        for path in ("/job/abc/publish", "/job/abc/refuse"):
            r = client.post(f"{path}?token={sub}", data=form(app, reason="x"))
            assert r.status_code == 403 and "只能订阅本机构的日历" in r.text
        assert client.get(f"/job/abc/changes.csv?token={sub}").status_code == 403
        assert client.get(f"/job/abc/revision.csv?token={sub}").status_code == 403
        assert client.get(f"/files/1/revision.docx?token={sub}").status_code == 403


def test_refusals_accumulate_and_the_rest_is_solved_around_them(env):
    """聚腾 closed mid-summer: 期次30 comes earlier (coverage of 电力电缆作业, only at 聚腾), a knock-on. Refused,
    it stays as published and another session takes the duty; refusing that one too keeps both refusals."""
    app, client, vid, _, _ = env
    app.state.ws.write_scenario("聚腾整改", SCENARIO.replace("huaan", "juteng"))
    r = client.post("/replan", data=form(app, v=str(vid), from_date=FROM.isoformat(), scenario="聚腾整改",
                                         time_limit=LIMIT), follow_redirects=False)
    jid, job = wait(app, r)
    assert job.state == "done" and page_rows(client.get(f"/job/{jid}").text)[("special_ops", 30)]["refuse"]
    published = read_plan(app.state.ws.plan_csv_path(vid), load_catalogue()).by_key()
    chain = [jid]
    for _ in range(2):
        rows = page_rows(client.get(f"/job/{chain[-1]}").text)
        key = ("special_ops", 30) if len(chain) == 1 else next(k for k, r in rows.items() if r["refuse"])
        r = client.post(f"/job/{chain[-1]}/refuse", data=form(app, key=f"{key[0]}-{key[1]}"), follow_redirects=False)
        jid2, job = wait(app, r)
        assert job.spec["prev"] == chain[-1] and job.spec["refuse"][-1] == list(key)
        assert len(job.spec["refuse"]) == len(chain)
        if job.state != "done":  # infeasible: said, and the proposal before it stays
            assert job.state == "infeasible" and 'id="back"' in client.get(f"/job/{jid2}").text
            break
        html = client.get(f"/job/{jid2}").text
        refused = [tuple(k) for k in job.spec["refuse"]]
        assert all(k not in page_rows(html) for k in refused)  # kept as published: no longer a change
        assert "已拒绝的调整（保持原安排）" in html and f"第{key[1]}期" in html.split('id="refused"')[1][:400]
        with app.state.ws.scratch() as tmp:
            (tmp / "p.csv").write_text(job.outcome["plan_csv"], encoding="utf-8")
            new = read_plan(tmp / "p.csv", load_catalogue(), year=2024).by_key()
        assert all(new[k] == published[k] for k in refused)
        chain.append(jid2)
    assert len(chain) >= 2


def test_pin_on_a_published_version_is_solved_as_a_revision(env, monkeypatch):
    """固定一场 as `planner replan` does it: a published version's problem is a revision of it (rotation binds only
    what was never published); a version never published is a fresh year's problem."""
    import planner.solver
    from planner.web.jobs import compute

    app, _, vid, _, _ = env
    seen = []

    def fake_solve(ctx, **kw):
        seen.append(ctx.published)
        raise RuntimeError("stop here")

    monkeypatch.setattr(planner.solver, "solve", fake_solve)
    csv = app.state.ws.plan_csv_path(vid).read_text(encoding="utf-8")
    draft = app.state.ws.add_version(csv, {}, year=2024, scenario=None, parent=None, note="草稿", kind="upload")
    for v in (vid, draft):
        out = compute({"kind": "pin", "root": str(app.state.ws.root), "base": v, "scenario": None,
                       "stream": "special_ops", "no": 30, "date": "2024-09-02", "time_limit": 1})
        assert out["ok"] is False and "stop here" in out["message"]
    assert bool(seen[0]) and not seen[1]


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


@pytest.mark.parametrize("no", [5, 9])
def test_every_reason_a_pin_gives_is_worded_in_chinese(ctx2024, plan2024, no):
    """The reasons `replan.reasons` gives a 固定一场 proposal's changes (the knock-ons with and without the change
    behind them), as the workbench words them (``i18n.reason``): Chinese, the rule by its title."""
    from planner.plan import Session
    from planner.replan import reasons
    from planner.solver import solve
    from planner.web import i18n

    s = plan2024.by_key()[("special_ops", no)]
    day = next(d for d in (s.exam_date + dt.timedelta(n) for n in range(14, 21)) if ctx2024.calendar.is_working_day(d))
    moved = Session(s.stream, s.no, day - (s.exam_date - s.registration_deadline), day, s.institution, s.kind, s.notes)
    new = solve(ctx2024, time_limit=5, reference=plan2024, pins=[moved], explain=False).plan
    why = [str(r) for k, r in reasons(plan2024, new, ctx2024).items() if k != s.key]
    assert why  # the pin moved others
    said = [x for r in why for x in i18n.reason(r, ctx2024.catalogue)]
    assert said and not [x for x in said if re.search(r"[A-Za-z]", x)], list(zip(why, said))


def test_an_estimate_s_candidates_are_headed_estimated_on_the_page(env):
    """Expected candidates (the published set's, or the demand's: 估计) are never read as registrations: the 调整
    table's column (and each card's label, on a phone) says 估计, not only the sentence above it (audit S)."""
    app, client, vid, jid, people = env
    job = app.state.jobs.get(jid)
    html = client.get(f"/job/{jid}").text
    assert "<th>受影响考生</th>" in html and "受影响考生（估计）" not in html  # uploaded registrations: counts
    saved = job.outcome.get("people_basis")
    try:
        job.outcome["people_basis"] = "按发布时的预计考生数，估计"
        html = client.get(f"/job/{jid}").text
    finally:
        job.outcome["people_basis"] = saved
    assert "<th>受影响考生（估计）</th>" in html and 'data-label="受影响考生（估计）"' in html
