"""Train one :class:`TinyTransformer` on a token budget and measure its held-out loss.

The recipe is the usual one for small language models: AdamW (Loshchilov & Hutter 2019)
with weight decay on matrices only, a linear warm-up followed by a cosine decay (to zero by
default, see :class:`TrainSettings`), sized so that the schedule ends exactly when the token
budget is spent (Hoffmann et al. 2022, §3 and App. B, found a cosine cycle longer than the
run overestimates the loss of short runs). Every run reads fresh text, so the training loss
is an unbiased estimate of the loss too, but the recorded ``loss`` is measured on
held-out windows.

Same seed, same machine, same thread count → the same losses, bit for bit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import torch

from course_utils.lab.model import ModelConfig, TinyTransformer
from course_utils.results import RunResult

__all__ = ["TrainSettings", "TrainReport", "Corpus", "train", "evaluate", "run_id", "check_budget", "peak_lr"]


class Corpus(Protocol):
    """What :func:`train` needs from a corpus (``SyntheticLanguage`` and ``PydocCorpus`` have it)."""

    name: str
    vocab_size: int

    def data_hash(self) -> str: ...
    def train_windows(self, batch_size: int, length: int, seed: int): ...
    def validation_windows(self, n_windows: int, length: int) -> np.ndarray: ...
    def oracle_nll(self, windows: np.ndarray) -> np.ndarray | None: ...


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser and evaluation settings shared by every run of a sweep.

    The recipe was chosen by measurement on the lab's language (``course_utils/data/SOURCES.md``
    lists the probes). Batches of 16 windows and a peak rate of 1e-2 gave the lowest loss for
    models of 20k-100k non-embedding parameters; narrower models train best at higher rates
    (width 24: 0.198 nats above the floor at 2e-2 against 0.220 at 1e-2; width 16: best at
    2e-2 to 3e-2), as in the standard parametrisation the best Adam rate shifts with width
    (Yang et al. 2022, "Tensor Programs V"), so the peak is ``lr · min(max_lr_factor,
    max(1, lr_width / d_model))``. A cosine decay to zero rather than to 10 % of the peak
    lowered the loss of the long runs (width 80 on 10.7M tokens: 0.043 above the floor
    against 0.047) and straightened the compute-efficient frontier.

    Attributes
    ----------
    batch_size : int
        Windows per step; one step reads batch_size · n_ctx tokens.
    lr : float
        Peak learning rate of a model at least ``lr_width`` wide.
    lr_width : int
        Models narrower than this get a higher peak, lr · lr_width / d_model (0: never).
    max_lr_factor : float
        The most that rule multiplies ``lr`` by.
    warmup_fraction : float
        Fraction of steps spent warming up linearly (at most ``max_warmup`` steps).
    min_lr_fraction : float
        The cosine decays to this fraction of the peak.
    weight_decay : float
        AdamW decay on weight matrices (not on biases, LayerNorm or embeddings).
    n_val_windows : int
        Held-out windows of n_ctx + 1 tokens for the validation loss (1,024 windows of the
        synthetic language: its window floor to about ±0.003 nats).
    """

    batch_size: int = 16
    lr: float = 1e-2
    lr_width: int = 48
    max_lr_factor: float = 3.0
    warmup_fraction: float = 0.1
    max_warmup: int = 100
    min_lr_fraction: float = 0.0
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    n_val_windows: int = 1024

    def __post_init__(self) -> None:
        if isinstance(self.lr_width, bool) or not isinstance(self.lr_width, int) or self.lr_width < 0:
            raise ValueError(f"lr_width must be a non-negative integer; got {self.lr_width!r}")
        if not (math.isfinite(self.max_lr_factor) and self.max_lr_factor >= 1):
            raise ValueError(f"max_lr_factor must be at least 1; got {self.max_lr_factor}")
        for name in ("batch_size", "max_warmup", "n_val_windows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be positive and finite; got {self.lr}")
        for name in ("warmup_fraction", "min_lr_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1; got {getattr(self, name)}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be non-negative; got {self.weight_decay}")


