#!/usr/bin/env python
"""Generated provinces: C cities that differ, each a Yuncheng-like rule set, sharing one daily cap.

    python benchmarks/province_gen.py --cities 11 --year 2024     # prints what each city got

Every city starts from ``constraints/yuncheng.toml`` and the notice's institutions, renamed with
``_c<k>`` so that the cities' ids never meet, and then differs (seeded, so the same every run):

* its special-operations rotation has 3, 4 or 5 sites (drop one of 瑞阳/新世纪, or add a clone of one);
* its session counts: managers 8-12, special operations 9-12 rotation cycles;
* its own closures: half the cities close one non-first rotation site for 20-45 days somewhere in
  April-October (shorter than the 60-day coverage, so every city stays feasible);
* where in the month it aims (``even_spread.position``): special operations anywhere in 0.3-0.7 of
  the month, managers halfway between two special-operations targets (a city whose own streams aim
  at the same day is slow to prove alone, measured: Yuncheng with positions 0.39/0.53 is not proven
  in 5 deterministic units; such a city is a planner-calibration problem, not a province one).

Each city keeps its own one-exam-a-day cap (its examiners). The province shares a second cap, the
provincial supervision centre's ``shared_cap`` exams a day over all cities, which is what couples them.
``province`` gives one problem per city and one for all cities together
whose ``daily_cap`` is the shared cap (used to check a province plan; each city keeps its own cap).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import random
import sys
from dataclasses import dataclass

from common import md_table


@dataclass
class CityConf:
    suffix: str
    rotation: list[str]  # special-ops sites, in order (ids without suffix; clones end in "_b")
    managers: int
    special_ops: int
    closures: list[dict]
    position: dict[str, float]


def shared_cap(cities: int) -> int:
    """Province-wide exams a day: about 40 % of the cities (binds on the days cities aim at alike)."""
    return max(2, math.ceil(0.4 * cities))


def city_confs(cities: int, year: int, seed: int = 2026) -> list[CityConf]:
    import datetime as dt

    rng = random.Random(seed * 1000 + cities)
    base_rot = ["huaan", "juteng", "ruiyang", "xinshiji"]
    out = []
    for c in range(1, cities + 1):
        n_sites = rng.choice([3, 4, 4, 5])
        rot = list(base_rot)
        if n_sites == 3:
            rot.remove(rng.choice(["ruiyang", "xinshiji"]))
        elif n_sites == 5:
            rot.append(rng.choice(["ruiyang", "xinshiji"]) + "_b")
        cycles = rng.randint(9, 12)
        closures = []
        if rng.random() < 0.5:
            site = rng.choice(rot[1:])
            start = dt.date(year, 4, 1) + dt.timedelta(days=rng.randint(0, 180))
            end = start + dt.timedelta(days=rng.randint(20, 45))
            closures.append({"institution": site, "start": start, "end": end, "reason": "generated closure"})
        # where the city aims in the month: special ops anywhere in 0.3-0.7, managers halfway between two
        # special-ops targets, as a bureau calibrating its own plan would (own streams never aim at one day)
        ps = round(rng.uniform(0.3, 0.7), 2)
        # "% 1.0" once more after rounding: 0.996 rounds to 1.0, which the planner refuses (the month's start, 0.0)
        pm = round(((rng.randrange(len(rot)) + ps + 0.5) / len(rot)) % 1.0, 2) % 1.0
        out.append(CityConf(f"_c{c}", rot, rng.randint(8, 12), cycles * len(rot), closures,
                            {"managers": pm, "special_ops": ps}))
    return out


def _catalogue_for(confs: list[CityConf]):
    """The notice's catalogue with every institution and stream copied per city (and the clones)."""
    from planner.data import Catalogue, load_catalogue

    cat = load_catalogue()
    insts, streams = {}, {}
    for conf in confs:
        for inst in cat.institutions.values():
            insts[inst.id + conf.suffix] = dataclasses.replace(inst, id=inst.id + conf.suffix)
        for site in conf.rotation:
            if site.endswith("_b"):
                src = cat.institutions[site[:-2]]
                insts[site + conf.suffix] = dataclasses.replace(src, id=site + conf.suffix,
                                                                short_name=src.short_name + "二")
        for st in cat.streams.values():
            streams[st.id + conf.suffix] = dataclasses.replace(st, id=st.id + conf.suffix)
    return Catalogue(insts, cat.operations, streams, cat.materials, cat.materials_title, cat.source_dir)


