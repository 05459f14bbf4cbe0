"""The notice as data: loaders return validated objects; broken references name file, row and field."""
from __future__ import annotations

import shutil

import pytest

from planner.data import constraints_dir, load_catalogue
from planner.errors import PlannerError


def test_seven_institutions_with_stable_ids(catalogue):
    assert list(catalogue.institutions) == ["huaan", "fengxi", "crrc_yongji", "yvu", "xinshiji", "ruiyang", "juteng"]
    hu = catalogue.institutions["huaan"]
    assert hu.plan_name == "运城华安应急安全服务有限公司" and hu.address == "盐湖区凤凰谷南山湖畔"
    assert hu.phones == ("0359-2666288", "0359-8597788")
    rotation = {i for i, x in catalogue.institutions.items() if x.rotation_site}
    assert rotation == {"huaan", "juteng", "ruiyang", "xinshiji"}
    assert {i for i, x in catalogue.institutions.items() if x.on_demand} == {"fengxi", "crrc_yongji", "yvu"}


def test_scope_and_catalogue(catalogue):
    assert catalogue.licensed("huaan", "managers")
    assert not any(catalogue.licensed(i, "managers") for i in catalogue.institutions if i != "huaan")
    assert catalogue.operations["elec_relay"].category == "电工作业"
    assert {i for i, x in catalogue.institutions.items() if "elec_relay" in x.scope} == {"juteng"}
    assert {i for i, x in catalogue.institutions.items() if "coal_outburst" in x.scope} == {"yvu"}
    assert catalogue.streams["special_ops"].kinds == ("特种作业人员初、复训", "特种作业人员复训")
    assert [s.heading for s in catalogue.materials] == ["一、企业主要负责人及安全管理人员", "二、特种作业人员"]
    assert len(catalogue.materials[0].items) == 8 and len(catalogue.materials[1].items) == 6


def _copy(tmp_path):
    d = tmp_path / "constraints"
    shutil.copytree(constraints_dir(), d)
    return d


@pytest.mark.parametrize("file, find, replace, expect", [
    ("scope.csv", "juteng,elec_relay", "jutengg,elec_relay", ("scope.csv", "row", "institution", "jutengg")),
    ("scope.csv", "juteng,elec_relay", "juteng,elec_relai", ("scope.csv", "row", "operation", "elec_relai")),
    ("institutions.csv", "fengxi,2,", "huaan,2,", ("institutions.csv", "row", "'id'", "duplicate")),
    ("operations.csv", "elec_high,", "elec_low,", ("operations.csv", "row", "'code'", "duplicate")),
    ("streams.csv", ",managers,高危", ",managerz,高危", ("streams.csv", "row", "categories", "managerz")),
    ("institutions.csv", ",true,false\njuteng", ",maybe,false\njuteng", ("institutions.csv", "rotation_site")),
])
def test_broken_reference_names_file_row_field(tmp_path, file, find, replace, expect):
    d = _copy(tmp_path)
    f = d / file
    text = f.read_text(encoding="utf-8")
    assert find in text
    f.write_text(text.replace(find, replace, 1), encoding="utf-8")
    with pytest.raises(PlannerError) as e:
        load_catalogue(d)
    for part in expect:
        assert part in str(e.value)


def test_materials_unknown_stream(tmp_path):
    d = _copy(tmp_path)
    f = d / "materials" / "2024.toml"
    f.write_text(f.read_text(encoding="utf-8").replace('streams = ["managers"]', 'streams = ["bosses"]'),
                 encoding="utf-8")
    with pytest.raises(PlannerError, match="2024.toml.*bosses"):
        load_catalogue(d)
