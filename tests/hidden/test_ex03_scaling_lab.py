"""Hidden tests for ex03_scaling_lab: the public tests' behaviours on inputs of each
student's own (drawn with ``student_seed``, from SHA-256 of the student's folder name), so
a table of the public cases' answers earns nothing here.

Expected values are computed here from the definitions the notebook states, written out
independently (Kaplan et al. 2020 eq. 2.1; Cover & Thomas §4.2 with the stationary law
solved as a linear system; bigram counts tallied in a loop; the frontier as a running
minimum over compute; least squares on ln(L - E)).
"""

import math

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close
from course_utils.grading.plugin import student_rng


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
