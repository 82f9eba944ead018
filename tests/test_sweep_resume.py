"""Resuming a sweep as a user does: the command printed at its start, and a narrower grid in its folder."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from livesim.results import SUMMARY, SWEEP_STATE

LIVESIM = str(Path(sys.executable).with_name("livesim"))
GRID = ["population=small", "days=1", "policy.risk_threshold=0.6,0.8", "seed=range(0,2)"]
NO_REPORT = "~hydra.callbacks.sweep_report"  # a report takes seconds and is not what is tested here
START = re.compile(r"^livesim: sweep of (\d+) runs? in (\S+); if interrupted, resume with: (.+)$", re.M)


def run(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess:
    out = subprocess.run([LIVESIM, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def progress(stderr: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"^\[(\d+)/(\d+)\] runs complete", stderr, re.M)]


def test_the_printed_command_resumes_and_a_narrower_grid_counts_only_its_runs(tmp_path):
    first = run(tmp_path, ["-m", *GRID, NO_REPORT])
    start = START.search(first.stderr)
    assert start is not None, first.stderr
    assert first.stderr.index(start.group(0)) < first.stderr.index("[1/4]")  # said before any run ended
    total, folder, command = int(start.group(1)), Path(start.group(2)), start.group(3)
    assert total == 4 and folder.parent.parent == tmp_path / "results" / "multirun"
    assert command == " ".join(["livesim -m", *map(shlex.quote, [*GRID, NO_REPORT]), f"hydra.sweep.dir={folder}"])

    # Interrupted after three runs: rerun exactly the printed command.
    lost = "days=1,policy.risk_threshold=0.8,population=small,seed=1"
    shutil.rmtree(folder / lost)
    kept = {p.parent.name: p.stat().st_mtime_ns for p in folder.glob(f"*/{SUMMARY}")}
    resumed = run(tmp_path, shlex.split(command)[1:])
    assert f"livesim: resuming sweep in {folder}: 3 run(s) already complete are skipped, 1 to run" in resumed.stderr
    for num, overrides in enumerate(["policy.risk_threshold=0.6 seed=0", "policy.risk_threshold=0.6 seed=1",
                                     "policy.risk_threshold=0.8 seed=0"]):
        assert f"  run {num}: population=small days=1 {overrides} already complete, skipped" in resumed.stderr
    assert progress(resumed.stderr) == [(4, 4)]
    assert re.findall(r"^  run (\d+): .* → net", resumed.stdout, re.M) == ["3"]  # only the run that ran
    assert {k: v for k, v in ((p.parent.name, p.stat().st_mtime_ns) for p in folder.glob(f"*/{SUMMARY}"))
            if k != lost} == kept

    # A narrower grid in the same folder: only its two runs are counted, both already complete.
    narrow = ["population=small", "days=1", "policy.risk_threshold=0.8", "seed=range(0,2)", f"hydra.sweep.dir={folder}"]
    again = run(tmp_path, ["-m", *narrow, NO_REPORT])
    assert f"livesim: resuming sweep in {folder}: 2 run(s) already complete are skipped, 0 to run" in again.stderr
    assert "livesim: sweep of 2 runs in" in again.stderr
    state = json.loads((folder / SWEEP_STATE).read_text())
    assert (state["total"], state["done_at_start"]) == (2, 2)
    assert sorted(state["jobs"]) == sorted(["days=1,policy.risk_threshold=0.8,population=small,seed=0", lost])
    assert again.stderr.count("already complete, skipped") == 2
    assert all(done <= total for done, total in progress(again.stderr))
