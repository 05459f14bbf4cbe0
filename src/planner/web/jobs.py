"""Solves in the background: one at a time per workspace, each in a child process that can be stopped.

A page never waits for CP-SAT: it queues a job and polls its state. One worker thread takes jobs in order and
hands each to a solver process, kept warm between jobs and forked from a server that imported the planner and
OR-Tools once (:mod:`planner.children`); 取消 really stops the solver (the process is terminated and a fresh one
started for the next job), and a wall-clock bound ends a job even when CP-SAT's deterministic limit would let it
run on (explaining an infeasible scenario solves several times).
The child computes and returns plain data; only the parent writes to the workspace.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import children

#: wall-clock seconds a job may take per unit of CP-SAT deterministic time limit, plus a floor
WALL_PER_UNIT = 8.0
WALL_FLOOR = 30.0

QUEUED, RUNNING, DONE, INFEASIBLE, FAILED, CANCELLED, TIMEOUT = (
    "queued", "running", "done", "infeasible", "failed", "cancelled", "timeout")
#: solved, but the plan could not be stored yet (the history database locked or not writable): the plan is kept
#: (``pending/``) and stored once the database takes it, by :meth:`JobQueue.retry_unsaved`; the job is then DONE
UNSAVED = "unsaved"
FINISHED = {DONE, INFEASIBLE, FAILED, CANCELLED, TIMEOUT, UNSAVED}
#: seconds between two tries at storing the plans of UNSAVED jobs while the queue is idle
RETRY_SAVE = 15.0
#: jobs waiting behind the running one; a further submit is refused (the page says so)
MAX_WAITING = 5
#: how often a job's page waiting for the job's next state looks at it (seconds)
STATE_POLL = 0.05
#: finished jobs remembered for their pages; older ones are forgotten
KEEP_FINISHED = 100


class Unsaved(Exception):
    """Raised by a queue's *on_done*: the job's result is kept, but could not be stored yet (try again later)."""


class QueueFull(Exception):
    """The queue holds MAX_WAITING jobs already; ``waiting`` says how many."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} jobs are waiting")
        self.waiting = waiting


@dataclass
class Job:
    id: str
    spec: dict
    state: str = QUEUED
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    outcome: dict | None = None  # what the child returned
    version: int | None = None  # the version stored from it (generate), or accepted (replan/pin)
    cancel_requested: bool = False
    kept: bool = False  # its result is kept on disk (pending/) until accepted or stored: never forgotten meanwhile

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


def load_context(root: str, scenario: str | None, year: int | None):
    """(ctx, scenario or None) for a workspace scenario name, or the embedded rule set."""
    from ..api import make_context
    from ..scenario import load_scenario
    from .workspace import Workspace

    if scenario:
        sc = load_scenario(Workspace(root, verify=False).scenario_path(scenario), year=year)
        return sc.ctx, sc
    return make_context(year), None


def _error(err) -> dict:
    from ..errors import InfeasibleError

    if isinstance(err, InfeasibleError):
        return {"ok": False, "type": "infeasible", "conflict": list(err.conflict), "message": err.message,
                "minimal": getattr(err, "minimal", True)}
    return {"ok": False, "type": "input", "message": err.message, "field": err.field, "file": err.file,
            "row": err.row, "conflict": list(getattr(err, "binding", []))}


def compute(spec: dict) -> dict:
    """Run one job's solve (in the child process); plain data back, never an exception."""
    from ..errors import PlannerError

    try:
        return _compute(spec)
    except PlannerError as err:  # InfeasibleError included
        return _error(err)
    except Exception as exc:  # noqa: BLE001 - the page must show something, not die
        return {"ok": False, "type": "internal", "message": f"{type(exc).__name__}: {exc}"}


