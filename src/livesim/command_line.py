"""Checks a livesim command line before Hydra runs it (used by ``livesim`` and ``livesim-check``).

Hydra reports a typo, a wrong type or an unknown option in its own words (a null config group or
a broken YAML file with a traceback), and a bad value the schema allows through only once a run
folder exists. So the entry points first read the command line as Hydra will, check every
override against the schema and the config groups, and compose the config with Hydra's compose
API; whatever is wrong is reported in one paragraph (a :class:`~livesim.params.ConfigError`)
before Hydra starts. Like ``livesim.cli``, this module is Hydra's side of the edge.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import ConfigCompositionException, HydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from livesim.params import (
    ConfigError,
    Params,
    PolicyParams,
    check_value,
    leaf_fields,
    params_from_dict,
    unknown_key_error,
)

__all__ = ["CONFIG_DIR", "check_command_line"]

# The config tree ships inside the package (``livesim.configs``, mapped from the top-level
# ``configs/`` folder), so the same absolute path works from a checkout, an editable install
# and a wheel.
CONFIG_DIR = str(files("livesim.configs"))

# The primary config's defaults list starts with the typed schema, so a typo or a wrong type in a
# config file fails at composition (here and in Hydra's own run). A policy file that does not name
# its policy is labelled by its option (`policy=teen_safe` → 'teen_safe'), not by the schema's default.
def _policy_option() -> str:
    """The name of the policy option chosen (``policy=teen_safe``), or with none (``~policy``) the schema's."""
    option = HydraConfig.get().runtime.choices.get("policy") if HydraConfig.initialized() else None
    return option if isinstance(option, str) else PolicyParams().name


OmegaConf.register_new_resolver("livesim.policy_option", _policy_option, replace=True)
_SCHEMA = OmegaConf.structured(Params)
_SCHEMA.policy.name = "${livesim.policy_option:}"
ConfigStore.instance().store(name="livesim_schema", node=_SCHEMA)

#: Where scenarios come from, for the paragraph about an unknown one.
SCENARIO_HINT = ("A scenario is one YAML file in scenarios/, or in <dir>/scenario/ with "
                 "hydra.searchpath=[file://<dir>] on the command line.")


def _one_paragraph(text: str) -> str:
    """Hydra's or OmegaConf's multi-line message as one line, without the search path and type noise."""
    text = text.split("Config search path:")[0]
    noise = ("full_key:", "reference_type=", "object_type=", "Set the environment variable HYDRA_FULL_ERROR")
    return " ".join(line for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith(noise))


def _shown(path: Path) -> str:
    """A config file's path as a user finds it: relative to the working directory when inside it."""
    real = path.resolve()  # configs/scenario is a link to scenarios/
    try:
        return str(real.relative_to(Path.cwd()))
    except ValueError:
        return str(real)


class _Sources:
    """Where config files come from: the packaged tree, then any ``hydra.searchpath`` directories."""

    def __init__(self, overrides: list[Override]) -> None:
        self.dirs = [Path(CONFIG_DIR)]
        for o in overrides:
            if o.key_or_group == "hydra.searchpath" and isinstance(o.value(), list):
                self.dirs += [Path(str(v).removeprefix("file://")) for v in o.value() if str(v).startswith("file://")]

    def find(self, config_path: str) -> Path | None:
        """The file of a config such as ``scenario/my_case`` (as Hydra names it), if it is a file."""
        for d in self.dirs:
            path = d / f"{config_path}.yaml"
            if path.is_file():
                return path
        return None


def _package(path: Path) -> str | None:
    """The ``# @package`` of a config file's header comment, or ``None`` if it has none."""
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            break
        match = re.match(r"#\s*@package\s+(\S+)", line)
        if match:
            return match.group(1)
    return None


_NOT_SET = object()


def _value_in_file(path: Path, group: str, key: str) -> Any:
    """The value a config file of ``group`` (``""``: the primary config) gives ``key``, or ``_NOT_SET``."""
    try:
        node: Any = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return _NOT_SET
    package = _package(path) or "_group_"
    prefix = "" if package == "_global_" or not group else (group if package == "_group_" else package)
    prefix = prefix.replace("/", ".")
    if prefix:
        if not key.startswith(prefix + "."):
            return _NOT_SET
        key = key[len(prefix) + 1:]
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _NOT_SET
        node = node[part]
    return node


def _unknown_option(group: str, name: Any, options: list[str]) -> ConfigError:
    guess = difflib.get_close_matches(str(name), options, n=1, cutoff=0.7)
    meant = f" Did you mean `{group}={guess[0]}`?" if guess else ""
    hint = f" {SCENARIO_HINT}" if group == "scenario" else ""
    return ConfigError(f"No {group} named `{name}` (`{group}={name}`).{meant} Available options in '{group}': "
                       f"{', '.join(options)}.{hint}")


