"""Solver children (planner.children): forked from a server that imported the planner once, yet each sees the
caller's environment as it is when the child starts, as a spawned child would."""
from __future__ import annotations

import os

import pytest

from planner import children


def report(conn) -> None:
    """In the child: what it sees of the environment, and whether the planner came already imported."""
    import sys

    conn.send({"rules": os.environ.get("PLANNER_RULES"), "gone": os.environ.get("PLANNER_TEST_GONE"),
               "parent": os.getppid(), "solver_preloaded": "planner.solver" in sys.modules})
    conn.close()


def run_child(ctx, adopt: bool) -> dict:
    here, there = ctx.Pipe(duplex=False)
    target = adopt_and_report if adopt else report
    args = (there, children.environment()) if adopt else (there,)
    proc = ctx.Process(target=target, args=args, daemon=True)
    proc.start()
    there.close()
    try:
        assert here.poll(120), "the child did not answer"
        return here.recv()
    finally:
        proc.join(30)


def adopt_and_report(conn, env) -> None:
    children.adopt(env)
    report(conn)


@pytest.mark.skipif("forkserver" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="no forkserver on this platform: children are spawned and see the environment anyway")
def test_a_forked_child_sees_the_environment_of_now_not_of_the_server_s_start(monkeypatch):
    ctx = children.context(["planner.solver"])
    monkeypatch.setenv("PLANNER_TEST_GONE", "set before the server started")
    first = run_child(ctx, adopt=True)  # starts the server (if no test before started it) with this environment
    assert first["solver_preloaded"] and first["parent"] != os.getpid()  # forked from the server, not from us
    monkeypatch.setenv("PLANNER_RULES", "/elsewhere/rules.toml")
    monkeypatch.delenv("PLANNER_TEST_GONE")
    seen = run_child(ctx, adopt=True)
    assert seen["rules"] == "/elsewhere/rules.toml" and seen["gone"] is None
    stale = run_child(ctx, adopt=False)  # what adopting is for: without it the child has the server's environment
    assert stale["rules"] != "/elsewhere/rules.toml"


def test_no_forkserver_where_any_local_user_could_reach_it(monkeypatch):
    """Before Python 3.11.1 the server's socket was abstract, open to every local user (CVE-2022-42919)."""
    monkeypatch.setattr(children.sys, "version_info", (3, 11, 0, "final", 0))
    assert children.context(["planner.solver"]).get_start_method() == "spawn"


def test_spawn_when_the_server_cannot_start():
    """No folder for the server's socket (a full disk, no writable temporary folder): spawned children, which need
    none, instead of every solve failing. A fresh interpreter: this one's server may be running already."""
    import subprocess
    import sys

    code = ("import tempfile; tempfile.tempdir = '/nonexistent-planner-tmp'\n"
            "from planner import children\n"
            "print(children.context(['planner.solver']).get_start_method())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "spawn"


def test_a_solver_process_that_cannot_start_fails_its_job_and_nothing_else(monkeypatch):
    """The job says why; the queue's thread lives on and stops cleanly (it used to die joining the process that
    never started)."""
    import threading

    from planner.web.jobs import FAILED, JobQueue

    died = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))

    class NoStart:
        def __init__(self, real):
            self.real = real

        def Pipe(self, duplex=True):
            return self.real.Pipe(duplex=duplex)

        def Process(self, *args, **kwargs):
            proc = self.real.Process(*args, **kwargs)
            proc.start = lambda: (_ for _ in ()).throw(OSError("no room for the process"))
            return proc

    q = JobQueue()
    q._ctx = NoStart(q._ctx)
    try:
        job = q.wait(q.submit({"kind": "generate"}).id, timeout=60)
        assert job.state == FAILED and "no room for the process" in job.outcome["message"]
    finally:
        q.shutdown()
    assert not q._thread.is_alive() and died == []
