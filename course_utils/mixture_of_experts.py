"""Mixture-of-experts models: total parameters against the parameters each token uses.

A mixture-of-experts (MoE) transformer replaces each feed-forward block by E "experts" and
a router that sends every token to the top-k of them. The model stores all E experts
(total parameters, memory) but each token passes through only k (active parameters,
compute): training costs about 6·N_active·D FLOPs, not 6·N_total·D. Clark et al. 2022
("Unified Scaling Laws for Routed Language Models", arXiv:2202.01169) treat the two as
separate axes of a scaling law.

:func:`moe_parameter_counts` counts both for a decoder built like Mixtral (Jiang et al.
2024, arXiv:2401.04088): grouped-query attention, SwiGLU experts with three matrices
each, RMSNorm without biases. Used in lesson 06 and exercise 6.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_utils._validation import positive_int

__all__ = ["MoEParameterCount", "moe_parameter_counts"]


@dataclass(frozen=True)
class MoEParameterCount:
    """Parameter counts of a mixture-of-experts transformer."""

    total: int
    """Every stored parameter: all experts of every layer, embeddings, norms."""
    active: int
    """Parameters one token passes through: top-k experts per layer plus everything shared."""

    @property
    def active_fraction(self) -> float:
        """active / total."""
        return self.active / self.total

    def __str__(self) -> str:
        return (f"total {self.total / 1e9:.2f}B, active {self.active / 1e9:.2f}B "
                f"({self.active_fraction:.1%} of the parameters per token)")


def moe_parameter_counts(n_layer: int, d_model: int, d_ff: int, n_experts: int, top_k: int,
                         n_heads: int, n_kv_heads: int, head_dim: int, vocab_size: int,
                         tied_embeddings: bool = False) -> MoEParameterCount:
    """Total and active parameters of a decoder-only MoE transformer.

    Per layer:

    * attention: queries and output d_model·n_heads·head_dim each, keys and values
      d_model·n_kv_heads·head_dim each (grouped-query attention);
    * router: d_model·n_experts;
    * each expert (SwiGLU): 3·d_model·d_ff;
    * two RMSNorm gains: 2·d_model.

    Plus a final RMSNorm (d_model) and the embeddings: vocab_size·d_model, twice when the
    output projection is not tied to the input embedding. The active count keeps top_k
    experts per layer and everything else (router, attention, norms, embeddings).

    Parameters
    ----------
    n_layer, d_model, d_ff, n_experts, top_k, n_heads, n_kv_heads, head_dim, vocab_size : int
        The architecture (positive whole numbers; top_k <= n_experts, n_kv_heads <= n_heads).
    tied_embeddings : bool
        Whether the output projection reuses the input embedding matrix.

    Returns
    -------
    MoEParameterCount

    Examples
    --------
    Mixtral 8x7B's Table 1 (Jiang et al. 2024) gives 46.70B total and 12.88B active,
    the 46.7B / 12.9B Mistral AI published:

    >>> str(moe_parameter_counts(32, 4096, 14336, 8, 2, 32, 8, 128, 32000))
    'total 46.70B, active 12.88B (27.6% of the parameters per token)'
    """
    for name, value in dict(n_layer=n_layer, d_model=d_model, d_ff=d_ff, n_experts=n_experts, top_k=top_k,
                            n_heads=n_heads, n_kv_heads=n_kv_heads, head_dim=head_dim,
                            vocab_size=vocab_size).items():
        positive_int(name, value)
    if top_k > n_experts:
        raise ValueError(f"top_k ({top_k}) cannot exceed n_experts ({n_experts})")
    if n_kv_heads > n_heads:
        raise ValueError(f"n_kv_heads ({n_kv_heads}) cannot exceed n_heads ({n_heads})")
    if not isinstance(tied_embeddings, bool):
        raise ValueError(f"tied_embeddings must be True or False; got {tied_embeddings!r}")

    attention = 2 * d_model * n_heads * head_dim + 2 * d_model * n_kv_heads * head_dim
    router = d_model * n_experts
    expert = 3 * d_model * d_ff
    norms = 2 * d_model
    shared_per_layer = attention + router + norms
    embeddings = vocab_size * d_model * (1 if tied_embeddings else 2)
    outside_layers = embeddings + d_model  # plus the final norm

    total = n_layer * (shared_per_layer + n_experts * expert) + outside_layers
    active = n_layer * (shared_per_layer + top_k * expert) + outside_layers
    return MoEParameterCount(total=total, active=active)