def _null_group(group: str, options: list[str]) -> ConfigError:
    return ConfigError(f"`{group}=null`: `{group}` is a config group, so it takes the name of one of its "
                       f"options; null switches off a single lever (e.g. `policy.daily_gift_cap=null`), not a "
                       f"group. Available options in '{group}': {', '.join(options)}.")


def _values(o: Override) -> list[Any]:
    """Every value an override gives its key: one, or each of a sweep's (none for an interval)."""
    if not o.is_sweep_override():
        return [o.value()]
    try:
        return list(o.sweep_iterator())
    except Exception:  # interval sweeps (for optimisers) have no finite list to check
        return []


def _check_override(o: Override, multirun: bool, options: Callable[[str], list[str]]) -> None:
    """Check one override against the config groups and the schema; a ConfigError if it is wrong."""
    key, line = o.key_or_group, o.input_line
    if not key:
        raise ConfigError(f"`{line}` has no key before the `=`.")
    if o.package is not None:  # `group@package=option`: Hydra's business
        return
    if o.is_sweep_override() and not multirun:
        raise ConfigError(f"`{line}` gives several values, which makes it a sweep: add -m to run one job per "
                          f"value (`livesim -m '{line}'`). For text with a comma, quote it (`{key}='a,b'`).")
    group_options = [] if "." in key else options(key)
    if group_options:
        if o.is_delete():
            return
        for value in _values(o):
            if value is None:
                raise _null_group(key, group_options)
            for name in value if isinstance(value, list) else [value]:
                if not isinstance(name, str) or ("/" not in name and name not in group_options):
                    raise _unknown_option(key, name, group_options)
        return
    if o.is_hydra_override():  # hydra.run.dir and the like: Hydra checks its own keys
        return
    leaves = leaf_fields()
    if key in leaves:
        if o.is_delete():
            off = f" or `{key}=null` to switch it off" if leaves[key].metadata.get("nullable") else ""
            raise ConfigError(f"`{line}` would remove `{key}`, which every run needs: leave it out to keep its "
                              f"default{off}.")
        if o.is_add():
            raise ConfigError(f"`{line}`: `+` adds a key the config does not have, and `{key}` is there "
                              f"already; to change it, drop the `+` (`{key}=...`).")
        for value in _values(o):
            if not (isinstance(value, str) and "${" in value):  # an interpolation is checked once composed
                check_value(key, value)
        return
    under = [k[len(key) + 1:] for k in leaves if k.startswith(key + ".")]
    if under:
        if o.is_delete():
            return
        names = sorted({k.split(".")[0] for k in under})
        raise ConfigError(f"`{key}` is a section of the config, not a value: set the keys under it (e.g. "
                          f"`{key}.{under[0]}=...`). Keys under `{key}`: {', '.join(names)}.")
    raise unknown_key_error(key)


def _variants(overrides: list[Override], options: Callable[[str], list[str]]) -> Iterator[list[str]]:
    """Override lists to compose so that every config file a sweep will read is read once.

    The first has each swept config group at its first option, the others each other option of a
    swept group in turn. Swept values of keys are left out: each of them is checked already.
    """
    base: list[str] = []
    swept: list[tuple[int, str, list[str]]] = []
    for o in overrides:
        if not o.is_sweep_override():
            base.append(o.input_line)
        elif "." not in o.key_or_group and options(o.key_or_group):
            names = list(o.sweep_string_iterator())
            if not names:  # e.g. a glob() that matches no option
                group = o.key_or_group
                raise ConfigError(f"`{o.input_line}` matches no {group}, so the sweep would have no run. "
                                  f"Available options in '{group}': {', '.join(options(group))}.")
            base.append(f"{o.get_key_element()}={names[0]}")
            swept.append((len(base) - 1, o.get_key_element(), names[1:]))
    yield base
    for index, element, names in swept:
        for name in names:
            yield [*base[:index], f"{element}={name}", *base[index + 1:]]


#: A sweep with more runs than this has its cross-key rules checked as each job starts, not up front.
MAX_CHECKED_COMBINATIONS = 10_000


