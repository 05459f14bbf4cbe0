"""The notice's own spellings (constraints/published_wording.csv), kept beside the normalised catalogue.

The catalogue's codes and names serve the rules; what is printed in 附件3's notes and 附件4 follows
how the bureau wrote it (运城市职业技术大学, 维护与拆除 …). An institution missing from the file (a
scenario's new site) or whose licensed scope differs from scope.csv falls back to the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..data import constraints_dir, load_catalogue
from ..errors import PlannerError
from ..textio import read_csv_rows

FILE = "published_wording.csv"
HEADER = ["institution", "directory_name", "scope_text", "address_name", "address_order", "on_demand_name",
          "on_demand_order"]


@dataclass(frozen=True)
class Wording:
    """How the notice spells one institution."""

    directory_name: str
    scope_text: str
    address_name: str
    address_order: int | None
    on_demand_name: str
    on_demand_order: int | None


def _order(value: str, path: Path, row: int, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise PlannerError(f"must be a whole number, got {value!r}", file=path, row=row, field=field) from None


@lru_cache(maxsize=8)
def _load(directory: str) -> dict[str, Wording]:
    path = Path(directory) / FILE
    if not path.is_file():
        return {}
    return {rec["institution"]: Wording(rec["directory_name"], rec["scope_text"], rec["address_name"],
                                        _order(rec["address_order"], path, row, "address_order"),
                                        rec["on_demand_name"], _order(rec["on_demand_order"], path, row, "on_demand_order"))
            for row, rec in read_csv_rows(path, HEADER)}


def wording_for(catalogue) -> dict[str, Wording]:
    """Institution id -> its published wording, for the catalogue's data folder (shipped one by default)."""
    return _load(str(Path(catalogue.source_dir or constraints_dir()).resolve()))


def _scope_as_published(inst, catalogue) -> bool:
    """True while the institution's scope is the one the published text describes (scope.csv)."""
    try:
        base = load_catalogue(catalogue.source_dir or None).institutions.get(inst.id)
    except PlannerError:
        return False
    return base is not None and set(base.scope) == set(inst.scope)


def directory_name(inst, catalogue) -> str:
    w = wording_for(catalogue).get(inst.id)
    return w.directory_name if w and w.directory_name else inst.name


def address_name(inst, catalogue) -> str:
    w = wording_for(catalogue).get(inst.id)
    return w.address_name if w and w.address_name else inst.name


def on_demand_name(inst, catalogue) -> str:
    w = wording_for(catalogue).get(inst.id)
    return w.on_demand_name if w and w.on_demand_name else inst.plan_name


def published_scope(inst, catalogue) -> str | None:
    """The notice's 机构培训范围 text, or None when it no longer describes the catalogue's scope."""
    w = wording_for(catalogue).get(inst.id)
    if w and w.scope_text and _scope_as_published(inst, catalogue):
        return w.scope_text
    return None


def address_key(inst, catalogue) -> tuple[int, int]:
    """Sort key of the notes' address list: the notice's order, then new sites by 序号."""
    w = wording_for(catalogue).get(inst.id)
    return (0, w.address_order) if w and w.address_order is not None else (1, inst.seq)


def on_demand_key(inst, catalogue) -> tuple[int, int]:
    w = wording_for(catalogue).get(inst.id)
    return (0, w.on_demand_order) if w and w.on_demand_order is not None else (1, inst.seq)
