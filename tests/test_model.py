"""The Mesa engine (``livesim.model``): Mesa conventions, books, determinism, the runner path."""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import mesa
import numpy as np
import pandas as pd
import pytest
from conftest import BUSY

from livesim.core import CoreEngine
from livesim.metrics import METRICS
from livesim.model import MESA_VERSION, REPORTED_METRICS, CreatorAgent, LivesimModel, ViewerAgent, run_mesa
from livesim.params import ConfigError, Params
from livesim.platform import runoff_days
from livesim.runner import simulate

TINY = {"population.viewers": 300, "population.creators": 10, "days": 1}
def params(**dotted) -> Params:
    return Params().replace(**{**TINY, **dotted})


def test_batch_run_sweeps_keyword_parameters_and_collects_both_tables():
    rows = mesa.batch_run(
        LivesimModel,
        parameters={"viewers": 300, "creators": 10, "days": 1, "risk_threshold": [0.8, 0.95]},
        # Two unseeded replications: mesa 3.4+ spells it rng=[None] * 2 and deprecates iterations.
        **({"rng": [None, None]} if MESA_VERSION >= (3, 4) else {"iterations": 2}),
        max_steps=200, display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert df["RunId"].nunique() == 4
    assert set(df["risk_threshold"]) == {0.8, 0.95}
    wanted = {"revenue.gross", "harm.total", "ledger.imbalance", "AgentID", "coins", "status"}
    assert wanted <= set(df.columns)
    per_run = df.groupby("RunId")
    assert (per_run["AgentID"].nunique() == 310).all()  # one agent row per creator and viewer
    steps = 24 + runoff_days(params())  # 24 hours, then one step per run-off day
    # batch_run reports the last collected step: mesa 3.3 reports the one before the end, 3.5 the end.
    assert df["Step"].nunique() == 1 and df["Step"].iloc[0] in (steps - 1, steps)
    assert (df["ledger.imbalance"] == 0).all()


def test_unseeded_replications_differ_and_seeded_ones_repeat():
    a, b = LivesimModel(**TINY), LivesimModel(**TINY)
    assert a.params.seed != b.params.seed  # Mesa's convention: no seed, fresh randomness
    assert LivesimModel(seed=7, **TINY).params.seed == 7
    assert LivesimModel(rng=8, **TINY).params.seed == 8
    assert LivesimModel(params(seed=9)).params.seed == 9
    assert LivesimModel(params(seed=9), seed=10).params.seed == 10  # the keyword wins
    gen_seed = LivesimModel(rng=np.random.default_rng(3), **TINY).params.seed
    assert LivesimModel(rng=np.random.default_rng(3), **TINY).params.seed == gen_seed
    with pytest.raises(ValueError, match="either"):
        LivesimModel(seed=1, rng=1, **TINY)


def test_datacollector_has_a_model_row_per_step_and_an_agent_row_per_agent_and_step():
    model = LivesimModel(params(seed=5))
    model.run_model()
    steps = 24 + runoff_days(model.params)
    assert model.steps == model.tick == steps
    assert not model.running
    mdf = model.datacollector.get_model_vars_dataframe()
    adf = model.datacollector.get_agent_vars_dataframe()
    assert len(mdf) == steps + 1  # the initial state, then every step
    assert set(REPORTED_METRICS) <= set(mdf.columns)
    assert list(mdf["hour"][1:25]) == list(range(24))
    assert mdf["viewers_online"].sum() == model.platform.tally.viewers_online
    assert len(adf) == (steps + 1) * 310
    assert list(adf.columns) == ["kind", "role", "status", "coins", "earnings", "balance"]
    assert set(adf["status"]) <= {"ok", "restricted", "suspended"}
    assert mdf["revenue.gross"].iloc[-1] == pytest.approx(model.platform.tally.gross)
    assert mdf["revenue.gross"].is_monotonic_increasing


def test_agent_data_is_switched_off_for_models_too_big_to_record():
    with pytest.warns(UserWarning, match="model data only"):
        model = LivesimModel(viewers=50_000, creators=100, days=5, seed=1)
    assert model.collect == "model"
    assert not model.datacollector.agent_reporters
    assert LivesimModel(collect="off", **TINY).datacollector.model_vars["revenue.gross"] == []


def test_keyword_parameters_take_dotted_keys_and_unique_short_names():
    model = LivesimModel(viewers=300, creators=10, days=2, risk_threshold=0.9,
                         **{"economy.platform_share": 0.6, "actors.minors.gifter_share": 0.1})
    p = model.params
    assert (p.population.viewers, p.population.creators, p.days) == (300, 10, 2)
    assert p.policy.risk_threshold == 0.9
    assert p.economy.platform_share == 0.6
    assert p.actors.minors.gifter_share == 0.1
    assert p.engine == "mesa"
    with pytest.raises(ConfigError, match="ambiguous.*population.gifter_share"):
        LivesimModel(gifter_share=0.1, **TINY)
    with pytest.raises(ConfigError, match="Unknown model parameter `viewerz`"):
        LivesimModel(viewerz=10)
    with pytest.raises(ConfigError, match="risk_threshold"):
        LivesimModel(risk_threshold=1.5, **TINY)


def test_agents_are_one_per_account_and_show_the_platforms_books():
    model = LivesimModel(Params().replace(**BUSY, seed=3), collect="off")
    model.run_model()
    v, c = model.world.viewers, model.world.creators
    viewers, creators = model.agents_by_type[ViewerAgent], model.agents_by_type[CreatorAgent]
    assert (len(viewers), len(creators)) == (v.n, c.n)
    assert [a.index for a in model.viewer_agents] == list(range(v.n))
    assert sum(a.coins for a in viewers) == pytest.approx(model.platform.coins.sum())
    assert sum(a.earnings for a in creators) == pytest.approx(model.platform.tally.creator_share)
    assert sum(a.balance for a in creators) == pytest.approx(
        model.platform.cleared.sum() + model.platform.pending.sum())
    assert {a.role for a in model.bad_actors} == {"ring_funder", "card_fraudster", "bot"}
    assert len(viewers.select(lambda a: a.is_gifter)) == v.gifter_ids.size
    actioned = [a for a in model.agents if a.status != "ok"]
    assert actioned  # the policy acted on someone in this busy world
    assert all(model.platform.enf.status[a.account] > 0 for a in actioned)


def test_the_population_is_the_cores_for_the_same_seed():
    p = Params().replace(**BUSY, seed=4)
    mesa_world, core_world = LivesimModel(p, collect="off").world, CoreEngine(p).world
    for part in ("viewers", "creators"):
        mine, theirs = getattr(mesa_world, part), getattr(core_world, part)
        for name in vars(theirs):
            assert np.array_equal(getattr(mine, name), getattr(theirs, name)), f"{part}.{name}"


def test_who_is_online_does_not_depend_on_the_policy():
    # Common random numbers within the Mesa engine: sessions are drawn from streams keyed by day.
    base = Params().replace(**BUSY, seed=2, engine="mesa")
    lenient = run_mesa(base.replace(**{"policy.risk_threshold": 0.99}))
    strict = run_mesa(base.replace(**{"policy.risk_threshold": 0.3}))
    online = [[d["viewers_online"] for d in run.daily] for run in (lenient, strict)]
    assert online[0] == online[1]
    assert lenient.metrics["enforcement.actions"] < strict.metrics["enforcement.actions"]


def test_runner_with_engine_mesa_returns_every_metric_and_the_daily_series():
    p = params(seed=1, engine="mesa")
    result = simulate(p)
    assert set(result.metrics) == set(METRICS)
    assert result.metrics["perf.sim_seconds"] > 0
    assert result.metrics["perf.agent_steps_per_second"] == pytest.approx(
        310 * 24 / result.metrics["perf.sim_seconds"])
    assert len(result.daily) == p.days + runoff_days(p)
    assert result.metrics["ledger.imbalance"] == 0


def test_only_the_model_package_imports_mesa():
    code = ("import sys, livesim.runner, livesim.core, livesim.platform, livesim.report.aggregate; "
            "sys.exit(int('mesa' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_runs_with_the_same_seed_and_different_policies_see_the_same_organic_intents(monkeypatch):
    """Common random numbers in the Mesa engine: the policy changes what is sent, not what is intended.

    Without bots (whose audience boost moves stream choices once they are actioned), every
    organic viewer's intents must be the same hour by hour, although the policy changes how many
    bad actors act each hour.
    """
    intents: list[tuple[int, int, int, float]] = []
    gift = ViewerAgent.gift

    def logged(self, creator, value, stolen=False):
        if self.organic:
            intents.append((self.model.tick, self.index, int(creator), float(value)))
        return gift(self, creator, value, stolen)

    monkeypatch.setattr(ViewerAgent, "gift", logged)

    def run(**policy):
        intents.clear()
        model = LivesimModel(Params().replace(**{
            "seed": 4, "days": 3, "population.viewers": 2_000, "population.creators": 50,
            "actors.card_fraud.fraudster_share": 0.02, "actors.ring.funder_share": 0.02,
            "actors.bots.bot_share": 0.0, "actors.adaptation": 1.0, **policy}), collect="off")
        while model.running:
            model.step()
        return sorted(intents), model.platform.summary(0.0)["enforcement.actions"]

    unpoliced, no_actions = run(**{"policy.risk_threshold": None, "policy.review_threshold": None})
    policed, actions = run(**{"policy.risk_threshold": 0.2, "policy.daily_gift_cap": 1.0})
    assert no_actions == 0 and actions > 0  # the policies really differ
    assert len(unpoliced) > 20 and policed == unpoliced


MESA_3_4 = MESA_VERSION >= (3, 4)  # batch_run takes seeds as `rng`


def test_batch_run_rows_carry_the_seed_that_replays_the_run():
    seeds = [11, 12]
    grid = {"viewers": 300, "creators": 10, "days": 1}
    # As the README says: mesa 3.4+ takes seeds through `rng` (it replaces a `seed` parameter).
    given = {"rng": seeds} if MESA_3_4 else {}
    rows = mesa.batch_run(LivesimModel, parameters={**grid, **({} if MESA_3_4 else {"seed": seeds})},
                          max_steps=200, display_progress=False, **given)
    df = pd.DataFrame(rows).drop_duplicates("RunId")
    assert sorted(df["seed"]) == seeds
    for _, row in df.iterrows():
        replay = LivesimModel(seed=int(row["seed"]), collect="off", **grid)
        replay.run_model()
        assert replay.metrics["revenue.gross"] == row["revenue.gross"]


def test_agent_data_tells_kinds_apart_and_shows_what_the_platform_holds_for_each_agent():
    model = LivesimModel(params(seed=5, **{"actors.card_fraud.fraudster_share": 0.02}))
    model.run_model()
    last = model.datacollector.get_agent_vars_dataframe().xs(model.steps, level="Step")
    assert set(last["kind"]) == {"viewer", "creator"}
    assert {"card_fraudster", "fraud_accomplice"} <= set(last["role"])
    plat = model.platform
    for agent in model.creator_agents:
        unpaid = plat.today_credit[agent.index] + plat.pending[:, agent.index].sum() + plat.cleared[agent.index]
        assert last.loc[agent.unique_id, "balance"] == pytest.approx(unpaid, abs=1e-9)
    for agent in model.viewer_agents[:50]:
        assert last.loc[agent.unique_id, "balance"] == last.loc[agent.unique_id, "coins"]
    owed = float(last.loc[last["kind"] == "creator", "balance"].sum())
    assert owed == pytest.approx(plat.ledger.balance["creators"], rel=1e-9, abs=1e-9)  # the ledger's view


def test_reset_randomizer_restores_the_seeded_stdlib_stream():
    model = LivesimModel(seed=7, collect="off", **TINY)
    model.random.random()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # mesa 3.5 deprecates reset_randomizer (it always warns)
        model.reset_randomizer()
    assert model.random.random() == random.Random(7).random()
