"""The certification rules in force, per date: which exam kinds exist, how often holders renew, how many retakes.

``constraints/regulation.toml`` (format in ``constraints/README.md``) lists the regimes — Order No. 30, and the
revision reported in force from 2026-06-01 — each from its first day, every fact with its ``source`` and
``status``: 已确认 (checked against the cited text) or 待核定 (reported or proposed). A plan year takes the
regimes whose days overlap its window, so a year spanning a change has two: its sessions before and after the
change print different 考试类别 (:func:`printed_kind`), its returning candidates follow each regime's retake
limit over the part of the year it governs (:meth:`YearRules.returning`), and its renewal wave
(``constraints/renewal_wave.csv``: holders whose certificates were issued six years before, 估计) enters only
on the days of a regime that renews that way (:meth:`YearRules.wave`).

A 待核定 fact is still used — it is the best figure held — and listed for the planner (:func:`pending_items`:
``发布前核对.txt``, ``planner demand show``); it is never printed in a file that leaves the office.

Kinds are matched across regimes by position: a stream's first kind is every session's (initial and
renewal candidates), its second the refresher-only opening cycle's. A plan keeps the wording of the regime in
force when its window opens (``Stream.kinds``, what the model and ``plan.csv`` use); the published files print
each session's wording in force on its exam date.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .errors import PlannerError

FILE = "regulation.toml"
WAVE_FILE = "renewal_wave.csv"
STATUSES = ("已确认", "待核定")
PENDING = "待核定"
REGIME_KEYS = {"id", "name", "from", "source", "status", "renewal_wave", "kinds", "renewal", "renewal_every_years",
               "max_retakes", "any_authority", "materials"}
FACTS = ("kinds", "renewal", "renewal_every_years", "max_retakes", "any_authority", "materials")
#: how the planner's checklist names each fact
FACT_LABELS = {
    "kinds": "附件3考试类别写法",
    "renewal": "证书到期办理方式",
    "renewal_every_years": "复审/换证周期（年）",
    "max_retakes": "补考次数上限（需求估计中回流考生按此计）",
    "any_authority": "可向全国任意考核发证机关申请考试",
    "materials": "附件1报名材料",
}
MAX_RETAKES = 20
WAVE_HEADER = ["year", "stream", "category", "issued_year", "issued", "renewal_share", "renewals", "status", "basis"]
WAVE_STATUSES = ("估计", "实际")


@dataclass(frozen=True)
class Fact:
    value: object
    status: str
    source: str

    @property
    def pending(self) -> bool:
        return self.status == PENDING


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    start: dt.date | None  # None: in force since before any plan year
    status: str
    source: str
    facts: Mapping[str, Fact]
    renewal_wave: bool = False

    def value(self, key: str, default=None):
        f = self.facts.get(key)
        return default if f is None else f.value

    def kinds(self, stream: str) -> tuple[str, ...] | None:
        ks = self.value("kinds", {})
        return tuple(ks[stream]) if stream in ks else None


@dataclass(frozen=True)
class WaveRow:
    """Expected renewals of one category in one plan year: certificates issued *issued_year* × the share renewing."""

    issued_year: int
    issued: int
    renewal_share: float
    renewals: int
    status: str
    basis: str


@dataclass(frozen=True)
class Regulation:
    regimes: tuple[Regime, ...] = ()
    file: str = ""
    wave: Mapping[tuple[int, str, str], WaveRow] = field(default_factory=dict)

    def on(self, day: dt.date) -> Regime | None:
        """The regime in force on *day* (None when the file lists none)."""
        out = None
        for r in self.regimes:
            if r.start is None or r.start <= day:
                out = r
        return out

    def spans(self, window: tuple[dt.date, dt.date]) -> list[tuple[Regime, dt.date, dt.date]]:
        """The regimes in force during *window*, each with the first and last day of the window it governs."""
        out = []
        for k, r in enumerate(self.regimes):
            nxt = self.regimes[k + 1].start if k + 1 < len(self.regimes) else None
            lo = max(window[0], r.start) if r.start else window[0]
            hi = min(window[1], nxt - dt.timedelta(days=1)) if nxt else window[1]
            if lo <= hi:
                out.append((r, lo, hi))
        return out


# -- reading ------------------------------------------------------------------------------------------------------
def _fact(key: str, doc, file, where: str, streams) -> Fact:
    f = f"{where}.{key}"
    if not isinstance(doc, dict) or set(doc) != {"value", "status", "source"}:
        raise PlannerError("expected { value = …, status = \"已确认\" or \"待核定\", source = \"…\" }", file=file,
                           field=f)
    status, source, v = doc["status"], doc["source"], doc["value"]
    if status not in STATUSES:
        raise PlannerError(f"status must be one of {', '.join(STATUSES)}, got {status!r}", file=file,
                           field=f"{f}.status")
    if not isinstance(source, str) or not source.strip():
        raise PlannerError("needs a source (the text the fact was read from, or why it is proposed)", file=file,
                           field=f"{f}.source")
    ok = {
        "kinds": lambda: isinstance(v, dict) and all(isinstance(ks, list) and ks and all(
            isinstance(k, str) and k.strip() for k in ks) for ks in v.values()),
        "renewal": lambda: isinstance(v, str) and v.strip(),
        "materials": lambda: isinstance(v, str) and v.strip(),
        "any_authority": lambda: isinstance(v, bool),
        "renewal_every_years": lambda: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 20,
        "max_retakes": lambda: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_RETAKES,
    }[key]()
    if not ok:
        want = {"kinds": "a table: stream = [考试类别, …] (default first)", "renewal": "a wording",
                "materials": "a wording", "any_authority": "true or false",
                "renewal_every_years": "a whole number of years (1 … 20)",
                "max_retakes": f"a whole number of retakes (0 … {MAX_RETAKES})"}[key]
        raise PlannerError(f"expected {want}, got {v!r}", file=file, field=f"{f}.value")
    if key == "kinds":
        for sid in v:
            if sid not in streams:
                raise PlannerError(f"unknown stream {sid!r} (known: {', '.join(sorted(streams))})", file=file,
                                   field=f"{f}.value.{sid}")
        v = MappingProxyType({sid: tuple(ks) for sid, ks in v.items()})
    return Fact(v, status, source.strip())


def regulation_from_dict(doc: dict, file, streams) -> Regulation:
    """Validate a regulation document against the streams. Raises :class:`PlannerError` naming file and key."""
    bad = sorted(set(doc) - {"regime"})
    if bad:
        raise PlannerError(f"unknown key {bad[0]!r} (allowed: regime)", file=file, field=bad[0])
    regs = doc.get("regime", [])
    if not isinstance(regs, list):
        raise PlannerError("expected [[regime]] tables", file=file, field="regime")
    out: list[Regime] = []
    for n, r in enumerate(regs, start=1):
        where = f"regime[{n}]"
        if not isinstance(r, dict):
            raise PlannerError("expected a table", file=file, field=where)
        bad = sorted(set(r) - REGIME_KEYS)
        if bad:
            raise PlannerError(f"unknown key {bad[0]!r} (allowed: {', '.join(sorted(REGIME_KEYS))})", file=file,
                               field=f"{where}.{bad[0]}")
        for key in ("id", "name", "source"):
            if not isinstance(r.get(key), str) or not r[key].strip():
                raise PlannerError("must be a non-empty text", file=file, field=f"{where}.{key}")
        if r.get("status") not in STATUSES:
            raise PlannerError(f"status must be one of {', '.join(STATUSES)}, got {r.get('status')!r}", file=file,
                               field=f"{where}.status")
        start = r.get("from")
        if start is not None and (not isinstance(start, dt.date) or isinstance(start, dt.datetime)):
            raise PlannerError(f"expected a date (2026-06-01), got {start!r}", file=file, field=f"{where}.from")
        if n > 1 and start is None:
            raise PlannerError("every regime but the first needs its first day", file=file, field=f"{where}.from")
        if out and out[-1].start is not None and start <= out[-1].start:
            raise PlannerError(f"{start} is not after the previous regime's {out[-1].start}", file=file,
                               field=f"{where}.from")
        if not isinstance(r.get("renewal_wave", False), bool):
            raise PlannerError("expected true or false", file=file, field=f"{where}.renewal_wave")
        facts = {k: _fact(k, r[k], file, where, streams) for k in FACTS if k in r}
        reg = Regime(r["id"], r["name"], start, r["status"], r["source"].strip(), MappingProxyType(facts),
                     r.get("renewal_wave", False))
        for prev in out:  # kinds match across regimes by position, so every list of a stream has one length
            for sid in set(prev.value("kinds", {})) & set(reg.value("kinds", {})):
                if len(prev.kinds(sid)) != len(reg.kinds(sid)):
                    raise PlannerError(f"lists {len(reg.kinds(sid))} kinds for {sid}, regime {prev.id!r} "
                                       f"{len(prev.kinds(sid))} (kinds are matched by position)", file=file,
                                       field=f"{where}.kinds.value.{sid}")
        out.append(reg)
    return Regulation(tuple(out), str(file))


def load_wave(path: Path, streams) -> dict[tuple[int, str, str], WaveRow]:
    from .textio import read_csv_rows

    out: dict[tuple[int, str, str], WaveRow] = {}
    for row, rec in read_csv_rows(path, WAVE_HEADER):
        def whole(key: str, lo: int, hi: int) -> int:
            try:
                v = int(rec[key])
            except ValueError:
                raise PlannerError(f"expected a whole number, got {rec[key]!r}", file=path, row=row,
                                   field=key) from None
            if not lo <= v <= hi:
                raise PlannerError(f"{v} is out of range [{lo}, {hi}]", file=path, row=row, field=key)
            return v
        year, issued_year = whole("year", 2000, 2100), whole("issued_year", 1990, 2100)
        sid, cid = rec["stream"], rec["category"]
        if sid not in streams:
            raise PlannerError(f"unknown stream {sid!r}", file=path, row=row, field="stream")
        if cid not in streams[sid].categories:
            raise PlannerError(f"{cid!r} is not a category of stream {sid!r}", file=path, row=row, field="category")
        try:
            share = float(rec["renewal_share"])
        except ValueError:
            share = -1.0
        if not 0 <= share <= 1:
            raise PlannerError(f"expected a share between 0 and 1, got {rec['renewal_share']!r}", file=path, row=row,
                               field="renewal_share")
        if rec["status"] not in WAVE_STATUSES:
            raise PlannerError(f"status must be one of {', '.join(WAVE_STATUSES)}, got {rec['status']!r}", file=path,
                               row=row, field="status")
        if (year, sid, cid) in out:
            raise PlannerError(f"a second row for {year} {sid} {cid}", file=path, row=row, field="year")
        out[(year, sid, cid)] = WaveRow(issued_year, whole("issued", 0, 2_000_000), share,
                                        whole("renewals", 0, 2_000_000), rec["status"], rec["basis"])
    return out


def load_regulation(directory: str | Path, streams) -> Regulation:
    """The regimes of ``DIR/regulation.toml`` and the renewal wave of ``DIR/renewal_wave.csv`` (either may be
    absent: no regime, no wave — every plan is then judged as before)."""
    from .textio import read_toml

    d = Path(directory)
    reg = regulation_from_dict(read_toml(d / FILE), d / FILE, streams) if (d / FILE).is_file() else Regulation()
    wave = load_wave(d / WAVE_FILE, streams) if (d / WAVE_FILE).is_file() else {}
    return replace(reg, wave=MappingProxyType(wave))


@lru_cache(maxsize=8)
def _cached(directory: str) -> Regulation:
    from .data import load_catalogue

    return load_regulation(directory, load_catalogue(directory).streams)


def of_catalogue(catalogue) -> Regulation:
    """The regulation stored beside a catalogue's files (cached per folder)."""
    if not catalogue.source_dir:
        return Regulation()
    return _cached(catalogue.source_dir)


