"""Sweep presets: model shapes × token budgets × seeds.

NOT yet planned from measured throughput (see the lab's issue): the numbers below are a
first guess sized for 2 CPU cores and must be re-measured before shipping results.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_utils.lab.model import ModelConfig


@dataclass(frozen=True)
class Preset:
    """shapes: (n_layer, d_model) pairs; tokens: budgets; seeds: seeds of every run."""

    name: str
    shapes: tuple[tuple[int, int], ...]
    tokens: tuple[int, ...]
    seeds: tuple[int, ...]
    n_ctx: int = 64
    vocab_size: int = 64

    def runs(self) -> list[tuple[ModelConfig, int, int]]:
        return [(ModelConfig(L, d, self.n_ctx, self.vocab_size), t, s)
                for (L, d) in self.shapes for t in self.tokens for s in self.seeds]


PRESETS: dict[str, Preset] = {
    "quick": Preset("quick", shapes=((1, 32), (1, 64), (2, 64)), tokens=(32_768, 65_536), seeds=(0,)),
    "course": Preset("course", shapes=((1, 32), (1, 64), (2, 64), (3, 96), (4, 128)),
                     tokens=(65_536, 262_144, 1_048_576), seeds=(0, 1)),
}
