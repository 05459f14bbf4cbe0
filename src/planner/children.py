"""Child processes for solves, forked from a server that has imported OR-Tools and the planner once.

A ``spawn`` child is a fresh interpreter: importing OR-Tools (which brings numpy and pandas) and the planner
costs it 0.6 s of CPU or more before it can solve, on every start (the workbench's solver after each 取消, each
process of a sweep). A ``forkserver`` imports them once, in a process of its own that never solves and holds no
threads, and forks every child from it. The caller itself is never forked: forking a process that runs OR-Tools,
a web server's threads or a Jupyter kernel can hang the child.

A forked child starts with the server's environment, which is the caller's as it was when the server started
(multiprocessing hands it the caller's working folder and import path as they are now, not the environment):
:func:`environment` and :func:`adopt` hand it the caller's environment as it is now, as spawn would.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Sequence


def context(preload: Sequence[str]):
    """The multiprocessing context for solver children: a forkserver importing *preload* where the platform
    has a safe one (Linux, macOS) and it starts, else spawn. The server starts with the first caller, whose *preload*
    is the one it imports (in the background); a child imports whatever else it needs itself."""
    # before 3.11.1 the server listened on an abstract socket that any local user could reach and hand pickles
    # to (CVE-2022-42919); since then on a socket file only its own user can open
    if sys.version_info < (3, 11, 1) or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    try:
        forkserver.ensure_running()  # now, not at the first child: so that a server that cannot start is known here
    except OSError:  # no folder for its socket (a full disk, no writable temporary folder): spawn needs none
        return multiprocessing.get_context("spawn")
    return ctx


def environment() -> dict[str, str]:
    """The caller's environment now, for a child to :func:`adopt`."""
    return dict(os.environ)


def adopt(env: dict[str, str]) -> None:
    """In a child: take the caller's environment (the rule file, the limits and folders it names)."""
    os.environ.clear()
    os.environ.update(env)
