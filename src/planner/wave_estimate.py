"""The estimate's figures (``constraints/demand_basis.csv``) and its renewal-wave method, below the regulation.

``planner.demand_estimate`` writes the shipped estimate (method in its docstring); this part of it is what
``planner.regulation`` also needs: the renewals the method gives a plan year and category
(:func:`estimated_renewals`), which an estimate's entering candidates were built around, so that a bureau's own
wave row (实际) replaces them and not a figure derived from the bureau's row.
"""
from __future__ import annotations

from pathlib import Path

from .errors import PlannerError
from .textio import read_csv_rows

BASIS_HEADER = ["key", "value", "place", "period", "quote", "zh"]


#: the figures demand_basis.csv may hold and their ranges, (whole number?, lowest, highest), as the demand file's
#: own reader (``planner.demand``) allows what they become; a category's figures are ``STREAM.CATEGORY.sat`` (its
#: sittings a year) and ``STREAM.CATEGORY.pass_rate``
#: the demand file's own limits (``planner.demand``, which imports the regulation and so cannot be imported here;
#: tests/test_demand_estimate_audit_v.py holds the two equal)
MAX_CANDIDATES, MAX_SEATS_PER_DAY, MAX_DAYS_PER_SESSION = 2_000_000, 100_000, 10
CATEGORY_RANGES = {"sat": (True, 0, MAX_CANDIDATES), "pass_rate": (False, 0.01, 1)}
BASIS_RANGES = {
    "show_rate": (False, 0.01, 1),
    "retake_share": (False, 0, 1),
    "renewal_share": (False, 0, 1),
    "scale": (False, 0.01, 100),
    "seats.registered": (True, 1, MAX_CANDIDATES),
    "seats.sites": (True, 1, MAX_SEATS_PER_DAY),
    "seats.days": (True, 1, 31),
    "days_per_session": (True, 1, MAX_DAYS_PER_SESSION),
    "max_days": (True, 1, MAX_DAYS_PER_SESSION),
    "arrival_every_days": (True, 1, 31),
    "retake_lag_days": (True, 0, 180),
}


def read_basis(path: Path, catalogue=None) -> dict[str, tuple[float, str]]:
    """key -> (the figure, its source in Chinese: the ``zh`` column, which the published basis texts quote).

    A figure the estimate cannot be built from — not a number, out of its range (:data:`BASIS_RANGES`), a key
    given twice or unknown, with *catalogue* a stream or category not in it, seats per exam day outside the demand
    file's range, nine in ten candidates or more coming back — is a :class:`PlannerError` naming the file, the row
    and the field, before anything is written."""
    out, rows = {}, {}
    for row, rec in read_csv_rows(path, BASIS_HEADER):
        key = rec["key"]
        try:
            value = float(rec["value"])
        except ValueError:
            raise PlannerError(f"not a number: {rec['value']!r}", file=path, row=row, field="value") from None
        if not rec["zh"]:
            raise PlannerError("is required: the figure and its source in Chinese", file=path, row=row, field="zh")
        parts = key.split(".")
        kind = parts[2] if len(parts) == 3 and parts[2] in CATEGORY_RANGES and all(parts) else key
        if kind == key and key not in BASIS_RANGES:
            raise PlannerError(f"unknown key {key!r} (known: {', '.join(sorted(BASIS_RANGES))}, "
                               "STREAM.CATEGORY.sat, STREAM.CATEGORY.pass_rate)", file=path, row=row, field="key")
        if key in rows:
            raise PlannerError(f"{key!r} is given twice (also row {rows[key]})", file=path, row=row, field="key")
        if catalogue is not None and kind != key:
            sid, cid = parts[0], parts[1]
            if sid not in catalogue.streams:
                raise PlannerError(f"unknown stream {sid!r} (known: {', '.join(sorted(catalogue.streams))})",
                                   file=path, row=row, field="key")
            if cid not in catalogue.streams[sid].categories:
                raise PlannerError(f"{cid!r} is not a category of stream {sid!r} (known: "
                                   f"{', '.join(sorted(catalogue.streams[sid].categories))})", file=path, row=row,
                                   field="key")
        whole, lo, hi = CATEGORY_RANGES[kind] if kind != key else BASIS_RANGES[kind]
        if not lo <= value <= hi:  # NaN fails both
            raise PlannerError(f"{rec['value']} is out of range [{lo:g}, {hi:g}]", file=path, row=row, field="value")
        if whole and value != int(value):
            raise PlannerError(f"expected a whole number, got {rec['value']}", file=path, row=row, field="value")
        out[key], rows[key] = (value, rec["zh"]), row
    _check_together(out, rows, path)
    return out


