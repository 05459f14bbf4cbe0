"""Calendar load charts, one module per chart (matplotlib, Chinese labels; see ``style``)."""
from __future__ import annotations

#: chart file stem -> (module, draw function): the set ``planner publish`` writes
CHARTS = {
    "calendar": "calendar_heatmap",
    "site_month": "site_month",
    "registration_windows": "registration_timeline",
}
#: drawn only with a demand file (people, not sessions)
DEMAND_CHARTS = {"candidates_month": "candidates_month", "waits": "waits"}


def all_charts(plan, ctx, flag: str = "", formats=("svg",)) -> dict[str, dict[str, bytes]]:
    """Stem -> {format: bytes} for every publish chart, each drawn once and rendered once per format.

    SVG only by default: the report embeds it and the web page shows it; PNG costs a second
    rendering and is asked for only where a file needs it."""
    import importlib

    from .style import render

    charts = dict(CHARTS)
    if getattr(ctx, "demand", None) is not None:
        charts.update(DEMAND_CHARTS)
    return {stem: render(importlib.import_module(f"{__name__}.{mod}").draw, plan, ctx, flag, formats=formats)
            for stem, mod in charts.items()}