# -- one plan year ------------------------------------------------------------------------------------------------
def year_kinds(catalogue, year: int, window_start: dt.date):
    """*catalogue* with each stream's kinds those of the regime in force when the plan year opens — unless the
    year's own confirmed 附件1 file sets them (a planner's confirmed wording wins for the whole year)."""
    reg = of_catalogue(catalogue)
    regime = reg.on(window_start)
    if regime is None:
        return catalogue
    own = catalogue.materials_by_year.get(year)
    streams = {}
    for sid, st in catalogue.streams.items():
        ks = regime.kinds(sid)
        keep = ks is None or (own is not None and own.confirmed and sid in own.kinds)
        streams[sid] = st if keep else replace(st, kinds=ks)
    return replace(catalogue, streams=streams)


def printed_kind(ctx, session) -> str:
    """The 考试类别 a published file prints for *session*: its kind's position in the plan's kinds, worded as the
    regime in force on its exam date words it."""
    cat = ctx.catalogue
    kinds = cat.streams[session.stream].kinds
    if session.kind not in kinds:
        return session.kind
    own = cat.materials_by_year.get(ctx.year)
    if own is not None and own.confirmed and session.stream in own.kinds:
        return session.kind
    regime = of_catalogue(cat).on(session.exam_date)
    there = regime.kinds(session.stream) if regime is not None else None
    return there[kinds.index(session.kind)] if there else session.kind


