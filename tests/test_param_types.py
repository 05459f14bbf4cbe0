"""Every parameter of the shipped rule set, given a value of the wrong type or size, is refused as bad input
(one PlannerError naming the file and a key under that parameter) before anything reads it, never an internal
error: a string where a month position belonged used to reach ``float()`` and exit 70."""
from __future__ import annotations

import copy

import pytest

from planner.api import make_context
from planner.errors import PlannerError
from planner.ruleset import ruleset_from_dict

WRONG = ["x", [1], {"x": 1}, -1, 1.5, True, 10 ** 6]


def leaves(doc: dict, prefix: tuple = ()):
    """(path, value) for every table and value under *doc*."""
    for k, v in doc.items():
        yield prefix + (k,), v
        if isinstance(v, dict):
            yield from leaves(v, prefix + (k,))


def test_every_parameter_refuses_wrong_values_as_bad_input(default_doc, catalogue):
    shipped = {p: v for p, v in leaves(default_doc) if p[0] in ("rules", "preferences") and len(p) > 2}
    paths = list(shipped)
    assert len(paths) > 40  # the walk reaches the nested tables (positions, per-site bounds)
    accepted = []
    for path in paths:
        for wrong in WRONG:
            doc = copy.deepcopy(default_doc)
            table = doc
            for k in path[:-1]:
                table = table[k]
            table[path[-1]] = wrong
            try:
                make_context(2025, ruleset_from_dict(doc, "wrong.toml", catalogue), catalogue=catalogue)
                accepted.append((path, wrong))
            except PlannerError as err:
                assert str(err.file) == "wrong.toml" and err.field, (path, wrong, err)
            except Exception as exc:  # noqa: BLE001 - the point: nothing but bad input may come out
                pytest.fail(f"{'.'.join(path)} = {wrong!r}: {type(exc).__name__}: {exc}")
    # what passes is of the shipped value's own type (a weight at its maximum, a flag, a wording), never another
    assert accepted and all(type(wrong) is type(shipped[path]) for path, wrong in accepted), accepted


def test_position_of_one_is_refused_and_just_below_is_taken(default_doc, catalogue):
    doc = copy.deepcopy(default_doc)
    doc["preferences"]["even_spread"]["position"]["managers"] = 1.0
    with pytest.raises(PlannerError) as e:
        ruleset_from_dict(doc, "p.toml", catalogue)
    assert e.value.field == "preferences.even_spread.position.managers" and "[0, 1)" in e.value.message
    doc["preferences"]["even_spread"]["position"]["managers"] = 0.99
    make_context(2025, ruleset_from_dict(doc, "p.toml", catalogue), catalogue=catalogue)
