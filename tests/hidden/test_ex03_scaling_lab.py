"""Hidden tests for ex03_scaling_lab: the public tests' behaviours on inputs of each
student's own (drawn with ``student_seed``, from SHA-256 of the student's folder name), so
a table of the public cases' answers earns nothing here.

Expected values are computed here from the definitions the notebook states, written out
independently (Kaplan et al. 2020 eq. 2.1; Cover & Thomas §4.2 with the stationary law
solved as a linear system; bigram counts tallied in a loop; the frontier as a running
minimum over compute; least squares on ln(L - E)).

Section 7 (``choose_queries``, ``predict_compute_optimal``): an open prediction task. Each
student draws a query budget of their own, a fraction of the catalogue's total cost between the
two ``budget_fractions`` of ``data/ex03_heldout.json``; their own ``choose_queries`` decides
what to buy, and their ``predict_compute_optimal`` predicts the compute-optimal size and loss
at 6.25e12 FLOP from what it bought. The predictions are scored by accuracy against held-out
runs (``data/ex03_heldout.csv``, five model sizes × two seeds trained at 6.25e12 FLOP by the
lab's recipe), which exist only here, never in the shipped sweep: full points within the
tolerance, a straight line down to nothing at three tolerances. The truth and the tolerances
are derived by ``data/make_ex03_heldout.py`` into ``data/ex03_heldout.json`` from the seed
spread of the truth and of a prediction (a seed bootstrap over every configuration's two runs).
The learner's code could read the shipped sweep directly; only the predictions are graded, and
the budget is a rule kept by :class:`course_utils.lab.query.SweepQueries`. Each prediction test
records the prediction for the learner's feedback (:mod:`course_utils.grading.course.predictions`).
"""


import json
import math
from pathlib import Path

import numpy as np
import pytest

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, numbers
from course_utils.grading.credit import award, prediction_record, record_prediction
from course_utils.grading.errors import StudentProblem
from course_utils.grading.plugin import student_rng
from course_utils.lab.query import BudgetExceeded, SweepQueries, reference_choice

DATA = Path(__file__).resolve().parent / "data" / "ex03_heldout.json"


@exercise("count_non_embedding_params", points=1, hidden=True,
          hint="12 * n_layer * d_model**2 (Kaplan et al. 2020, eq. 2.1).")
def test_non_embedding_params_of_your_own_shapes(student, student_seed):
    """Three shapes with 1-100 layers and widths 16-16,384: exact integers."""
    rng = student_rng(student_seed, "count_non_embedding_params")
    for _ in range(3):
        n_layer, d_model = int(rng.integers(1, 101)), int(rng.integers(16, 16_385))
        assert_close(student.count_non_embedding_params(n_layer, d_model), 12 * n_layer * d_model**2,
                     rtol=0, atol=0)


@exercise("embedding_fraction", points=1, hidden=True,
          hint="(vocab_size + n_ctx) * d_model embedding weights over all weights.")
def test_embedding_fraction_of_your_own_model(student, student_seed):
    """1-48 layers, width 32-4,096, vocabulary 50-200,000, context 64-8,192."""
    rng = student_rng(student_seed, "embedding_fraction")
    n_layer, d_model = int(rng.integers(1, 49)), int(rng.integers(32, 4097))
    vocab, n_ctx = int(rng.integers(50, 200_001)), int(rng.integers(64, 8193))
    embedding = (vocab + n_ctx) * d_model
    expected = embedding / (12 * n_layer * d_model**2 + embedding)
    assert_close(student.embedding_fraction(n_layer, d_model, vocab, n_ctx), expected, rtol=1e-12)


def _stationary(P):
    """pi with pi P = pi and sum(pi) = 1, as a least-squares solution of the stacked system."""
    V = len(P)
    system = np.vstack([P.T - np.eye(V), np.ones(V)])
    return np.linalg.lstsq(system, np.r_[np.zeros(V), 1.0], rcond=None)[0]


@exercise("entropy_rate", points=2, hidden=True,
          hint="Weight each row's entropy by the stationary probability of its state; 0 * log(0) = 0.")
def test_entropy_rate_of_your_own_chain(student, student_seed):
    """A 3-10 state chain with Dirichlet rows, its small entries set to exactly 0 (a cycle
    through all states keeps it irreducible). Expected: -sum_i pi_i sum_j P_ij ln P_ij with
    pi solved here (rel 1e-9: rounding only)."""
    rng = student_rng(student_seed, "entropy_rate")
    V = int(rng.integers(3, 11))
    P = rng.dirichlet(np.full(V, rng.uniform(0.3, 2.0)), size=V)
    cycle = (np.arange(V), (np.arange(V) + 1) % V)
    P[(P < 0.05)] = 0.0
    P[cycle] += 0.05
    P /= P.sum(axis=1, keepdims=True)
    pi = _stationary(P)
    row_entropy = [-sum(p * math.log(p) for p in row if p > 0) for row in P]
    assert_close(student.entropy_rate(P), float(pi @ row_entropy), rtol=1e-9)


