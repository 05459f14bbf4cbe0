"""Back-test of the holiday prediction (``planner.holiday_forecast``): every official year from 2015 to
the newest the installed ``holidays`` carries, each predicted from the official years before it only, and
compared with the State Council's arrangement.

    python benchmarks/holiday_forecast.py            # rewrites benchmarks/RESULTS-holidays.md
    python benchmarks/holiday_forecast.py --out ''   # prints only

*Days off* are the year's days off on Monday–Friday (the days an exam must avoid; weekend days are off
anyway); *make-up days* the weekend days that are working days. A festival's block is *exact* when the
predicted run of days off is the official one, *with make-up days* when its make-up days are the official
ones too. The baseline is what the planner assumed before it predicted: the statutory days and the
library's 补假, no make-up days. Deterministic: the same ``holidays`` release gives the same file.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planner import holiday_forecast as H  # noqa: E402

FIRST_YEAR = 2015


def years() -> list[int]:
    from planner.calendar import official_years

    return [y for y in sorted(official_years()) if y >= FIRST_YEAR]


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "–"


def table(ys: list[int]) -> str:
    import holidays

    scores = [H.score(y) for y in ys]
    lines = [f"# Holiday prediction back-test (holidays {holidays.__version__}, {ys[0]}–{ys[-1]})", "",
             "Each year predicted from the official years before it only (`python benchmarks/holiday_forecast.py`).",
             "", "| year | days off: precision | recall | make-up days: precision | recall | blocks exact "
             "| with make-up days | missed blocks | baseline recall |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    tot = [0] * 10
    per_f: dict[str, list[int]] = {}
    for s in scores:
        exact = sum(a for a, _ in s.blocks.values())
        full = sum(b for _, b in s.blocks.values())
        for f, (a, b) in s.blocks.items():
            c = per_f.setdefault(f, [0, 0, 0])
            c[0] += a
            c[1] += b
            c[2] += 1
        row = [s.off_hit, s.off_predicted, s.off_official, s.makeup_hit, s.makeup_predicted, s.makeup_official,
               exact, full, len(s.blocks), s.baseline_off_hit]
        tot = [a + b for a, b in zip(tot, row)]
        missed = ", ".join(H.ZH[f] for f, (a, _) in s.blocks.items() if not a) or "–"
        lines.append(f"| {s.year} | {pct(s.off_hit, s.off_predicted)} | {pct(s.off_hit, s.off_official)} "
                     f"| {pct(s.makeup_hit, s.makeup_predicted)} | {pct(s.makeup_hit, s.makeup_official)} "
                     f"| {exact} of {len(s.blocks)} | {full} of {len(s.blocks)} | {missed} "
                     f"| {pct(s.baseline_off_hit, s.off_official)} |")
    lines.append(f"| **all** | **{pct(tot[0], tot[1])}** ({tot[0]} of {tot[1]}) | **{pct(tot[0], tot[2])}** "
                 f"({tot[0]} of {tot[2]}) | **{pct(tot[3], tot[4])}** ({tot[3]} of {tot[4]}) "
                 f"| **{pct(tot[3], tot[5])}** ({tot[3]} of {tot[5]}) | **{tot[6]} of {tot[8]}** "
                 f"({pct(tot[6], tot[8])}) | **{tot[7]} of {tot[8]}** ({pct(tot[7], tot[8])}) | | "
                 f"**{pct(tot[9], tot[2])}** |")
    lines += ["", "Per festival (blocks exact / with make-up days / years):", "",
              "| festival | block exact | with make-up days |", "| --- | --- | --- |"]
    for f in H.FESTIVALS:
        if f in per_f:
            a, b, n = per_f[f]
            lines.append(f"| {H.ZH[f]} | {a} of {n} | {b} of {n} |")
    lines += ["", "国庆节 counts 中秋节 in when they are joined (中秋节 then has no block of its own). "
              "The baseline's precision is 100 % by construction (statutory days are days off).", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "RESULTS-holidays.md"), help="result file ('' = print only)")
    ap.add_argument("--years", help="comma-separated years (default: every official year from 2015)")
    a = ap.parse_args(argv)
    text = table([int(y) for y in a.years.split(",")] if a.years else years())
    print(text)
    if a.out:
        Path(a.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
