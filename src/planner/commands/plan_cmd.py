"""``planner plan``: generate the year's calendar with CP-SAT and write it (plan.csv, summary.json)."""
from __future__ import annotations


def register(sub) -> None:
    from .common import add_context_options, add_solver_options

    p = sub.add_parser("plan", help="generate the exam calendar of a year (default: next year)")
    add_context_options(p)
    add_solver_options(p)
    p.add_argument("--out", metavar="DIR", default="out", help="output folder [default: out]")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from .common import context_from_args, out_dir
    from .output import solve_and_write

    out = out_dir(args.out)  # fail before solving when the folder is unusable
    ctx = context_from_args(args)
    return solve_and_write(ctx, out, args)
