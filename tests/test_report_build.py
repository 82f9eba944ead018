"""The whole report: files written, self-contained HTML, what it says."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from report_fixtures import COMMAND, LEVER, core_metrics, make_sweep, metrics_for, write_run

from livesim.report import ReportError, build_report, write_report
from livesim.report.aggregate import load_sweep
from livesim.report.plots import numeric_lever
from livesim.report.render import CAVEATS


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    make_sweep(root, text={(0.7, 1): "0.7000000000000001"}, skip={(0.9, 4)},
               fail={(0.8, 2): "RuntimeError: detector diverged\nmore detail"})
    return root, write_report(root, baseline=f"{LEVER}=0.5", max_harm=1200.0)


def test_every_output_is_written_into_the_sweep_dir(built):
    root, report = built
    assert report.html == root / "report.html" and report.markdown == root / "report.md"
    for name in ("report.html", "report.md", "runs.csv", "summary.csv", "missing.csv"):
        assert (root / name).stat().st_size > 0
    plots = {p.name for p in (root / "plots").glob("*.png")}
    assert {"outcome_revenue.platform_net.png", "tradeoff_harm.total.png", "daily.png"} <= plots
    assert not list(root.rglob("*.tmp"))
    assert (report.n_runs, report.n_missing) == (18, 2)


def test_summary_csv_has_one_row_per_point_with_ci_and_deltas(built):
    root, _ = built
    summary = pd.read_csv(root / "summary.csv")
    assert summary["point"].tolist() == [f"{LEVER}={t}" for t in (0.5, 0.7, 0.8, 0.9)]
    for suffix in ("mean", "ci_low", "ci_high", "n", "delta", "delta_ci_low", "delta_ci_high",
                   "delta_n", "delta_welch_ci_low", "delta_welch_ci_high"):
        assert f"revenue.platform_net.{suffix}" in summary
    assert summary["revenue.platform_net.n"].tolist() == [5, 5, 4, 4]


def test_missing_csv_lists_the_failed_and_the_never_started_run(built):
    root, _ = built
    missing = pd.read_csv(root / "missing.csv")
    assert missing["reason"].tolist() == [
        "failed: RuntimeError: detector diverged",
        "never started: in multirun.yaml's sweep, no run directory"]


def test_html_is_self_contained(built):
    root, _ = built
    html = (root / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(list((root / "plots").glob("*.png")))
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html)
    assert links and all(link.startswith("data:") for link in links)
    assert "<script" not in html and "<link" not in html and "@import" not in html


def test_report_answers_the_question_and_shows_how_to_reproduce(built):
    root, report = built
    md = (root / "report.md").read_text()
    # 0.8 and 0.9 lack a seed each: their means are over other worlds, so nothing is ranked.
    assert report.recommendation.point is None
    assert "2 of 4 policy points lack some of the sweep's seeds" in report.recommendation.headline
    assert report.recommendation.headline in md
    assert f"`{LEVER}` ∈ {{0.5, 0.7, 0.8, 0.9}}" in md
    assert "Seeds:** 0–4" in md
    assert "detector diverged" in md and "never started" in md
    assert "paired 95 % CI" in md and "unpaired 95 % CI" in md
    assert all(caveat in md for caveat in CAVEATS)
    assert COMMAND in md
    assert "abc1234" in md and "numpy" in md and "matplotlib" in md
    assert "risk_threshold: 0.8" in md  # the resolved config of one run
    assert "--max-harm 1200.0" in md
    assert "](plots/outcome_revenue.platform_net.png)" in md


def test_a_complete_sweep_recommends_the_best_point_under_the_limit(tmp_path):
    make_sweep(tmp_path)
    report = write_report(tmp_path, baseline=f"{LEVER}=0.5", max_harm=1200.0)
    assert report.recommendation.point == f"{LEVER}=0.7" and report.recommendation.recommended


def test_build_report_returns_the_html_path_and_honours_out_dir(tmp_path):
    make_sweep(tmp_path / "sweep", thresholds=(0.5, 0.9), seeds=range(2), metrics=core_metrics)
    html = build_report(tmp_path / "sweep", out_dir=tmp_path / "out")
    assert html == tmp_path / "out" / "report.html" and html.is_file()
    assert not (tmp_path / "sweep" / "report.html").exists()


def test_single_seed_sweep_reports_means_and_says_there_is_no_interval(tmp_path):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=[0], metrics=core_metrics)
    report = write_report(tmp_path)
    assert "no CI: 1 seed" in report.markdown.read_text()


def test_categorical_lever_is_drawn_as_bars(tmp_path):
    for i, (action, t) in enumerate([("restrict", 0.5), ("suspend", 0.9)] * 2):
        write_run(tmp_path / str(i), [f"policy.action={action}", f"seed={i // 2}"], i // 2,
                  core_metrics(t, i // 2))
    assert numeric_lever(load_sweep(tmp_path)) is None
    report = write_report(tmp_path, baseline="policy.action=restrict")
    assert report.recommendation.point == "policy.action=suspend"
    assert "by policy point" in report.markdown.read_text()


def test_second_lever_gets_one_line_per_value(tmp_path):
    job = 0
    for t in (0.5, 0.9):
        for hold in (7, 14):
            for seed in range(2):
                write_run(tmp_path / str(job), [f"{LEVER}={t}", f"policy.payout_hold_days={hold}",
                                                f"seed={seed}"], seed, core_metrics(t, seed))
                job += 1
    report = write_report(tmp_path, baseline=f"{LEVER}=0.5 policy.payout_hold_days=7")
    md = report.markdown.read_text()
    assert "one line per value of policy.payout_hold_days" in md


def test_sweep_without_complete_runs_is_an_error_that_gives_the_reasons_and_writes_nothing(
        tmp_path):
    make_sweep(tmp_path, thresholds=(0.5,), seeds=range(2), fail={(0.5, 0): "boom", (0.5, 1): None})
    with pytest.raises(ReportError, match="None of the 2 runs") as err:
        write_report(tmp_path)
    assert "1 × failed: boom" in str(err.value) and "1 × incomplete" in str(err.value)
    assert not (tmp_path / "missing.csv").exists() and not (tmp_path / "runs.csv").exists()


def test_limit_on_a_metric_the_runs_lack_is_an_error(tmp_path):
    metrics = {k: v for k, v in metrics_for(0.5, 0).items() if k != "enforcement.fp_rate"}
    write_run(tmp_path / "0", [f"{LEVER}=0.5", "seed=0"], 0, metrics)
    with pytest.raises(ReportError, match="enforcement.fp_rate"):
        write_report(tmp_path, max_fp_rate=0.01)


def test_a_run_from_uncommitted_code_is_flagged_in_the_reproducibility_block(tmp_path):
    import json

    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(2))
    first = tmp_path / "0" / "summary.json"
    first.write_text(json.dumps({**json.loads(first.read_text()), "git_commit": "abc1234-dirty"}))
    md = write_report(tmp_path).markdown.read_text()
    assert "abc1234-dirty" in md and "uncommitted changes, so the commit alone may not reproduce it" in md


def test_a_rebuilt_report_leaves_no_chart_of_an_earlier_report(tmp_path):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(2))
    stale = tmp_path / "plots" / "outcome_a_metric_this_report_does_not_have.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    write_report(tmp_path)
    assert not stale.exists() and any((tmp_path / "plots").glob("*.png"))


@pytest.mark.parametrize("diverted", [0.0, 3.5])
def test_review_volume_is_shown_and_bot_diverted_gifts_only_when_bots_diverted_any(tmp_path, diverted):
    def metrics(threshold, seed):
        # Review volume grows as the action threshold rises (more of the review band is left to humans).
        return {**core_metrics(threshold, seed), "review.decisions": 100.0 * threshold + seed,
                "harm.bot_diverted_gifts": diverted * (1 + seed)}

    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(3), metrics=metrics)
    write_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "review.decisions (accounts)" in text  # the enforcement table's column
    assert ("harm.bot_diverted_gifts" in text) == (diverted > 0)
    assert ("is shown with them but is not part of it" in text) == (diverted > 0)
    assert (tmp_path / "plots" / "outcome_review.decisions.png").is_file()


def test_trade_off_labels_skip_points_on_top_of_one_already_labelled():
    from livesim.report.plots import _labelled

    x = pd.Series({"a": 0.0, "b": 0.01, "c": 0.5, "d": 1.0, "e": float("nan")})
    y = pd.Series({"a": 0.0, "b": 0.0, "c": 0.5, "d": 1.0, "e": 1.0})
    assert _labelled(x, y, ["b", "a", "c", "d", "e"], (1.0, 1.0)) == ["b", "c", "d"]  # a sits on b, labelled first
    assert _labelled(x, y, ["a", "b", "c", "d"], (1.0, 1.0)) == ["a", "c", "d"]
    assert _labelled(x, y, ["a", "b", "c", "d"], (0.1, 1.0)) == ["a", "b", "c", "d"]  # a zoomed-in view parts a, b
