"""Train the held-out runs of exercise 3's prediction task and derive its tolerances.

Run from the course root (about 10 minutes on 2 CPU cores, outside the course preset):

    python tests/hidden/data/make_ex03_heldout.py [--train]

``--train`` trains ``ex03_heldout.csv``: five model sizes around the compute-optimal one at
C = 6.25e12 FLOP, ten times the largest run that ``SweepQueries`` serves in the exercise
(6.25e11), each with seeds 0 and 1, by the lab's own recipe (`run_sweep`). These runs exist
only here, never in ``sweep_course.csv``. Without ``--train`` the script only re-derives
``ex03_heldout.json`` from the runs on disk:

* the truth: the lowest seed-averaged loss at 6.25e12 (``L_opt``) and the minimum of the
  parabola in ln N through the five seed-averaged losses (``N_opt``);
* the seed spread: every configuration here and in the shipped sweep has two seeds. A seed
  bootstrap (each configuration's loss replaced by the mean of two seeds drawn with
  replacement, 2,000 times) gives the standard deviation of the truth and of the reference
  prediction (whole IsoFLOP profiles cheapest first, then the middle sizes of the next one, L = E + A·C^(−α) through the best run
  of each budget, Approach 2 for N_opt) at each budget a student may draw;
* the tolerances. Loss: ``TOLERANCE_SIGMAS`` times the combined standard deviation of the
  truth and of the prediction, in nats. Size: an IsoFLOP profile is flat near its bottom, so
  every N whose loss on the held-out parabola lies within δ = ``TOLERANCE_SIGMAS`` × (the
  median standard error of a held-out configuration's two-seed mean) of the minimum is as
  good as N_opt within the seed noise; that region is ln N_opt ± sqrt(δ / c2), c2 the
  parabola's curvature in ln N. The tolerance in ln N combines its half-width with
  ``TOLERANCE_SIGMAS`` times the prediction's own seed spread.

A student's budget is a fraction between ``BUDGET_FRACTIONS`` of the catalogue's total cost:
enough for the four cheapest budgets whole and one to three sizes of the largest.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from course_utils.chinchilla import compute_budgets, fit_isoflop_profile
from course_utils.datasets import sweep_results
from course_utils.lab import run_sweep
from course_utils.lab.presets import SHAPES, Preset
from course_utils.lab.query import SweepQueries, reference_choice
from course_utils.powerlaw import fit_saturating_power_law
from course_utils.results import read_results

HERE = Path(__file__).resolve().parent
TARGET = 6.25e12
CAP = 6.25e11
#: The fraction of the catalogue's total cost a student's query budget is drawn from.
BUDGET_FRACTIONS = (0.6, 0.8)
TOLERANCE_SIGMAS = 4.0
HELDOUT = Preset("ex03-heldout", shapes=SHAPES, budgets=(TARGET,), sizes_per_budget=5,
                 tokens_per_param=170.0, seeds=(0, 1))


def reference_prediction(N, D, L, target):
    """The exercise's reference recipe, written out again (see the solution notebook)."""
    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    C = 6 * N * D
    labels = compute_budgets(C)
    budgets, lowest, optima = [], [], []
    for k in range(labels.max() + 1):
        pick = labels == k
        c = float(np.exp(np.log(C[pick]).mean()))
        budgets.append(c)
        lowest.append(float(L[pick].min()))
        if np.unique(N[pick]).size >= 3:
            try:
                profile = fit_isoflop_profile(N[pick], L[pick])
            except ValueError:
                continue
            if N[pick].min() <= profile.N_opt <= N[pick].max():
                optima.append((math.log(c), math.log(profile.N_opt)))
    L_opt = float(fit_saturating_power_law(budgets, lowest).predict([target])[0])
    log_c, log_n = np.array(optima).T
    slope, intercept = np.polyfit(log_c, log_n, 1)
    return math.exp(intercept + slope * math.log(target)), L_opt


def truth(N: np.ndarray, L: np.ndarray) -> tuple[float, float]:
    return float(fit_isoflop_profile(N, L).N_opt), float(L.min())


def _by_configuration(runs):
    groups: dict[tuple, list[float]] = {}
    for r in runs:
        groups.setdefault((r.params_non_embedding, r.tokens), []).append(r.loss)
    keys = sorted(groups)
    return keys, [np.array(groups[k]) for k in keys]


