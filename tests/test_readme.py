"""The README is the front door: its metric glossary and Quick start must stay true."""

import re
from pathlib import Path

from livesim.metrics import METRICS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_metric_is_in_the_readme_glossary_with_its_meaning():
    for key, metric in METRICS.items():
        assert f"| `{key}` | {metric.description} |" in README, key


def test_quick_start_has_exactly_the_two_commands_ci_runs():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip().splitlines()
    assert block == ["./dev run", "./dev test"]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "./dev test" in ci


def test_the_mesa_example_runs_as_a_script_and_its_batch_rows_carry_their_seed(capsys):
    section = README.split("## Two engines", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md (Two engines)", "exec"), namespace)
    rows = namespace["pd"].DataFrame(namespace["rows"])
    assert sorted(rows.drop_duplicates("RunId")["seed"]) == [1, 1, 2, 2, 3, 3]
    assert "revenue.gross" in capsys.readouterr().out
