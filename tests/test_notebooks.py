"""The notebooks run top to bottom (CI executes them so they cannot rot), and stay output-free in git."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_committed_without_outputs():
    assert [p.name for p in NOTEBOOKS] == ["01_reproduce_2024.ipynb", "02_plan_next_year.ipynb",
                                           "03_what_if_tour.ipynb", "04_people_seats_waits.ipynb"]
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), f"{p.name}: clear outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel's temporary folders (outputs) go with the test's
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    before = _repo_state()
    client.execute()
    assert _repo_state() == before, "a notebook wrote into the repository"


def _repo_state() -> set[str]:
    root = Path(__file__).resolve().parents[1]
    out = set()
    for d in ("scenarios", "notebooks", "constraints"):
        for dirpath, _, files in os.walk(root / d):
            out |= {os.path.join(dirpath, f) for f in files if "__pycache__" not in dirpath}
    return out