def _compute(spec: dict) -> dict:
    from ..compare import diff_plans
    from ..errors import InfeasibleError, PlannerError
    from ..plan import Session, plan_to_csv
    from .. import read_plan
    from ..replan import reasons, replan
    from ..runinfo import summary_dict
    from ..solver import Status, solve
    from .workspace import Workspace

    kind = spec["kind"]
    if kind == "size":  # 推荐场次 (需求与考位)
        from .demands import compute_size

        return compute_size(spec, *load_context(spec["root"], spec.get("scenario"), spec.get("year")))
    ws = Workspace(spec["root"], verify=False)
    limit = float(spec["time_limit"])
    base = None
    if kind in ("replan", "pin", "improve"):
        from ..data import load_catalogue

        year = ws.version(spec["base"]).year
        ctx, sc = load_context(spec["root"], spec.get("scenario"), year)
        base = read_plan(ws.plan_csv_path(spec["base"]), ctx.catalogue if sc else load_catalogue(), year=year)
    else:
        ctx, sc = load_context(spec["root"], spec.get("scenario"), spec.get("year"))
    extra: dict[str, Any] = {"scenario": spec.get("scenario") or ""}
    reason_of: dict = {}
    affected: dict | None = None  # 固定一场: candidates per published session whose exam date or site changes
    extra_people = ""  # where the candidates counted come from, for the page (people_basis)
    if spec.get("with_demand"):  # 按需求与考位: the waiting rules join, the load goes into the summary
        from .demands import scaled

        ctx = ctx.with_demand(scaled(ws, spec.get("demand"), ctx, sc))
        extra["demand_version"] = spec.get("demand")
    if kind == "generate":  # with candidates, the quick answer first, as `planner plan` without --thorough
        result = solve(ctx, time_limit=limit, pins=list(sc.pins) if sc and sc.pins else None, quick=True)
    elif kind == "improve":  # 继续优化: the version's own search, continued from its plan
        result = solve(ctx, time_limit=limit, pins=list(sc.pins) if sc and sc.pins else None, start=base)
        extra["improved_from"] = spec["base"]
    elif kind == "replan":
        from_date = dt.date.fromisoformat(spec["from_date"])
        start, stop = ctx.window
        if not start <= from_date <= stop + dt.timedelta(days=1):
            raise PlannerError(f"{from_date} is outside the plan year's window {start} … {stop}", field="from")
        people = replan_people(spec, ws)
        if people is None and ctx.demand is not None:  # as `planner replan --demand`: the demand's expected ones
            from ..replan import expected_people

            people = expected_people(base, ctx.revising(base)) or None
        extra_people = people_basis(spec, ws, ctx)
        r = replan(base, ctx, from_date, scenario=sc, people=people,
                   refuse=[tuple(k) for k in spec.get("refuse", ())], time_limit=limit)
        result, reason_of = r.result, r.reasons
        extra.update(replan_of=spec["base"], replan_from=spec["from_date"], kept=len(r.pins))
    elif kind == "pin":
        old = base.by_key()[(spec["stream"], int(spec["no"]))]
        day = dt.date.fromisoformat(spec["date"])
        moved = Session(old.stream, old.no, day - (old.exam_date - old.registration_deadline), day,
                        old.institution, old.kind, old.notes)
        if ws.published_dir(spec["base"]).is_dir():  # a revision of what candidates were told, as `planner replan`
            ctx = ctx.revising(base)
        # 拒绝此调整: a refused knock-on change keeps its session as the base version has it
        kept = [base.by_key()[(str(k[0]), int(k[1]))] for k in spec.get("refuse", ())
                if (str(k[0]), int(k[1])) in base.by_key() and (str(k[0]), int(k[1])) != old.key]
        result = solve(ctx, time_limit=limit, reference=base, pins=[moved, *kept])
        extra.update(pinned=f"{old.stream}#{old.no}", pinned_date=spec["date"])
        if result.plan is not None:
            reason_of = reasons(base, result.plan, ctx)
            people = replan_people(spec, ws)  # the published set's expected candidates, when it has them
            if people:
                from ..replan import people_costs

                affected = {k: c.candidates for k, c in people_costs(base, result.plan, people, ctx.window[0],
                                                                     ctx=ctx).items()}
                extra_people = people_basis(spec, ws, None)
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    if result.status == Status.INFEASIBLE:
        raise InfeasibleError("no plan satisfies the rules together", result.conflict, result.conflict_minimal)
    if not result.status.has_plan:
        from ..solver import time_limit_error

        raise time_limit_error(result, ctx, limit)
    out = {"ok": True, "plan_csv": plan_to_csv(result.plan), "summary": summary_dict(result, ctx, **extra),
           "year": ctx.year}
    if kind == "improve":
        out["improve"] = improvement(base, result, ctx)
        base = None  # a better plan is a new version at once, not a proposal of changes
    if base is not None:
        out["changes"] = [{"stream": c.stream, "no": c.no, "what": c.what,
                           "old": session_dict(c.old), "new": session_dict(c.new),
                           "reason": reason_of.get((c.stream, c.no), "")}
                          for c in diff_plans(base, result.plan)]
    if extra_people:
        out["people_basis"] = extra_people
    if affected is not None:
        out["counted"] = True
        for c in out["changes"]:
            c["candidates"] = affected.get((c["stream"], c["no"]))
    if kind == "replan":  # changes.csv's own rows (candidates affected, rule, reason): the 调整 page shows them
        from ..replan import changes_rows

        out["rows"], out["counted"] = changes_rows(r), r.counted
        for c, row in zip(out["changes"], out["rows"]):
            c["row"] = row
    return out


