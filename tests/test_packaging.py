"""livesim works from a wheel, not only from the source tree: configs and scenarios travel with it."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_wheel_carries_the_config_tree_and_runs_a_scenario(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("livesim-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    names = {p.relative_to(site).as_posix() for p in site.rglob("*.yaml")}
    assert "livesim/configs/config.yaml" in names
    assert "livesim/configs/scenario/laundering_ring.yaml" in names
    # Run from an empty folder with only the wheel's copy of livesim importable.
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    code = "import sys, livesim.cli as c; assert c.__file__.startswith(sys.argv[1]), c.__file__; sys.argv = ['livesim'] + sys.argv[2:]; c.main()"
    out = subprocess.run([sys.executable, "-c", code, str(site), "population=small", "days=1",
                          "scenario=laundering_ring", "hydra.run.dir=out"], cwd=work, capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    summary = json.loads((work / "out" / "summary.json").read_text())
    assert summary["config"]["scenario"] == "laundering_ring"
    assert summary["config"]["actors"]["ring"]["funder_share"] > 0


def test_the_library_imports_without_hydra():
    # Hydra lives at the edge (the commands and the sweep callbacks); everything else takes Params.
    code = ("import importlib, pkgutil, sys, livesim\n"
            "edge = {'livesim.cli', 'livesim.command_line', 'livesim.callbacks'}\n"
            "for m in pkgutil.walk_packages(livesim.__path__, 'livesim.'):\n"
            "    if m.name not in edge:\n"
            "        importlib.import_module(m.name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hydra', 'omegaconf')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
