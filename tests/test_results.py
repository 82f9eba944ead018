import json
import stat

import pytest

from livesim.results import atomic_write, check_summary, complete_summary, is_complete, read_summary, write_run


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


@pytest.mark.parametrize(("text", "reason"), [
    (None, "no summary.json"),
    ('{"metrics": {', "unreadable summary.json"),
    ("[]", "unreadable summary.json (not a JSON object)"),
    ('{"metrics": {}}', "summary.json has no status (a finished run's is 'complete')"),
    ('{"metrics": {}, "status": "running"}', "status 'running' in summary.json"),
])
def test_an_unfinished_run_is_not_complete_and_says_why(tmp_path, text, reason):
    if text is not None:
        (tmp_path / "summary.json").write_text(text)
    summary, problem = check_summary(tmp_path)
    assert problem is not None and problem.startswith(reason)
    assert complete_summary(tmp_path) is None and not is_complete(tmp_path)
    if text is not None and text.startswith('{"metrics": {}'):
        assert summary == json.loads(text)  # still returned, so a reader can tell which run it was


def test_the_summary_write_run_writes_is_complete_by_the_shared_rule(tmp_path):
    write_run(tmp_path, {}, [], {"seed": 1}, seed=1)
    summary, problem = check_summary(tmp_path)
    assert problem is None and summary["status"] == "complete"
    assert complete_summary(tmp_path) == summary


def test_written_files_are_as_readable_as_any_file_the_user_makes(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    written = atomic_write(tmp_path / "summary.json", "{}")
    # mkstemp makes its file private (0600), which the rename would keep in a shared results folder.
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) != 0o600