def improvement(base, result, ctx) -> dict:
    """What 继续优化 found, for the page: whether the plan is cheaper than the version it continued (by the
    preferences of the same rules and candidates, as the search counts), both costs, and with candidates both
    longest waits and the candidates waiting longer than the preference's target."""
    from ..check import check_plan
    from ..queueing import evaluate

    report = check_plan(base, ctx)
    before = report.objective if report.ok else None
    out = {"improved": before is None or result.objective < before, "before": before, "after": result.objective}
    if ctx.demand is not None:  # the candidates' figures are the demand's: 估计 until a bureau's own replace them
        from ..demand import demand_origin

        out["status"] = demand_origin(ctx.demand.demand)["label"]  # "实际，考位…为估计" when only some are the bureau's
        out["wait_before"] = evaluate(base, ctx).summary()["max_wait_days"]
        out["wait_after"] = evaluate(result.plan, ctx).summary()["max_wait_days"]
        late = dict(report.costs).get("short_wait")
        if late is not None and "short_wait" in result.parts:
            out["late_before"], out["late_after"] = late[1], result.parts["short_wait"][1]
            out["target_days"] = ctx.ruleset.rule("short_wait").target_days
    return out


def replan_people(spec: dict, ws) -> dict | None:
    """Candidates per published session for a re-plan's first tier: the registrations the planner uploaded
    (``spec["people"]``, read by ``replan.read_people``), else the expected candidates the base version's
    published set recorded (plan.json, ``plan --demand``; per category where it has them,
    ``replan.published_people``), else None (sessions changed come first)."""
    import json

    if spec.get("people"):
        from ..replan import Candidates

        return {(str(row[0]), int(row[1])): Candidates(int(row[2]), row[3] if len(row) > 3 else None)
                for row in spec["people"]}
    from ..replan import published_people

    try:
        doc = json.loads((ws.published_dir(spec["base"]) / "plan.json").read_text(encoding="utf-8"))
        found = published_people(doc)  # per category where the set recorded it: whom a move strands is then known
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return found or None


