"""ruff's rules (configured in pyproject.toml) hold for the whole tree."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "sim"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_tests_have_one_conftest():
    # Test modules import helpers with `from conftest import …`; a second conftest.py (say in
    # tests/benchmarks) takes that module name in a fresh run and breaks their collection.
    assert sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("conftest.py")) == ["tests/conftest.py"]
