"""Tests for solutions/ex03_scaling_lab.ipynb: parameter counts, entropy rate, bigram
cross-entropy, the compute-efficient frontier, the reducible-loss fit, and the prediction
task (choosing queries within a FLOP budget; predicting the compute-optimal size and loss
ten times past the data). ``tests/hidden/test_ex03_scaling_lab.py`` grades the predictions
against held-out lab runs.

Expected values are computed here from the definitions (Kaplan et al. 2020 eq. 2.1;
Cover & Thomas §4.2; Hoffmann et al. 2022 §3.1) on small hand-checkable inputs or
seeded synthetic data.
"""

import math

import numpy as np
import pytest

from course_utils.grading import exercise
from course_utils.grading.compare import array, assert_all, assert_close, items, number, numbers, rejects
from course_utils.grading.credit import accuracy_credit, award

#: points of the hidden tests in tests/hidden/test_ex03_scaling_lab.py, which run when an instructor grades
#: (check_all() tells learners; tests/test_grading_honesty.py checks the sum)
HIDDEN_POINTS = 15

BLOCKED = [
    "course_utils.compute.non_embedding_params",
    "course_utils.compute.total_params",
    "course_utils.chinchilla.efficient_frontier",
    "course_utils.powerlaw.fit_power_law",
    "course_utils.lab.SyntheticLanguage.entropy_rate",
    "course_utils.lab.SyntheticLanguage.oracle_loss",
    # other course code that computes these answers
    "course_utils.compute.flops_per_token",  # 2·N + ...: half of it at n_ctx = 0 is N
    "course_utils.trends.fit_exponential_trend",  # a line through (C, ln(L - E)): on ln C, the reducible fit
    "course_utils.lab.query.reference_choice",  # the reference answer of choose_queries
]


def _two_state_chain(p, q):
    """P(0→1) = p, P(1→0) = q."""
    return np.array([[1 - p, p], [q, 1 - q]])


def _binary_entropy(p):
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def _sample(P, n, seed):
    """n symbols of the Markov chain P from state 0 (inverse-CDF sampling, seeded).

    Step t moves from state s to the first state whose cumulative probability in row s
    exceeds the t-th uniform draw. That target is looked up for every state and step at
    once; only the walk through the table is a loop."""
    cumulative = np.cumsum(P, axis=1)
    u = np.random.default_rng(seed).random(n)
    targets = [np.minimum(np.searchsorted(row, u, side="right"), len(P) - 1).tolist() for row in cumulative]
    tokens, state = [], 0
    for step in range(n):
        state = targets[state][step]
        tokens.append(state)
    return np.array(tokens, dtype=np.int64)


def _texts(P, lengths, seeds):
    """Read-only samples of the chain P, one per (length, seed)."""
    texts = tuple(_sample(P, n, seed) for n, seed in zip(lengths, seeds))
    for text in texts:
        text.setflags(write=False)
    return texts


# The bigram tests' texts, drawn when the module is imported: the grader imports it once per
# run, before it forks a worker per learner, so no learner's grading draws them again (the
# walk is a Python loop, about 40 ms for the 95,000 tokens).
_TWO_STATE = _two_state_chain(0.1, 0.4)
_TWO_STATE_TRAIN, _TWO_STATE_TEST = _texts(_TWO_STATE, (50_000, 20_000), (0, 1))
_EIGHT_STATE = np.random.default_rng(5).dirichlet(np.full(8, 0.3), size=8)
_EIGHT_STATE_TRAIN, _EIGHT_STATE_TEST = _texts(_EIGHT_STATE, (20_000, 5_000), (2, 3))


# -------------------------------------------------------- count_non_embedding_params


@exercise("count_non_embedding_params", points=1, hint="Count one layer's weight matrices, attention and "
                                                       "feed-forward, then all the layers; Kaplan et al.'s count "
                                                       "leaves out biases and norms (section 1; lesson 00, 'N: all "
                                                       "parameters').")
