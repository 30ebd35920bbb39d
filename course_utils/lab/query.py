"""A compute budget to spend on experiments: the shipped sweep, served one configuration at a time.

Planning a large training run means buying information with small ones. :class:`SweepQueries`
plays the part of the cluster: it knows every run of a sweep (by default the course sweep,
``course_utils/data/sweep_course.csv``) but shows a loss only when you *query* its
configuration, and charges each query the training compute of its runs, 6·N·D per seed
(N non-embedding parameters, D tokens; Kaplan et al. 2020, §2.1), against a FLOP budget.
It serves only configurations up to ``max_run_flops`` each, so a prediction made from its
answers is an extrapolation to bigger budgets, as in Stanford CS336's scaling-law assignment.

The budget is a rule kept by this object, not a security boundary: the same runs are in the
shipped CSV. Exercise 3's hidden tests serve what the learner's own ``choose_queries`` buys
through it and score the predictions made from that by their accuracy; what the learner's code
does besides is not graded.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from course_utils.results import RunResult, mean_over_seeds

__all__ = ["SweepQueries", "BudgetExceeded", "reference_choice"]


class BudgetExceeded(ValueError):
    """A query that would spend more than the remaining budget (nothing was charged)."""


class SweepQueries:
    """Serve a sweep's configurations against a FLOP budget.

    Parameters
    ----------
    flop_budget : float
        Total compute the queries may spend, in FLOP as 6·N·D summed over every run served.
    runs : sequence of RunResult, optional
        The sweep to serve (default: the shipped course sweep).
    max_run_flops : float, optional
        Only configurations whose runs cost at most this (6ND each) are served.

    Examples
    --------
    >>> lab = SweepQueries(flop_budget=2e12, max_run_flops=6.25e11)   # doctest: +SKIP
    >>> table = lab.catalogue()        # N, D, C and the cost of every configuration, no losses
    >>> lab.query(0)["loss"]           # the seed-averaged loss of configuration 0, now paid for
    """

    def __init__(self, flop_budget: float, runs: Sequence[RunResult] | None = None,
                 max_run_flops: float | None = None):
        if isinstance(flop_budget, bool) or not isinstance(flop_budget, (int, float)) \
                or not math.isfinite(flop_budget) or flop_budget <= 0:
            raise ValueError(f"flop_budget must be a positive number of FLOP; got {flop_budget!r}")
        if max_run_flops is not None and not (isinstance(max_run_flops, (int, float)) and max_run_flops > 0):
            raise ValueError(f"max_run_flops must be a positive number of FLOP or None; got {max_run_flops!r}")
        if runs is None:
            from course_utils.datasets import sweep_results

            runs = sweep_results("course")
        runs = list(runs)
        if max_run_flops is not None:
            runs = [r for r in runs if r.flops_6nd <= max_run_flops * (1 + 1e-9)]
        if not runs:
            raise ValueError("no runs to serve (is max_run_flops below the cheapest run?)")
        table = mean_over_seeds(runs)
        order = np.lexsort((table["tokens"], table["params_non_embedding"], table["flops_6nd"]))
        self._table = {name: np.asarray(column)[order] for name, column in table.items()}
        self.flop_budget = float(flop_budget)
        self.max_run_flops = max_run_flops
        self._spent = 0.0
        self._queried: list[int] = []

    # ------------------------------------------------------------------ what is on offer
    def __len__(self) -> int:
        return len(self._table["loss"])

    def catalogue(self) -> dict[str, np.ndarray]:
        """Every configuration on offer, cheapest first, without its loss.

        Keys: ``n_layer``, ``d_model``, ``N`` (non-embedding parameters), ``D`` (tokens),
        ``C`` (6ND of one run), ``seeds`` (runs averaged by a query) and ``cost`` (what a
        query charges: seeds × C). Index i of every array is configuration i of :meth:`query`.
        """
        t = self._table
        return {"n_layer": t["n_layer"].astype(int), "d_model": t["d_model"].astype(int),
                "N": t["params_non_embedding"].astype(float), "D": t["tokens"].astype(float),
                "C": t["flops_6nd"].astype(float), "seeds": t["n_seeds"].astype(int),
                "cost": (t["n_seeds"] * t["flops_6nd"]).astype(float)}

    # ------------------------------------------------------------------ spending
    @property
    def spent(self) -> float:
        """FLOP charged so far."""
        return self._spent

    @property
    def remaining(self) -> float:
        """FLOP left to spend."""
        return self.flop_budget - self._spent

    def cost(self, indices: Sequence[int]) -> float:
        """What querying ``indices`` would charge now (configurations already paid for are free)."""
        fresh = {self._check_index(i) for i in indices} - set(self._queried)
        catalogue = self.catalogue()
        return float(sum(catalogue["cost"][i] for i in fresh))

    def query(self, index: int) -> dict[str, float]:
        """Train (that is, look up) configuration ``index`` and pay for it.

        Returns ``{"N", "D", "C", "loss", "loss_sd"}``: the loss averaged over the
        configuration's seeds and their standard deviation. A configuration already
        queried is served again free of charge.

        Raises
        ------
        BudgetExceeded
            The query costs more than :attr:`remaining`; nothing is charged.
        """
        index = self._check_index(index)
        if index not in self._queried:
            price = float(self.catalogue()["cost"][index])
            if price > self.remaining * (1 + 1e-12):
                raise BudgetExceeded(f"configuration {index} costs {price:.3g} FLOP but only {self.remaining:.3g} "
                                     f"of {self.flop_budget:.3g} remain; choose cheaper runs")
            self._spent += price
            self._queried.append(index)
        t = self._table
        return {"N": float(t["params_non_embedding"][index]), "D": float(t["tokens"][index]),
                "C": float(t["flops_6nd"][index]), "loss": float(t["loss"][index]),
                "loss_sd": float(t["loss_sd"][index])}

    def query_all(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        """Query several configurations at once (all or none: the total is checked first).

        Returns arrays ``N``, ``D``, ``C``, ``loss``, ``loss_sd`` in the order of ``indices``.
        """
        indices = [self._check_index(i) for i in indices]
        price = self.cost(indices)
        if price > self.remaining * (1 + 1e-12):
            raise BudgetExceeded(f"these {len(set(indices))} configurations cost {price:.3g} FLOP but only "
                                 f"{self.remaining:.3g} of {self.flop_budget:.3g} remain")
        rows = [self.query(i) for i in indices]
        return {key: np.array([row[key] for row in rows]) for key in ("N", "D", "C", "loss", "loss_sd")}

    def results(self) -> dict[str, np.ndarray]:
        """Everything queried so far, in the order of the queries (arrays as :meth:`query_all`)."""
        t = self._table
        pick = np.array(self._queried, dtype=int)
        return {"N": t["params_non_embedding"][pick].astype(float), "D": t["tokens"][pick].astype(float),
                "C": t["flops_6nd"][pick].astype(float), "loss": t["loss"][pick].astype(float),
                "loss_sd": t["loss_sd"][pick].astype(float)}

    def _check_index(self, index) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"a configuration is chosen by its index in catalogue(); got {index!r}")
        if not 0 <= index < len(self):
            raise ValueError(f"configuration index must be between 0 and {len(self) - 1}; got {index}")
        return int(index)

    def __repr__(self) -> str:
        return (f"SweepQueries({len(self)} configurations, {self.spent:.3g} of {self.flop_budget:.3g} FLOP spent, "
                f"{len(self._queried)} queried)")


def reference_choice(catalogue: dict, flop_budget: float) -> list[int]:
    """The reference strategy for spending a query budget (exercise 3's ``choose_queries``).

    Whole IsoFLOP profiles, cheapest budget first (runs grouped into budgets by
    :func:`course_utils.chinchilla.compute_budgets`); in the first budget that cannot be bought
    whole, the sizes nearest its middle in ln N (the sweep centres each budget's sizes on its
    guess of the optimum), as many as the money allows.

    Parameters
    ----------
    catalogue : dict of str -> 1-D array
        :meth:`SweepQueries.catalogue`: ``N``, ``C`` and ``cost`` of every configuration.
    flop_budget : float
        FLOP to spend.

    Returns
    -------
    list of int
        Distinct catalogue indices whose costs sum to at most ``flop_budget``.

    One reasonable strategy among many, not the task's answer: the script that derives exercise
    3's tolerances uses it, and the hidden tests fall back on it when a learner's own choice
    cannot be served, so that their predictions are still scored (a learner's process has it
    blocked).
    """
    from course_utils.chinchilla import compute_budgets

    C, N = np.asarray(catalogue["C"], dtype=float), np.asarray(catalogue["N"], dtype=float)
    cost = np.asarray(catalogue["cost"], dtype=float)
    labels = compute_budgets(C)
    chosen, left = [], float(flop_budget)
    for k in range(labels.max() + 1):
        members = np.flatnonzero(labels == k)
        if cost[members].sum() <= left:
            chosen += [int(i) for i in members]
            left -= float(cost[members].sum())
            continue
        middle = np.median(np.log(N[members]))
        for i in sorted(members, key=lambda i: (abs(np.log(N[i]) - middle), N[i])):
            if cost[i] <= left:
                chosen.append(int(i))
                left -= float(cost[i])
        break
    return chosen