@exercise("bigram_cross_entropy", points=2, hidden=True,
          hint="Count consecutive pairs of the training text, add the smoothing to every cell, normalise rows.")
def test_bigram_cross_entropy_of_your_own_texts(student, student_seed):
    """Random texts over 3-8 symbols (100-600 training and 50-300 test tokens), smoothing
    0.1-2. Expected: the smoothed bigram probabilities tallied here pair by pair."""
    rng = student_rng(student_seed, "bigram_cross_entropy")
    V, smoothing = int(rng.integers(3, 9)), float(rng.uniform(0.1, 2.0))
    weights = rng.dirichlet(np.ones(V))  # some symbols rarer than others
    train = rng.choice(V, int(rng.integers(100, 601)), p=weights)
    test = rng.choice(V, int(rng.integers(50, 301)), p=weights)
    counts = [[smoothing] * V for _ in range(V)]
    for a, b in zip(train[:-1].tolist(), train[1:].tolist()):
        counts[a][b] += 1
    nats = [-math.log(counts[a][b] / sum(counts[a])) for a, b in zip(test[:-1].tolist(), test[1:].tolist())]
    assert_close(student.bigram_cross_entropy(train, test, V, smoothing), sum(nats) / len(nats), rtol=1e-9)


@exercise("compute_efficient_frontier", points=2, hidden=True,
          hint="Sort by compute (ties: lower loss first); keep a point only if it beats every cheaper one.")
