"""Pareto frontier and the constrained recommendation."""

from __future__ import annotations

import pandas as pd
import pytest
from report_fixtures import LEVER, core_metrics, make_sweep

from livesim.report.aggregate import load_sweep
from livesim.report.frontier import direction, pareto_front, recommend
from livesim.report.stats import per_seed, summarize

P = {t: f"{LEVER}={t}" for t in (0.5, 0.7, 0.8, 0.9)}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    make_sweep(root)
    sweep = load_sweep(root)
    summary = summarize(sweep, P[0.5])
    return summary, per_seed(sweep), pareto_front(summary)


def _recommend(tables, **limits):
    summary, obs, front = tables
    return recommend(summary, obs, front, P[0.5], limits)


@pytest.mark.parametrize(("metric", "sign"), [
    ("revenue.platform_net", 1), ("revenue.legit_blocked", -1), ("harm.total", -1),
    ("harm.new_kind", -1), ("enforcement.false_positives", -1), ("enforcement.fp_rate", -1),
    ("enforcement.precision", 1), ("enforcement.recall", 1), ("perf.sim_seconds", 0),
])
def test_direction(metric, sign):
    assert direction(metric) == sign


def test_frontier_holds_the_non_dominated_points(tables):
    _, _, front = tables
    assert front[front].index.tolist() == [P[0.5], P[0.7], P[0.9]]


def test_frontier_on_a_hand_made_table():
    summary = pd.DataFrame({"revenue.a.mean": [1.0, 2.0, 2.0, 0.5],
                            "harm.total.mean": [1.0, 1.0, 3.0, 0.0]}, index=["w", "x", "y", "z"])
    front = pareto_front(summary, ("revenue.a", "harm.total"))
    assert front.to_dict() == {"w": False, "x": True, "y": False, "z": True}


def test_objective_without_direction_is_rejected(tables):
    summary, _, _ = tables
    with pytest.raises(ValueError, match="no known better direction"):
        pareto_front(summary, ("perf.sim_seconds",))


def test_without_limits_the_best_net_frontier_point_is_shown_but_not_recommended(tables):
    rec = _recommend(tables)
    assert rec.point == P[0.9] and not rec.recommended
    assert rec.headline.startswith("Highest platform net (no harm or false-positive limits "
                                   "given — not a recommendation): ")
    assert "Recommended" not in rec.headline
    assert rec.mark == "highest net, not a recommendation"
    assert any("No limits were given" in d and "recommends nothing" in d for d in rec.details)


def test_with_limits_the_answer_is_a_recommendation(tables):
    rec = _recommend(tables, **{"harm.total": 1200.0})
    assert rec.recommended and rec.mark == "recommended"
    assert rec.headline.startswith(f"Recommended: {P[0.7]} — ")
    assert "cannot be told apart" not in rec.headline  # pairing resolves 0.7 against the next, 0.8


def test_a_recommendation_the_sweep_cannot_separate_from_the_next_says_so_in_its_headline(tmp_path):
    def tied(threshold, seed):
        metrics = core_metrics(threshold, seed)
        if threshold == 0.8:  # 0.7's net revenue, give or take 10 by seed: no pairing can rank them
            metrics["revenue.platform_net"] = core_metrics(0.7, seed)["revenue.platform_net"] + (-1) ** seed * 10.0
        return metrics

    make_sweep(tmp_path, metrics=tied)
    sweep = load_sweep(tmp_path)
    summary = summarize(sweep, P[0.5])
    rec = recommend(summary, per_seed(sweep), pareto_front(summary), P[0.5], {"harm.total": 1200.0})
    assert rec.point == P[0.8]  # ahead by 2 on average
    assert rec.headline.endswith(f" On net revenue it cannot be told apart from the next-best qualifying point, "
                                 f"{P[0.7]} (2 [-11.6, 15.6] currency units more, paired by seed, 95 % CI).")


