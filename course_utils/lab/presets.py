"""Sweep presets: model shapes × token budgets × seeds, planned from measured throughput.

Measured while the shipped course sweep ran on 2 cores (two single-thread workers side by
side; ``python -m course_utils lab sweep --preset NAME --dry-run`` estimates any preset on
the machine at hand): a 13k-parameter model trains ~226k tokens per second, a 100k one
~64k, a 336k one ~24k and a 793k one ~12k. At those rates a compute-optimal run of a
1M-parameter model (20 tokens per parameter) would take ~30 minutes alone, so the sweep's
frontier lives at ~10k–300k parameters and the largest shape appears only at the smallest
budget, as an oversized point.

``quick`` (lesson 03, live): 3 shapes × 2 budgets, under a minute on 2 cores.
``course`` (shipped as ``course_utils/data/sweep_course.csv``): 6 shapes × 4 budgets × 2
seeds, the runs above ``max_flops_6nd`` left out: 40 runs, 16 minutes on 2 cores.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.lab.model import ModelConfig


@dataclass(frozen=True)
class Preset:
    """A sweep: every shape × token budget × seed whose 6ND is at most ``max_flops_6nd``.

    shapes: (n_layer, d_model) pairs; tokens: budgets D; seeds: the seed of every run.
    """

    name: str
    shapes: tuple[tuple[int, int], ...]
    tokens: tuple[int, ...]
    seeds: tuple[int, ...]
    n_ctx: int = 64
    vocab_size: int = 64
    max_flops_6nd: float = float("inf")

    def runs(self) -> list[tuple[ModelConfig, int, int]]:
        configs = [ModelConfig(L, d, self.n_ctx, self.vocab_size) for L, d in self.shapes]
        return [(c, t, s) for c in configs for t in self.tokens for s in self.seeds
                if c.flops_6n_per_token() * t <= self.max_flops_6nd]


PRESETS: dict[str, Preset] = {
    "quick": Preset("quick", shapes=((1, 32), (1, 64), (2, 64)), tokens=(2**19, 2**21), seeds=(0,)),
    "course": Preset("course", shapes=((1, 32), (1, 48), (1, 64), (2, 64), (3, 96), (4, 128)),
                     tokens=(2**20, 2**21, 2**22, 2**23), seeds=(0, 1), max_flops_6nd=9e12),
}
