"""A tiny decoder-only transformer, its exact parameter count and its FLOPs per token.

Pre-LayerNorm GPT blocks (Radford et al. 2019): causal self-attention through
``torch.nn.functional.scaled_dot_product_attention`` with one fused QKV projection, a
ReLU feed-forward layer of width 4·d_model (as in Vaswani et al. 2017 and OPT, Zhang et
al. 2022), learned position embeddings, and an output layer tied to the token embedding
(Press & Wolf 2017). ReLU rather than GPT-2's tanh-approximated GELU because on a CPU the
GELU and its gradient took ~16 % of a training step of a 100k-parameter model; with ReLU
the lab trains 10–15 % more tokens per second (``benchmarks/bench_lab.py``). No dropout:
every run sees fresh text, so there is nothing to regularise, and dropout costs CPU time.

Counting (Kaplan et al. 2020, §2.1, eq. 2.1):

* each block holds 12·d² weights (QKV 3d², output d², feed-forward 8d²) plus 13·d biases
  and LayerNorm gains/offsets, so N_non_embedding = n_layer·(12d² + 13d) + 2d (final
  LayerNorm);
* embeddings: vocab_size·d (shared with the output layer) + n_ctx·d positions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ModelConfig", "TinyTransformer", "MIN_HEAD_DIM"]

#: Attention heads narrower than this run at half the throughput on CPU.
MIN_HEAD_DIM = 32


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return value


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a :class:`TinyTransformer`. ``n_head`` defaults to d_model // 32."""

    n_layer: int
    d_model: int
    n_ctx: int = 64
    vocab_size: int = 64
    n_head: int = 0

    def __post_init__(self) -> None:
        for name in ("n_layer", "d_model", "n_ctx", "vocab_size"):
            _positive_int(name, getattr(self, name))
        if self.n_head == 0:
            object.__setattr__(self, "n_head", max(1, self.d_model // MIN_HEAD_DIM))
        _positive_int("n_head", self.n_head)
        if self.d_model % self.n_head:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_head ({self.n_head})")

    @property
    def params_non_embedding(self) -> int:
        """n_layer·(12d² + 13d) + 2d: every weight, bias and LayerNorm outside the embeddings."""
        d = self.d_model
        return self.n_layer * (12 * d * d + 13 * d) + 2 * d

    @property
    def params_embedding(self) -> int:
        """vocab_size·d (tied with the output layer) + n_ctx·d."""
        return (self.vocab_size + self.n_ctx) * self.d_model

    @property
    def params_total(self) -> int:
        return self.params_non_embedding + self.params_embedding

    def forward_flops_per_token(self) -> int:
        """Forward FLOPs per token with attention and logits, following Kaplan et al. 2020, Table 1.

        2·n_layer·12d² (QKV, projection, feed-forward) + 4·n_layer·n_ctx·d (scores QKᵀ and
        the weighted sum of V, over the whole window as the kernel computes it) +
        2·d·vocab_size (logits). Biases, LayerNorm, softmax and the embedding lookup are
        O(d) per token and left out.
        """
        d, L = self.d_model, self.n_layer
        return 2 * L * 12 * d * d + 4 * L * self.n_ctx * d + 2 * d * self.vocab_size

    def training_flops_per_token(self) -> int:
        """3 × forward: the backward pass costs twice the forward (Kaplan et al. 2020, §2.1)."""
        return 3 * self.forward_flops_per_token()

    def flops_6n_per_token(self) -> int:
        """Kaplan's C/D = 6·N_non_embedding."""
        return 6 * self.params_non_embedding


class _Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model
        self.n_head = cfg.n_head
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        qkv = self.qkv(self.ln1(x)).view(B, T, 3, self.n_head, d // self.n_head).permute(2, 0, 3, 1, 4)
        # unbind, not qkv[0], qkv[1], qkv[2]: the backward of each index fills a zero tensor of the
        # whole of qkv and copies into it (a tenth of a step at width 128); unbind's stacks the three
        y = F.scaled_dot_product_attention(*qkv.unbind(0), is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, d))
        return x + self.fc2(F.relu(self.fc(self.ln2(x))))


class TinyTransformer(nn.Module):
    """Decoder-only transformer; ``forward(tokens, targets=None)`` returns logits or the mean loss.

    Parameters
    ----------
    config : ModelConfig
        Or pass its fields as keywords: ``TinyTransformer(n_layer=2, d_model=64)``.

    Examples
    --------
    >>> model = TinyTransformer(n_layer=2, d_model=64, n_ctx=64, vocab_size=64)
    >>> model.config.params_non_embedding
    100096
    """

    def __init__(self, config: ModelConfig | None = None, **kwargs):
        super().__init__()
        if config is None:
            config = ModelConfig(**kwargs)
        elif kwargs:
            raise ValueError("pass either a ModelConfig or its fields as keywords, not both")
        self.config = cfg = config
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.n_ctx, cfg.d_model)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.register_buffer("positions", torch.arange(cfg.n_ctx), persistent=False)
        self.apply(self._init)
        for block in self.blocks:  # residual projections scaled by depth (GPT-2)
            nn.init.normal_(block.fc2.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))
            nn.init.normal_(block.proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)

    def embedding_parameters(self) -> list[nn.Parameter]:
        return [self.tok_emb.weight, self.pos_emb.weight]

    def forward(self, tokens: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        T = tokens.shape[1]
        if T > self.config.n_ctx:
            raise ValueError(f"sequence length {T} exceeds n_ctx {self.config.n_ctx}")
        x = self.tok_emb(tokens) + self.pos_emb(self.positions[:T])
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.tok_emb.weight.t()
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))
