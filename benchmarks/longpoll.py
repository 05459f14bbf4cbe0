"""Open job pages against the other pages: does a server with many job pages waiting on a running job still
answer the rest at once?

Each open job page asks ``/job/{id}/status?seen=running`` again as soon as it is answered (the long-poll of
``_job_status.html``). With K such pages open on a running 生成 (with the candidates, so it runs for its whole time
limit), the median and the worst of ten loads of the 年度计划 page of a stored version. A real server on a
loopback port (uvicorn, as ``planner serve`` runs it), the requests from threads of this process.

    python benchmarks/longpoll.py [--pages 0,20,45,80] > benchmarks/RESULTS-longpoll.md
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, md_table  # noqa: E402


@contextmanager
def served(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


def measure(pages: int) -> tuple[float, float, int]:
    """(median ms, worst ms, status answers given) of the 年度计划 page with *pages* job pages waiting."""
    import httpx

    from planner.data import scenarios_dir
    from planner.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "ws")
        app.state.ws.add_version((scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8"), {"year": 2024},
                                 year=2024, scenario=None, parent=None, note="2024", kind="upload")
        with served(app) as base, httpx.Client(base_url=base, timeout=60) as client:
            r = client.post("/generate", data={"csrf": app.state.csrf, "year": "2025", "time_limit": "20",
                                               "with_demand": "1"}, follow_redirects=False)
            jid = r.headers["location"].rsplit("/", 1)[-1]
            while app.state.jobs.get(jid).state != "running":
                time.sleep(0.05)
            stop, answered = threading.Event(), [0]

            def page() -> None:
                with httpx.Client(base_url=base, timeout=60) as c:
                    while not stop.is_set():
                        c.get(f"/job/{jid}/status", params={"seen": "running"})
                        answered[0] += 1

            threads = [threading.Thread(target=page, daemon=True) for _ in range(pages)]
            for t in threads:
                t.start()
            time.sleep(1.5)  # every page has asked at least once
            took = []
            for _ in range(10):
                t0 = time.perf_counter()
                assert client.get("/plan?v=1").status_code == 200
                took.append(1000 * (time.perf_counter() - t0))
                time.sleep(0.2)
            stop.set()
            for t in threads:
                t.join(10)
            app.state.jobs.cancel(jid)
            app.state.jobs.shutdown()
    return statistics.median(took), max(took), answered[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default="0,20,45,80", help="numbers of job pages open at once")
    args = ap.parse_args(argv)
    os.environ.setdefault("PLANNER_RULES", str(ROOT / "constraints" / "yuncheng.toml"))
    rows = []
    for k in (int(x) for x in args.pages.split(",")):
        med, worst, answered = measure(k)
        rows.append([k, f"{med:.0f}", f"{worst:.0f}", answered])
    print(f"# Job pages waiting on a running job against the other pages, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load {os.getloadavg()[0]:.1f}\n")
    print(md_table(["job pages open", "年度计划 page median ms", "worst ms", "status answers given"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