def test_non_embedding_params_of_a_small_model(student):
    """2 layers of width 64: 12 · 2 · 64² = 98,304 (computed here)."""
    assert_close(student.count_non_embedding_params(2, 64), 98_304, rtol=0, atol=0)


@exercise("count_non_embedding_params", points=1, hint="Every weight matrix of a layer is d_model by a multiple of "
                                                       "d_model, so the count grows with the square of the width "
                                                       "(section 1).")
def test_non_embedding_params_are_quadratic_in_width(student):
    narrow = number(student.count_non_embedding_params(4, 256), "the count at width 256", positive=True)
    wide = student.count_non_embedding_params(4, 512)
    assert_close(wide, 4 * narrow, rtol=1e-12, what="the count at twice the width")


# ---------------------------------------------------------------- embedding_fraction


@exercise("embedding_fraction", points=1,
          hint="The embeddings hold one vector per token of the vocabulary and one per position; compare them with "
               "all the weights (section 2; lesson 00, 'N: all parameters').")
def test_embedding_fraction_by_hand(student):
    """n_layer 2, d_model 64, vocab 256, n_ctx 128: embedding 384·64 = 24,576 of
    98,304 + 24,576 = 122,880, i.e. exactly 0.2 (computed here)."""
    assert_close(student.embedding_fraction(2, 64, 256, 128), 0.2, rtol=1e-12)


@exercise("embedding_fraction", points=1,
          hint="A small model with a large vocabulary is mostly embedding: count both parts (section 2; lesson 04, "
               "'Kaplan against Chinchilla').")
def test_tiny_model_with_gpt2_vocabulary_is_mostly_embedding(student):
    """2 layers × 64 wide with Kaplan's 50,257-token vocabulary and n_ctx 1024: embedding
    51,281 · 64 = 3,281,984 of 3,380,288 parameters = 0.971 (computed here)."""
    assert_close(student.embedding_fraction(2, 64, 50_257, 1024), 3_281_984 / 3_380_288, rtol=1e-9)


# -------------------------------------------------------------------- entropy_rate


@exercise("entropy_rate", points=1, hint="If every next symbol is equally likely, every step costs the logarithm of "
                                         "the number of symbols (section 3; lesson 03, 'A language with a known "
                                         "answer').")
def test_entropy_rate_of_uniform_noise_is_log_v(student):
    assert_close(student.entropy_rate(np.full((8, 8), 1 / 8)), math.log(8), rtol=1e-9)


@exercise("entropy_rate", points=1, hint="A certain transition carries no surprise, and an impossible one "
                                         "contributes nothing: take zero times the logarithm of zero as zero "
                                         "(section 3).")
def test_entropy_rate_of_a_deterministic_cycle_is_zero(student):
    cycle = np.roll(np.eye(5), 1, axis=1)  # 0→1→2→3→4→0
    assert_close(student.entropy_rate(cycle), 0.0, atol=1e-12)


@exercise("entropy_rate", points=2,
          hint="Average each state's row entropy, weighted by how often the chain is in that state in the long run, "
               "its stationary distribution (section 3; Cover & Thomas §4.2).")
def test_entropy_rate_of_a_two_state_chain(student):
    """P(0→1) = 0.1, P(1→0) = 0.4: π = (0.8, 0.2), so H = 0.8·h(0.1) + 0.2·h(0.4) with h
    the binary entropy in nats (computed here; 0.3947)."""
    expected = 0.8 * _binary_entropy(0.1) + 0.2 * _binary_entropy(0.4)
    assert_close(student.entropy_rate(_two_state_chain(0.1, 0.4)), expected, rtol=1e-9)


# ------------------------------------------------------------ bigram_cross_entropy


@exercise("bigram_cross_entropy", points=1,
          hint="Count the consecutive pairs of the training text, add the smoothing to every count, and turn each "
               "row into probabilities (section 4).")
