"""The facts of the notice as small validated dataclasses.

Institutions, the operation catalogue, each institution's licensed scope, the exam streams
and the registration materials are data files under ``constraints/`` (each says where in the
2024 notice it comes from); this module only loads and validates them. A broken reference
is a :class:`PlannerError` naming file, row and field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .errors import PlannerError
from .textio import one_line, read_csv_rows, read_toml

MANAGERS_CATEGORY = "managers"


def data_root() -> Path:
    """Folder holding ``constraints/`` and ``scenarios/``.

    A wheel carries them as ``planner/_data/``; an editable install or a source checkout
    reads them from the repository's top level, where planners edit them.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "_data"
    if (packaged / "constraints").is_dir():
        return packaged
    return here.parents[1]


def constraints_dir() -> Path:
    return data_root() / "constraints"


def scenarios_dir() -> Path:
    return data_root() / "scenarios"


@dataclass(frozen=True)
class Operation:
    code: str
    category_code: str
    category: str
    name: str


@dataclass(frozen=True)
class Institution:
    id: str
    seq: int
    name: str
    plan_name: str
    short_name: str
    address: str
    phones: tuple[str, ...]
    contact: str
    rotation_site: bool
    on_demand: bool
    scope: frozenset[str] = frozenset()

    def categories(self, catalogue: "Catalogue") -> set[str]:
        return {catalogue.operations[c].category_code for c in self.scope}


@dataclass(frozen=True)
class Stream:
    id: str
    name: str
    categories: tuple[str, ...]
    kinds: tuple[str, ...]
    attachment: str
    title: str

    @property
    def default_kind(self) -> str:
        return self.kinds[0]


@dataclass(frozen=True)
class MaterialsSection:
    heading: str
    streams: tuple[str, ...]
    items: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class YearMaterials:
    """附件1 of one year (``constraints/materials/YEAR.toml``), and that year's exam kinds per stream."""

    year: int
    confirmed: bool
    title: str
    sections: tuple[MaterialsSection, ...]
    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    regulation: str = ""


#: the planner's note while a year's 附件1 list is carried over and not yet confirmed: it goes on the
#: pre-publication checklist (planner.publish.checklist), never into a published file
MATERIALS_REVIEW = "（待核定：沿用{year}年清单，须按当年施行的规定核对后确认）"


@dataclass(frozen=True)
class Catalogue:
    """Everything the notice says that is not a date: who may examine what, and for whom."""

    institutions: dict[str, Institution]
    operations: dict[str, Operation]
    streams: dict[str, Stream]
    materials: tuple[MaterialsSection, ...] = ()
    materials_title: str = "考试报名需提供的材料"
    source_dir: str = ""
    materials_by_year: dict[int, YearMaterials] = field(default_factory=dict)
    materials_year: int | None = None  # the year whose list this catalogue carries
    materials_review: str = ""  # "" when confirmed for the plan year, else the 待核定 note

    def for_year(self, year: int) -> "Catalogue":
        """The catalogue of plan year *year*: its 附件1 list and exam kinds (the latest earlier year's,
        marked to be reviewed, when the year has no confirmed list of its own)."""
        if not self.materials_by_year:
            return self
        confirmed = {y: m for y, m in self.materials_by_year.items() if m.confirmed}
        pool = confirmed or self.materials_by_year
        earlier = [y for y in pool if y <= year]
        src = pool[max(earlier) if earlier else min(pool)]
        review = "" if src.year == year and src.confirmed else MATERIALS_REVIEW.format(year=src.year)
        streams = {sid: (replace(st, kinds=src.kinds[sid]) if sid in src.kinds else st)
                   for sid, st in self.streams.items()}
        return replace(self, streams=streams, materials=src.sections, materials_title=src.title,
                       materials_year=src.year, materials_review=review)

    def category_name(self, code: str) -> str:
        """The notice's name of an operation category (电工作业 …), or the code when it has none."""
        return next((o.category for o in self.operations.values() if o.category_code == code), code)

    def licensed(self, institution: str, stream: str) -> bool:
        """May *institution* hold exams of *stream*? (its scope meets the stream's categories)"""
        inst = self.institutions[institution]
        return bool(inst.categories(self) & set(self.streams[stream].categories))

    def with_institution(self, inst: Institution) -> "Catalogue":
        insts = dict(self.institutions)
        insts[inst.id] = inst
        return replace(self, institutions=insts)