def test_frontier_of_your_own_sweep(student, student_seed):
    """20-60 points in random order, some sharing a compute value. Expected: for each
    compute value in turn, its lowest loss if that beats every point of smaller compute."""
    rng = student_rng(student_seed, "compute_efficient_frontier")
    n = int(rng.integers(20, 61))
    C = rng.choice(10 ** rng.uniform(15, 20, n // 2), n)  # about half the values repeat
    L = 2.0 + 10.0 * C ** -0.05 + rng.uniform(0.0, 0.5, n)
    C_f, L_f, best = [], [], math.inf
    for c in np.unique(C):
        lowest = L[C == c].min()
        if lowest < best:
            C_f.append(c)
            L_f.append(lowest)
            best = lowest
    assert_close(student.compute_efficient_frontier(C, L), (C_f, L_f), rtol=0, atol=0,
                 names=("C_frontier", "L_frontier"))


@exercise("fit_reducible_power_law", points=1, hidden=True,
          hint="Subtract E, then fit a line to (log C, log(L - E)).")
def test_reducible_fit_of_your_own_sweep(student, student_seed):
    """L = E + A C^-alpha with 2% scatter on the reducible part, 10-40 points over 3-8
    decades. Expected: the least-squares line through (ln C, ln(L - E)) computed here."""
    rng = student_rng(student_seed, "fit_reducible_power_law")
    n, E = int(rng.integers(10, 41)), rng.uniform(1.0, 3.0)
    C = np.geomspace(10 ** rng.uniform(10, 14), 10 ** rng.uniform(17, 22), n)
    L = E + 10 ** rng.uniform(0.5, 3) * C ** -rng.uniform(0.03, 0.3) * rng.lognormal(0.0, 0.02, n)
    slope, intercept = np.polyfit(np.log(C), np.log(L - E), 1)
    assert_close(student.fit_reducible_power_law(C, L, E), (math.exp(intercept), -slope), rtol=1e-6,
                 names=("A", "alpha"))


# ------------------------------------------------ section 7: the prediction task

#: a prediction earns nothing from this many tolerances on, and full points within one (the
#: docstrings of choose_queries and predict_compute_optimal state it; the public tests use the same)
ZERO_AT = 3.0


def _heldout() -> dict:
    if not DATA.is_file():
        pytest.skip(f"{DATA} is missing: run tests/hidden/data/make_ex03_heldout.py --train")
    return json.loads(DATA.read_text(encoding="utf-8"))


def _student_budget(student_seed: int, label: str, heldout: dict) -> tuple[SweepQueries, float]:
    """The student's own query budget: a fraction of the catalogue's total cost."""
    rng = student_rng(student_seed, label)
    fraction = float(rng.uniform(*heldout["budget_fractions"]))
    budget = fraction * heldout["catalogue_cost"]
    return SweepQueries(budget, max_run_flops=heldout["cap"]), budget


def _seed_resampled(bought: dict, rng) -> np.ndarray:
    """Each bought configuration's loss as the mean of two of its seeds drawn with replacement:
    one draw of the seed bootstrap the tolerances were derived from (``make_ex03_heldout.py``),
    so every student's inputs differ while the truth and the tolerance stay fair to all."""
    from course_utils.datasets import sweep_results

    seeds: dict[tuple[int, int], list[float]] = {}
    for run in sweep_results("course"):
        seeds.setdefault((run.params_non_embedding, run.tokens), []).append(run.loss)
    losses = [seeds[int(N), int(D)] for N, D in zip(bought["N"], bought["D"])]
    return np.array([float(np.mean(rng.choice(pair, size=2, replace=True))) for pair in losses])


_BOUGHT: dict[tuple[int, int], tuple[dict, str]] = {}  # (student, seed) -> what was bought, by whom


def _bought(student, student_seed: int, heldout: dict) -> tuple[dict, str]:
    """What the student's own choose_queries buys with a budget of their own, losses
    seed-resampled; when their choice cannot be served (it raises, repeats a configuration or
    costs too much), the course's reference choice instead, so the prediction is still graded on
    its own (choose_queries' test says what went wrong). Returns the runs and whose choice it was."""
    key = (id(student), student_seed)
    if key not in _BOUGHT:
        lab, budget = _student_budget(student_seed, "predict_compute_optimal", heldout)
        catalogue = lab.catalogue()
        try:
            indices = [int(i) for i in student.choose_queries(catalogue, budget)]
            if not indices or len(set(indices)) != len(indices):
                raise ValueError("an empty or repeated choice")
            bought, whose = lab.query_all(indices), "your choose_queries"
        except (StudentProblem, ValueError, TypeError):
            lab, budget = _student_budget(student_seed, "predict_compute_optimal", heldout)
            bought, whose = lab.query_all(reference_choice(lab.catalogue(), budget)), \
                "the course's reference choice (yours could not be served)"
        bought["loss"] = _seed_resampled(bought, student_rng(student_seed, "predict_compute_optimal seeds"))
        _BOUGHT[key] = bought, whose
    return _BOUGHT[key]


def _predicted(student, student_seed: int, heldout: dict) -> tuple[float, float, str]:
    bought, whose = _bought(student, student_seed, heldout)
    N_pred, L_pred = numbers(student.predict_compute_optimal(bought["N"], bought["D"], bought["loss"],
                                                             heldout["target"]), 2, "your (N_opt, L_opt)",
                             names=("N_opt", "L_opt"))
    return N_pred, L_pred, whose


@exercise("choose_queries", points=1, hidden=True,
          hint="The contract: what the budget allows, each configuration once (section 7).")
def test_your_choice_on_the_lab_sweep_stays_within_your_budget(student, student_seed):
    """The lab's catalogue (configurations up to 6.25e11 FLOP per run) and a budget of your
    own: the choice must buy something, name each configuration once and be affordable."""
    heldout = _heldout()
    lab, budget = _student_budget(student_seed, "choose_queries", heldout)
    indices = [int(i) for i in student.choose_queries(lab.catalogue(), budget)]
    assert indices, "nothing was chosen, though the budget affords most of the catalogue"
    assert len(set(indices)) == len(indices), "a configuration was chosen twice"
    try:
        lab.query_all(indices)
    except BudgetExceeded as error:
        raise AssertionError(f"your choice is over budget: {error}") from None


@exercise("predict_compute_optimal", points=3, hidden=True,
          hint="Ten times past the data the floor matters (lesson 03).")
def test_your_loss_ten_times_past_your_queries_against_held_out_runs(student, student_seed, record_property):
    """What your choose_queries bought with a budget of your own (seed-resampled losses), your
    L_opt at 6.25e12 FLOP against the best held-out run there: full points within the
    tolerance in nats of ``data/ex03_heldout.json``, nothing from three tolerances on. Your
    feedback shows your prediction and its error; the held-out value once the due date passed."""
    heldout = _heldout()
    N_pred, L_pred, whose = _predicted(student, student_seed, heldout)
    record = prediction_record(f"the loss of the best model at {heldout['target']:.3g} FLOP, from {whose}", "nats",
                               L_pred, heldout["L_opt"], heldout["tolerance"]["L"], ZERO_AT)
    record_prediction(record_property, record)
    award(record["credit"], f"predicted loss {L_pred:.4f}; the held-out runs reach {heldout['L_opt']:.4f} "
                            f"(tolerance ±{heldout['tolerance']['L']:.4f}, nothing beyond {ZERO_AT:g} times it)")


@exercise("predict_compute_optimal", points=2, hidden=True,
          hint="Where the IsoFLOP valleys' bottoms move (lesson 03).")
def test_your_size_ten_times_past_your_queries_against_held_out_runs(student, student_seed, record_property):
    """The same prediction's N_opt against the held-out runs' (the minimum of their IsoFLOP
    parabola): full points within the tolerance in ln N of ``data/ex03_heldout.json``, nothing
    from three tolerances on."""
    heldout = _heldout()
    N_pred, L_pred, whose = _predicted(student, student_seed, heldout)
    tolerance = heldout["tolerance"]["log_N"]
    record = prediction_record(f"the compute-optimal size at {heldout['target']:.3g} FLOP, from {whose}",
                               "parameters", N_pred, heldout["N_opt"], tolerance, ZERO_AT, scale="log")
    record_prediction(record_property, record)
    award(record["credit"], f"predicted N_opt {N_pred:,.0f}; the held-out runs put it at {heldout['N_opt']:,.0f} "
                            f"(tolerance a factor {math.exp(tolerance):.2f}, nothing beyond a factor "
                            f"{math.exp(ZERO_AT * tolerance):.2f})")