def test_bigram_cross_entropy_by_hand(student):
    """Train 0,1,0,1,0 (pairs 0→1 twice, 1→0 twice), smoothing 1, V = 2: P̂(1|0) = 3/4 and
    P̂(0|1) = 3/4. Test 0,1,0 has two pairs each costing −ln 0.75 = 0.2877 nats."""
    got = student.bigram_cross_entropy(np.array([0, 1, 0, 1, 0]), np.array([0, 1, 0]), 2, 1.0)
    assert_close(got, -math.log(0.75), rtol=1e-9)


@exercise("bigram_cross_entropy", points=2,
          hint="The cross-entropy is the average surprise of the test text's pairs, in nats (natural logarithms) "
               "(section 4; lesson 00, 'L: nats per token').")
def test_bigram_loss_approaches_the_entropy_rate(student):
    """Two-state chain (0.1, 0.4), 50,000 training and 20,000 test tokens (seeds 0, 1):
    the bigram model's test loss is within 0.03 nats of the entropy rate 0.3947. The
    sampling SD of a 20,000-token test average is about 0.005 nats and the estimation
    bias about V²/(2n) < 1e-4, so 0.03 is a loose bound."""
    expected = 0.8 * _binary_entropy(0.1) + 0.2 * _binary_entropy(0.4)
    got = student.bigram_cross_entropy(_TWO_STATE_TRAIN, _TWO_STATE_TEST, 2, 1.0)
    assert_close(got, expected, atol=0.03)


@exercise("bigram_cross_entropy", points=1,
          hint="Estimate the probabilities from the training text only: the test text is what they are judged on "
               "(section 4).")
def test_more_training_data_lowers_the_test_loss(student):
    """An 8-symbol chain with rows Dirichlet(0.3) (seed 5): 200 training tokens leave most
    pairs poorly estimated, 20,000 do not, so the test loss falls (measured: from 1.396 to
    1.267 nats, entropy rate 1.273). We ask for a drop of at least 0.05."""
    train, test = _EIGHT_STATE_TRAIN, _EIGHT_STATE_TEST
    small = number(student.bigram_cross_entropy(train[:200], test, 8, 1.0), "the loss after 200 tokens")
    large = number(student.bigram_cross_entropy(train, test, 8, 1.0), "the loss after 20,000 tokens")
    assert large < small - 0.05, "the test loss does not fall with 100× more training text"


# ------------------------------------------------------ compute_efficient_frontier


@exercise("compute_efficient_frontier", points=2,
          hint="Walk through the points in order of compute and keep those that beat every cheaper one (section 5; "
               "lesson 03, 'L(C) and the compute-efficient frontier').")
def test_frontier_by_hand(student):
    """Points (C, L): (1, 5), (2, 4), (3, 4.5), (4, 3), (5, 3.5), (6, 2), given out of
    order. The frontier is C = 1, 2, 4, 6 with L = 5, 4, 3, 2."""
    C = np.array([4.0, 1.0, 6.0, 3.0, 2.0, 5.0])
    L = np.array([3.0, 5.0, 2.0, 4.5, 4.0, 3.5])
    assert_close(student.compute_efficient_frontier(C, L), ([1.0, 2.0, 4.0, 6.0], [5.0, 4.0, 3.0, 2.0]),
                 rtol=0, atol=0, names=("C_frontier", "L_frontier"))


@exercise("compute_efficient_frontier", points=1,
          hint="Along the frontier more compute always buys strictly lower loss: it is made of points of the sweep, "
               "in order of compute (section 5; lesson 03, 'L(C) and the compute-efficient frontier').")
