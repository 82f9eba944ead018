"""Reference study: which risk threshold should the everyday policy use, and does it hold up
against adaptive adversaries?

Sweeps ``policy.risk_threshold`` over 0.50–0.95 (step 0.05) × 10 seeds with the baseline policy,
in the everyday mix and in the adaptive-adversary scenario, then writes a report for each into
``results/examples/threshold_study/<scenario>/`` (the report, its plots and tables; the raw run
folders stay in the git-ignored ``results/multirun/``). Regenerate with::

    .venv/bin/python sim/threshold_study.py             # 2 × 100 runs, a few minutes on 2 cores
    .venv/bin/python sim/threshold_study.py --seeds 3   # a quicker, rougher version

Each sweep is exactly the command a policy analyst would type; this script only runs it. Run
again, it skips the runs already complete in ``results/multirun/`` and only rebuilds the reports;
after a change to the model, use ``--fresh`` to discard those runs and simulate everything again.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCENARIOS = ("baseline_mix", "adaptive_adversary")
# Limits for the recommendation, the same for both scenarios: total harm per 30-day run and the
# share of benign accounts actioned — illustrative values a policy team would replace with its own.
MAX_HARM, MAX_FP_RATE = "17000", "0.001"


def run(cmd: list[str]) -> None:
    print("$", " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="seeds per threshold (default 10)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier runs of this study first")
    args = parser.parse_args()
    for scenario in SCENARIOS:
        sweep_dir = ROOT / "results" / "multirun" / f"threshold_study_{scenario}"
        if args.fresh and sweep_dir.exists():
            shutil.rmtree(sweep_dir)
        run([str(BIN / "livesim"), "-m", f"scenario={scenario}", "policy=baseline",
             "policy.risk_threshold=range(0.5,0.96,0.05)", f"seed=range(0,{args.seeds})",
             "hydra/launcher=joblib", f"hydra.sweep.dir={sweep_dir.relative_to(ROOT)}"])
        out = ROOT / "results" / "examples" / "threshold_study" / scenario
        if out.exists():
            shutil.rmtree(out)
        run([str(BIN / "livesim-report"), str(sweep_dir.relative_to(ROOT)), "--baseline", "policy.risk_threshold=0.8",
             "--max-harm", MAX_HARM, "--max-fp-rate", MAX_FP_RATE, "--out", str(out.relative_to(ROOT))])


if __name__ == "__main__":
    main()