def derive(heldout_runs, sweep_runs, n_boot: int = 2000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    keys, losses = _by_configuration(heldout_runs)
    N_h = np.array([k[0] for k in keys], dtype=float)
    N_true, L_true = truth(N_h, np.array([v.mean() for v in losses]))
    curvature = fit_isoflop_profile(N_h, np.array([v.mean() for v in losses])).coefficients[2]
    standard_error = float(np.median([v.std(ddof=1) / math.sqrt(v.size) for v in losses]))
    flat_half_width = math.sqrt(TOLERANCE_SIGMAS * standard_error / curvature)
    boot_truth = []
    for _ in range(n_boot):
        L_b = np.array([rng.choice(v, size=v.size).mean() for v in losses])
        boot_truth.append(truth(N_h, L_b))
    boot_truth = np.array(boot_truth)
    sd_truth = {"log_N": float(np.std(np.log(boot_truth[:, 0]), ddof=1)), "L": float(np.std(boot_truth[:, 1], ddof=1))}

    lab = SweepQueries(1.0, sweep_runs, max_run_flops=CAP)
    catalogue = lab.catalogue()
    total = float(catalogue["cost"].sum())
    served = [r for r in sweep_runs if r.flops_6nd <= CAP * (1 + 1e-9)]
    skeys, slosses = _by_configuration(served)
    index_of = {(int(n), int(d)): i for i, (n, d) in enumerate(zip(catalogue["N"], catalogue["D"]))}
    order = [index_of[(int(k[0]), int(k[1]))] for k in skeys]
    per_fraction = {}
    for fraction in np.linspace(*BUDGET_FRACTIONS, 9):
        chosen = reference_choice(catalogue, fraction * total)
        point = reference_prediction(catalogue["N"][chosen], catalogue["D"][chosen],
                                     np.array([slosses[order.index(i)].mean() for i in chosen]), TARGET)
        draws = []
        for _ in range(n_boot // 4):
            L_b = np.array([rng.choice(slosses[order.index(i)], size=2).mean() for i in chosen])
            draws.append(reference_prediction(catalogue["N"][chosen], catalogue["D"][chosen], L_b, TARGET))
        draws = np.array(draws)
        per_fraction[f"{fraction:.3f}"] = {
            "N_opt": point[0], "L_opt": point[1],
            "sd_log_N": float(np.std(np.log(draws[:, 0]), ddof=1)), "sd_L": float(np.std(draws[:, 1], ddof=1))}
    sd_pred = {"log_N": max(v["sd_log_N"] for v in per_fraction.values()),
               "L": max(v["sd_L"] for v in per_fraction.values())}
    tolerance = {"L": TOLERANCE_SIGMAS * math.hypot(sd_truth["L"], sd_pred["L"]),
                 "log_N": math.hypot(flat_half_width, TOLERANCE_SIGMAS * sd_pred["log_N"])}
    return {"target": TARGET, "cap": CAP, "budget_fractions": list(BUDGET_FRACTIONS),
            "catalogue_cost": total, "N_opt": N_true, "L_opt": L_true,
            "sd_truth": sd_truth, "sd_prediction": sd_pred, "tolerance_sigmas": TOLERANCE_SIGMAS,
            "heldout_standard_error": standard_error, "parabola_curvature": float(curvature),
            "flat_half_width_log_N": flat_half_width,
            "tolerance": tolerance, "reference_by_budget_fraction": per_fraction,
            "heldout_configurations": [{"N": int(k[0]), "D": int(k[1]), "losses": [float(x) for x in v]}
                                       for k, v in zip(keys, losses)]}


def main(argv: list[str]) -> int:
    out = HERE / "ex03_heldout.csv"
    if "--train" in argv:
        run_sweep(HELDOUT, out)
    result = derive(read_results(out), sweep_results("course"))
    (HERE / "ex03_heldout.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("reference_by_budget_fraction",
                                                                  "heldout_configurations")}, indent=1))
    for fraction, row in result["reference_by_budget_fraction"].items():
        print(f"budget fraction {fraction}: N_opt {row['N_opt']:,.0f} (true {result['N_opt']:,.0f}), "
              f"L_opt {row['L_opt']:.4f} (true {result['L_opt']:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
