import pytest

from livesim.params import ConfigError, Params, params_from_dict


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("population.viewers", -5, "an integer in [1, 5e+07]"),
        ("economy.platform_share", 1.2, "a number in [0, 1]"),
        ("days", 0, "an integer in [1, 3650]"),
        ("policy.action", "ban", "one of 'restrict', 'suspend'"),
        ("policy.risk_threshold", 1.5, "or null to switch it off"),
        ("detection.auc", 0.5, "(0.5, 0.9999]"),
        ("detection.assumed_prevalence", 1.0, "(0, 1)"),
        ("population.viewers", 2.5, "an integer"),
        ("engine", "gpu", "one of 'core', 'mesa'"),
    ],
)
def test_bad_value_names_key_and_allowed_values(key, value, allowed):
    with pytest.raises(ConfigError) as err:
        Params().replace(**{key: value})
    message = str(err.value)
    assert f"`{key}`" in message
    assert allowed in message
    assert "\n" not in message  # one paragraph


def test_unknown_key_lists_the_allowed_keys():
    with pytest.raises(ConfigError, match="Unknown config key `policy.risk_treshold`.*risk_threshold"):
        params_from_dict({"policy": {"risk_treshold": 0.5}})


def test_wrong_type_is_refused():
    with pytest.raises(ConfigError, match="population.creators"):
        params_from_dict({"population": {"creators": "many"}})


def test_strikes_to_suspend_below_strikes_to_restrict_is_refused():
    with pytest.raises(ConfigError, match="strikes_to_suspend"):
        Params().replace(**{"policy.strikes_to_restrict": 3, "policy.strikes_to_suspend": 2})


def test_null_switches_a_lever_off():
    p = Params().replace(**{"policy.risk_threshold": None, "policy.daily_gift_cap": None})
    assert p.policy.risk_threshold is None and p.policy.daily_gift_cap is None


def test_hydra_key_is_ignored_and_roundtrip_is_identity():
    p = Params()
    assert params_from_dict({**p.to_dict(), "hydra": {"anything": 1}}) == p