@dataclass(frozen=True)
class TrainReport:
    """One finished run: its row in the results schema and the detail behind it.

    Attributes
    ----------
    result : RunResult
    window_loss : ndarray
        Mean model NLL of each validation window (for paired comparisons).
    window_oracle : ndarray or None
        Mean source NLL of the same windows (None for real text).
    steps, train_curve : ndarray
        Step numbers and the training loss at each.
    """

    result: RunResult
    window_loss: np.ndarray
    window_oracle: np.ndarray | None
    steps: np.ndarray
    train_curve: np.ndarray


def peak_lr(config: ModelConfig, settings: TrainSettings) -> float:
    """The run's peak learning rate: lr · min(max_lr_factor, max(1, lr_width / d_model))."""
    factor = 1.0 if not settings.lr_width else max(1.0, settings.lr_width / config.d_model)
    return settings.lr * min(settings.max_lr_factor, factor)


def run_id(corpus: Corpus, config: ModelConfig, tokens: int, seed: int, settings: TrainSettings) -> str:
    """Unique key of a run: corpus and its hash, shape, token budget, seed, batch, peak lr and
    the fraction of it the schedule ends at."""
    return (f"{corpus.name}-{corpus.data_hash()[:8]}-L{config.n_layer}-d{config.d_model}-h{config.n_head}"
            f"-c{config.n_ctx}-t{tokens}-s{seed}-b{settings.batch_size}-lr{peak_lr(config, settings):.3g}"
            f"-to{settings.min_lr_fraction:g}")


def check_budget(config: ModelConfig, tokens: int, settings: TrainSettings) -> int:
    """Number of optimiser steps for ``tokens``; ValueError if it is less than one batch."""
    if isinstance(tokens, bool) or not isinstance(tokens, (int, np.integer)) or tokens <= 0:
        raise ValueError(f"tokens must be a positive integer; got {tokens!r}")
    per_step = settings.batch_size * config.n_ctx
    if tokens < per_step:
        raise ValueError(f"tokens ({tokens}) is smaller than one batch ({settings.batch_size} windows "
                         f"× {config.n_ctx} tokens = {per_step})")
    return int(tokens) // per_step


def _learning_rate(step: int, n_steps: int, settings: TrainSettings, peak: float) -> float:
    warmup = min(settings.max_warmup, max(1, int(settings.warmup_fraction * n_steps)))
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, n_steps - warmup)
    floor = settings.min_lr_fraction
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def _optimizer(model: TinyTransformer, settings: TrainSettings) -> torch.optim.AdamW:
    embeddings = {id(p) for p in model.embedding_parameters()}
    decay = [p for p in model.parameters() if p.ndim >= 2 and id(p) not in embeddings]
    rest = [p for p in model.parameters() if p.ndim < 2 or id(p) in embeddings]
    groups = [{"params": decay, "weight_decay": settings.weight_decay},
              {"params": rest, "weight_decay": 0.0}]
    # The fused kernel (CPU and CUDA) updates every tensor in one pass: a few % of a small model's step.
    fused = next(model.parameters()).device.type in ("cpu", "cuda")
    return torch.optim.AdamW(groups, lr=settings.lr, betas=settings.betas, fused=fused or None)


@torch.no_grad()
def evaluate(model: TinyTransformer, windows: np.ndarray, device: str = "cpu", batch_size: int = 64) -> np.ndarray:
    """Mean NLL (nats per token) of each window's tokens 1…L−1 given the ones before."""
    model.eval()
    out = []
    for start in range(0, len(windows), batch_size):
        chunk = torch.as_tensor(windows[start:start + batch_size], device=device)
        logits = model(chunk[:, :-1])
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), chunk[:, 1:], reduction="none")
        out.append(nll.mean(dim=1).double().cpu().numpy())
    model.train()
    return np.concatenate(out)


