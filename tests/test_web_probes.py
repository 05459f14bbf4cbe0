"""The 13 probes of issue 21 that used to fail, each a test against the app (loopback / in-process only).

No solve here: versions are stored directly (``Workspace.add_version``) from the 2024 plan, and one is
published once per module, so the whole file runs in seconds.
"""
from __future__ import annotations

import asyncio
import io
import ipaddress
import re
import threading
import warnings
import zipfile

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.data import scenarios_dir  # noqa: E402
from planner.errors import PlannerError  # noqa: E402
from planner.web import security  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from planner.web.routes import check as check_route  # noqa: E402

ADMIN = "Xk3v9QpL2mTz8RwN4cYb7HsJ"  # 24 characters over 62 symbols: about 143 bits
PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")


def _store(app, note: str = "") -> int:
    return app.state.ws.add_version(PLAN_CSV, {"year": 2024, "status": "UPLOADED"}, year=2024, scenario=None,
                                    parent=None, note=note, kind="upload")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A token-protected app with the 2024 plan published once."""
    app = create_app(tmp_path_factory.mktemp("probe"), token=ADMIN, public_url="http://192.0.2.10:8765/",
                     documents=False, warm=False)
    with TestClient(app) as client:
        client.get(f"/plan?token={ADMIN}")
        vid = _store(app)
        r = client.post(f"/publish/{vid}", data={"csrf": app.state.csrf}, follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        yield app, client, vid


# -- probe 2: separate tokens ----------------------------------------------------------------------------
def test_subscription_links_carry_only_the_read_only_token(published):
    app, client, vid = published
    page = client.get(f"/publish?v={vid}").text
    links = re.findall(r"http://[^\s\"<]+/ics/[a-z_]+\.ics\?token=[^\s\"<&]+", page)
    assert len(links) >= 7
    sub = app.state.bench.sub_token
    for link in links:  # each institution's own read-only token (tests/test_trust_audit_o.py)
        inst = re.search(r"/ics/([a-z_]+)\.ics", link).group(1)
        assert link.endswith(f"token={security.institution_token(sub, inst)}")
    assert ADMIN not in page and sub not in page and sub != ADMIN and security.token_bits(sub) >= 128


def test_the_subscription_token_opens_calendars_and_nothing_else(published):
    app, _, _ = published
    sub = security.institution_token(app.state.bench.sub_token, "huaan")
    with TestClient(app) as stranger:
        r = stranger.get(f"/ics/huaan.ics?token={sub}")
        assert r.status_code == 200 and r.text.startswith("BEGIN:VCALENDAR")
        assert "set-cookie" not in r.headers  # it never becomes a session
        for path in ("/plan", "/publish", "/check", "/files/1/notice.xlsx", "/compare"):
            page = stranger.get(f"{path}?token={sub}")
            assert page.status_code == 403 and "只能用于订阅" in page.text and app.state.csrf not in page.text
        r = stranger.post(f"/generate?token={sub}", data={"csrf": app.state.csrf, "year": "2027"})
        assert r.status_code == 403 and app.state.jobs.running() is None


def test_the_subscription_token_survives_a_restart(published, tmp_path):
    app, _, _ = published
    again = create_app(app.state.ws.root, token="Another9TokenOf24Chars_x", warm=False)
    assert again.state.bench.sub_token == app.state.bench.sub_token


# -- probe 5: the address other machines use -----------------------------------------------------------
def test_links_use_the_public_address_not_localhost(published):
    _, client, vid = published
    page = client.get(f"/publish?v={vid}").text
    assert "http://192.0.2.10:8765/ics/huaan.ics?token=" in page
    assert "localhost:8765/ics" not in page and "testserver/ics" not in page


def test_wildcard_host_prints_the_interface_address_by_form():
    from planner.commands.serve_cmd import addresses

    url, base = addresses("0.0.0.0", 8765, ADMIN, None)
    host = re.match(r"http://([^/:\]]+|\[[^\]]+\]):8765/$", base).group(1).strip("[]")
    addr = ipaddress.ip_address(host)  # an address, never the name localhost
    assert url == base + f"?token={ADMIN}"
    assert "localhost" not in url and not addr.is_unspecified
    assert addresses("127.0.0.1", 9, None, None)[0] == "http://127.0.0.1:9/"


# -- probe 7: token strength ----------------------------------------------------------------------------
@pytest.mark.parametrize("weak", ["1", "s3cret", "a" * 64, "abab" * 16, "0123456789", "correcthorsebattery",
                                  # sequences and keyboard walks long enough to pass a count of length and classes
                                  "abcdefghijklmnopqrstuvwxyzabcd", "qwertyuiopasdfghjklzxcvbnm1234",
                                  "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210", "2027" * 8 + "Yuncheng"])
def test_weak_tokens_are_refused_on_a_network_address(weak):
    with pytest.raises(PlannerError, match="128"):
        security.check_token(weak, "0.0.0.0")
    security.check_token(weak, "127.0.0.1")  # loopback: the planner's own choice


def test_generated_and_long_random_tokens_pass():
    security.check_token(security.new_token(), "0.0.0.0")
    security.check_token(ADMIN, "192.168.1.5")
    security.check_token("9f2c4e1a7b3d5f60" + "8e7d6c5b4a392817", "0.0.0.0")  # 32 hex digits: 128 bits and more
    assert security.token_bits("f" * 32) < 128
    rng = __import__("random").Random(7)  # random letters and digits, as the message advises: 26 of them pass
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    passed = sum(security.token_bits("".join(rng.choice(alnum) for _ in range(26))) >= 128 for _ in range(2000))
    assert passed >= 1990


def test_serve_refuses_a_weak_token_with_one_line_and_exit_2(capsys):
    from planner.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--port", "1", "--token", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "128" in err[0] and "Traceback" not in err[0]


# -- probe 6: every listed subscription answers ---------------------------------------------------------
def test_every_listed_subscription_link_answers_with_a_calendar(published):
    app, client, vid = published
    page = client.get(f"/publish?v={vid}").text
    paths = sorted(set(re.findall(r"/ics/([a-z_]+)\.ics", page)))
    assert len(paths) == len(app.state.bench.ctx_for(None, 2024).catalogue.institutions)
    published_sites = {p.split("/")[-1][:-4] for p in app.state.ws.published_files(vid) if p.startswith("ics/")}
    assert set(paths) - published_sites  # some institution has no session: the probe's case is covered
    for inst in paths:
        r = client.get(f"/ics/{inst}.ics")
        assert r.status_code == 200 and "BEGIN:VCALENDAR" in r.text and "END:VCALENDAR" in r.text
    assert client.get("/ics/nobody.ics").status_code == 404


# -- probe 10: NUL and odd paths -------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/files/1/notice%00.xlsx", "/files/1/%00", "/ics/hua%00an.ics",
                                  "/files/1/" + "a" * 5000, "/files/1/../../workspace.db",
                                  "/files/1/..%2f..%2fworkspace.db", "/ics/..%2fplan.ics", "/files/%00/x",
                                  "/scenario?name=%00"])
def test_nul_and_odd_paths_are_404(published, path):
    _, client, _ = published
    r = client.get(path)
    assert r.status_code == 404 and "出错了" not in r.text


# -- probe 12: Origin / Referer ---------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"}, {"origin": "null"},
                                     {"referer": "http://evil.example/page"}, {"sec-fetch-site": "cross-site"}])
def test_a_post_from_another_site_is_refused_even_with_the_csrf_token(published, headers):
    app, client, _ = published
    before = [v.id for v in app.state.ws.versions()]
    r = client.post("/import", data={"csrf": app.state.csrf, "plan_csv": PLAN_CSV}, headers=headers)
    assert r.status_code == 403 and "不是从本工作台" in r.text
    assert [v.id for v in app.state.ws.versions()] == before


def test_a_post_from_the_workbench_itself_passes_the_origin_check(published):
    app, client, _ = published
    r = client.post("/scenario", data={"csrf": app.state.csrf, "name": ""},
                    headers={"origin": "http://testserver", "referer": "http://testserver/scenario"})
    assert r.status_code == 400  # past the origin check: the form's own message
    assert security.same_origin({"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"})


# -- probe 8: field limits --------------------------------------------------------------------------------
def _maxlengths() -> dict[str, int]:
    from pathlib import Path

    import planner.web

    out = {}
    for t in (Path(planner.web.__file__).parent / "templates").glob("*.html"):
        for tag in re.findall(r"<(?:input|textarea)[^>]*>", t.read_text(encoding="utf-8")):
            name, n = re.search(r'name="([^"{]+)', tag), re.search(r'maxlength="(\d+)"', tag)
            if name and n:
                out[name.group(1)] = int(n.group(1))
    return out


def test_every_page_maxlength_is_the_servers_limit():
    lengths = _maxlengths()
    assert {"question", "note", "name", "closure_reason_", "license_reason"} <= set(lengths)
    for name, n in lengths.items():
        assert security.field_limit(name) == n, name


@pytest.mark.parametrize("field, label", [("question", "说明"), ("closure_reason_1", "停考原因"),
                                          ("note", "备注"), ("year", "年度")])
def test_a_field_over_its_limit_is_refused_and_nothing_is_stored(published, field, label):
    app, client, _ = published
    before = sorted(p.name for p in (app.state.ws.root / "scenarios").iterdir())
    data = {"csrf": app.state.csrf, "name": "长文本", field: "字" * 100_000}
    r = client.post("/scenario", data=data)
    assert r.status_code == 400 and label in r.text and "100000" in r.text
    assert sorted(p.name for p in (app.state.ws.root / "scenarios").iterdir()) == before


# -- probe 9: undecodable upload -------------------------------------------------------------------------
def test_an_undecodable_upload_names_the_problem_in_chinese(published):
    app, client, _ = published
    bad = "stream,no\n".encode() + "考试".encode("utf-16-le") + b"\xff\xfe\x81"
    r = client.post("/check", data={"csrf": app.state.csrf}, files={"plan": ("plan.csv", bad, "text/csv")})
    assert r.status_code == 400 and "UTF-8" in r.text and "另存为" in r.text
    assert "输入有误：</" not in r.text


# -- probe 1: zip bomb, parsing off the loop --------------------------------------------------------------
def _bomb(unpacked: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<sheetData>" + "<row/>" * (unpacked // 6) + "</sheetData>")
    return buf.getvalue()


def test_a_zip_bomb_is_refused_before_openpyxl_sees_it(published, monkeypatch):
    app, client, _ = published
    data = _bomb(60 * 1024 * 1024)
    assert len(data) < 300 * 1024

    def never(*a, **k):
        raise AssertionError("openpyxl opened a zip bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    r = client.post("/check", data={"csrf": app.state.csrf},
                    files={"plan": ("notice.xlsx", data, "application/octet-stream")})
    assert r.status_code == 400 and ("解压后超过" in r.text or "压缩比异常" in r.text)


def test_unpacking_is_bounded_whatever_the_zip_declares():
    assert "解压后超过" in check_route.unpacked_problem(_bomb(12 * 1024 * 1024)) or \
        "压缩比" in check_route.unpacked_problem(_bomb(12 * 1024 * 1024))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # stored, ratio 1: only the size bound applies
        z.writestr("a.xml", b"x" * (check_route.MAX_UNPACKED + 10))
    assert "解压后超过" in check_route.unpacked_problem(buf.getvalue())
    assert check_route.unpacked_problem(b"PK\x03\x04broken") is not None


def test_uploads_are_parsed_in_a_worker_thread_not_on_the_request_loop(published, monkeypatch):
    app, client, _ = published
    seen = []
    real = check_route.parse_upload

    def spy(*args):
        try:
            asyncio.get_running_loop()
            seen.append("loop")
        except RuntimeError:
            seen.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(check_route, "parse_upload", spy)
    r = client.post("/check", data={"csrf": app.state.csrf},
                    files={"plan": ("plan.csv", PLAN_CSV.encode(), "text/csv")})
    assert r.status_code == 200 and seen and "loop" not in seen


# -- probe 13: chart images cached per version pair --------------------------------------------------------
def test_the_compare_chart_is_drawn_once_per_version_pair(published, monkeypatch):
    app, client, vid = published
    other = _store(app, "第二版")
    calls = []
    import planner.charts.style as style

    real = style.render
    monkeypatch.setattr(style, "render", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        r = client.get(f"/compare/chart.png?a={vid}&b={other}")
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert len(calls) == 1
    r = client.get(f"/compare/chart.png?a={vid}&b={other}", headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403 and len(calls) == 1


# -- the bounded job queue ---------------------------------------------------------------------------------
def test_a_full_job_queue_says_so_in_chinese(tmp_path):
    from planner.web.jobs import JobQueue, QueueFull

    q = JobQueue(max_waiting=2)
    q._stop = True  # no worker takes jobs: the queue only fills
    q._cv.acquire(), q._cv.notify_all(), q._cv.release()
    q.submit({"kind": "generate"})
    q.submit({"kind": "generate"})
    with pytest.raises(QueueFull):
        q.submit({"kind": "generate"})
    app = create_app(tmp_path / "w", warm=False)
    app.state.jobs.max_waiting = 0
    with TestClient(app) as client:
        r = client.post("/generate", data={"csrf": app.state.csrf, "year": "2027", "time_limit": "5"})
        assert r.status_code == 503 and "任务队列已满" in r.text
        assert app.state.jobs.running() is None and not app.state.ws.versions()


def test_the_solver_process_starts_with_the_server_only_when_asked(tmp_path):
    """``planner serve`` (warm, the default) starts the solver process with the server, so the first 生成 does not wait
    for OR-Tools to load; an app made with ``warm=False`` starts none until a job comes."""
    import time

    with TestClient(create_app(tmp_path / "warm")) as client:
        q = client.app.state.jobs
        end = time.monotonic() + 120  # a liveness bound for a loaded machine, not a timing assert
        while (q._proc is None or not q._proc.is_alive()) and time.monotonic() < end:
            time.sleep(0.05)
        assert q._proc is not None and q._proc.is_alive()
    with TestClient(create_app(tmp_path / "cold", warm=False)) as client:
        q = client.app.state.jobs
        assert not q._warm and q._proc is None  # not asked for, not under way


def test_a_job_page_learns_a_new_state_at_once_and_otherwise_after_the_wait(tmp_path):
    """The status fragment long-polls: asked with the state the page shows, it answers when the state changes
    (here: cancelled from another thread) and otherwise after ``STATUS_WAIT``; the fragment asks again."""
    import asyncio
    import threading
    import time

    from planner.web.jobs import JobQueue
    from planner.web.routes import jobs as R

    q = JobQueue()
    q._stop = True  # no worker takes jobs: the job stays queued until cancelled
    q._cv.acquire(), q._cv.notify_all(), q._cv.release()
    job = q.submit({"kind": "generate"})
    t0 = time.monotonic()
    assert asyncio.run(q.wait_change(job.id, "queued", 0.05)).state == "queued"  # nothing changed: after the wait
    assert asyncio.run(q.wait_change(job.id, "running", 60)).state == "queued"  # the page is behind: at once
    threading.Timer(0.2, q.cancel, args=(job.id,)).start()
    assert asyncio.run(q.wait_change(job.id, "queued", 60)).state == "cancelled"
    assert time.monotonic() - t0 < 30  # woken by the change, not by the 60 s bound (a liveness bound)
    app = create_app(tmp_path / "w", warm=False)
    app.state.jobs._stop = True
    with app.state.jobs._cv:
        app.state.jobs._cv.notify_all()
    with TestClient(app) as client:
        waiting = app.state.jobs.submit({"kind": "generate", "year": 2027})
        frag = client.get(f"/job/{waiting.id}/status?seen=running").text  # the page is behind: at once
        assert f'hx-get="/job/{waiting.id}/status?seen=queued" hx-trigger="load"' in frag
        t = time.monotonic()
        client.get(f"/job/{waiting.id}/status?seen=queued")
        assert time.monotonic() - t >= R.STATUS_WAIT * 0.9  # held for the wait when nothing changed
        app.state.jobs.cancel(waiting.id)
        frag = client.get(f"/job/{waiting.id}/status?seen=queued").text
        assert 'data-state="cancelled"' in frag and "hx-get" not in frag  # finished: the page stops asking


def test_a_waiting_job_page_holds_no_worker_thread():
    """The long-poll waits on the event loop, not in the server's pool of worker threads (40): with a thread
    each, 45 open job pages made every other page wait 0.3–0.6 s (benchmarks/longpoll.py)."""
    import inspect

    from planner.web.jobs import JobQueue
    from planner.web.routes import jobs as R

    assert inspect.iscoroutinefunction(R.job_status) and inspect.iscoroutinefunction(JobQueue.wait_change)


# -- probe 11: the database damaged while running ---------------------------------------------------------
def test_a_database_damaged_while_running_gives_a_chinese_hint(tmp_path):
    app = create_app(tmp_path / "w", warm=False)
    with TestClient(app) as client:
        _store(app)
        db = app.state.ws.db_path
        for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            if p.exists():
                p.write_bytes(b"this is not a database" * 100)
        r = client.get("/plan")
        assert r.status_code == 503 and "workspace.db" in r.text and "--restore" in r.text
        assert "程序内部错误" not in r.text
