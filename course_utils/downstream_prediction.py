"""From compute to loss to benchmark error: forecasting what a model scores, not only its loss.

Scaling laws forecast loss. Two published recipes chain a second fit onto the first:

* **Gadre et al. 2024** ("Language models scale reliably with over-training and on
  downstream tasks", arXiv:2403.08540, §2.3, eq. 5): the average top-1 error over 17
  tasks falls exponentially with the validation loss L,

      Err(L) = ε − k·exp(−γ·L),

  bounded above by ε. Schaeffer et al.'s exact-match model, the probability of getting
  all ℓ tokens of an answer right, is the special case ε = k = 1, γ = ℓ (Gadre et al. §5).
* **Llama 3** (Llama Team 2024, arXiv:2407.21783, §3.2.1): fit the compute-optimal
  number of training tokens as A·C^α on IsoFLOP runs, then map FLOPs to the normalised
  negative log-likelihood of the right answer, and that to accuracy with a sigmoid.

Used in lesson 06.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from course_utils._validation import positive_array

__all__ = ["downstream_error", "optimal_tokens"]


def downstream_error(loss: ArrayLike, epsilon: float, k: float, gamma: float):
    """Average downstream error predicted from validation loss: ε − k·exp(−γ·L).

    Parameters
    ----------
    loss : float or array
        Validation loss L (nats per token), positive.
    epsilon, k, gamma : float
        Fitted constants (positive): ε is the error of a useless model, γ how fast the
        error falls with loss (Gadre et al. 2024, eq. 5).

    Returns
    -------
    float or ndarray
    """
    L = positive_array("loss", loss)
    epsilon = float(positive_array("epsilon", epsilon))
    k = float(positive_array("k", k))
    gamma = float(positive_array("gamma", gamma))
    error = epsilon - k * np.exp(-gamma * L)
    return float(error) if error.ndim == 0 else error


def optimal_tokens(compute: ArrayLike, A: float, alpha: float):
    """Compute-optimal training tokens A·C^α, Llama 3's form (§3.2.1, Figure 3).

    Parameters
    ----------
    compute : float or array
        C in FLOPs.
    A, alpha : float
        The fit: (0.29, 0.53) as printed in the Llama 3 text, (0.299, 0.537) in the
        legend of its Figure 3 (``literature.LLAMA3_TOKEN_FIT_TEXT`` / ``_FIGURE``).

    Returns
    -------
    float or ndarray
        Tokens.
    """
    c = positive_array("compute", compute)
    A = float(positive_array("A", A))
    alpha = float(positive_array("alpha", alpha))
    tokens = A * c ** alpha
    return float(tokens) if tokens.ndim == 0 else tokens