def test_frontier_loss_falls_strictly_with_compute(student):
    """200 noisy points (seed 0): the frontier is made of sweep points, at least two, with
    compute rising and loss falling strictly, and it ends at the sweep's lowest loss."""
    rng = np.random.default_rng(0)
    C = rng.uniform(1.0, 100.0, 200)
    L = 2.0 + 5.0 / np.sqrt(C) + rng.uniform(0.0, 1.0, 200)
    C_part, L_part = items(student.compute_efficient_frontier(C, L), 2)
    C_f = array(C_part, "C_frontier", ndim=1)
    L_f = array(L_part, "L_frontier", shape=C_f.shape)
    assert C_f.size >= 2, "the frontier should have more than one point"
    assert_all(np.isin(C_f, C) & np.isin(L_f, L), "the frontier should be made of points of the sweep")
    assert_all(np.diff(C_f) > 0, "C_frontier should rise strictly")
    assert_all(np.diff(L_f) < 0, "L_frontier should fall strictly")
    assert_close(L_f[-1], L.min(), rtol=0, atol=0, what="the last frontier loss")


# --------------------------------------------------------- fit_reducible_power_law


@exercise("fit_reducible_power_law", points=1, hint="Once the floor is taken away, the reducible loss is a pure "
                                                    "power law: a straight line on log-log axes (section 6; lesson "
                                                    "02, 'The irreducible term E').")
def test_reducible_fit_recovers_an_exact_law(student):
    """L = 1.5 + 40 C^-0.15 exactly: A = 40 and alpha = 0.15 to floating-point accuracy."""
    C = np.geomspace(1e12, 1e18, 20)
    assert_close(student.fit_reducible_power_law(C, 1.5 + 40.0 * C**-0.15, 1.5), (40.0, 0.15), rtol=1e-6,
                 names=("A", "alpha"))


@exercise("fit_reducible_power_law", points=1, requires_value=True,
          hint="A loss at or below the floor leaves no reducible loss to take the logarithm of: the docstring asks "
               "you to refuse it (section 6).")
def test_reducible_fit_rejects_loss_below_the_floor(student):
    with pytest.raises(ValueError):
        student.fit_reducible_power_law([1e12, 1e13, 1e14], [2.0, 1.9, 1.4], 1.5)


# ------------------------------------------------ rules the docstrings state (issue 14, item 5)


@exercise("count_non_embedding_params", points=1, requires_value=True,
          hint="A count is a whole number: integer arithmetic keeps it exact, a float stops being exact for "
               "large counts (section 1).")
def test_non_embedding_params_are_a_whole_number(student):
    """The docstring returns an int: 98,304, not 98304.0 (a float stops being exact past 2^53
    and cannot size an array or a range)."""
    got = student.count_non_embedding_params(2, 64)
    whole = not isinstance(got, bool) and np.ndim(got) == 0 and np.asarray(got).dtype.kind in "iu"
    assert whole, f"the count should be an int, but is a {type(got).__name__}"


@exercise("bigram_cross_entropy", points=1,
          hint="The pseudo-count is an argument: use the value you are given, not a fixed one (section 4).")
def test_bigram_cross_entropy_uses_the_smoothing_it_is_given(student):
    """The by-hand case with smoothing 0.5: P_hat(1|0) = (2 + 0.5) / (2 + 2·0.5) = 5/6 and
    P_hat(0|1) = 5/6, so the loss on test 0,1,0 is -ln(5/6) = 0.1823 nats (computed here); a
    pseudo-count fixed at 1 gives 0.2877."""
    got = student.bigram_cross_entropy(np.array([0, 1, 0, 1, 0]), np.array([0, 1, 0]), 2, 0.5)
    assert_close(got, -math.log(5 / 6), rtol=1e-9)


@exercise("compute_efficient_frontier", points=1,
          hint="Points of equal compute: the docstring considers the lower loss first, so the higher one is not "
               "strictly lower than it (section 5).")
def test_frontier_keeps_the_lower_of_two_points_with_equal_compute(student):
    """(1, 5), (2, 4), (2, 3.5), (3, 3), the two C = 2 points given higher loss first. The
    docstring's tie rule considers (2, 3.5) first, so (2, 4) is not strictly lower than it and
    is dropped: the frontier is C = 1, 2, 3 with L = 5, 3.5, 3. Sorting by compute alone keeps both."""
    C = np.array([1.0, 2.0, 2.0, 3.0])
    L = np.array([5.0, 4.0, 3.5, 3.0])
    assert_close(student.compute_efficient_frontier(C, L), ([1.0, 2.0, 3.0], [5.0, 3.5, 3.0]),
                 rtol=0, atol=0, names=("C_frontier", "L_frontier"))


