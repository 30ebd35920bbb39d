"""FLOP accounting for transformer training, and what it costs in hardware time and money.

The course counts compute the way Kaplan et al. (2020, §2.1) do. A decoder-only transformer
with ``n_layer`` layers of width ``d_model`` (attention width and feed-forward width
d_attn = d_ff / 4 = d_model) has

* N ≈ 12 · n_layer · d_model² non-embedding parameters (their eq. 2.1);
* C_forward ≈ 2N + 2 · n_layer · n_ctx · d_model FLOPs per token (eq. 2.2): two FLOPs (a
  multiply and an add) per weight, plus the attention scores over the context;
* a backward pass costing about twice the forward pass, so training costs
  C ≈ 6N FLOPs per token and C ≈ 6ND for D tokens.

From FLOPs to time: an accelerator with peak throughput P FLOP/s running at model FLOP
utilisation (MFU) u delivers u·P useful FLOP/s, so a run needs C / (u·P) seconds of one
accelerator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from course_utils._validation import fraction, positive_array, positive_int, positive_number
from course_utils.literature import (
    ACCELERATORS, ASSUMED_USD_PER_GPU_HOUR, PEARCE_SONG_2024_EMBEDDING_COEFFICIENT, Accelerator,
)

__all__ = [
    "training_flops", "non_embedding_params", "flops_per_token", "total_params",
    "TrainingCost", "training_cost", "implied_mfu", "accelerator",
]


def _scalar_or_array(array: np.ndarray):
    return float(array) if array.ndim == 0 else array


def training_flops(N: ArrayLike, D: ArrayLike):
    """Training compute C = 6·N·D (Kaplan et al. 2020, §2.1).

    Parameters
    ----------
    N : float or array
        Parameters (Kaplan count non-embedding ones; Hoffmann et al. count all).
    D : float or array
        Training tokens.

    Returns
    -------
    float or ndarray
        FLOPs: 2N per token forward, 4N backward. GPT-3 (175e9 parameters on 300e9
        tokens) gives 3.15e23; Brown et al. 2020, Table D.1, report 3.14e23.
    """
    return _scalar_or_array(6.0 * positive_array("N", N) * positive_array("D", D))


def non_embedding_params(n_layer: int, d_model: int) -> int:
    """Non-embedding parameters N = 12 · n_layer · d_model² (Kaplan et al. 2020, eq. 2.1).

    Each layer holds 4·d_model² attention weights (Q, K, V and output projections) and
    8·d_model² feed-forward weights (d_ff = 4·d_model); biases and layer norms are left out.
    """
    n_layer = positive_int("n_layer", n_layer)
    d_model = positive_int("d_model", d_model)
    return 12 * n_layer * d_model**2


def flops_per_token(n_layer: int, d_model: int, n_ctx: int, *, training: bool = False) -> int:
    """FLOPs per token of a forward pass, C_forward = 2N + 2·n_layer·n_ctx·d_model.

    Kaplan et al. 2020, eq. 2.2, with N = 12·n_layer·d_model² (eq. 2.1). The second term
    is the attention over the context; embeddings and the output logits are left out.

    Parameters
    ----------
    n_layer, d_model, n_ctx : int
        Depth, width and context length.
    training : bool
        If True, return forward plus backward, 3 × C_forward (the backward pass costs
        about twice the forward, Kaplan et al. 2020, §2.1).
    """
    n_ctx = positive_int("n_ctx", n_ctx)
    forward = 2 * non_embedding_params(n_layer, d_model) + 2 * n_layer * n_ctx * d_model
    return 3 * forward if training else forward


def total_params(non_embedding: ArrayLike):
    """Approximate total parameters from non-embedding ones: N_T ≈ N + 47,491·N^(1/3).

    Pearce & Song 2024 (arXiv:2406.12907) fit this to Chinchilla's model shapes (32k
    vocabulary, d_model/n_layer = 39.2), so it holds only for shapes like those.
    """
    n = positive_array("non_embedding", non_embedding)
    return _scalar_or_array(n + PEARCE_SONG_2024_EMBEDDING_COEFFICIENT * np.cbrt(n))


def accelerator(gpu: str | Accelerator) -> Accelerator:
    """Look up an accelerator by name (``literature.ACCELERATORS``), or pass one through."""
    if isinstance(gpu, Accelerator):
        return gpu
    if not isinstance(gpu, str) or gpu not in ACCELERATORS:
        raise ValueError(f"gpu must be one of {sorted(ACCELERATORS)} or an Accelerator; got {gpu!r}")
    return ACCELERATORS[gpu]


@dataclass(frozen=True)
class TrainingCost:
    """Hardware time and money for one training run (see :func:`training_cost`)."""

    flops: float
    gpu: str
    n_gpus: int
    mfu: float
    usd_per_gpu_hour: float
    gpu_hours: float
    wall_days: float
    usd: float

    def __str__(self) -> str:
        return (f"{self.flops:.3g} FLOP on {self.n_gpus:,} × {self.gpu} at {self.mfu:.0%} MFU: "
                f"{self.gpu_hours:,.0f} GPU-hours, {self.wall_days:,.1f} days, "
                f"${self.usd:,.0f} at ${self.usd_per_gpu_hour:g}/GPU-hour")


def training_cost(flops: float, gpu: str | Accelerator = "H100", n_gpus: int = 1, mfu: float = 0.4,
                  usd_per_gpu_hour: float = ASSUMED_USD_PER_GPU_HOUR) -> TrainingCost:
    """GPU-hours, wall-clock days and dollars to spend ``flops`` of training compute.

    gpu_hours = flops / (mfu · peak_flops) / 3600; wall_days = gpu_hours / n_gpus / 24;
    usd = gpu_hours · usd_per_gpu_hour.

    Parameters
    ----------
    flops : float
        Training compute, e.g. :func:`training_flops`.
    gpu : str or Accelerator
        A key of ``literature.ACCELERATORS`` (peak dense 16-bit FLOP/s from the vendor
        datasheet) or your own :class:`~course_utils.literature.Accelerator`.
    n_gpus : int
        Accelerators working in parallel (changes the wall-clock time, not the GPU-hours).
    mfu : float
        Model FLOP utilisation in (0, 1]: the fraction of peak actually achieved. 0.4 is a
        typical large-run value (Llama 2-70B's published GPU-hours imply about 0.43).
    usd_per_gpu_hour : float
        The price of one accelerator-hour. The default is an assumption (the $2 per
        H800-hour DeepSeek-AI used to price DeepSeek-V3), not a quote: pass your own.
    """
    flops = positive_number("flops", flops)
    chip = accelerator(gpu)
    n_gpus = positive_int("n_gpus", n_gpus)
    mfu = fraction("mfu", mfu)
    price = positive_number("usd_per_gpu_hour", usd_per_gpu_hour)
    gpu_hours = flops / (mfu * chip.peak_flops) / 3600.0
    return TrainingCost(flops=flops, gpu=chip.name, n_gpus=n_gpus, mfu=mfu,
                        usd_per_gpu_hour=price, gpu_hours=gpu_hours,
                        wall_days=gpu_hours / n_gpus / 24.0, usd=gpu_hours * price)


def implied_mfu(flops: float, gpu_hours: float, gpu: str | Accelerator = "H100") -> float:
    """The utilisation a published run implies: MFU = flops / (gpu_hours · 3600 · peak).

    Example: Llama 2-70B, 6ND = 6 · 70e9 · 2e12 = 8.4e23 FLOP in 1,720,320 A100-hours
    (Touvron et al. 2023, Table 2), gives about 0.435.
    """
    flops = positive_number("flops", flops)
    gpu_hours = positive_number("gpu_hours", gpu_hours)
    return flops / (gpu_hours * 3600.0 * accelerator(gpu).peak_flops)
