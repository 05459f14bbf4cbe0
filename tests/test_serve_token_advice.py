"""`planner serve --help` and the refusal of a weak token suggest a token length the strength check accepts.

The help once said "e.g. 22 random letters and digits" (the bare 128-bit length) while the check, which
discounts the sequences random text holds, refused about one such token in four; the refusal itself said 26.
"""
from __future__ import annotations

import argparse
import random
import re
import string

import pytest

from planner.cli import build_parser
from planner.errors import PlannerError
from planner.web import security

ALNUM = string.ascii_letters + string.digits


def _serve_token_help() -> str:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve = sub.choices["serve"]
    return next(a.help for a in serve._actions if "--token" in a.option_strings)


def _suggested_length(text: str) -> int:
    m = re.search(r"e\.g\. (\d+) random letters and digits", text)
    assert m, text
    return int(m.group(1))


def test_help_and_refusal_suggest_the_same_length():
    with pytest.raises(PlannerError) as refused:
        security.check_token("short", "0.0.0.0")
    assert _suggested_length(_serve_token_help()) == _suggested_length(str(refused.value))


def test_random_tokens_of_the_suggested_length_are_accepted():
    n = _suggested_length(_serve_token_help())
    rng = random.Random(20261205)
    tokens = ["".join(rng.choice(ALNUM) for _ in range(n)) for _ in range(4000)]
    refused = sum(security.token_bits(t) < security.MIN_TOKEN_BITS for t in tokens)
    assert refused <= len(tokens) // 200, f"{refused} of {len(tokens)} random {n}-character tokens refused"