def test_points_with_fewer_seeds_are_flagged_where_they_are_ranked(tables):
    summary, obs, front = tables
    rec = recommend(summary, obs, front, P[0.5], {"harm.total": 1200.0},
                    short={P[0.7]: (3, 5), P[0.8]: (4, 5)})
    assert rec.point == P[0.7]
    assert f"Recommended: {P[0.7]} (⚠ 3 of 5 seeds) — " in rec.headline
    text = " ".join(rec.details)
    assert f"{P[0.8]} (⚠ 4 of 5 seeds)" in text  # the runner-up
    assert "fewer complete seeds than they should" in text


def test_harm_limit_excludes_points_whose_upper_bound_exceeds_it(tables):
    summary, _, _ = tables
    rec = _recommend(tables, **{"harm.total": 1200.0})
    assert rec.point == P[0.7]
    assert summary.at[P[0.7], "harm.total.ci_high"] < 1200
    assert set(rec.qualifying) == {P[0.5], P[0.7], P[0.8]}
    assert any("excludes zero" in d for d in rec.details)  # 0.7 vs 0.8 is resolved by pairing


def test_limit_is_tested_on_the_upper_bound_not_the_mean(tables):
    summary, _, _ = tables
    mean, upper = summary.at[P[0.7], "harm.total.mean"], summary.at[P[0.7], "harm.total.ci_high"]
    rec = _recommend(tables, **{"harm.total": (mean + upper) / 2})
    assert P[0.7] not in rec.qualifying and rec.point == P[0.5]


def test_no_point_qualifying_names_the_binding_limit(tables):
    rec = _recommend(tables, **{"harm.total": 100.0})
    assert rec.point is None and rec.qualifying == ()
    assert "harm.total binds" in rec.headline
    assert any("lowest upper bound" in d and P[0.5] in d for d in rec.details)


def test_limits_met_separately_but_not_together_bind_together(tables):
    rec = _recommend(tables, **{"harm.total": 1200.0, "enforcement.fp_rate": 0.004})
    assert rec.point is None
    assert "bind together" in rec.headline
    assert any("Each limit alone is met" in d for d in rec.details)


def test_single_seed_points_cannot_meet_a_limit(tmp_path):
    make_sweep(tmp_path, seeds=[0])
    sweep = load_sweep(tmp_path)
    summary = summarize(sweep, P[0.5])
    rec = recommend(summary, per_seed(sweep), pareto_front(summary), P[0.5],
                    {"harm.total": 1e9})
    assert rec.point is None
    assert any("single seed" in d for d in rec.details)


def test_the_headline_says_when_the_seeds_in_common_rank_the_runner_up_first_or_cannot_rank_them():
    from livesim.report.frontier import NET, _tie_note

    def table(values):
        index = pd.MultiIndex.from_tuples([(p, s) for p, s, _ in values], names=["point", "seed"])
        return pd.DataFrame({NET: [v for _, _, v in values]}, index=index)

    # "a" leads on means only through seed 9, which "b" lacks; on seeds 0–2 "b" earns 4 more each time.
    behind = table([("a", 0, 10.0), ("a", 1, 20.0), ("a", 2, 30.0), ("a", 9, 99.0),
                    ("b", 0, 14.0), ("b", 1, 24.1), ("b", 2, 33.9)])
    assert _tie_note(behind, "a", "b").startswith(" On the seeds they share, the next-best qualifying point, b, "
                                                  "earns more net revenue (-4 [")
    alone = table([("a", 0, 10.0), ("a", 1, 20.0), ("b", 1, 5.0), ("b", 2, 5.0)])
    assert _tie_note(alone, "a", "b") == (" It cannot be compared seed by seed with the next-best qualifying point, "
                                          "b (fewer than two seeds in common).")
    ahead = table([("a", 0, 14.0), ("a", 1, 24.1), ("a", 2, 33.9), ("b", 0, 10.0), ("b", 1, 20.0), ("b", 2, 30.0)])
    assert _tie_note(ahead, "a", "b") == ""