@exercise("compute_efficient_frontier", points=1,
          hint="Strictly lower means an equal loss is not enough to join the frontier (section 5).")
def test_frontier_drops_a_point_that_only_equals_the_best_loss(student):
    """(1, 5), (2, 4), (3, 4), (4, 3): the point (3, 4) equals the best loss before it and is
    not strictly lower, so the frontier is C = 1, 2, 4 with L = 5, 4, 3."""
    C = np.array([1.0, 2.0, 3.0, 4.0])
    L = np.array([5.0, 4.0, 4.0, 3.0])
    assert_close(student.compute_efficient_frontier(C, L), ([1.0, 2.0, 4.0], [5.0, 4.0, 3.0]),
                 rtol=0, atol=0, names=("C_frontier", "L_frontier"))


@exercise("fit_reducible_power_law", points=1, requires_value=True,
          hint="A loss equal to the floor leaves exactly zero to take the logarithm of, which is as undefined as a "
               "negative one (section 6).")
def test_reducible_fit_rejects_a_loss_equal_to_the_floor(student):
    with rejects(ValueError, "fit_reducible_power_law", "a loss equal to E"):
        student.fit_reducible_power_law([1e12, 1e13, 1e14], [2.0, 1.9, 1.5], 1.5)


@exercise("fit_reducible_power_law", points=1,
          hint="The docstring's alpha is the negated slope of the line, whatever its sign (section 6; lesson 02, "
               "'Straight lines on log-log axes').",
          hints={"wrong sign": "A reducible loss that grows with compute has a negative alpha: an absolute value "
                               "hides that (section 6)."})
def test_reducible_fit_exponent_is_minus_the_slope(student):
    """L - E = 0.2·C^0.1 rises with C: in the docstring's L - E = A·C^(-alpha) that is alpha = -0.1."""
    C = np.geomspace(1e10, 1e14, 9)
    _A, alpha = items(student.fit_reducible_power_law(C, 1.5 + 0.2 * C**0.1, 1.5), 2)
    assert_close(alpha, -0.1, rtol=1e-6, what="alpha")


# ------------------------------------------------ section 7: the prediction task
#
# The task is open: the tests check the contract of the two functions and score the accuracy of
# the predictions, on sweeps drawn from laws of four shapes (floors, exponents, noise), never
# one recipe. A prediction earns full points within the tolerance, nothing from ZERO_AT
# tolerances on, and a straight line between (course_utils.grading.credit.accuracy_credit).

#: the multiple of the tolerance from which a prediction earns nothing (the docstrings state it)
ZERO_AT = 3.0
#: public tolerances: the loss within this share of the law's reducible loss at the target,
#: L_true - E; the size within this factor of the law's optimum
LOSS_SHARE, SIZE_FACTOR = 0.15, 1.3

#: (name, E, A = B, alpha, beta, seed noise, first budget in FLOP, sizes' offset from the optimum).
#: The laws L = E + A/N^alpha + A/D^beta are chosen so that the sweeps bend towards their floors
#: the way the lab's does (the reducible loss at the first budget is 0.5 to 1 times E).
WORLDS = (
    ("Besiroglu's exponents", 1.8, 1060.0, 0.348, 0.366, 0.003, 1e18, 1.3),
    ("equal exponents and a high floor", 2.5, 4800.0, 0.5, 0.5, 0.002, 1e16, 0.75),
    ("parameters cheap, data dear (beta < alpha)", 0.6, 180.0, 0.6, 0.3, 0.004, 1e15, 1.4),
    ("data cheap, parameters dear (alpha < beta), noisier", 0.3, 22.0, 0.3, 0.6, 0.005, 1e13, 0.8),
)


