"""The certification rules in force, per date: which exam kinds exist, how often holders renew, how many retakes.

``constraints/regulation.toml`` (format in ``constraints/README.md``) lists the regimes — Order No. 30, and the
revision reported in force from 2026-06-01 — each from its first day, every fact with its ``source`` and ``status``:
已确认 (checked against the cited text) or 待核定 (reported or proposed). A plan year takes the regimes whose days overlap
its window, so a year spanning a change has two: its sessions before and after the change print each the 考试类别 of the
confirmed regime in force on their date (:func:`printed_kind`), its returning candidates follow each regime's retake
limit over the part of the year it governs (:meth:`YearRules.returning`), and its renewal wave
(``constraints/renewal_wave.csv``: holders whose certificates were issued six years before, 估计) enters only on the
days of a regime that renews that way (:meth:`YearRules.wave`).

A 待核定 fact is still used — it is the best figure held — and listed for the planner (:func:`pending_items`:
``发布前核对.txt``, ``planner demand show``); it is never printed in a file that leaves the office.

Kinds are matched across regimes by position: a stream's first kind is every session's (initial and renewal
candidates), its second the refresher-only opening cycle's. A plan keeps the wording of the regime in force when its
window opens (``Stream.kinds``, what the model and ``plan.csv`` use); the published files print each session's
wording in force on its exam date if that regime and its wording are 已确认, else the last confirmed one
(:func:`published_kinds`: a proposed wording never leaves the office).
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
FACTS = ("kinds", "renewal", "renewal_every_years", "max_retakes", "any_authority", "materials")
REGIME_KEYS = {"id", "name", "streams", "from", "source", "status", "renewal_wave", *FACTS}
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
    streams: frozenset[str]  # the streams it governs
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
    #: the renewals the shipped estimate's method gives this row (``demand_estimate``): what an estimate's entering
    #: candidates were built around, so what its regime-before renewals are reckoned from, whatever the row says
    estimated: int | None = field(default=None, compare=False)
    line: int = field(default=0, compare=False)  # its row in the file, for messages


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

    def spans(self, window: tuple[dt.date, dt.date], stream: str | None = None
              ) -> list[tuple[Regime, dt.date, dt.date]]:
        """The regimes in force during *window* (governing *stream*, if given), each with the first and last day
        of the window it governs."""
        out = []
        for k, r in enumerate(self.regimes):
            if stream is not None and stream not in r.streams:
                continue
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


def _keys(v, allowed: set, file, where: str) -> None:
    """*v* is a table whose keys are all in *allowed*; else one line naming the first key that is not."""
    if not isinstance(v, dict):
        raise PlannerError("expected a table", file=file, field=where or None)
    for k in sorted(set(v) - allowed)[:1]:
        raise PlannerError(f"unknown key {k!r} (allowed: {', '.join(sorted(allowed))})", file=file,
                           field=f"{where}.{k}" if where else k)


def regulation_from_dict(doc: dict, file, streams) -> Regulation:
    """Validate a regulation document against the streams. Raises :class:`PlannerError` naming file and key."""
    _keys(doc, {"regime"}, file, "")
    regs = doc.get("regime", [])
    if not isinstance(regs, list):
        raise PlannerError("expected [[regime]] tables", file=file, field="regime")
    out: list[Regime] = []
    for n, r in enumerate(regs, start=1):
        where = f"regime[{n}]"
        _keys(r, REGIME_KEYS, file, where)
        for key in ("id", "name", "source"):
            if not isinstance(r.get(key), str) or not r[key].strip():
                raise PlannerError("must be a non-empty text", file=file, field=f"{where}.{key}")
        if r.get("status") not in STATUSES:
            raise PlannerError(f"status must be one of {', '.join(STATUSES)}, got {r.get('status')!r}", file=file,
                               field=f"{where}.status")
        gov = r.get("streams")
        if not isinstance(gov, list) or not gov or not all(isinstance(s, str) for s in gov):
            raise PlannerError("expected the list of streams it governs", file=file, field=f"{where}.streams")
        for s in gov:
            if s not in streams:
                raise PlannerError(f"unknown stream {s!r} (known: {', '.join(sorted(streams))})", file=file,
                                   field=f"{where}.streams")
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
        if any(g.id == r["id"].strip() for g in out):
            raise PlannerError(f"a second regime {r['id']!r}", file=file, field=f"{where}.id")
        facts = {k: _fact(k, r[k], file, where, streams) for k in FACTS if k in r}
        if r.get("renewal_wave", False):  # the wave replaces the renewals of the regime before: both need a period
            before = [g for g in out if set(gov) <= g.streams]
            if not before or "renewal_every_years" not in before[-1].facts or "renewal_every_years" not in facts:
                raise PlannerError("a renewal wave needs renewal_every_years here and in a regime before it "
                                   "governing the same streams (its renewals are what the wave replaces)",
                                   file=file, field=f"{where}.renewal_wave")
        for sid in facts["kinds"].value if "kinds" in facts else ():
            if sid not in gov:
                raise PlannerError(f"{sid!r} is not one of the streams it governs", file=file,
                                   field=f"{where}.kinds.value.{sid}")
        reg = Regime(r["id"], r["name"], frozenset(gov), start, r["status"], r["source"].strip(),
                     MappingProxyType(facts), r.get("renewal_wave", False))
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
        if issued_year >= year:
            raise PlannerError(f"certificates renewed in {year} were issued before it, got {issued_year}", file=path,
                               row=row, field="issued_year")
        issued, renewals = whole("issued", 0, 2_000_000), whole("renewals", 0, 2_000_000)
        if abs(renewals - issued * share) > 0.5 + 1e-9:  # renewals = issued × renewal_share, rounded
            raise PlannerError(f"expected issued × renewal_share = {issued} × {rec['renewal_share']} ≈ "
                               f"{issued * share:g}, got {renewals}", file=path, row=row, field="renewals")
        out[(year, sid, cid)] = WaveRow(issued_year, issued, share, renewals, rec["status"], rec["basis"], line=row)
    return out


def _check_wave(reg: Regulation, path: Path) -> None:
    """Every wave row falls in a year a renewing regime governs, its certificates issued that regime's period
    before; one line naming file, row and field otherwise."""
    for (year, sid, _), w in reg.wave.items():
        renewing = [g for g in reg.regimes if g.renewal_wave and sid in g.streams
                    and (g.start is None or g.start.year <= year)]
        if not renewing:
            raise PlannerError(f"no regime of {FILE} with renewal_wave = true governs {sid} in {year}", file=path,
                               row=w.line, field="year")
        every = renewing[-1].value("renewal_every_years")
        if every and w.issued_year != year - every:
            raise PlannerError(f"regime {renewing[-1].id!r} renews every {every} years: certificates renewed in "
                               f"{year} were issued in {year - every}, got {w.issued_year}", file=path,
                               row=w.line, field="issued_year")


def _estimated(reg: Regulation, directory: Path) -> Mapping[tuple[int, str, str], WaveRow]:
    """The wave with each row's ``estimated`` renewals: its own for an 估计 row; for a bureau's row (实际), the
    shipped estimate's method on ``demand_basis.csv`` beside it (the figure an estimate's entering candidates hold),
    else its own."""
    est: dict = {}
    if any(w.status != "估计" for w in reg.wave.values()) and (directory / "demand_basis.csv").is_file():
        from .wave_estimate import estimated_renewals, read_basis

        est = estimated_renewals(read_basis(directory / "demand_basis.csv"), reg)
    return MappingProxyType({k: replace(w, estimated=w.renewals if w.status == "估计" else est.get(k, w.renewals))
                             for k, w in reg.wave.items()})


def load_regulation(directory: str | Path, streams) -> Regulation:
    """The regimes of ``DIR/regulation.toml`` and the renewal wave of ``DIR/renewal_wave.csv`` (either may be
    absent: no regime, no wave — every plan is then judged as before)."""
    from .textio import read_toml

    d = Path(directory)
    reg = regulation_from_dict(read_toml(d / FILE), d / FILE, streams) if (d / FILE).is_file() else Regulation()
    wave = load_wave(d / WAVE_FILE, streams) if (d / WAVE_FILE).is_file() else {}
    reg = replace(reg, wave=MappingProxyType(wave))
    if reg.regimes:
        _check_wave(reg, d / WAVE_FILE)
    return replace(reg, wave=_estimated(reg, d))


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


def published_kinds(reg: Regulation, stream: str, day: dt.date) -> tuple[Regime, tuple[str, ...]] | None:
    """The regime whose 考试类别 a published file may print for *stream* on *day*, with its wordings: the latest in
    force on or before *day* whose regime and ``kinds`` are both 已确认 (a 待核定 wording, or a wording dated by
    a 待核定 regime, never leaves the office); None when there is none."""
    out = None
    for r in reg.regimes:
        if r.start is not None and r.start > day:
            break
        f = r.facts.get("kinds")
        if r.status != PENDING and f is not None and not f.pending and stream in f.value:
            out = (r, tuple(f.value[stream]))
    return out


def printed_kind(ctx, session) -> str:
    """The 考试类别 a published file prints for *session*: its kind's position in the plan's kinds, worded as the
    confirmed regime in force on its exam date words it (:func:`published_kinds`: a 待核定 wording is the
    planner's, listed on the checklist, and the last confirmed one is printed until it is confirmed)."""
    cat = ctx.catalogue
    kinds = cat.streams[session.stream].kinds
    if session.kind not in kinds:
        return session.kind
    own = cat.materials_by_year.get(ctx.year)
    if own is not None and own.confirmed and session.stream in own.kinds:
        return session.kind
    there = published_kinds(of_catalogue(cat), session.stream, session.exam_date)
    return there[1][kinds.index(session.kind)] if there else session.kind


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
class Wave:
    """A category's renewal wave in one plan year, on the days a renewing-every-N-years regime governs."""

    first_day: dt.date | None  # the first day of those
    added: int  # renewal candidates added (the wave row × the share of the year those days hold)
    replaced: int  # an estimate's renewal candidates of the regime before, taken out on those days
    row: WaveRow | None = None


NO_WAVE = Wave(None, 0, 0)


@dataclass(frozen=True)
class YearRules:
    """The regimes of one plan year over its days, for the demand model."""

    regulation: Regulation
    year: int
    window: tuple[dt.date, dt.date]

    def _shares(self, stream: str, days: list[dt.date], weights: list[float]) -> list[tuple[Regime, float]]:
        total = sum(weights)
        out = []
        for regime, lo, hi in self.regulation.spans(self.window, stream):
            w = sum(x for d, x in zip(days, weights) if lo <= d <= hi)
            out.append((regime, w / total if total > 0 else 0.0))
        return out

    def return_factor(self, stream: str, r: float, days, weights) -> float:
        """Returns within the year per candidate entering: each regime's retake limit over its share of the
        year's candidates (by the monthly profile); days no regime governs (or a stream none governs): no limit,
        as ``CategoryDemand.returning``."""
        shares = self._shares(stream, days, weights)
        rest = 1.0 - sum(s for _, s in shares)
        return sum(s * retake_series(r, g.value("max_retakes")) for g, s in shares) + rest * retake_series(r, None)

    def returning(self, stream: str, base: int, r: float, days, weights) -> int:
        """Candidates coming back within the year (:meth:`return_factor` of *base* entering)."""
        return int(round(base * self.return_factor(stream, r, days, weights)))

    def wave(self, stream: str, category: str, entering: int, days, weights) -> Wave:
        """The renewal wave of an estimate's category: the year's row of renewal_wave.csv times the share of
        the year a renewing-every-N-years regime governs. The estimate's *entering* candidates hold the renewal
        candidates of the regime before it, every M years: as many as the estimate's own wave × N / M (the same
        certificates, renewed more often; :attr:`WaveRow.estimated`, also when a bureau's row gives the real
        wave), which that regime's days lose (never more than they hold)."""
        row = self.regulation.wave.get((self.year, stream, category))
        shares = self._shares(stream, days, weights)
        parts = [(k, g, s) for k, (g, s) in enumerate(shares) if g.renewal_wave and s > 0]
        if row is None or not parts:
            return NO_WAVE
        spans = self.regulation.spans(self.window, stream)
        first = min(spans[k][1] for k, _, _ in parts)
        share = sum(s for _, _, s in parts)
        wave_regime = parts[0][1]
        k = self.regulation.regimes.index(wave_regime)
        before = [g for g in self.regulation.regimes[:k] if stream in g.streams]
        new_every = wave_regime.value("renewal_every_years")
        old_every = before[-1].value("renewal_every_years") if before else None
        ratio = new_every / old_every if new_every and old_every else 0.0
        old = row.renewals if row.estimated is None else row.estimated  # the estimate's own, not a bureau's
        replaced = min(int(round(old * ratio * share)), int(round(entering * share)))
        return Wave(first, int(round(row.renewals * share)), replaced, row)


def year_rules(problem) -> YearRules:
    return YearRules(of_catalogue(problem.catalogue), problem.year, problem.window)


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _stream_name(catalogue, sid: str) -> str:
    return catalogue.streams[sid].name if sid in catalogue.streams else sid


def _printed_instead(reg: Regulation, catalogue, kinds: dict, day: dt.date) -> str:
    """What the published 附件3 prints in place of a 待核定 wording from *day* on (:func:`published_kinds`), per
    group of streams printing the same, and how the wording gets confirmed."""
    groups: dict = {}
    for sid in kinds:
        there = published_kinds(reg, sid, day)
        groups.setdefault(there and (there[0].name, there[1]), []).append(_stream_name(catalogue, sid))
    parts = []
    for printed, names in groups.items():
        whom = "" if len(groups) == 1 else "、".join(names)
        parts.append(f"{whom}仍印制《{printed[0]}》的写法（{' / '.join(printed[1])}）" if printed
                     else f"{whom}没有已确认的写法，印制计划中的写法")
    return ("附件3对外不印制此写法：" + "；".join(parts)
            + f"；核定后请技术人员在 constraints/{FILE} 中将该规定及其 kinds 的 status 改为“已确认”"
            "（或在 constraints/materials/ 的当年文件 [kinds] 中确认当年写法）")


def pending_items(catalogue, window: tuple[dt.date, dt.date], demand=None) -> list[str]:
    """The 待核定 facts of the regimes governing *window*, one Chinese line each, for the planner only."""
    reg = of_catalogue(catalogue)
    spans = reg.spans(window)
    out = []
    for g, lo, hi in spans:
        period = f"{_day(lo)}至{_day(hi)}"
        if g.status == PENDING:
            out.append(f"《{g.name}》（{period}适用）待核定：{g.source}；核对规章原文后请技术人员在 constraints/{FILE} 中"
                       "将 status 改为“已确认”并注明出处。")
        for key in FACTS:
            f = g.facts.get(key)
            if f is None or not f.pending:
                continue
            v = f.value
            printed = ""
            if key == "kinds":
                v = "；".join(f"{_stream_name(catalogue, s)}：{' / '.join(ks)}" for s, ks in v.items())
                printed = _printed_instead(reg, catalogue, f.value, lo)
            elif isinstance(v, bool):
                v = "是" if v else "否"
            out.append(f"{FACT_LABELS[key]}（{period}）待核定：{v}。依据：{f.source}" + (f"。{printed}" if printed
                                                                                   else ""))
    if len(spans) > 1:
        later = spans[1][0]
        f = later.facts.get("kinds")
        how = ("印制考试类别" if later.status != PENDING and f is not None and not f.pending else
               "办理（其考试类别写法待核定，附件3暂印已确认的写法，见上条）")
        out.append(f"本计划年度跨越规定修订施行日（{_day(spans[1][1])}）：此前各期按《{spans[0][0].name}》，"
                   f"此后各期按《{later.name}》{how}，请核对附件3。")
    year = window[0].year
    renewing = [g for g, _, _ in spans if g.renewal_wave]
    if renewing and not any(k[0] == year for k in reg.wave):
        # the periods as the regimes state them (Order No. 30: 复审 every 3 years; the revision: 换证 every 6)
        before = reg.regimes[:reg.regimes.index(renewing[0])]  # regimes are in date order (the reader checks)
        old = before[-1].value("renewal_every_years") if before else None
        new = renewing[0].value("renewal_every_years")
        said = (f"仍按原规定每{old}年复审计入复审考生，未按每{new}年换证调整" if old and new
                else "仍按原规定计入复审考生，未按换证周期调整")
        out.append(f"{year}年没有到期换证人数的估计（constraints/{WAVE_FILE}）：程序提供的需求估计中，本年{said}；"
                   "请技术人员补充该年的行。")
    return out


def demand_notes(ctx) -> list[str]:
    """What `planner demand show` says under its tables: the regimes of the year and what they change in the
    demand, then the 待核定 facts (for the planner; never in a published file)."""
    reg = of_catalogue(ctx.catalogue)
    out = []
    for g, lo, hi in reg.spans(ctx.window):
        retakes = g.value("max_retakes")
        out.append(f"{lo} … {hi}: {g.name}（{g.status}）; returning candidates counted with at most "
                   f"{'no limit of' if retakes is None else retakes} retake(s)"
                   + ("; renewal wave from renewal_wave.csv" if g.renewal_wave else ""))
    if ctx.demand is not None and ctx.demand.demand.estimated and any(
            ln["renewal_wave"] for sf in ctx.demand.streams.values() for ln in sf.lines.values()):
        out.append("renewal wave (估计, renewal_wave.csv): on the days the revised rules govern, the estimate's "
                   "renewal candidates of Order No. 30 (复审 every 3 years: 'old renewals') are replaced by those "
                   "of certificates issued 6 years before; method in planner/demand_estimate.py")
        out.append("待核定：新规定下到期换证是否须参加考试（换证考生按参加考试计入需求）。")
    out += [f"待核定：{x}" if not x.startswith(("《", "本计划")) and "待核定" not in x else x
            for x in pending_items(ctx.catalogue, ctx.window)]
    return out