def _bool(value: str, file: Path, row: int, fieldname: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "yes", "1"):
        return True
    if v in ("false", "no", "0", ""):
        return False
    raise PlannerError(f"expected true or false, got {value!r}", file=file, row=row, field=fieldname)


def _need(rec: dict[str, str], key: str, file: Path, row: int) -> str:
    v = rec.get(key, "")
    if not v:
        raise PlannerError("must not be empty", file=file, row=row, field=key)
    return v


def load_operations(path: Path) -> dict[str, Operation]:
    ops: dict[str, Operation] = {}
    for row, rec in read_csv_rows(path, ["code", "category_code", "category", "name"]):
        code = _need(rec, "code", path, row)
        if code in ops:
            raise PlannerError(f"duplicate operation code {code!r}", file=path, row=row, field="code")
        ops[code] = Operation(code, _need(rec, "category_code", path, row), _need(rec, "category", path, row),
                              _need(rec, "name", path, row))
    return ops


def load_scope(path: Path, institutions: set[str], operations: dict[str, Operation]) -> dict[str, set[str]]:
    scope: dict[str, set[str]] = {i: set() for i in institutions}
    for row, rec in read_csv_rows(path, ["institution", "operation"]):
        inst, op = rec["institution"], rec["operation"]
        if inst not in institutions:
            raise PlannerError(f"unknown institution id {inst!r}", file=path, row=row, field="institution")
        if op not in operations:
            raise PlannerError(f"unknown scope code {op!r}", file=path, row=row, field="operation")
        if op in scope[inst]:
            raise PlannerError(f"duplicate scope entry {inst}/{op}", file=path, row=row, field="operation")
        scope[inst].add(op)
    return scope


INSTITUTION_HEADER = ["id", "seq", "name", "plan_name", "short_name", "address", "phones", "contact",
                      "rotation_site", "on_demand"]


def load_institutions(path: Path) -> list[tuple[int, dict[str, str]]]:
    rows = read_csv_rows(path, INSTITUTION_HEADER)
    seen: set[str] = set()
    for row, rec in rows:
        iid = _need(rec, "id", path, row)
        if iid in seen:
            raise PlannerError(f"duplicate institution id {iid!r}", file=path, row=row, field="id")
        seen.add(iid)
        if not rec["seq"].isdigit():
            raise PlannerError(f"expected a whole number, got {rec['seq']!r}", file=path, row=row, field="seq")
        for key in ("name", "short_name", "address"):
            _need(rec, key, path, row)
    return rows


def load_streams(path: Path, operations: dict[str, Operation]) -> dict[str, Stream]:
    cats = {o.category_code for o in operations.values()}
    streams: dict[str, Stream] = {}
    for row, rec in read_csv_rows(path, ["id", "name", "categories", "kinds", "attachment", "title"]):
        sid = _need(rec, "id", path, row)
        if sid in streams:
            raise PlannerError(f"duplicate stream id {sid!r}", file=path, row=row, field="id")
        scats = tuple(c for c in rec["categories"].split(";") if c)
        for c in scats:
            if c not in cats:
                raise PlannerError(f"unknown category {c!r}", file=path, row=row, field="categories")
        kinds = tuple(k for k in rec["kinds"].split(";") if k)
        if not kinds:
            raise PlannerError("must list at least one kind", file=path, row=row, field="kinds")
        streams[sid] = Stream(sid, rec["name"], scats, kinds, rec["attachment"], rec["title"])
    return streams


MATERIALS_KEYS = {"year", "confirmed", "source", "regulation", "title", "section", "kinds"}


