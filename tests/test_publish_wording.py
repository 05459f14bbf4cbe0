"""The 2024 set prints the notice's own text: every 附件 cell and footnote equals the seed's (issue 12 item 4).

The seed is the notice's PDF text: lines are wrapped anywhere, so whitespace is removed on both sides
before comparing, nothing else. Each difference is listed with where it is.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.publish import tables as T
from planner.publish import wording as W

SEED = Path("/work/shared/seed/000_794a2dc937687265.txt")
HERE_SEED = Path(__file__).resolve().parent / "data" / "notice_2024_seed.txt"


def squash(text) -> str:
    return re.sub(r"\s+", "", str(text))


@pytest.fixture(scope="module")
def seed() -> dict[str, str]:
    path = HERE_SEED if HERE_SEED.is_file() else SEED
    if not path.is_file():
        pytest.skip("the 2024 notice's text is not on this machine")
    text = squash(path.read_text(encoding="utf-8"))
    marks = [text.index(f"附件{n}", text.index("附件1") if n > 1 else 0) for n in (1, 2, 3, 4)]
    return {f"附件{n}": text[a + 3:b] for n, a, b in zip((1, 2, 3, 4), marks, marks[1:] + [len(text)])}


def _consume(section: str, pos: int, expected: str, where: str, diffs: list[str]) -> int:
    """Compare *expected* with the seed at *pos*; on a mismatch record it and resync after the seed's text."""
    got = section[pos:pos + len(expected)]
    if got != expected:
        diffs.append(f"{where}: published {expected!r}, notice {got!r}")
    return pos + len(expected)


def test_2024_attachments_equal_the_notice(seed, plan2024, ctx2024):
    diffs: list[str] = []
    # 附件1: title, headings, numbered items and notes, in order
    text = "".join(squash(t) for _, t in T.materials_lines(ctx2024.catalogue))
    if text != seed["附件1"]:
        diffs.append(f"附件1: published {text!r}\n notice {seed['附件1']!r}")
    # 附件2/附件3: title, header, every row's cells, then the footnotes
    for att in T.attachments(plan2024, ctx2024):
        sec_text, pos = seed[att.sheet], 0
        pos = _consume(sec_text, pos, squash(att.title), f"{att.sheet} title", diffs)
        for sec in att.sections:
            pos = _consume(sec_text, pos, squash("".join(W.PLAN_HEADERS)), f"{att.sheet} header", diffs)
            for s, row in zip(sec.sessions, T.plan_rows(sec.sessions, plan2024.year, ctx2024)):
                for col, cell in zip(W.PLAN_HEADERS, row):
                    pos = _consume(sec_text, pos, squash(cell), f"{att.sheet} 期次{s.no} {col}", diffs)
        # the notice ends 附件3's table with one numbered empty row ("49"): not a cell with text
        m = re.match(r"\d+(?=1、)", sec_text[pos:])
        if m and att.sheet == "附件3":
            pos += m.end()
        for n, note in enumerate(att.footnotes, 1):
            pos = _consume(sec_text, pos, squash(note), f"{att.sheet} note {n}", diffs)
        if sec_text[pos:]:
            diffs.append(f"{att.sheet}: the notice has more text: {sec_text[pos:pos + 80]!r}")
    # 附件4: title, header, each row's cells
    sec_text, pos = seed["附件4"], 0
    pos = _consume(sec_text, pos, squash(W.DIRECTORY_TITLE), "附件4 title", diffs)
    pos = _consume(sec_text, pos, squash("".join(W.DIRECTORY_HEADERS)), "附件4 header", diffs)
    for row in T.directory_rows(ctx2024.catalogue):
        for col, cell in zip(W.DIRECTORY_HEADERS, row):
            pos = _consume(sec_text, pos, squash(cell), f"附件4 序号{row[0]} {col}", diffs)
    if sec_text[pos:]:
        diffs.append(f"附件4: the notice has more text: {sec_text[pos:pos + 80]!r}")
    assert not diffs, "differences from the 2024 notice:\n" + "\n".join(diffs)


def test_catalogue_stays_normalised(ctx2024):
    """The rules keep the normalised names; only printing uses the notice's spelling."""
    cat = ctx2024.catalogue
    assert cat.institutions["yvu"].name == "运城职业技术大学"
    assert "维护与拆除" in T.scope_text(cat.institutions["huaan"], cat)
    assert all("维护与拆除" not in op.name for op in cat.operations.values())


def test_changed_scope_falls_back_to_catalogue(ctx2024):
    """A scope the published text no longer describes is printed from the catalogue, not the stale text."""
    import dataclasses

    cat = ctx2024.catalogue
    inst = cat.institutions["crrc_yongji"]
    changed = dataclasses.replace(inst, scope=frozenset(set(inst.scope) | {"elec_relay"}))
    text = T.scope_text(changed, cat)
    assert "继电保护作业" in text and "维护、拆除" not in text.replace("高处安装、维护、拆除作业", "")
