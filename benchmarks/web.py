"""The web workbench's two waits a planner feels (issue 10): a stored version's page, and generate-and-show.

In-process (Starlette's TestClient, so "server time" excludes the browser): the median of N loads of the
年度计划 page of a stored version, and the time from POST 生成 to the page of the new version, with the
solve worker warm (the first job after start-up also pays for importing OR-Tools in the worker; reported
apart).

With ``--pages`` (issue 21): every page's server time with 50 versions in the workspace (the 2024 plan
stored 50 times, one published, no solve), and the hand-edit verdict (修改一场: ``check_plan`` on the edited
plan, rendered), each the median of N requests after one warm-up.

    python benchmarks/web.py [--runs 20] [--year 2027] [--pages]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def measure(runs: int = 20, year: int = 2027, time_limit: str = "10") -> dict:
    from fastapi.testclient import TestClient

    from planner.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "ws")
        with TestClient(app) as client:
            def generate() -> tuple[float, int]:
                t0 = time.perf_counter()
                r = client.post("/generate", data={"csrf": app.state.csrf, "year": str(year),
                                                   "time_limit": time_limit}, follow_redirects=False)
                jid = r.headers["location"].rsplit("/", 1)[-1]
                job = app.state.jobs.wait(jid, timeout=300)
                assert job.state == "done", job.outcome
                page = client.get(f"/plan?v={job.version}")
                assert page.status_code == 200
                return time.perf_counter() - t0, job.version

            first, vid = generate()
            warm = [generate()[0] for _ in range(3)]
            loads = []
            size = 0
            for _ in range(runs):
                t0 = time.perf_counter()
                page = client.get(f"/plan?v={vid}")
                loads.append(time.perf_counter() - t0)
                size = len(page.content)
    return {"page_ms_median": 1000 * statistics.median(loads), "page_ms_max": 1000 * max(loads),
            "page_kb": size / 1024, "generate_first_s": first, "generate_warm_s": statistics.median(warm),
            "generate_warm_runs": warm, "runs": runs}


def markdown(m: dict) -> str:
    return "\n".join([
        "| web workbench (in-process) | measured | aim |",
        "| --- | --- | --- |",
        f"| 年度计划 page of a stored version, server time (median of {m['runs']}) | {m['page_ms_median']:.0f} ms "
        f"(max {m['page_ms_max']:.0f} ms, {m['page_kb']:.0f} KB) | < 100 ms |",
        f"| generate-and-show a year, worker warm (median of 3) | {m['generate_warm_s']:.2f} s | < 2 s |",
        f"| the same, first job after start-up (worker importing OR-Tools) | {m['generate_first_s']:.2f} s | — |",
    ])


def measure_pages(runs: int = 20, versions: int = 50) -> dict:
    """Median server time (ms) of every page with *versions* versions stored, and of the edit verdict."""
    from fastapi.testclient import TestClient

    from planner.data import scenarios_dir
    from planner.web.app import create_app

    csv = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "ws", documents=False)
        ws = app.state.ws
        ids = [ws.add_version(csv, {"year": 2024}, year=2024, scenario=None, parent=None, note=f"第{n}版",
                              kind="upload") for n in range(versions)]
        first, last = ids[0], ids[-1]
        with TestClient(app) as client:
            assert client.post(f"/publish/{last}", data={"csrf": app.state.csrf},
                               follow_redirects=False).status_code == 303
            pages = {"年度计划 /plan": f"/plan?v={last}", "调整/情景 /scenario": "/scenario",
                     "重新排期 /replan": f"/replan?v={last}", "固定一场 /pin (session chosen)": f"/pin?v={last}&s=special_ops-5",
                     "修改一场 /edit": f"/edit?v={last}&s=special_ops-5", "对比 /compare": f"/compare?a={first}&b={last}",
                     "检查 /check": "/check", "发布 /publish": f"/publish?v={last}", "需求与考位 /demand": f"/demand?v={last}",
                     "subscription /ics/huaan.ics": "/ics/huaan.ics"}
            out = {}
            for name, url in pages.items():
                out[name] = _median_ms(lambda: client.get(url), runs)
            firsts = []  # a session's first view computes its allowed days (a year of per-day rule checks)
            for no in range(6, 6 + runs):
                t0 = time.perf_counter()
                assert client.get(f"/pin?v={last}&s=special_ops-{no}").status_code == 200
                firsts.append(time.perf_counter() - t0)
            out["固定一场 /pin, a session's first view"] = 1000 * statistics.median(firsts)
            out["检查 /check while hostile uploads arrive (max)"] = _during_bombs(client, app, runs)
            form = {"csrf": app.state.csrf, "v": last, "s": "special_ops-5", "exam_date": "2024-03-09",
                    "registration_deadline": "2024-03-05"}
            out["修改一场 verdict (POST /edit/verdict)"] = _median_ms(lambda: client.post("/edit/verdict", data=form),
                                                                     runs)
    return {"pages": out, "runs": runs, "versions": versions}


def _during_bombs(client, app, runs: int) -> float:
    """The slowest of *runs* page loads while another thread keeps posting a 224 KB-style zip bomb (an xlsx
    that unpacks to 60 MB), the issue's probe 1; each bomb is refused after at most 10 MB unpacked."""
    import io
    import threading
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", "<sheetData>" + "<row/>" * (10 * 1024 * 1024) + "</sheetData>")
    bomb, stop = buf.getvalue(), threading.Event()

    def attack():
        while not stop.is_set():
            client.post("/check", data={"csrf": app.state.csrf},
                        files={"plan": ("notice.xlsx", bomb, "application/octet-stream")})

    thread = threading.Thread(target=attack)
    thread.start()
    try:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get("/check")
            times.append(time.perf_counter() - t0)
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join()
    return 1000 * max(times)


def _median_ms(call, runs: int) -> float:
    r = call()
    assert r.status_code == 200, r.text[:200]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def markdown_pages(m: dict) -> str:
    rows = [f"| {name} | {ms:.0f} ms | {'< 300 ms' if 'verdict' in name else '< 100 ms'} |"
            for name, ms in m["pages"].items()]
    return "\n".join([f"| page, {m['versions']} versions stored (median of {m['runs']}, in-process) | server time | aim |",
                      "| --- | --- | --- |", *rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--year", type=int, default=2027)
    ap.add_argument("--pages", action="store_true", help="every page with 50 versions, and the edit verdict")
    a = ap.parse_args(argv)
    print(markdown_pages(measure_pages(a.runs)) if a.pages else markdown(measure(a.runs, a.year)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
