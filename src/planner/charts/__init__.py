"""Calendar load charts, one module per chart (matplotlib, Chinese labels; see ``style``)."""
from __future__ import annotations

#: chart file stem -> (module, draw function): the set ``planner publish`` writes
CHARTS = {
    "calendar": "calendar_heatmap",
    "site_month": "site_month",
    "registration_windows": "registration_timeline",
}


def all_charts(plan, ctx, flag: str = "") -> dict[str, dict[str, bytes]]:
    """Stem -> {"png": bytes, "svg": bytes} for every publish chart, rendered in memory."""
    import importlib

    from .style import render

    return {stem: render(importlib.import_module(f"{__name__}.{mod}").draw, plan, ctx, flag)
            for stem, mod in CHARTS.items()}
