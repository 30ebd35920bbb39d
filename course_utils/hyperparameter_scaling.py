"""Hyperparameters that scale: learning rate and batch size against compute, and µP.

* **DeepSeek LLM** (DeepSeek-AI 2024, arXiv:2401.02954, §3.1, eq. 1) fit, on runs of
  1e17 to 2e19 FLOPs, the near-optimal peak learning rate and batch size (tokens)

      η_opt = 0.3118·C^(−0.1250),   B_opt = 0.2920·C^(0.3271),

  with C = M·D and M = 72·n_layer·d_model² + 12·n_layer·d_model·l_seq the non-embedding
  FLOPs per token (§3.2, eq. 2). Bigger budgets want larger batches and smaller steps.
* **µP** (Yang et al. 2022, "Tensor Programs V", arXiv:2203.03466) parametrises a network
  so that the best hyperparameters stop moving with width: tune a small proxy, copy the
  values. With Adam, hidden weight matrices then take the base learning rate divided by
  the width multiplier, while vector-like parameters keep it (``MuAdam`` in the authors'
  ``mup`` package, ``mup/optim.py``).

Used in lesson 06.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_utils._validation import positive_array
from course_utils.literature import DEEPSEEK_LLM_HYPERPARAMETER_LAW

__all__ = ["non_embedding_flops_per_token", "optimal_learning_rate", "optimal_batch_tokens",
           "mup_adam_learning_rate"]


def _out(array: np.ndarray):
    return float(array) if np.ndim(array) == 0 else array


def non_embedding_flops_per_token(n_layer: ArrayLike, d_model: ArrayLike, seq_len: ArrayLike):
    """DeepSeek LLM's model scale M = 72·n_layer·d_model² + 12·n_layer·d_model·l_seq (eq. 2).

    The first term is 6 FLOPs per non-embedding parameter (12·n_layer·d_model² of them);
    the second counts attention over the context, which 6N leaves out.
    """
    n = positive_array("n_layer", n_layer)
    d = positive_array("d_model", d_model)
    length = positive_array("seq_len", seq_len)
    return _out(72.0 * n * d**2 + 12.0 * n * d * length)


def optimal_learning_rate(compute: ArrayLike, coefficient: float = DEEPSEEK_LLM_HYPERPARAMETER_LAW["lr_coefficient"],
                          exponent: float = DEEPSEEK_LLM_HYPERPARAMETER_LAW["lr_exponent"]):
    """Near-optimal peak learning rate coefficient·C^exponent (default: DeepSeek LLM eq. 1)."""
    c = positive_array("compute", compute)
    coefficient = float(positive_array("coefficient", coefficient))
    return _out(coefficient * c ** float(exponent))


def optimal_batch_tokens(compute: ArrayLike, coefficient: float = DEEPSEEK_LLM_HYPERPARAMETER_LAW["batch_coefficient"],
                         exponent: float = DEEPSEEK_LLM_HYPERPARAMETER_LAW["batch_exponent"]):
    """Near-optimal batch size in tokens, coefficient·C^exponent (default: DeepSeek LLM eq. 1)."""
    c = positive_array("compute", compute)
    coefficient = float(positive_array("coefficient", coefficient))
    return _out(coefficient * c ** float(exponent))


def mup_adam_learning_rate(base_lr: float, base_width: ArrayLike, width: ArrayLike, kind: str = "hidden"):
    """Adam learning rate of a parameter under µP when the model grows from base_width to width.

    Hidden (matrix-like) weights: base_lr · base_width / width. Vector-like parameters
    (biases, norm gains, and the input embedding, whose fan-in does not grow): base_lr.

    Parameters
    ----------
    base_lr : float
        Learning rate tuned on the proxy of width ``base_width``.
    base_width, width : float or array
        Widths of the proxy and of the target model.
    kind : {"hidden", "vector"}

    Returns
    -------
    float or ndarray
    """
    lr = float(positive_array("base_lr", base_lr))
    w0 = positive_array("base_width", base_width)
    w = positive_array("width", width)
    if kind == "hidden":
        return _out(lr * w0 / w)
    if kind == "vector":
        return _out(lr * np.ones(np.broadcast(w0, w).shape))
    raise ValueError(f"kind must be 'hidden' or 'vector'; got {kind!r}")