def train(config: ModelConfig, corpus: Corpus, tokens: int, seed: int = 0,
          settings: TrainSettings = TrainSettings(), *, device: str = "cpu",
          threads: int | None = None, progress: bool = True,
          validation: tuple[np.ndarray, np.ndarray | None] | None = None,
          on_steps: Callable[[int], None] | None = None) -> TrainReport:
    """Train a fresh model of shape ``config`` on ``tokens`` tokens of ``corpus``.

    Parameters
    ----------
    config : ModelConfig
        Model shape; its ``vocab_size`` must match the corpus.
    corpus : SyntheticLanguage or PydocCorpus
    tokens : int
        Token budget D; rounded down to whole batches (at least one).
    seed : int
        Seeds the initialisation and the training text.
    settings : TrainSettings
    device : str
        ``"cpu"`` (default) or e.g. ``"cuda"``; nothing needs a GPU.
    threads : int, optional
        ``torch.set_num_threads`` for this run (default: leave the current setting).
    progress : bool
        Show a tqdm progress bar (a widget in JupyterLab).
    validation : (windows, oracle_nll), optional
        Pre-computed validation windows and their per-token oracle NLL, so a sweep
        computes them once; by default they are made here.
    on_steps : callable, optional
        Called with the number of steps finished since its last call, every 20 steps and
        at the end (a sweep's worker processes report progress through it).

    Returns
    -------
    TrainReport

    Raises
    ------
    ValueError
        Before any training, for a vocabulary mismatch or a budget below one batch.
    KeyboardInterrupt
        Propagated after closing the progress bar; nothing of the unfinished run is kept.
    """
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a ModelConfig; got {type(config).__name__}")
    if config.vocab_size != corpus.vocab_size:
        raise ValueError(f"config.vocab_size ({config.vocab_size}) must equal the corpus's "
                         f"vocab_size ({corpus.vocab_size})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    n_steps = check_budget(config, tokens, settings)
    if threads is not None:
        torch.set_num_threads(threads)
    if validation is None:
        windows = corpus.validation_windows(settings.n_val_windows, config.n_ctx + 1)
        validation = (windows, corpus.oracle_nll(windows))
    windows, oracle = validation

    torch.manual_seed(seed)
    peak = peak_lr(config, settings)
    model = TinyTransformer(config).to(device)
    optimizer = _optimizer(model, settings)
    batches = corpus.train_windows(settings.batch_size, config.n_ctx + 1, seed)
    curve = np.empty(n_steps)
    from tqdm.auto import tqdm

    bar = tqdm(total=n_steps, desc=f"L{config.n_layer} d{config.d_model} N={config.params_non_embedding:,}",
               disable=not progress, leave=False)
    start = time.perf_counter()
    try:
        for step in range(n_steps):
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(step, n_steps, settings, peak)
            batch = torch.as_tensor(next(batches), device=device)
            loss = model(batch[:, :-1], batch[:, 1:])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            curve[step] = loss.item()
            bar.update(1)
            if step % 20 == 19 or step == n_steps - 1:
                bar.set_postfix(loss=f"{curve[step]:.3f}", refresh=False)
                if on_steps is not None:
                    on_steps(step % 20 + 1)
        seconds = time.perf_counter() - start
        window_loss = evaluate(model, windows, device)
    finally:
        bar.close()

    used = n_steps * settings.batch_size * config.n_ctx
    tail = max(1, n_steps // 10)
    window_oracle = None if oracle is None else oracle.mean(axis=1)
    result = RunResult(
        run_id=run_id(corpus, config, int(tokens), int(seed), settings), corpus=corpus.name,
        n_layer=config.n_layer, d_model=config.d_model, n_head=config.n_head, n_ctx=config.n_ctx,
        vocab_size=config.vocab_size, params_total=config.params_total,
        params_non_embedding=config.params_non_embedding, tokens=used,
        flops_6nd=float(config.flops_6n_per_token() * used),
        flops_counted=float(config.training_flops_per_token() * used),
        loss=float(window_loss.mean()), train_loss=float(curve[-tail:].mean()),
        oracle_loss=float("nan") if oracle is None else float(window_oracle.mean()),
        seed=int(seed), seconds=round(seconds, 3), data_hash=corpus.data_hash())
    return TrainReport(result=result, window_loss=window_loss, window_oracle=window_oracle,
                       steps=np.arange(1, n_steps + 1), train_curve=curve)


