"""Hidden tests for ex04_chinchilla: the public tests' behaviours on laws and data of each
student's own (drawn with ``student_seed``, from SHA-256 of the student's folder name), so
a table of the public cases' answers earns nothing here.

Expected values are computed here: the law and its optimum from Hoffmann et al. 2022's
eq. 2 and eq. 4, the IsoFLOP vertex with numpy.polyfit, and for the refit the truth of
synthetic runs drawn near Besiroglu et al. 2024's Table 1 fit.
"""

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, fields
from course_utils.grading.plugin import student_rng


def _your_law(rng):
    """A Chinchilla-type law with every parameter drawn around the published fits."""
    return {"E": rng.uniform(1.5, 2.5), "A": 10 ** rng.uniform(2, 3), "B": 10 ** rng.uniform(2.3, 3.5),
            "alpha": rng.uniform(0.25, 0.45), "beta": rng.uniform(0.25, 0.45)}


def _law(N, D, p):
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]


def _optimum(C, p):
    """Hoffmann et al. 2022, eq. 4."""
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    a, b = p["beta"] / (p["alpha"] + p["beta"]), p["alpha"] / (p["alpha"] + p["beta"])
    return G * (C / 6) ** a, (C / 6) ** b / G


@exercise("chinchilla_loss", points=1, hidden=True, hint="E + A / N**alpha + B / D**beta, elementwise for arrays.")
def test_loss_of_your_own_law(student, student_seed):
    """One (N, D) and arrays of 3-8 models, N in 1e7-1e12 and D in 1e9-1e13."""
    rng = student_rng(student_seed, "chinchilla_loss")
    p = _your_law(rng)
    N, D = 10 ** rng.uniform(7, 12), 10 ** rng.uniform(9, 13)
    assert_close(student.chinchilla_loss(N, D, p), _law(N, D, p), rtol=1e-12)
    size = int(rng.integers(3, 9))
    Ns, Ds = 10 ** rng.uniform(7, 12, size), 10 ** rng.uniform(9, 13, size)
    assert_close(student.chinchilla_loss(Ns, Ds, p), _law(Ns, Ds, p), rtol=1e-12)


@exercise("compute_optimal_allocation", points=2, hidden=True,
          hint="G = (alpha*A / (beta*B))**(1/(alpha+beta)); N = G*(C/6)**a, D = (C/6)**b / G.")
def test_optimal_allocation_of_your_own_law_and_budget(student, student_seed):
    """A budget of 1e18-1e26 FLOP: (N_opt, D_opt) from eq. 4 (rel 1e-9)."""
    rng = student_rng(student_seed, "compute_optimal_allocation")
    p, C = _your_law(rng), 10 ** rng.uniform(18, 26)
    assert_close(student.compute_optimal_allocation(C, p), _optimum(C, p), rtol=1e-9, names=("N_opt", "D_opt"))


@exercise("isoflop_optimum", points=1, hidden=True,
          hint="np.polyfit(np.log(N), L, 2) gives (c2, c1, c0); the vertex is at exp(-c1 / (2*c2)).")
def test_isoflop_optimum_of_your_own_profile(student, student_seed):
    """7-15 sizes over 1-2 decades either side of a vertex at 1e7-1e11, a parabola in ln N
    with 0.2% scatter. Expected: the vertex of the least-squares parabola computed here."""
    rng = student_rng(student_seed, "isoflop_optimum")
    vertex, reach = 10 ** rng.uniform(7, 11), 10 ** rng.uniform(1, 2)
    N = np.geomspace(vertex / reach, vertex * reach, int(rng.integers(7, 16)))
    L = (2.0 + rng.uniform(0.01, 0.1) * np.log(N / vertex) ** 2) * (1 + 0.002 * rng.standard_normal(N.size))
    c2, c1, _c0 = np.polyfit(np.log(N), L, 2)
    assert_close(student.isoflop_optimum(N, L), float(np.exp(-c1 / (2 * c2))), rtol=1e-6)


def _your_runs(rng):
    """240 runs on 9 budgets (6e18-3e21 FLOP), sizes from N_opt/10 to 10·N_opt, 1% noise,
    from a law near Besiroglu et al. 2024's fit (exponents ±0.02, E ±0.1): the notebook's design."""
    p = {"E": 1.8172 + rng.uniform(-0.1, 0.1), "A": 482.01, "B": 2085.43,
         "alpha": 0.3478 + rng.uniform(-0.02, 0.02), "beta": 0.3658 + rng.uniform(-0.02, 0.02)}
    budgets = np.geomspace(6e18, 3e21, 9)
    sizes = [len(part) for part in np.array_split(np.arange(240), 9)]
    N = np.concatenate([np.geomspace(_optimum(C, p)[0] / 10, _optimum(C, p)[0] * 10, k)
                        for C, k in zip(budgets, sizes)])
    D = np.repeat(budgets, sizes) / (6 * N)
    return p, (N, D, _law(N, D, p) * np.exp(0.01 * rng.standard_normal(N.size)))


@exercise("fit_chinchilla_law", points=2, hidden=True, timeout=30,
          hint="Sum the Huber losses of the log residuals and run BFGS from HOFFMANN_TEX_START.")
def test_sum_reduction_recovers_your_own_exponents(student, student_seed):
    """Over 500 seeds the reference fit's alpha and beta missed the truth by at most 0.040
    (SD 0.010; measured); tolerance 0.05 = 5 SD."""
    rng = student_rng(student_seed, "fit_chinchilla_law")
    p, runs = _your_runs(rng)
    fit = fields(student.fit_chinchilla_law(*runs, "sum"), ("E", "A", "B", "alpha", "beta"))
    assert_close((fit["alpha"], fit["beta"]), (p["alpha"], p["beta"]), atol=0.05, names=("alpha", "beta"))
