"""The README's two commands are the ones that work: CI runs the test command verbatim."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text.split("## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", head)


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one():
    cmds = _commands()
    assert len(cmds) == 2
    main_job, tests = cmds
    assert "planner plan" in main_job and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci


def test_scenarios_readme_block_compares_only_plans_it_wrote():
    """scenarios/README.md's command block, run top to bottom, writes every plan.csv a later command reads
    (it once compared out/baseline/plan.csv, which no command above it wrote: exit 2, file not found)."""
    text = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.+?)\n```", text, re.S).group(1)
    written: set[str] = set()
    for line in block.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "planner":
            continue
        read = [w for w in words[2:] if w.endswith("plan.csv") and w.startswith("out/")]
        assert all(r in written for r in read), f"{line!r} reads {read}, written so far: {sorted(written)}"
        if words[1] in ("plan", "replan") and "--out" in words:
            written.add(words[words.index("--out") + 1] + "/plan.csv")