def _optimum(world, C):
    """Hoffmann et al. 2022, eq. 4, for the world's law: N_opt = G (C/6)^(beta/(alpha+beta)),
    D_opt = C/(6 N_opt), G = (alpha A / (beta B))^(1/(alpha+beta)), with A = B here."""
    _name, _E, _A, alpha, beta, *_ = world
    G = (alpha / beta) ** (1 / (alpha + beta))
    N = G * (C / 6) ** (beta / (alpha + beta))
    return N, C / (6 * N)


def _loss(world, N, D):
    _name, E, A, alpha, beta, *_ = world
    return E + A / N**alpha + A / D**beta


def _sweep(world, seed):
    """The world's catalogue: five budgets ×2 apart, five sizes ×2 apart around (offset from) each
    budget's optimum, D = C/(6N), two seeds each with multiplicative noise; and the two-seed mean
    loss of every configuration (what a query serves)."""
    _name, _E, _A, _alpha, _beta, noise, first, offset = world
    budgets = first * 2.0 ** np.arange(5)
    N = np.concatenate([_optimum(world, c)[0] * offset * 2.0 ** (np.arange(5) - 2) for c in budgets])
    C = np.repeat(budgets, 5)
    D = C / (6 * N)
    seeds = _loss(world, N, D)[:, None] * np.exp(noise * np.random.default_rng(seed).standard_normal((N.size, 2)))
    return {"N": N, "D": D, "C": C, "cost": 2 * C}, seeds.mean(axis=1)


def _truth(world):
    """Ten times the largest budget: the law's optimal size and the loss there (computed here)."""
    target = 10 * world[6] * 2.0**4
    N, D = _optimum(world, target)
    return target, N, float(_loss(world, N, D))


def _spent(catalogue, chosen):
    indices = [int(i) for i in chosen]
    assert len(set(indices)) == len(indices), "an index was chosen twice"
    assert all(0 <= i < len(catalogue["N"]) for i in indices), "an index is outside the catalogue"
    return indices, float(sum(catalogue["cost"][i] for i in indices))


def _multiples(world, N_pred, L_pred):
    """The two errors in tolerances: the loss's against LOSS_SHARE of the reducible loss at the
    target, the size's (in ln N) against ln SIZE_FACTOR."""
    target, N_true, L_true = _truth(world)
    loss = abs(L_pred - L_true) / (LOSS_SHARE * (L_true - world[1]))
    size = abs(math.log(N_pred / N_true)) / math.log(SIZE_FACTOR) if N_pred > 0 else math.inf
    return loss, size


def _predicted(student, world, seed):
    """The student's prediction from the whole sweep of a world."""
    catalogue, loss = _sweep(world, seed)
    N_pred, L_pred = numbers(student.predict_compute_optimal(catalogue["N"], catalogue["D"], loss,
                                                             _truth(world)[0]), 2,
                             "your (N_opt, L_opt)", names=("N_opt", "L_opt"))
    return N_pred, L_pred


def _score(multiples, what):
    """Credit: the mean over the worlds; the message says how far each world's prediction was."""
    credits = [accuracy_credit(m, 1.0, ZERO_AT) for m in multiples]
    far = ", ".join(f"{m:.1f}" for m in multiples[:-1]) + f" and {multiples[-1]:.1f}"
    award(float(np.mean(credits)), f"{what} is {far} tolerances off on the {len(WORLDS)} sweeps (full points "
                                   f"within one tolerance, none from {ZERO_AT:g})")


# ------------------------------------------------------------------- choose_queries


@exercise("choose_queries", points=1,
          hint="The contract in the docstring: what the budget allows, each configuration once. Costs are "
               "summed over what you choose (section 7).")
def test_the_choice_buys_something_and_stays_within_the_budget(student):
    """70 % of a catalogue's cost (the first world): something is bought (an empty plan predicts
    nothing), each configuration once, and the costs add up to at most the budget."""
    catalogue, _ = _sweep(WORLDS[0], 0)
    budget = 0.7 * catalogue["cost"].sum()
    indices, spent = _spent(catalogue, student.choose_queries(catalogue, budget))
    assert indices, "nothing was chosen, though the budget affords most of the catalogue"
    assert spent <= budget, f"the choice costs {spent / budget:.2f} times the budget"


