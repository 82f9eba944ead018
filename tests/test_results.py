import json

import pytest

from livesim.results import atomic_write, is_complete, read_summary, write_run


def test_summary_is_written_last_and_marks_the_run_complete(tmp_path):
    write_run(tmp_path, {"revenue.gross": 1.5, "enforcement.precision": float("nan")},
              [{"day": 1, "revenue.gross": 1.5}], {"seed": 3}, seed=3)
    assert is_complete(tmp_path)
    summary = read_summary(tmp_path)
    assert summary["metrics"]["enforcement.precision"] is None  # NaN is not JSON
    assert (tmp_path / "timeseries.csv").read_text().splitlines() == ["day,revenue.gross", "1,1.5"]


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temporary(tmp_path, monkeypatch):
    def disk_full(fd):
        raise OSError("disk full")

    monkeypatch.setattr("livesim.results.os.fsync", disk_full)
    with pytest.raises(OSError):
        atomic_write(tmp_path / "summary.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_a_half_written_or_foreign_summary_is_not_complete(tmp_path):
    (tmp_path / "summary.json").write_text('{"metrics": {')
    assert not is_complete(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"metrics": {}}))
    assert not is_complete(tmp_path)
