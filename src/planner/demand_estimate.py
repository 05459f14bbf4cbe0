"""The shipped demand estimate, built from public figures by a stated method (``python -m planner.demand_estimate``).

Yuncheng publishes no candidate numbers. ``constraints/demand_basis.csv`` lists every figure used, each
quoted from a row of ``constraints/demand_anchors.csv`` (other cities' published figures, with sources) or
marked 假设 (an assumption). The method, per stream and category:

1. sittings a year = 襄阳's 2024 person-exams (人次, read as sittings) of the category × ``scale`` (假设 1.0: a
   prefecture-level city of the same order; the one quantity checked for both cities, resident population at the
   2020 census, gives 4 774 508 / 5 260 951 = 0.91; industry, employment and enterprises were not checked; the
   README's sensitivity table shows what ±20 % and 0.91 change). 襄阳's categories that are not in Yuncheng's
   catalogue (烟花爆竹, 17) are left out;
2. registrations = sittings ÷ the share who show up (北京 2023-11: 92.7 %);
3. candidates entering the year (``first_time``) = registrations × (1 − r), r = (1 − show × pass) × retake
   share: the rest are taken to be the year's own returns. This inverts *unlimited* retakes (r / (1 − r)); the
   demand model adds back fewer — at most the regime's ``max_retakes`` (Order No. 30: one) and only the returns
   inside the window — so the model's registrations of a year under Order No. 30 fall short of sittings ÷ show:
   2025, measured with ``planner demand show --year 2025`` (2026-12-05): 电工作业 10 580 against 10 800 (−2.0 %),
   焊接与热切割作业 10 417 against 10 584 (−1.6 %), 高处作业 4 797 against 4 936 (−2.8 %), 危险化学品安全作业 692
   against 761 (−9.0 %); managers (no retake limit) 2 529 and 29 the next year's against 2 558. The import's
   inversion (``planner.demand_import``: the regulation's limit and window, here 2024's) would give 9 807
   electrical, 9 751 welding, 4 389 height and 610 hazchem entering instead of 9 604, 9 594, 4 264 and 555: a
   change of the shipped estimate left to its owner (every measured table of the README is on these figures);
4. seats per exam day at every site of the stream = 北京's registrations of one exam week ÷ its sites ÷ the
   week's 7 days (假设: every site examined every day of the week; the source gives the week's dates only, and a
   5-day reading gives 148 seats, not 106; registrations stand in for seats); one session takes
   ``days_per_session`` exam days;
5. the monthly profile is flat (no public monthly figures).

Every factor's source is in each category's ``basis`` (the scale, the show rate, the returns with their retake
share, the pass rate); a figure of ``demand_basis.csv`` out of its range, unknown, given twice or naming a
category not in the catalogue is refused with its row (``planner.wave_estimate.read_basis``), nothing written.

The renewal wave (``constraints/renewal_wave.csv``, :func:`wave_text`; its method in ``planner.wave_estimate``), per
plan year from the first year of a regime that renews every N years (``regulation.toml``, ``renewal_wave = true``; N
= 6, 待核定) for ``WAVE_YEARS`` years (2026–2035), per special-operations category. The candidates entering a year
(``first_time`` above, F) are taken to be, under the regime before (renewal every M = 3 years), initial candidates I
and renewals of the certificates they earn: F = I + (N / M) × s × p × I, with p the pass rate and s =
``renewal_share`` (假设: the share of holders who renew here), issuance being the same every year (假设: no yearly
history is public). So certificates issued N years before = I × p, and the wave = I × p × s. On the days the new
regime governs, the demand model takes the old renewals (wave × N / M) out of F and puts the wave in.

Every number written says 估计 and where it came from; ``tests/test_demand.py`` rebuilds the shipped file
and compares bytes, so the file cannot drift from its method.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import constraints_dir
from .errors import PlannerError
from .textio import atomic_write_text
from .wave_estimate import _fmt, _wave_rows, read_basis  # noqa: F401 (read_basis: this module's public name too)


def build(basis: dict[str, tuple[float, str]], rule_streams: dict[str, tuple[str, ...]]) -> str:
    """The demand TOML text for the streams and sites in *rule_streams* (stream -> its sites)."""
    def v(key: str) -> float:
        if key not in basis:
            raise PlannerError(f"missing figure {key!r}", file="demand_basis.csv", field="key")
        return basis[key][0]

    show, share, scale = v("show_rate"), v("retake_share"), v("scale")
    show_zh, share_zh, scale_zh = basis["show_rate"][1], basis["retake_share"][1], basis["scale"][1]
    seats = round(v("seats.registered") / v("seats.sites") / v("seats.days"))
    lines = [
        "# Demand for the Yuncheng plan year: an ESTIMATE (估计) built from other cities' public figures by",
        "# `python -m planner.demand_estimate` (method in its docstring; figures in demand_basis.csv).",
        "# A bureau replaces it with its own registrations: `planner demand import EXPORT --out FILE`.",
        "# Format: constraints/README.md.",
        'name = "yuncheng-estimate"',
        'status = "估计"',
        'source = "constraints/demand_anchors.csv (北京 2023-11, 襄阳 2024), constraints/demand_basis.csv"',
        f'method = "襄阳2024年考试人次×{_fmt(scale)}（假设）÷到考率{_fmt(show)}，扣除当年补考回流；'
        f'考位按北京一周{int(v("seats.registered"))}人/{int(v("seats.sites"))}个考点/{int(v("seats.days"))}天估计"',
        "",
    ]
    for sid in rule_streams:
        cats = sorted({k.split(".")[1] for k in basis if k.startswith(sid + ".") and k.endswith(".sat")})
        if not cats:
            continue
        lines += [f"[streams.{sid}]", f"arrival_every_days = {int(v('arrival_every_days'))}   # 假设：每周一批结业",
                  f"retake_lag_days = {int(v('retake_lag_days'))}      # 假设", ""]
        for c in cats:
            sat, src = basis[f"{sid}.{c}.sat"]
            pas = v(f"{sid}.{c}.pass_rate")
            r = (1 - show * pas) * share
            first = round(sat * scale / show * (1 - r))
            lines += [
                f"[streams.{sid}.categories.{c}]",
                f"first_time = {first}",
                "renewal = 0        # 估计未拆分：公开数字只有总人次",
                "retake = 0",
                "profile = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]   # 假设：无公开的月度数字",
                f"show_rate = {_fmt(show)}   # {show_zh}",
                f"pass_rate = {_fmt(pas)}",
                f"retake_share = {_fmt(share)}   # {share_zh}",
                # every factor with its source: a planner reading one category sees where each number comes from
                f'basis = "估计：{src}人次×{_fmt(scale)}÷{_fmt(show)}×(1−{_fmt(r)})；×{_fmt(scale)}为{scale_zh}；'
                f'÷{_fmt(show)}为{show_zh}；1−{_fmt(r)}扣除当年补考回流，{_fmt(r)}＝(1−{_fmt(show)}×{_fmt(pas)})'
                f'×未过再报比例{_fmt(share)}（假设）；合格率{basis[f"{sid}.{c}.pass_rate"][1]}"',
                "",
            ]
    sites = sorted({i for ss in rule_streams.values() for i in ss})
    for site in sites:
        lines += [f"[sites.{site}]", f"seats_per_day = {seats}",
                  f"days_per_session = {int(v('days_per_session'))}", f"max_days = {int(v('max_days'))}",
                  f'basis = "估计：{basis["seats.registered"][1]}人÷{int(v("seats.sites"))}个考点÷'
                  f'{int(v("seats.days"))}天（{basis["seats.days"][1]}；报考人数当作考位数）；'
                  f'每期{int(v("days_per_session"))}天为假设"', ""]
    return "\n".join(lines).rstrip() + "\n"


def wave_text(basis: dict[str, tuple[float, str]], regulation) -> str:
    """renewal_wave.csv: the expected renewals per plan year and category, by the method in the docstring; a
    bureau's own row (status 实际) in *regulation*'s wave is kept as it is (a rebuild never overwrites it)."""
    import csv
    import io

    buf = io.StringIO()
    buf.write("# The renewal wave: expected renewals per plan year and category, an ESTIMATE (估计) built by\n"
              "# `python -m planner.demand_estimate` (method in its docstring; figures in demand_basis.csv).\n"
              "# A bureau replaces a row with the certificates it issued (status 实际). Format: constraints/README.md.\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["year", "stream", "category", "issued_year", "issued", "renewal_share", "renewals", "status",
                "basis"])
    own = {k: r for k, r in regulation.wave.items() if r.status != "估计"}
    for year, sid, c, issued_year, issued, share, renewals, text in _wave_rows(basis, regulation):
        r = own.pop((year, sid, c), None)
        if r is not None:
            w.writerow([year, sid, c, r.issued_year, r.issued, _fmt(r.renewal_share), r.renewals, r.status, r.basis])
        else:
            w.writerow([year, sid, c, issued_year, issued, _fmt(share), renewals, "估计", text])
    for (year, sid, c), r in sorted(own.items()):  # a bureau's rows for years the method does not cover
        w.writerow([year, sid, c, r.issued_year, r.issued, _fmt(r.renewal_share), r.renewals, r.status, r.basis])
    return buf.getvalue()


def default_wave_text() -> str:
    from .data import load_catalogue
    from .regulation import load_regulation

    d, cat = constraints_dir(), load_catalogue()
    return wave_text(read_basis(d / "demand_basis.csv", cat), load_regulation(d, cat.streams))


def default_text() -> str:
    """The shipped estimate for the embedded rule set's streams (those the rotation and managers tables hold)."""
    from .data import load_catalogue
    from .ruleset import load_ruleset

    rs = load_ruleset(None)
    streams = {sid: tuple(sites) for sid, sites in rs.streams.items() if sid in ("managers", "special_ops")}
    return build(read_basis(constraints_dir() / "demand_basis.csv", load_catalogue()), streams)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m planner.demand_estimate",
                                 description="Rebuild constraints/demand.toml and renewal_wave.csv from "
                                             "constraints/demand_basis.csv.")
    ap.add_argument("--out", default=str(constraints_dir() / "demand.toml"))
    ap.add_argument("--wave-out", default=str(constraints_dir() / "renewal_wave.csv"))
    args = ap.parse_args(argv)
    try:
        wave = default_wave_text()  # both built before either is written
        atomic_write_text(args.out, default_text())
        atomic_write_text(args.wave_out, wave)
    except PlannerError as e:
        print(f"planner.demand_estimate: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