def plan_kind(catalogue, stream: str, wording: str) -> str:
    """A 考试类别 read back from a published file, as the plan's own wording (the same position in the plan's
    kinds); unknown wordings are returned as they are, for the rule ``kind`` to report."""
    kinds = catalogue.streams[stream].kinds if stream in catalogue.streams else ()
    if wording in kinds:
        return wording
    for r in of_catalogue(catalogue).regimes:
        ks = r.kinds(stream)
        if ks and wording in ks and ks.index(wording) < len(kinds):
            return kinds[ks.index(wording)]
    return wording


def as_plan_kinds(plan, catalogue):
    """*plan* read back from a published file, its 考试类别 worded as the plan keeps them (see :func:`plan_kind`)."""
    from dataclasses import replace as _replace

    from .calendar import build_calendar

    try:
        opening = build_calendar(plan.year).window()[0]
    except PlannerError:
        return plan  # a year outside the calendar data: the plan's own check will say so
    cat = year_kinds(catalogue.for_year(plan.year), plan.year, opening)
    sessions = tuple(_replace(s, kind=plan_kind(cat, s.stream, s.kind)) for s in plan.sessions)
    return _replace(plan, sessions=sessions)


def retake_series(r: float, k: int | None) -> float:
    """Returns per candidate entering: r + r² + … + r^k (each return may fail again; None: no limit)."""
    if r >= 1:
        return 0.0
    if k is None:
        return r / (1.0 - r)
    return sum(r ** j for j in range(1, k + 1))


