#!/usr/bin/env python
"""Which rule makes the CP-SAT model: variables and constraints each rule's ``post`` adds, by session count.

    python benchmarks/proto_profile.py [--sessions 59,120,240]

The rule objects of the benchmark's own (scaled) rule set are wrapped while ``build_model`` runs;
nothing in the package changes. Linear growth in sessions shows as constant per-session ratios.
"""
from __future__ import annotations

import argparse
import sys
import time

from common import md_table


def by_rule(ctx) -> tuple[list[tuple[str, int, int]], float]:
    """[(part, variables, constraints)] each rule's ``post`` adds ('slots' is build_model's own) and build seconds."""
    from planner.model import build_model

    added: dict[str, tuple[int, int]] = {}
    rules = list(ctx.ruleset.rules) + list(ctx.ruleset.preferences)

    def size(mv) -> tuple[int, int]:
        return len(mv.model.proto.variables), len(mv.model.proto.constraints)

    for r in rules:
        orig = r.post

        def wrapped(mv, c, _r=r, _orig=orig):
            v0, c0 = size(mv)
            _orig(mv, c)
            v1, c1 = size(mv)
            added[_r.name] = (v1 - v0, c1 - c0)

        r.post = wrapped  # an instance attribute on this benchmark's own rule objects, removed below
    try:
        t0 = time.perf_counter()
        mv = build_model(ctx)
        build = time.perf_counter() - t0
    finally:
        for r in rules:
            r.__dict__.pop("post", None)
    nv, nc = size(mv)
    out = [("slots (build_model)", nv - sum(v for v, _ in added.values()), nc - sum(c for _, c in added.values()))]
    return out + [(n, v, c) for n, (v, c) in added.items()], build


def table(sessions: list[int], year: int = 2025) -> str:
    from growth import scaled_context

    prof = {s: by_rule(scaled_context(s, year)) for s in sessions}
    names = [n for n, _, _ in prof[sessions[0]][0]]
    rows = []
    for n in names:
        row = [n]
        for s in sessions:
            v, c = next(((v, c) for a, v, c in prof[s][0] if a == n), (0, 0))
            row.append(f"{v} / {c}")
        rows.append(row)
    rows.append(["total"] + [f"{sum(v for _, v, _ in prof[s][0])} / {sum(c for _, _, c in prof[s][0])}"
                             for s in sessions])
    rows.append(["build_model s"] + [f"{prof[s][1]:.3f}" for s in sessions])
    rows.append(["constraints per session"] + [f"{sum(c for _, _, c in prof[s][0]) / s:.1f}" for s in sessions])
    return md_table(["part"] + [f"{s} sessions: vars / constraints" for s in sessions], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", default="59,120,240")
    a = ap.parse_args(argv)
    print(table([int(s) for s in a.sessions.split(",")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
