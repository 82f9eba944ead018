"""Seed → named random streams, so that runs share every policy-independent draw.

Each model component draws from its own stream, and streams that are consumed every tick or day
are keyed by the tick or day too. A draw then never depends on anything the policy changes: not on
how many numbers another component, or an earlier day under another policy, consumed (where two
parts of a day share a stream, the first takes a number of draws the policy cannot change). Two
runs with the same seed and different policies see the same population, the same viewers online
and the same gift intents (common random numbers).

A stream's generator (PCG64) starts from a state hashed from ``(seed, stream, key)``: SplitMix64
folded over the seed, the stream's name and each part of the key. Building a numpy generator
costs more than a small world's whole day of draws, so a hot loop can ask for the stream's one
generator re-seeded in place (``get(..., reuse=True)``) instead of a new one.

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
        The run's seed. Every stream is derived from it (see the module's docstring).
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._name_bases: dict[str, int] = {}
        self._reused: dict[str, np.random.Generator] = {}

    prefix = ""  # a subclass keys all its streams apart from the base class's with a prefix

    def get(self, name: str, *key: int, reuse: bool = False) -> np.random.Generator:
        """Return the generator for stream ``name`` (optionally keyed, e.g. by tick or day).

        The same ``(seed, name, key)`` always gives the same draws, whatever else was drawn.
        With ``reuse`` the stream's one generator is re-seeded and returned: it is valid until
        the next ``reuse`` call for the same ``name`` (for a stream keyed by tick or day that
        is used up within it), and saves building a new one.
        """
        state = _pcg64_state(self._name_base(name), key)
        if reuse:
            self.prepare(name)
            generator = self._reused[name]
        else:
            generator = np.random.Generator(np.random.PCG64(0))
        generator.bit_generator.state = state
        return generator

    def prepare(self, *names: str) -> None:
        """Build the generators that ``get(name, ..., reuse=True)`` re-seeds, ahead of a timed run.

        Building a generator costs as much as a small world's day of draws; an engine prepares
        its per-day and per-tick streams when it is built, as it allocates its arrays, so that
        the simulation loop only re-seeds them.
        """
        for name in names:
            if name not in self._reused:
                self._reused[name] = np.random.Generator(np.random.PCG64(0))

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
            base = _mix64(_mix64(self.seed & _MASK) ^ zlib.crc32((self.prefix + name).encode("utf-8")))
            self._name_bases[name] = base
        return base

    def normal_at(self, name: str, key: int, index: np.ndarray) -> np.ndarray:
        """Standard normal draws for the given ``index`` values (see :meth:`uniform_at`)."""
        return ndtri(self.uniform_at(name, key, index))


def _pcg64_state(name_base: int, key: tuple[int, ...]) -> dict:
    """A PCG64 state (128-bit state, odd 128-bit increment) for the stream with ``name_base`` and ``key``.

    The stream's base and each part of the key are folded with SplitMix64, with a tag first so
    that a generator's words are never a counter-based stream's draws; four SplitMix64 outputs
    from there make the state and the increment.
    """
    z = _mix64(name_base ^ _GENERATOR_TAG)
    for part in key:
        z = _mix64(z ^ (int(part) & _MASK))
    w = [_mix64((z + i * int(_GOLDEN)) & _MASK) for i in range(4)]  # SplitMix64 outputs 1-4 from z
    return {"bit_generator": "PCG64", "state": {"state": w[0] << 64 | w[1], "inc": w[2] << 64 | w[3] | 1},
            "has_uint32": 0, "uinteger": 0}


_GENERATOR_TAG = 0x5851F42D4C957F2D  # any constant: keeps generators' seeds apart from counter-based bases


def _mix64(z: int) -> int:
    """SplitMix64's step on a Python integer: combines the seed, stream and key into a stream base."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)