def _check_combinations(composed: list[Params], parsed: list[Override]) -> None:
    """Every combination of a sweep's swept values must make valid :class:`Params`.

    Each swept value is checked on its own already; this catches the rules that tie keys together
    (e.g. ``policy.strikes_to_suspend`` ≥ ``policy.strikes_to_restrict``), which would otherwise
    stop the sweep at the first job that breaks one, after the earlier jobs ran.
    """
    leaves = leaf_fields()
    swept: list[tuple[str, list[Any]]] = []
    for o in parsed:
        if o.is_sweep_override() and o.key_or_group in leaves:
            values = _values(o)
            if values and not any(isinstance(v, str) and "${" in v for v in values):
                swept.append((o.key_or_group, values))
    if not swept or len(composed) * math.prod(len(v) for _, v in swept) > MAX_CHECKED_COMBINATIONS:
        return
    keys = [key for key, _ in swept]
    for params in composed:
        for combination in itertools.product(*(values for _, values in swept)):
            try:
                params.replace(**dict(zip(keys, combination, strict=True)))
            except ConfigError as err:
                shown = " ".join(f"{k}={v}" for k, v in zip(keys, combination, strict=True))
                world = f" (scenario {params.scenario}, policy {params.policy.name})" if len(composed) > 1 else ""
                raise ConfigError(f"The sweep's run with `{shown}`{world} is invalid: {err}") from None


def _composition_error(err: ConfigCompositionException, sources: _Sources) -> ConfigError:
    """Hydra's error while merging a config file, as one paragraph naming the file and the key."""
    match = re.match(r"In '([^']+)': \w+ raised while composing config", str(err))
    cause = err.__cause__ or err.__context__  # Hydra raises it inside the handler, not `from`
    if match is None or not isinstance(cause, OmegaConfBaseException):
        return ConfigError(_one_paragraph(str(err)))
    config_path = match.group(1)
    group = config_path.rpartition("/")[0]
    path = sources.find(config_path)
    where = _shown(path) if path else f"'{config_path}'"
    key = getattr(cause, "full_key", None) or ""
    if path is not None and group == "policy" and _package(path) == "_global_":
        return ConfigError(f"{where} starts with the line `# @package _global_`, so Hydra read its keys as "
                           f"top-level keys instead of the policy's. A policy file holds the policy's own keys "
                           f"(`name`, `risk_threshold`, …) with no `# @package` line, as in "
                           f"configs/policy/strict.yaml: remove that line.")
    if path is not None and group == "scenario" and _package(path) != "_global_":
        return ConfigError(f"{where} does not start with the line `# @package _global_`, so Hydra read all its "
                           f"keys as the value of `scenario` instead of as top-level keys (`actors`, "
                           f"`population`, …). Make `# @package _global_` the file's first line, as in "
                           f"scenarios/laundering_ring.yaml.")
    if isinstance(cause, ConfigKeyError) and key:
        return ConfigError(f"In {where}: {unknown_key_error(key)}", key=key)
    if isinstance(cause, ValidationError) and key in leaf_fields() and path is not None:
        value = _value_in_file(path, group, key)
        if value is not _NOT_SET:
            try:
                check_value(key, value)
            except ConfigError as bad:
                return ConfigError(f"In {where}: {bad}", key=key)
    return ConfigError(f"In {where}: {_one_paragraph(str(cause))}", key=key or None)


def _yaml_error(err: yaml.YAMLError) -> ConfigError:
    """A config file that is not YAML: its file and line first, then what the parser expected."""
    mark = getattr(err, "problem_mark", None)
    if mark is None:
        return ConfigError(f"A config file is not valid YAML: {_one_paragraph(str(err))}")
    name = _shown(Path(mark.name)) if Path(mark.name).is_file() else mark.name
    text = f"{name}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {err.problem}"
    context, context_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and context_mark is not None:
        text += f" ({context} that starts on line {context_mark.line + 1})"
    return ConfigError(f"{text}. Check the indentation there (the keys of a section are indented alike, "
                       f"under it) and that each line is `key: value`.")


def _where_set(key: str, cfg: DictConfig, sources: _Sources) -> str | None:
    """The config file whose value of ``key`` the composed config holds, if a file set it."""
    candidates = [("", Path(CONFIG_DIR) / "config.yaml")]  # the primary config's keys are merged last
    for group, option in cfg.hydra.runtime.choices.items():  # the last merged group comes first
        if not group.startswith("hydra/") and isinstance(option, str):
            path = sources.find(f"{group}/{option}")
            if path is not None:
                candidates.append((group, path))
    for group, path in candidates:
        if _value_in_file(path, group, key) is not _NOT_SET:
            return _shown(path)
    return None