def _check_together(basis: dict[str, tuple[float, str]], rows: dict[str, int], path: Path) -> None:
    """What the figures give together must be a demand file the planner reads (``planner.demand``)."""
    v = {k: f for k, (f, _) in basis.items()}
    if "days_per_session" in v and "max_days" in v and v["days_per_session"] > v["max_days"]:
        raise PlannerError(f"days_per_session {v['days_per_session']:g} is more than max_days {v['max_days']:g}",
                           file=path, row=rows["days_per_session"], field="value")
    if all(k in v for k in ("seats.registered", "seats.sites", "seats.days")):
        seats = round(v["seats.registered"] / v["seats.sites"] / v["seats.days"])
        if not 1 <= seats <= MAX_SEATS_PER_DAY:
            raise PlannerError(f"gives {seats} seats per exam day (registered ÷ sites ÷ days), out of range "
                               f"[1, {MAX_SEATS_PER_DAY}]", file=path, row=rows["seats.registered"], field="value")
    if "show_rate" in v and "retake_share" in v:
        for k in sorted(k for k in v if k.endswith(".pass_rate")):
            if (1 - v["show_rate"] * v[k]) * v["retake_share"] > 0.9:
                raise PlannerError("nine in ten candidates or more would come back (with show_rate and "
                                   "retake_share): check the figures", file=path, row=rows[k], field="value")
    sats = {k.rsplit(".", 1)[0] for k in v if k.endswith(".sat")}
    rates = {k.rsplit(".", 1)[0] for k in v if k.endswith(".pass_rate")}
    for c in sorted(sats ^ rates):
        have, missing = (("sat", "pass_rate") if c in sats else ("pass_rate", "sat"))
        raise PlannerError(f"{c}.{have} has no {c}.{missing}", file=path, row=rows[f"{c}.{have}"], field="key")


def _fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".")


WAVE_STREAMS = ("special_ops",)  # the regulation's change is for special operations; managers' rules differ
#: plan years the shipped wave covers from the renewing regime's first year: up to the first year whose renewals are
#: certificates issued under that regime (N years on) and a few after; a later year's estimate keeps the regime
#: before's renewals and its checklist says so
WAVE_YEARS = 10


def _wave_rows(basis: dict[str, tuple[float, str]], regulation):
    """(year, stream, category, issued_year, issued, share, renewals, basis text) by the method in the docstring."""
    def v(key: str) -> float:
        if key not in basis:
            raise PlannerError(f"missing figure {key!r}", file="demand_basis.csv", field="key")
        return basis[key][0]

    scale, share, show = v("scale"), v("renewal_share"), v("show_rate")
    for k, regime in enumerate(regulation.regimes):
        before = [g for g in regulation.regimes[:k] if set(WAVE_STREAMS) <= g.streams]
        if not regime.renewal_wave or regime.start is None or not before:
            continue
        every, old = regime.value("renewal_every_years", 6), before[-1].value("renewal_every_years", 3)
        for year in range(regime.start.year, regime.start.year + WAVE_YEARS):
            for sid in WAVE_STREAMS:
                for c in sorted({k.split(".")[1] for k in basis if k.startswith(sid + ".") and k.endswith(".sat")}):
                    sat, src = basis[f"{sid}.{c}.sat"]
                    pas = v(f"{sid}.{c}.pass_rate")
                    first = round(sat * scale / show * (1 - (1 - show * pas) * v("retake_share")))  # as build()
                    initial = first / (1 + every / old * share * pas)
                    issued = round(initial * pas)
                    yield (year, sid, c, year - every, issued, share, round(issued * share),
                           f"估计：{year - every}年发证数＝初次考生×合格率{_fmt(pas)}，初次考生＝入年考生{first}"
                           f"÷(1＋{every}/{old}×{_fmt(share)}×{_fmt(pas)})（{src}人次；各年相同，假设）；"
                           f"换证比例{_fmt(share)}（假设）；每{every}年换证（{regime.id}），此前每{old}年复审")


def estimated_renewals(basis: dict[str, tuple[float, str]], regulation) -> dict[tuple[int, str, str], int]:
    """(year, stream, category) -> the renewals the method gives: what the estimate's candidates were built around."""
    return {(r[0], r[1], r[2]): r[6] for r in _wave_rows(basis, regulation)}
