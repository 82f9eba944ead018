"""The detector: binormal risk scores, calibrated to probabilities, plus rule signals.

Benign accounts' raw scores are N(0, 1); a bad actor's are N(d', 1) with ``d' = √2 Φ⁻¹(AUC)``,
the separation that gives the configured AUC. A score is a persistent per-account part plus
daily noise, ``s = μ + √ρ z + √(1-ρ) ε``. The policy sees the calibrated probability that an
account is bad, computed with the *reference* AUC and the prevalence the detector was calibrated
for, plus rule log-likelihood ratios (naive Bayes)::

    logit p = logit π + d'·s − d'²/2 + Σ rule LLRs

So ``p ≥ t`` ⇔ ``s ≥ s*(t) = (logit t − logit π + d'²/2) / d'`` (no rules firing) and a benign
account is flagged on a given day with probability ``1 − Φ(s*(t))``. See docs/detection.md.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import expit, logit
from scipy.stats import norm

__all__ = [
    "calibrated_risk", "daily_false_positive_rate", "daily_true_positive_rate", "raw_scores",
    "score_cutoff", "separation",
]


@lru_cache(maxsize=256)
def separation(auc: float) -> float:
    """Return d', the mean gap between bad and benign raw scores that gives ``auc``."""
    return float(np.sqrt(2.0) * norm.ppf(auc))


def raw_scores(mean: np.ndarray | float, persistent: np.ndarray, noise: np.ndarray,
               persistence: float) -> np.ndarray:
    """Raw detector scores: ``mean + √ρ·persistent + √(1-ρ)·noise`` (standard-normal parts)."""
    return mean + np.sqrt(persistence) * persistent + np.sqrt(1.0 - persistence) * noise


def calibrated_risk(score: np.ndarray, auc: float, prevalence: float,
                    rule_llr: np.ndarray | float = 0.0) -> np.ndarray:
    """Probability that an account is bad given its raw score and rule signals.

    Parameters
    ----------
    score
        Raw scores (benign ~ N(0, 1)).
    auc
        The reference AUC the detector was calibrated with.
    prevalence
        The bad-actor prevalence assumed at calibration.
    rule_llr
        Sum of the log-likelihood ratios of the rules that fired.
    """
    d = separation(auc)
    return expit(logit(prevalence) + d * score - d * d / 2.0 + rule_llr)


def score_cutoff(threshold: float, auc: float, prevalence: float) -> float:
    """Raw score at which the calibrated risk (no rules firing) reaches ``threshold``."""
    d = separation(auc)
    return float((logit(threshold) - logit(prevalence) + d * d / 2.0) / d)


def daily_false_positive_rate(threshold: float, auc: float, prevalence: float) -> float:
    """Chance that a benign account with no rule firing scores at or above ``threshold`` on a day."""
    return float(norm.sf(score_cutoff(threshold, auc, prevalence)))


def daily_true_positive_rate(threshold: float, auc: float, prevalence: float,
                             actor_auc: float) -> float:
    """Chance that a bad actor whose true separation gives ``actor_auc`` is flagged on a day."""
    return float(norm.sf(score_cutoff(threshold, auc, prevalence) - separation(actor_auc)))