def _check_scenario_leaves_the_policy(cfg: DictConfig, overrides: list[str], sources: _Sources) -> None:
    """Refuse a scenario that changes policy keys: they would silently replace the policy chosen.

    The config is composed once more without the scenario, so keys the scenario sets through its
    own defaults list (another scenario file, ``override /policy: …``) count too.
    """
    from hydra import compose

    option = cfg.hydra.runtime.choices.get("scenario")
    if not isinstance(option, str):
        return
    kept = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != "scenario"]
    try:
        without = compose(config_name="config", overrides=[*kept, "~scenario"])
    except HydraException:  # nothing to compare with: the composition itself was checked already
        return
    policy = OmegaConf.to_container(cfg.policy, resolve=False)
    other = OmegaConf.to_container(without.policy, resolve=False)
    changed = [k for k in policy if policy[k] != other.get(k)]
    if not changed:
        return
    path = sources.find(f"scenario/{option}")
    where = _shown(path) if path is not None else f"Scenario `{option}`"
    keys = ", ".join(f"`policy.{k}`" for k in changed)
    raise ConfigError(f"{where} sets {keys} (in the file, or through its defaults list): a scenario describes "
                      f"the simulated world (`actors`, `population`, `economy`, `detection`), and its policy keys "
                      f"would silently replace those of the policy chosen with `policy=…`. Put them in a policy "
                      f"file (configs/policy/, see README) or on the command line (`policy.risk_threshold=0.7`).")


def _compose(overrides: list[str], sources: _Sources) -> Params:
    """Compose the config as Hydra will for a run and build its :class:`Params`; a ConfigError if wrong."""
    from hydra import compose

    try:
        cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
    except MissingConfigException as err:
        group, _, name = (err.missing_cfg_file or "").rpartition("/")
        if group and err.options is not None:
            raise _unknown_option(group, name, list(err.options)) from None
        raise ConfigError(_one_paragraph(str(err))) from None
    except ConfigCompositionException as err:
        if str(err).startswith("Could not override 'hydra.") and isinstance(err.__cause__, OmegaConfBaseException):
            key = str(err).split("'")[1]
            raise ConfigError(f"Unknown Hydra setting `{key}`: `livesim --cfg hydra` shows Hydra's settings "
                              f"and their values.") from None
        raise _composition_error(err, sources) from None
    except yaml.YAMLError as err:
        raise _yaml_error(err) from None
    except HydraException as err:
        raise ConfigError(_one_paragraph(str(err))) from None
    _check_scenario_leaves_the_policy(cfg, overrides, sources)
    HydraConfig.instance().set_config(cfg)  # resolves ${hydra:runtime.choices.scenario}
    job = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])  # no run dir: nothing to resolve there
    try:
        return params_from_dict(OmegaConf.to_container(job, resolve=True))
    except OmegaConfBaseException as err:  # e.g. an interpolation of a key that does not exist
        key = getattr(err, "full_key", None)
        raise ConfigError(f"{f'`{key}`: ' if key else ''}{_one_paragraph(str(err))}.", key=key) from None
    except ConfigError as err:
        where = _where_set(err.key, cfg, sources) if err.key else None
        if where is None:
            raise
        raise ConfigError(f"In {where}: {err}", key=err.key) from None


def check_command_line(overrides: list[str], *, multirun: bool = False) -> Params:
    """Check a command line's overrides, and the config they compose, before any work.

    Every key must be in the schema with a value it allows (each value of a sweep), every config
    group option must exist, every config file read must merge, and the composed config (for a
    sweep: with each swept config group option in turn) must make valid :class:`Params`, which are
    returned (for a sweep, those of its first variant). Otherwise raises :class:`ConfigError` with
    one paragraph. Hydra's own keys (``hydra.*``) are left to Hydra.
    """
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.object_type import ObjectType

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except OverrideParseException as err:
        # Hydra's reason is the message's first line, or its second under an "Error parsing" header.
        why = [line for line in err.message.splitlines()
               if line.strip() and not line.startswith(("See https://", "Error parsing override"))]
        raise ConfigError(f"Cannot read the argument `{err.override}` ({_one_paragraph(chr(10).join(why))}). "
                          f"Arguments are key=value (`policy.risk_threshold=0.85`), a config group option "
                          f"(`scenario=laundering_ring`) or, with -m, a sweep (`'seed=range(0,10)'`).") from None
    multirun = multirun or any(o.key_or_group == "hydra.mode" and o.value() == "MULTIRUN" for o in parsed)
    sources = _Sources(parsed)
    searchpath = [o.input_line for o in parsed if o.key_or_group == "hydra.searchpath"]
    previous = HydraConfig.instance().cfg
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3", job_name="livesim"):
            loader = GlobalHydra.instance().config_loader()
            known: dict[str, list[str]] = {}

            def options(group: str) -> list[str]:
                if group not in known:
                    known[group] = loader.get_group_options(group, ObjectType.CONFIG, "config", searchpath)
                return known[group]

            # glob() sweeps over config groups list the group's options through the loader.
            parsed = OverridesParser.create(config_loader=loader).parse_overrides(overrides)
            for o in parsed:
                _check_override(o, multirun, options)
            composed = [_compose(variant, sources) for variant in _variants(parsed, options)]
            if multirun:
                _check_combinations(composed, parsed)
            params = composed[0]
    finally:
        HydraConfig.instance().cfg = previous  # the check leaves no trace for Hydra's own run
    return params
