"""What the trust audit of candidates and seats (audit O) found, each pinned on the smallest input that showed it:

* the subscription token handed to one training institution opened every institution's calendar (``/ics/<any>.ics``):
  each institution's link now carries a token of its own (derived from the workspace's subscription secret), which
  opens only that institution's calendar and nothing else;
* a site's or category's name holding two ``$`` (an institutions.csv row, a scenario's new institution) was drawn
  as matplotlib's mathtext: set in italics, or, unparsable (``$\\frac$``), an internal error that stopped the
  publication.
"""
from __future__ import annotations

import dataclasses
import importlib
import re
import warnings

import pytest

from planner.charts import CHARTS, DEMAND_CHARTS
from planner.charts import style as S
from planner.data import scenarios_dir
from planner.demand import load_demand

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from planner.web import security  # noqa: E402
from planner.web.app import create_app  # noqa: E402
from test_web_probes import ADMIN, published  # noqa: E402,F401 (the token-protected app with 2024 published)

PLAN_CSV = (scenarios_dir() / "plan_2024.csv").read_text(encoding="utf-8")


# -- a chart draws a name as it is written ----------------------------------------------------------------------
def _renamed(ctx, site: str, short: str, category: str | None = None, name: str | None = None):
    cat = ctx.catalogue
    insts = {**cat.institutions, site: dataclasses.replace(cat.institutions[site], short_name=short)}
    cat = dataclasses.replace(cat, institutions=insts)
    if category is not None:
        ops = {k: dataclasses.replace(op, category=name) if op.category_code == category else op
               for k, op in cat.operations.items()}
        cat = dataclasses.replace(cat, operations=ops)
    return dataclasses.replace(ctx, catalogue=cat)


@pytest.mark.parametrize("stem", [*CHARTS, *DEMAND_CHARTS])
def test_a_name_with_dollar_signs_is_drawn_as_written_never_as_mathtext(stem, plan2024, ctx2024):
    ctx = _renamed(ctx2024, "huaan", "华安$\\frac$", "electrical", "电工$\\sqrt$作业")
    if stem in DEMAND_CHARTS:
        ctx = ctx.with_demand(load_demand(None, ctx.catalogue))
    module = CHARTS.get(stem) or DEMAND_CHARTS[stem]
    draw = importlib.import_module(f"planner.charts.{module}").draw
    images = S.render(draw, plan2024, ctx, formats=("svg",))  # before: ValueError from matplotlib's mathtext parser
    assert images["svg"].startswith(b"<?xml")


def test_two_dollar_signs_keep_their_text_in_the_svg(plan2024, ctx2024):
    """``华安$1$`` is drawn with the same glyphs as ``华安$1`` (one ``$``, never mathtext): the dollar signs and the 1
    as written, not a mathtext ``1`` in italics with the dollar signs gone."""
    draw = importlib.import_module(f"planner.charts.{CHARTS['site_month']}").draw

    def glyphs(short: str) -> set[str]:
        svg = S.render(draw, plan2024, _renamed(ctx2024, "huaan", short), formats=("svg",))["svg"].decode()
        return set(re.findall(r'<path id="([^"]+)"', svg))

    assert glyphs("华安$1$") == glyphs("华安$1")


# -- one institution's link opens that institution's calendar only ----------------------------------------------


def _links(client, vid) -> dict[str, str]:
    page = client.get(f"/publish?v={vid}").text
    return {inst: tok for inst, tok in re.findall(r"http://192\.0\.2\.10:8765/ics/([a-z_]+)\.ics\?token=([^\s\"<&]+)",
                                                  page)}


def test_each_institution_s_link_carries_its_own_token(published):
    app, client, vid = published
    links = _links(client, vid)
    assert len(links) >= 7 and len(set(links.values())) == len(links)
    for inst, tok in links.items():
        assert security.token_bits(tok) >= 128 and tok != ADMIN
        assert tok != app.state.bench.sub_token  # the workspace's secret itself is never handed out


def test_an_institution_s_token_opens_its_calendar_and_no_other(published):
    app, client, vid = published
    links = _links(client, vid)
    with TestClient(app) as stranger:
        r = stranger.get(f"/ics/huaan.ics?token={links['huaan']}")
        assert r.status_code == 200 and r.text.startswith("BEGIN:VCALENDAR") and "set-cookie" not in r.headers
        for other in ("juteng", "ruiyang", "xinshiji"):
            r = stranger.get(f"/ics/{other}.ics?token={links['huaan']}")  # before: 200, another institution's calendar
            assert r.status_code == 403 and "BEGIN:VCALENDAR" not in r.text and "只能订阅本机构的日历" in r.text
        for path in ("/plan", "/publish", "/demand", "/demand/export.toml", f"/files/{vid}/plan.json", f"/zip/{vid}",
                     f"/files/{vid}/ics/juteng.ics"):
            page = stranger.get(path, params={"token": links["huaan"]})
            assert page.status_code == 403 and app.state.csrf not in page.text and "BEGIN:VCALENDAR" not in page.text
        r = stranger.post(f"/demand?token={links['huaan']}", data={"csrf": app.state.csrf, "note": "x"})
        assert r.status_code == 403
        # sent as a cookie or a header, the same
        stranger.cookies.set("planner_token", links["huaan"])
        assert stranger.get("/ics/huaan.ics").status_code == 200
        assert stranger.get("/ics/juteng.ics").status_code == 403


def test_the_workspace_s_subscription_secret_no_longer_opens_every_calendar(published):
    """A link of an earlier workbench carried the one shared token: it is told, in Chinese, to ask for its own."""
    app, _, _ = published
    with TestClient(app) as stranger:
        r = stranger.get(f"/ics/juteng.ics?token={app.state.bench.sub_token}")
        assert r.status_code == 403 and "BEGIN:VCALENDAR" not in r.text and "订阅地址已更换" in r.text


def test_the_institution_tokens_survive_a_restart(published):
    app, client, vid = published
    again = create_app(app.state.ws.root, token="Another9TokenOf24Chars_x", warm=False, documents=False)
    with TestClient(again) as stranger:
        r = stranger.get(f"/ics/juteng.ics?token={_links(client, vid)['juteng']}")
        assert r.status_code == 200 and r.text.startswith("BEGIN:VCALENDAR")
