"""The web workbench's two waits a planner feels (issue 10): a stored version's page, and generate-and-show.

In-process (Starlette's TestClient, so "server time" excludes the browser): the median of N loads of the
年度计划 page of a stored version, and the time from POST 生成 to the page of the new version, with the
solve worker warm (the first job after start-up also pays for importing OR-Tools in the worker; reported
apart).

    python benchmarks/web.py [--runs 20] [--year 2027]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--year", type=int, default=2027)
    a = ap.parse_args(argv)
    print(markdown(measure(a.runs, a.year)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
