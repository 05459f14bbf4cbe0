"""Candidates per month, one panel per stream, stacked by site, against the seats offered: people, not sessions.

Drawn only with a demand file (``--demand``): every figure derives from it, so the title says 估计 unless the file
holds the bureau's own registrations (and names what is still estimated when it is mixed, ``demand.demand_origin``).
The marks are the seats the month's sessions offer; the gap between bar and mark is seats left empty (a
category's share no candidate of it took). Above the seated candidates, hatched, those ready by the month's end
and still waiting for a seat: a month whose sessions are full looks different with nobody left waiting and with
thousands. A pile too tall for the panel is cut at its top and its figure written there, so the seats and the
seated stay readable.
"""
from __future__ import annotations

import calendar as _cal
import datetime as dt

from . import style as S

#: the hatched pile of candidates still waiting: grey, so it never reads as one more site
WAITING = "#9a9a9a"


def waiting_by_month(load, facts, sid: str, months) -> list[int]:
    """Candidates of stream *sid* ready by each month's last day and not yet seated by the sessions held up to then."""
    sf = facts.streams[sid]
    out = []
    for y, m in months:
        end = dt.date(y, m, _cal.monthrange(y, m)[1])
        ready = sum(sf.cumulative(c)[_ready(sf.ready_days, end)] for c in sf.categories)
        seated = sum(s.candidates for s in load.sessions if s.stream == sid and s.exam_date <= end)
        out.append(max(0, ready - seated))
    return out


def _ready(days, last) -> int:
    import bisect

    return bisect.bisect_right(days, last)


def draw(plan, ctx, flag: str = ""):
    from ..queueing import evaluate
    from ..demand import demand_origin

    load = evaluate(plan, ctx)
    streams = [sid for sid in plan.streams() if sid in ctx.demand.streams]
    exams = sorted(s.exam_date for s in load.sessions)
    months = S.months(exams[0], exams[-1]) if exams else []
    fig = S.new_figure(10, 1.2 + 2.6 * max(len(streams), 1), layout=None)
    axes = fig.subplots(max(len(streams), 1), 1, sharex=True, squeeze=False)[:, 0]
    x = list(range(len(months)))
    for ax, sid in zip(axes, streams):
        sessions = [s for s in load.sessions if s.stream == sid]
        bottom = S.site_month_bars(ax, months, sessions, ctx, lambda s: s.candidates)
        seats = [sum(s.seats for s in sessions if (s.exam_date.year, s.exam_date.month) == ym) for ym in months]
        waiting = waiting_by_month(load, ctx.demand, sid, months)
        ax.bar(x, waiting, bottom=bottom, color="white", edgecolor=WAITING, hatch="///", linewidth=0.6, width=0.7,
               label="仍候考")
        ax.plot(x, seats, color=S.DEADLINE, marker="_", markersize=14, linestyle="", label="考位")
        ax.set_ylabel("人")
        room = max(seats + bottom + [1]) * 1.15
        top = max([b + w for b, w in zip(bottom, waiting)] + [room])
        if top > 2 * room:  # far more waiting than seats: cut the piles, write their figure at the top
            for i, (b, w) in enumerate(zip(bottom, waiting)):
                if b + w > 2 * room:
                    ax.text(i, 2 * room * 0.97, f"候考{w}", ha="center", va="top", fontsize=7, color="#7a1010",
                            rotation=90)
            top = 2 * room
        ax.set_ylim(0, top * 1.02 if top > room else room)
        cats = [c for c in load.categories if c.stream == sid]
        expected, carried = sum(c.candidates for c in cats), sum(c.carried_over for c in cats)
        ax.set_title(f"{ctx.catalogue.streams[sid].name}（预计考生{expected}人，安排{sum(bottom)}人，考位{sum(seats)}个，"
                     f"结转下年{carried}人）", fontsize=11, loc="left")
        ax.legend(title="考点", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    label = demand_origin(ctx.demand.demand)["label"] if streams else load.status
    S.finish_month_panels(fig, axes, months, plan, ctx, f"运城市{plan.year}年各考点每月安排考生与考位（{label}）",
                          flag, load.sessions, left=0.7)
    return fig