@dataclass(frozen=True)
class YearRules:
    """The regimes of one plan year over its days, for the demand model."""

    regulation: Regulation
    year: int
    window: tuple[dt.date, dt.date]

    @property
    def spans(self):
        return self.regulation.spans(self.window)

    def _shares(self, days: list[dt.date], weights: list[float]) -> list[tuple[Regime, float]]:
        total = sum(weights)
        out = []
        for regime, lo, hi in self.spans:
            w = sum(x for d, x in zip(days, weights) if lo <= d <= hi)
            out.append((regime, w / total if total > 0 else 0.0))
        return out

    def returning(self, base: int, r: float, days, weights) -> int:
        """Candidates coming back within the year: each regime's retake limit over its share of the year's
        candidates (by the monthly profile); without regimes, no limit (``CategoryDemand.returning``)."""
        shares = self._shares(days, weights)
        if not shares:
            return int(round(base * retake_series(r, None)))
        return int(round(base * sum(s * retake_series(r, g.value("max_retakes")) for g, s in shares)))

    def wave(self, stream: str, category: str, days, weights) -> tuple[int, dt.date | None, WaveRow | None]:
        """(renewals entering, their first day, the row) of the renewal wave: the year's row of renewal_wave.csv
        times the share of the year governed by a regime that renews that way."""
        row = self.regulation.wave.get((self.year, stream, category))
        parts = [(g, s) for g, s in self._shares(days, weights) if g.renewal_wave]
        if row is None or not parts:
            return 0, None, row
        first = min(lo for g, lo, _ in self.spans if g.renewal_wave)
        return int(round(row.renewals * sum(s for _, s in parts))), first, row

    def wave_expected(self) -> bool:
        return any(g.renewal_wave for g, _, _ in self.spans)


def year_rules(problem) -> YearRules:
    return YearRules(of_catalogue(problem.catalogue), problem.year, problem.window)


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def pending_items(catalogue, window: tuple[dt.date, dt.date], demand=None) -> list[str]:
    """The 待核定 facts of the regimes governing *window*, one Chinese line each, for the planner only."""
    reg = of_catalogue(catalogue)
    spans = reg.spans(window)
    out = []
    for g, lo, hi in spans:
        period = f"{_day(lo)}至{_day(hi)}"
        if g.status == PENDING:
            out.append(f"《{g.name}》（{period}适用）待核定：{g.source}；核对规章原文后在 constraints/{FILE} 中"
                       "将 status 改为“已确认”并注明出处。")
        for key in FACTS:
            f = g.facts.get(key)
            if f is None or not f.pending:
                continue
            v = f.value
            if key == "kinds":
                v = "；".join(f"{catalogue.streams[s].name if s in catalogue.streams else s}：{' / '.join(ks)}"
                             for s, ks in v.items())
            elif isinstance(v, bool):
                v = "是" if v else "否"
            out.append(f"{FACT_LABELS[key]}（{period}）待核定：{v}。依据：{f.source}")
    if len(spans) > 1:
        out.append(f"本计划年度跨越规定修订施行日（{_day(spans[1][1])}）：此前各期按《{spans[0][0].name}》，"
                   f"此后各期按《{spans[1][0].name}》印制考试类别，请核对附件3。")
    year = window[0].year
    if any(g.renewal_wave for g, _, _ in spans) and not any(k[0] == year for k in reg.wave):
        out.append(f"{year}年没有到期换证人数的估计（constraints/{WAVE_FILE}），需求中未计换证考生。")
    return out
