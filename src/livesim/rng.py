"""Seed → named random streams, so that runs share every policy-independent draw.

Each model component draws from its own stream, and streams that are consumed every tick are
keyed by the tick too. A draw at tick ``t`` then never depends on how many numbers another
component (or an earlier tick under another policy) consumed: two runs with the same seed and
different policies see the same population, the same viewers online and the same gift intents
(common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams"]


class Streams:
    """Named, reproducible random generators derived from one seed.

    Parameters
    ----------
    seed
        The run's seed. Every stream is derived from it through ``numpy.random.SeedSequence``.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def get(self, name: str, *key: int) -> np.random.Generator:
        """Return the generator for stream ``name`` (optionally keyed, e.g. by tick or day).

        The same ``(seed, name, key)`` always gives the same generator, whatever else was drawn.
        """
        spawn_key = (zlib.crc32(name.encode("utf-8")), *(int(k) for k in key))
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=spawn_key)))