def load_materials(path: Path, streams: dict[str, Stream]) -> YearMaterials:
    """One year's 附件1 list (and optional exam kinds), validated against the streams."""
    doc = read_toml(path)
    bad = sorted(set(doc) - MATERIALS_KEYS)
    if bad:
        raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(MATERIALS_KEYS))})", file=path,
                           field=bad[0])
    year = doc.get("year", int(path.stem) if path.stem.isdigit() else None)
    if not isinstance(year, int) or isinstance(year, bool):
        raise PlannerError("'year' must be a whole number (or name the file YEAR.toml)", file=path, field="year")
    if not isinstance(doc.get("confirmed", False), bool):
        raise PlannerError("expected true or false", file=path, field="confirmed")
    sections = []
    for i, sec in enumerate(doc.get("section", []), start=1):
        for s in sec.get("streams", []):
            if s not in streams:
                raise PlannerError(f"unknown stream {s!r}", file=path, field=f"section[{i}].streams")
        if not isinstance(sec.get("heading"), str):
            raise PlannerError("needs a heading", file=path, field=f"section[{i}].heading")
        sections.append(MaterialsSection(sec["heading"], tuple(sec.get("streams", ())), tuple(sec.get("items", ())),
                                         tuple(sec.get("notes", ()))))
    kinds = {}
    for sid, ks in doc.get("kinds", {}).items():
        if sid not in streams:
            raise PlannerError(f"unknown stream {sid!r}", file=path, field=f"kinds.{sid}")
        if not isinstance(ks, list) or not ks or not all(isinstance(k, str) and k for k in ks):
            raise PlannerError("must be a non-empty list of 考试类别 wordings, default first", file=path,
                               field=f"kinds.{sid}")
        kinds[sid] = tuple(ks)
    return YearMaterials(year, bool(doc.get("confirmed", False)), str(doc.get("title", "考试报名需提供的材料")),
                         tuple(sections), kinds, str(doc.get("source", "")), str(doc.get("regulation", "")))


def load_materials_dir(directory: Path, streams: dict[str, Stream]) -> dict[int, YearMaterials]:
    out: dict[int, YearMaterials] = {}
    for f in sorted(directory.glob("*.toml")):
        m = load_materials(f, streams)
        if m.year in out:
            raise PlannerError(f"a second list for {m.year}", file=f, field="year")
        out[m.year] = m
    if not out:
        raise PlannerError("no 附件1 materials list (YEAR.toml)", file=directory)
    return out


#: an institution's id names its files (``ics/<id>.ics``), links and columns: lower-case ASCII, as the notice's own
_INSTITUTION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


def institution_from_record(rec: dict[str, str], scope: set[str], file: Path, row: int,
                            prefix: str = "") -> Institution:
    """An institution from a row of institutions.csv (or a scenario's ``[[new_institutions]]`` table, whose key is
    *prefix*): its id a name for files and links, every text one printable line of the notice's 附件4."""
    if not _INSTITUTION_ID.fullmatch(rec["id"]):
        raise PlannerError(f"id {rec['id'][:60]!r} is not a plain name: lower-case letters, digits and _, starting "
                           "with a letter, at most 40 (it names the site's calendar file and links)",
                           file=file, row=row or None, field=prefix + "id")
    for key in ("name", "plan_name", "short_name", "address", "phones", "contact"):
        one_line(rec.get(key, ""), "an institution's text (a cell of 附件4)", file, row or None, prefix + key)
    return Institution(
        id=rec["id"], seq=int(rec["seq"]), name=rec["name"], plan_name=rec.get("plan_name") or rec["name"],
        short_name=rec["short_name"], address=rec["address"],
        phones=tuple(p.strip() for p in rec.get("phones", "").split(";") if p.strip()),
        contact=rec.get("contact", ""),
        rotation_site=_bool(rec.get("rotation_site", ""), file, row, "rotation_site"),
        on_demand=_bool(rec.get("on_demand", ""), file, row, "on_demand"),
        scope=frozenset(scope),
    )


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """Load and cross-check the notice's facts from *directory* (default: the shipped ``constraints/``)."""
    d = Path(directory) if directory else constraints_dir()
    return _load_catalogue_cached(str(d.resolve()))


@lru_cache(maxsize=8)
def _load_catalogue_cached(d_str: str) -> Catalogue:
    d = Path(d_str)
    operations = load_operations(d / "operations.csv")
    inst_rows = load_institutions(d / "institutions.csv")
    scope = load_scope(d / "scope.csv", {rec["id"] for _, rec in inst_rows}, operations)
    institutions = {
        rec["id"]: institution_from_record(rec, scope[rec["id"]], d / "institutions.csv", row) for row, rec in inst_rows
    }
    streams = load_streams(d / "streams.csv", operations)
    by_year = load_materials_dir(d / "materials", streams)
    latest = by_year[max(by_year)]
    return Catalogue(institutions, operations, streams, latest.sections, latest.title, str(d), by_year, latest.year)
