"""Sweep presets: which model shapes train on how many tokens, with which seeds.

Two designs:

* a **grid**, every shape × every token budget (``tokens``), optionally cut at
  ``max_flops_6nd``: what the live ``quick`` preset of lesson 03 uses;
* **IsoFLOP** budgets (``budgets``, in FLOP as C = 6ND): for each budget C, the
  ``sizes_per_budget`` shapes whose tokens per parameter D/N = C/(6N²) lie closest (in
  log) to ``tokens_per_param``, each trained on D = C/(6N) tokens, rounded down to whole
  batches. Every budget then holds a U-shaped IsoFLOP profile (Hoffmann et al. 2022,
  §3.2, Approach 2) and its best run is a point of the compute-efficient frontier
  (Approach 1), so the same runs serve all three approaches.

Measured on 2 cores (``python -m course_utils lab sweep --preset NAME --dry-run`` estimates
any preset on the machine at hand; ``course_utils/data/SOURCES.md`` has the details):

* ``quick`` (lesson 03, live): 3 one-layer shapes × 2 token budgets, one seed: 42
  CPU-seconds, about 20 seconds on 2 cores.
* ``course`` (shipped as ``course_utils/data/sweep_course.csv``): 8 IsoFLOP budgets from
  3.9e10 to 5e12 FLOP × 5 sizes (tokens per parameter nearest 100) × 2 seeds, 80 runs:
  2,256 CPU-seconds, 18.8 minutes on 2 idle cores. Its frontier reaches 0.043 nats above the
  language's window floor.
* ``smoke``: 8 tiny runs in a few seconds, for the test of sharded sweeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from course_utils.lab.model import ModelConfig

__all__ = ["Preset", "PRESETS", "SHAPES"]

#: The lab's model ladder, (n_layer, d_model), from 7k to 450k non-embedding parameters
#: (about ×1.5 per step): one layer up to width 80, then deeper.
SHAPES: tuple[tuple[int, int], ...] = ((1, 16), (1, 24), (1, 32), (1, 40), (1, 48), (1, 64), (1, 80), (2, 64),
                                       (2, 80), (2, 96), (3, 96), (4, 96))


@dataclass(frozen=True)
class Preset:
    """A sweep: every run is (model shape, token budget D, seed).

    Parameters
    ----------
    name : str
    shapes : tuple of (n_layer, d_model)
    tokens : tuple of int
        Grid design: every shape trains on every one of these budgets.
    seeds : tuple of int
        The seed of every run (initialisation and training text).
    n_ctx, vocab_size : int
    max_flops_6nd : float
        Grid design: leave out runs whose 6ND exceeds this.
    budgets : tuple of float
        IsoFLOP design (instead of ``tokens``): compute budgets C = 6ND in FLOP.
    sizes_per_budget : int
        IsoFLOP design: how many shapes each budget trains.
    tokens_per_param : float
        IsoFLOP design: the shapes chosen for a budget are those whose D/N is closest to this.
    """

    name: str
    shapes: tuple[tuple[int, int], ...]
    tokens: tuple[int, ...] = ()
    seeds: tuple[int, ...] = (0,)
    n_ctx: int = 64
    vocab_size: int = 64
    max_flops_6nd: float = float("inf")
    budgets: tuple[float, ...] = ()
    sizes_per_budget: int = 4
    tokens_per_param: float = 40.0

    def __post_init__(self) -> None:
        if bool(self.tokens) == bool(self.budgets):
            raise ValueError(f"preset {self.name!r} needs either token budgets (a grid) or FLOP budgets "
                             "(IsoFLOP), not both or neither")
        if not self.shapes or not self.seeds:
            raise ValueError(f"preset {self.name!r} needs at least one shape and one seed")
        if self.budgets and not 1 <= self.sizes_per_budget <= len(self.shapes):
            raise ValueError(f"sizes_per_budget must be between 1 and the number of shapes ({len(self.shapes)}); "
                             f"got {self.sizes_per_budget}")
        if not (math.isfinite(self.tokens_per_param) and self.tokens_per_param > 0):
            raise ValueError(f"tokens_per_param must be positive; got {self.tokens_per_param}")

    def configs(self) -> list[ModelConfig]:
        return [ModelConfig(L, d, self.n_ctx, self.vocab_size) for L, d in self.shapes]

    def budget_runs(self) -> list[tuple[float, ModelConfig, int]]:
        """IsoFLOP design: (budget C, shape, tokens D) for every budget, smallest N first."""
        quantum = 16 * self.n_ctx  # one step of the recipe (16 windows): every run uses its whole budget
        out = []
        for budget in self.budgets:
            def distance(config: ModelConfig) -> float:
                n = config.params_non_embedding
                return abs(math.log(budget / (6 * n * n) / self.tokens_per_param))

            chosen = sorted(sorted(self.configs(), key=distance)[: self.sizes_per_budget],
                            key=lambda c: c.params_non_embedding)
            for config in chosen:
                tokens = int(budget / config.flops_6n_per_token()) // quantum * quantum
                if tokens >= quantum:
                    out.append((float(budget), config, tokens))
        return out

    def runs(self) -> list[tuple[ModelConfig, int, int]]:
        """Every run as (config, tokens, seed), in a fixed order."""
        if self.budgets:
            return [(c, t, s) for _, c, t in self.budget_runs() for s in self.seeds]
        return [(c, t, s) for c in self.configs() for t in self.tokens for s in self.seeds
                if c.flops_6n_per_token() * t <= self.max_flops_6nd]


PRESETS: dict[str, Preset] = {
    "quick": Preset("quick", shapes=((1, 24), (1, 48), (1, 80)), tokens=(2**19, 2**21), seeds=(0,)),
    "course": Preset("course", shapes=SHAPES, budgets=tuple(5e12 / 2**k for k in range(7, -1, -1)),
                     sizes_per_budget=5, tokens_per_param=100.0, seeds=(0, 1)),
    # A few seconds: the test suite's sharded sweep (not a scaling study).
    "smoke": Preset("smoke", shapes=((1, 32), (2, 32)), tokens=(2048, 4096), seeds=(0, 1), n_ctx=16),
}