@exercise("choose_queries", points=1, hint="What the money allows: no configuration costs less than the "
                                           "cheapest one (the contract in the docstring, section 7).")
def test_a_budget_for_none_buys_nothing_and_a_budget_for_one_buys_one(student):
    """Half the cheapest configuration's cost buys nothing; 1.5 times it buys exactly one
    configuration (every configuration costs at least the cheapest)."""
    catalogue, _ = _sweep(WORLDS[0], 0)
    cheapest = catalogue["cost"].min()
    assert len(list(student.choose_queries(catalogue, 0.5 * cheapest))) == 0, \
        "a budget below the cheapest configuration bought something"
    indices, spent = _spent(catalogue, student.choose_queries(catalogue, 1.5 * cheapest))
    assert len(indices) == 1 and spent <= 1.5 * cheapest, f"a budget for one configuration bought {len(indices)}"


@exercise("choose_queries", points=2,
          hint="What you buy decides what you can see: which compute budgets, and whether each shows the bottom "
               "of its IsoFLOP valley (lesson 03, 'Ingredients of a prediction').")
def test_what_you_buy_lets_your_predictions_land(student):
    """Each world at 70 % of its catalogue's cost (seeds 10-13): your choose_queries buys, the
    test serves the two-seed mean losses of what it bought, your predict_compute_optimal
    predicts ten times past the largest budget. Scored on both errors together (their mean
    credit): full within the tolerances, nothing from three times them."""
    multiples = []
    for seed, world in enumerate(WORLDS, start=10):
        catalogue, loss = _sweep(world, seed)
        indices, spent = _spent(catalogue, student.choose_queries(catalogue, 0.7 * catalogue["cost"].sum()))
        assert spent <= 0.7 * catalogue["cost"].sum(), "the choice costs more than the budget"
        N_pred, L_pred = numbers(student.predict_compute_optimal(
            catalogue["N"][indices], catalogue["D"][indices], loss[indices], _truth(world)[0]), 2,
            "your (N_opt, L_opt)", names=("N_opt", "L_opt"))
        multiples.append(max(_multiples(world, N_pred, L_pred)))
    _score(multiples, "your prediction from what you bought")


# ---------------------------------------------------------- predict_compute_optimal


@exercise("predict_compute_optimal", points=2,
          hint="Ten times past the data, what does the loss fall towards? Revisit the saturating fit and what "
               "the frontier's floor does to an extrapolation (lesson 03, 'L(C) and the compute-efficient "
               "frontier'; lesson 02).")
def test_the_loss_ten_times_past_sweeps_of_four_shapes(student):
    """Four worlds (seeds 0-3), each sweep whole: your L_opt at ten times the largest budget
    against the law's (computed here), with a tolerance of 15 % of the reducible loss there,
    L_true − E. Measured: the reference solution is at most 0.6 tolerances off; a straight line
    through log L against log C (no floor) is 1.0 to 3.2 tolerances off, and earns 59 %."""
    _score([_multiples(world, *_predicted(student, world, seed))[0] for seed, world in enumerate(WORLDS)],
           "your predicted loss")


@exercise("predict_compute_optimal", points=2,
          hint="Where is the bottom of each budget's IsoFLOP valley, and how does it move with the budget? "
               "(lesson 03, 'Ingredients of a prediction'; Hoffmann et al. 2022, Approach 2)")
def test_the_size_ten_times_past_sweeps_of_four_shapes(student):
    """The same four worlds: your N_opt against the law's optimum (Hoffmann et al. 2022, eq. 4,
    computed here), with a tolerance of a factor 1.3. Measured: the reference solution is at most
    0.5 tolerances off."""
    _score([_multiples(world, *_predicted(student, world, seed))[1] for seed, world in enumerate(WORLDS)],
           "your predicted N_opt")
