"""Seed → named random streams, so that runs share every policy-independent draw.

Each model component draws from its own stream, and streams that are consumed every tick or day
are keyed by the tick or day too. A draw then never depends on anything the policy changes: not on
how many numbers another component, or an earlier day under another policy, consumed (where two
parts of a day share a stream, the first takes a number of draws the policy cannot change). Two
runs with the same seed and different policies see the same population, the same viewers online
and the same gift intents (common random numbers).

Per-account draws of a day (detection noise, review and appeal outcomes, chargebacks) are
*counter-based*: account ``i``'s draw is a hash of ``(seed, stream, day, i)`` (SplitMix64's
output function on a Weyl sequence whose start is SplitMix64 folded over seed, stream and day),
so only the accounts that need a draw are computed, and an account's draw never depends on which
other accounts were scored, queued or disputed.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

__all__ = ["Streams"]

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(k) for k in (30, 27, 31, 11))


class Streams:
    """Named, reproducible random generators derived from one seed.

    Parameters
    ----------
    seed
        The run's seed. Every stream is derived from it through ``numpy.random.SeedSequence``.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._name_bases: dict[str, int] = {}

    prefix = ""  # a subclass keys all its streams apart from the base class's with a prefix

    def _spawn_key(self, name: str, key: tuple[int, ...]) -> tuple[int, ...]:
        return (zlib.crc32((self.prefix + name).encode("utf-8")), *(int(k) for k in key))

    def get(self, name: str, *key: int) -> np.random.Generator:
        """Return the generator for stream ``name`` (optionally keyed, e.g. by tick or day).

        The same ``(seed, name, key)`` always gives the same generator, whatever else was drawn.
        """
        seq = np.random.SeedSequence(self.seed, spawn_key=self._spawn_key(name, key))
        return np.random.Generator(np.random.PCG64(seq))

    def uniform_at(self, name: str, key: int, index: np.ndarray) -> np.ndarray:
        """Uniform draws in (0, 1) for the given ``index`` values (e.g. account ids) of stream ``(name, key)``.

        Draw ``i`` depends only on ``(seed, name, key, i)``: the same index gets the same draw
        whichever other indices are asked for.
        """
        base = _mix64(self._name_base(name) ^ (int(key) & _MASK))
        z = np.asarray(index).astype(np.uint64) * _GOLDEN + np.uint64(base)
        z = (z ^ (z >> _S30)) * _MIX1
        z = (z ^ (z >> _S27)) * _MIX2
        z ^= z >> _S31
        return ((z >> _S11).astype(np.float64) + 0.5) * 2.0**-53

    def _name_base(self, name: str) -> int:
        """The seed and the stream's name folded into one stream base (the start of :meth:`uniform_at`'s fold)."""
        base = self._name_bases.get(name)
        if base is None:
            base = _mix64(_mix64(self.seed & _MASK) ^ self._spawn_key(name, ())[0])
            self._name_bases[name] = base
        return base

    def normal_at(self, name: str, key: int, index: np.ndarray) -> np.ndarray:
        """Standard normal draws for the given ``index`` values (see :meth:`uniform_at`)."""
        return ndtri(self.uniform_at(name, key, index))


def _mix64(z: int) -> int:
    """SplitMix64's step on a Python integer: combines the seed, stream and key into a stream base."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)