def _city_doc(base: dict, conf: CityConf) -> dict:
    """The Yuncheng rule set with this city's ids, sites, counts, closures and positions."""
    suf = conf.suffix
    ids = set(base["streams"])
    doc = copy.deepcopy(base)
    doc["streams"] = {sid + suf: {"sites": [x + suf for x in c.get("sites", [])]} for sid, c in base["streams"].items()}
    doc["streams"]["special_ops" + suf]["sites"] = [x + suf for x in conf.rotation]
    for section in ("rules", "preferences"):
        for name, rconf in doc.get(section, {}).items():
            for key, v in list(rconf.items()):
                if isinstance(v, list) and v and all(isinstance(x, str) and x in ids for x in v):
                    rconf[key] = [s + suf for s in v]
                elif isinstance(v, dict) and v and all(k in ids for k in v):
                    out = {}
                    for s, val in v.items():
                        if name == "session_count" and isinstance(val, dict):  # per-site table
                            val = {site + suf: dict(mm) for site, mm in val.items()}
                        out[s + suf] = copy.deepcopy(val)
                    rconf[key] = out
    doc["rules"]["session_count"]["sessions"]["managers" + suf] = conf.managers
    doc["rules"]["session_count"]["sessions"]["special_ops" + suf] = conf.special_ops
    doc["rules"]["institution_open"]["closures"] = [dict(c, institution=c["institution"] + suf) for c in conf.closures]
    doc["preferences"]["even_spread"]["position"] = {s + suf: p for s, p in conf.position.items()}
    doc["name"] = f"city{suf}"
    return doc


def _merge(docs: list[dict], cap: int) -> dict:
    """One rule set for all cities: stream lists and stream tables joined, the daily cap = *cap*."""
    out = copy.deepcopy(docs[0])
    for d in docs[1:]:
        out["streams"].update(copy.deepcopy(d["streams"]))
        for section in ("rules", "preferences"):
            for name, rconf in d.get(section, {}).items():
                for key, v in rconf.items():
                    cur = out[section][name].get(key)
                    if isinstance(v, list) and isinstance(cur, list):
                        out[section][name][key] = cur + copy.deepcopy(v)
                    elif isinstance(v, dict) and isinstance(cur, dict):
                        if name == "session_count" and key == "sessions":
                            cur.update(copy.deepcopy(v))
                        else:
                            out[section][name][key] = {**cur, **copy.deepcopy(v)}
    out["rules"]["daily_cap"]["max_exams_per_day"] = cap
    out["name"] = f"province of {len(docs)} cities"
    return out


def _context(doc: dict, cat, year: int):
    from planner import make_context
    from planner.ruleset import ruleset_from_dict

    return make_context(year, ruleset_from_dict(doc, f"<{doc['name']}>", cat), catalogue=cat)


def province(cities: int, year: int, seed: int = 2026):
    """(per-city contexts, province context, shared cap, the cities' configurations)."""
    from planner.ruleset import default_ruleset_path, read_toml

    base = read_toml(default_ruleset_path())
    confs = city_confs(cities, year, seed)
    cat = _catalogue_for(confs)
    docs = [_city_doc(base, c) for c in confs]
    cap = shared_cap(cities)
    return [_context(d, cat, year) for d in docs], _context(_merge(docs, cap), cat, year), cap, confs


def describe(confs: list[CityConf]) -> str:
    rows = [[c.suffix[1:], " → ".join(c.rotation), c.managers, c.special_ops,
             "; ".join(f"{x['institution']} {x['start']:%m-%d}…{x['end']:%m-%d}" for x in c.closures) or "-",
             f"{c.position['managers']:.2f} / {c.position['special_ops']:.2f}"] for c in confs]
    return md_table(["city", "special-ops rotation", "managers", "special ops", "closures", "position m / s"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cities", type=int, default=4)
    ap.add_argument("--year", type=int, default=2024)
    a = ap.parse_args(argv)
    ctxs, prov, cap, confs = province(a.cities, a.year)
    print(f"{a.cities} cities, shared cap {cap} exams a day, "
          f"{sum(c.managers + c.special_ops for c in confs)} sessions\n")
    print(describe(confs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
