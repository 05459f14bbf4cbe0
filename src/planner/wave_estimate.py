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


def read_basis(path: Path) -> dict[str, tuple[float, str]]:
    """key -> (the figure, its source in Chinese: the ``zh`` column, which the published basis texts quote)."""
    out = {}
    for row, rec in read_csv_rows(path, BASIS_HEADER):
        try:
            value = float(rec["value"])
        except ValueError:
            raise PlannerError(f"not a number: {rec['value']!r}", file=path, row=row, field="value") from None
        if not rec["zh"]:
            raise PlannerError("is required: the figure and its source in Chinese", file=path, row=row, field="zh")
        out[rec["key"]] = (value, rec["zh"])
    return out


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
