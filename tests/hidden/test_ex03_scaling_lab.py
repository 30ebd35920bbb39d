"""Hidden tests for ex03_scaling_lab, section 7: spend a compute budget on the lab's sweep,
predict the compute-optimal size and loss ten times further, graded against held-out runs.

The held-out runs (``data/ex03_heldout.csv``, five model sizes × two seeds trained at
C = 6.25e12 FLOP by the lab's recipe) exist only here, never in the shipped sweep. Their
truth and the tolerances are derived by ``data/make_ex03_heldout.py`` into
``data/ex03_heldout.json``: the tolerances are a fixed multiple of the seed spread of the
truth and of the prediction (a seed bootstrap over every configuration's two runs).

Each student draws a query budget of their own (``student_seed``, from SHA-256 of the
student's folder name), a fraction of the catalogue's total cost between the two
``budget_fractions`` of the JSON file. The learner's code could read the shipped sweep
directly; only the predictions are graded, and the budget is a rule kept by
:class:`course_utils.lab.query.SweepQueries`.
"""

import json
import math
import zlib
from pathlib import Path

import numpy as np
import pytest

from course_utils.chinchilla import compute_budgets
from course_utils.grading import exercise
from course_utils.lab.query import BudgetExceeded, SweepQueries

DATA = Path(__file__).resolve().parent / "data" / "ex03_heldout.json"


def _heldout() -> dict:
    if not DATA.is_file():
        pytest.skip(f"{DATA} is missing: run tests/hidden/data/make_ex03_heldout.py --train")
    return json.loads(DATA.read_text(encoding="utf-8"))


def _student_budget(student_seed: int, label: str, heldout: dict) -> tuple[SweepQueries, float]:
    """The student's own query budget: a fraction of the catalogue's total cost."""
    rng = np.random.default_rng([int(student_seed), zlib.crc32(label.encode("utf-8"))])
    fraction = float(rng.uniform(*heldout["budget_fractions"]))
    budget = fraction * heldout["catalogue_cost"]
    return SweepQueries(budget, max_run_flops=heldout["cap"]), budget


def _reference_choice(catalogue: dict, flop_budget: float) -> list[int]:
    """Whole IsoFLOP profiles, cheapest budget first; in the first budget that cannot be bought
    whole, the sizes nearest its middle (the sweep centres each budget's sizes on its guess of
    the optimum), as many as the money allows."""
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


@exercise("choose_queries", points=1, hidden=True,
          hint="Stay within flop_budget and buy three sizes or more at three budgets or more.")
def test_your_choice_on_the_lab_sweep_stays_within_your_budget(student, student_seed):
    """The lab's catalogue (configurations up to 6.25e11 FLOP per run) and a budget of your
    own: the choice must be affordable, name each configuration once, and cover at least
    three budgets with three sizes or more (what Approach 2 needs)."""
    heldout = _heldout()
    lab, budget = _student_budget(student_seed, "choose_queries", heldout)
    catalogue = lab.catalogue()
    indices = [int(i) for i in student.choose_queries(catalogue, budget)]
    assert len(set(indices)) == len(indices), "a configuration was chosen twice"
    try:
        lab.query_all(indices)
    except BudgetExceeded as error:
        raise AssertionError(f"your choice is over budget: {error}") from None
    C = catalogue["C"][indices]
    profiles = [c for c in np.unique(np.round(np.log(C), 1)) if (np.round(np.log(C), 1) == c).sum() >= 3]
    assert len(profiles) >= 3, f"only {len(profiles)} budget(s) with three sizes or more"


@exercise("predict_compute_optimal", points=3, hidden=True,
          hint="Ten times past the data the floor matters: fit E + A*C**(-alpha) through the best run of each "
               "budget, and N_opt ~ C^a through the IsoFLOP parabola minima.")
def test_your_prediction_ten_times_past_the_queries_matches_held_out_runs(student, student_seed):
    """Runs bought within a budget of your own (whole IsoFLOP profiles cheapest first, then the
    middle sizes of the next budget); your predictions at 6.25e12
    FLOP are compared with the held-out runs there: the loss within the tolerance in nats,
    N_opt within the tolerance in ln N (both from ``data/ex03_heldout.json``)."""
    heldout = _heldout()
    lab, budget = _student_budget(student_seed, "predict_compute_optimal", heldout)
    bought = lab.query_all(_reference_choice(lab.catalogue(), budget))
    N_pred, L_pred = (float(v) for v in student.predict_compute_optimal(bought["N"], bought["D"], bought["loss"],
                                                                          heldout["target"]))
    tolerance = heldout["tolerance"]
    assert math.isfinite(L_pred) and abs(L_pred - heldout["L_opt"]) <= tolerance["L"], (
        f"predicted loss {L_pred:.4f}; the held-out runs reach {heldout['L_opt']:.4f} "
        f"(tolerance ±{tolerance['L']:.4f})")
    assert N_pred > 0 and abs(math.log(N_pred / heldout["N_opt"])) <= tolerance["log_N"], (
        f"predicted N_opt {N_pred:,.0f}; the held-out runs put it at {heldout['N_opt']:,.0f} "
        f"(tolerance a factor {math.exp(tolerance['log_N']):.2f})")