def people_basis(spec: dict, ws, ctx) -> str:
    """Where a revision's candidates come from, in the page's words, an estimate said as such: the registrations
    uploaded, the published set's expected candidates (with its demand's status: 估计 or 实际), or the demand joined to
    the re-plan (*ctx*'s); "" when none counts them. The same order as :func:`replan_people`."""
    import json

    from ..publish.revision import people_basis as words

    if spec.get("people"):
        return words("registrations")
    try:
        doc = json.loads((ws.published_dir(spec["base"]) / "plan.json").read_text(encoding="utf-8"))
        if any(s.get("expected_candidates") for s in doc["sessions"]):
            return words("published", doc.get("demand", {}).get("status", "估计"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    if ctx is not None and ctx.demand is not None:
        return words("demand", ctx.demand.demand.status)
    return ""


def session_dict(s) -> dict | None:
    if s is None:
        return None
    return {"exam": s.exam_date.isoformat(), "deadline": s.registration_deadline.isoformat(),
            "institution": s.institution, "kind": s.kind}


#: what the solver server imports once, before it forks a solver process (the rest each imports itself)
PRELOAD = ("planner.solver", "planner.replan", "planner.scenario", "planner.runinfo", "planner.sizing",
           "planner.web.jobs", "planner.web.workspace", "planner.web.demands")


def _worker(conn, env: dict) -> None:
    """The solver process: takes the workbench's environment as it is now, has the planner imported (warm), then
    answers one job after another."""
    from .. import replan, runinfo, scenario, solver  # noqa: F401 - the imports are the warm-up

    children.adopt(env)

    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(compute(spec))


class JobQueue:
    """Jobs of one workspace, run one at a time in order by a single worker thread."""

    def __init__(self, on_done: Callable[[Job], None] | None = None, max_waiting: int = MAX_WAITING) -> None:
        self.max_waiting = max_waiting
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._cv = threading.Condition()
        self._on_done = on_done
        self._saving = threading.Lock()  # one store at a time: a retry never stores a job's plan twice
        self._stop = False
        self._ctx = children.context(PRELOAD)
        self._proc = None
        self._conn = None
        self._warm = False
        self._thread = threading.Thread(target=self._work, name="planner-solver", daemon=True)
        self._thread.start()

    def submit(self, spec: dict) -> Job:
        job = Job(secrets.token_hex(6), dict(spec))
        with self._cv:
            if len(self._queue) >= self.max_waiting:
                raise QueueFull(len(self._queue))
            # a proposal waiting for 接受 or a plan waiting to be stored stays at its address however many follow, and
            # so does one whose 发布调整通知 was cut short (the planner's text on its page: ``Bench.keep``)
            done = [j for j in self._jobs.values() if j.state in FINISHED
                    and not (j.kept and (j.version is None or (j.outcome or {}).get("publishing")))]
            for old in sorted(done, key=lambda j: j.finished or 0)[:max(0, len(done) - KEEP_FINISHED)]:
                del self._jobs[old.id]
            self._jobs[job.id] = job
            self._queue.append(job.id)
            self._cv.notify_all()
        return job

    def adopt(self, job: Job) -> None:
        """A finished job from before a restart (a re-plan not yet accepted), shown again at its address."""
        with self._cv:
            self._jobs.setdefault(job.id, job)

    def get(self, jid: str) -> Job | None:
        return self._jobs.get(jid)

    def position(self, job: Job) -> int:
        """1 = next to run; 0 when running or finished."""
        with self._cv:
            try:
                return list(self._queue).index(job.id) + 1
            except ValueError:
                return 0

    def running(self) -> Job | None:
        return next((j for j in self._jobs.values() if j.state == RUNNING), None)

    def cancel(self, jid: str) -> bool:
        with self._cv:
            job = self._jobs.get(jid)
            if job is None or job.state in FINISHED:
                return False
            job.cancel_requested = True
            if job.state == QUEUED:
                self._queue.remove(jid)
                self._finish(job, CANCELLED)
            self._cv.notify_all()
        return True

    def wait(self, jid: str, timeout: float | None = None) -> Job:
        """Block until the job has finished (tests and the CLI; pages poll instead)."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self._jobs[jid].state not in FINISHED:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cv.wait(0.2 if left is None else min(0.2, left))
        return self._jobs[jid]

    async def wait_change(self, jid: str, seen: str, timeout: float) -> Job | None:
        """Until the job's state is no longer *seen* (or *timeout* seconds): a job's page asks for its next state
        and gets it within :data:`STATE_POLL` of its change. It holds no thread while it waits (a thread each,
        45 open job pages took the server's pool of 40: every other page then waited 0.3 s, 1.1 s with 80;
        benchmarks/RESULTS-longpoll.md)."""
        end = time.monotonic() + timeout
        while (job := self._jobs.get(jid)) is not None and job.state == seen and (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(STATE_POLL, left))
        return self._jobs.get(jid)

    def shutdown(self) -> None:
        with self._cv:
            self._stop = True
            for jid in list(self._queue):
                self._finish(self._jobs[jid], CANCELLED)
            self._queue.clear()
            for j in self._jobs.values():
                if j.state == RUNNING:
                    j.cancel_requested = True
            self._cv.notify_all()
        self._thread.join(timeout=10)

    def _finish(self, job: Job, state: str) -> None:
        job.state = state
        job.finished = time.monotonic()

    def _done(self, job: Job) -> str:
        """*on_done* for a solved job: DONE, UNSAVED (kept, to be stored later) or FAILED."""
        if self._on_done is None:
            return DONE
        with self._saving:
            if job.version is not None:  # stored meanwhile (a retry from another thread)
                return DONE
            try:
                self._on_done(job)
            except Unsaved:
                return UNSAVED
            except Exception as exc:  # noqa: BLE001 - recorded on the job, shown on its page
                job.outcome = {"ok": False, "type": "internal", "message": f"{type(exc).__name__}: {exc}"}
                return FAILED
        return DONE

    def retry_unsaved(self) -> list[Job]:
        """Try again to store the plans of the UNSAVED jobs (the server's start, and every :data:`RETRY_SAVE`
        seconds while the queue is idle); those stored are DONE now. Returns them."""
        stored = []
        for job in [j for j in list(self._jobs.values()) if j.state == UNSAVED]:
            state = self._done(job)
            if state != UNSAVED:
                with self._cv:
                    self._finish(job, state)
                    self._cv.notify_all()
                if state == DONE:
                    stored.append(job)
        return stored

    def warm(self) -> None:
        """Start the solver process now (server start-up), so the first 生成 does not wait for imports."""
        with self._cv:
            self._warm = True
            self._cv.notify_all()

    def _work(self) -> None:
        while True:
            retry = False
            with self._cv:
                while not self._queue and not self._stop and not self._warm and not retry:
                    if any(j.state == UNSAVED for j in self._jobs.values()):
                        retry = not self._cv.wait(RETRY_SAVE)
                    else:
                        self._cv.wait()
                if self._stop:
                    break
                retry = retry and not self._queue and not self._warm
                job = None
                if not retry:
                    self._warm = False
                    job = self._jobs[self._queue.popleft()] if self._queue else None
                    if job is not None:
                        job.state, job.started = RUNNING, time.monotonic()
            if retry:
                try:
                    self.retry_unsaved()
                except Exception:  # noqa: BLE001 - tried again later; the plans stay kept meanwhile
                    pass
                continue
            if job is None:
                try:
                    self._worker_conn()
                except Exception:  # noqa: BLE001 - retried, and reported on the job, when a job runs
                    self._stop_worker()
                continue
            try:
                state = self._run(job)
            except Exception as exc:  # noqa: BLE001 - e.g. the child could not start: the job fails, the queue goes on
                job.outcome = {"ok": False, "type": "internal", "message": f"{type(exc).__name__}: {exc}"}
                state = FAILED
            if state == DONE:
                state = self._done(job)
            with self._cv:
                self._finish(job, state)
                self._cv.notify_all()
        self._stop_worker()

    def _worker_conn(self):
        """The warm solver process and its pipe, started when missing (first job, or after a cancel)."""
        if self._proc is None or not self._proc.is_alive():
            self._stop_worker()
            self._conn, child = self._ctx.Pipe(duplex=True)
            proc = self._ctx.Process(target=_worker, args=(child, children.environment()), name="planner-solve",
                                     daemon=True)
            try:
                proc.start()
            finally:
                child.close()
            self._proc = proc  # only a started process: stopping one that never started would raise
        return self._proc, self._conn

    def _stop_worker(self) -> None:
        """Terminate the solver process (cancel, time-out, shutdown): CP-SAT stops with it."""
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def _run(self, job: Job) -> str:
        proc, conn = self._worker_conn()
        conn.send(job.spec)
        wall = max(WALL_FLOOR, WALL_PER_UNIT * float(job.spec.get("time_limit", 10)))
        while True:
            if job.cancel_requested or self._stop:
                self._stop_worker()
                return CANCELLED
            if job.elapsed > wall:
                self._stop_worker()
                return TIMEOUT
            if conn.poll(0.05):
                try:
                    job.outcome = conn.recv()
                except (EOFError, OSError):
                    job.outcome = {"ok": False, "type": "internal", "message": "the solver process ended"}
                    self._stop_worker()
                    return FAILED
                break
            if not proc.is_alive():
                job.outcome = {"ok": False, "type": "internal",
                               "message": f"the solver process ended (exit {proc.exitcode})"}
                self._stop_worker()
                return FAILED
        if job.outcome.get("ok"):
            return DONE
        return INFEASIBLE if job.outcome.get("type") == "infeasible" else FAILED
