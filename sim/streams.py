"""Random streams: one independent, reproducible stream per stochastic source.

Every source of randomness in a run (the arrivals of one reason, the patience of callers, the
handle times of a group, ...) draws from its own numpy ``Generator``, seeded by
``SeedSequence(seed, spawn_key=(replication, hash(component)))``. Nothing uses global random state.

Because a stream depends only on (seed, replication, component name), and never on the strategy,
a sweep point or the process that runs the task:

- two strategies see the same arrivals, patience and handle times wherever their states agree
  (common random numbers: differences come from the strategy, not from noise);
- results are identical whatever the number of processes or the order tasks finish in.
"""

from __future__ import annotations

import hashlib

import numpy as np


def component_key(component: str) -> int:
    """A stable 64-bit integer for a component name (Python's ``hash`` changes between runs)."""
    return int.from_bytes(hashlib.blake2b(component.encode(), digest_size=8).digest(), "little")


def stream(seed: int, replication: int, component: str) -> np.random.Generator:
    """The random stream of *component* in replication *replication* of a run seeded *seed*."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, component_key(component)))
    return np.random.Generator(np.random.PCG64(sequence))


class Streams:
    """The streams of one replication, created on first use and named by component."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        """Root seed of the run."""
        self.replication = replication
        """Replication number (0-based)."""

    def __call__(self, component: str) -> np.random.Generator:
        return stream(self.seed, self.replication, component)


def uniforms(rng: np.random.Generator, batch: int = 4096):
    """A fast zero-argument callable returning uniform [0, 1) draws from *rng* (batched)."""
    from itertools import chain

    return chain.from_iterable(iter(lambda: rng.random(batch).tolist(), None)).__next__
