"""Stated rules are tested (issue 14, item 5): each rule an exercise docstring states has a
test that fails on the plausible wrong version of the reference solution.

Every row below is one wrong version: a one-line edit of a solution notebook's exercise (an
absolute value where the sign matters, a check that forgets a case, a hard-coded constant)
and the test that must catch it. All of them are graded in one engine run (two workers),
and each named test must fail while the reference passes it (the honesty test proves that).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root

ROOT = find_course_root()
pytestmark = [pytest.mark.skipif(not ROOT.solutions.is_dir(), reason="a workshop copy has no solutions/"),
              pytest.mark.slow]

#: (notebook, exercise, words of the test's name, text of the solution, its wrong version)
WRONG = [
    ('ex01_history_compute', 'fit_doubling_time', 'different lengths',  # no length check (TypeError)
     ('    if years.shape != values.shape:\n'
      '        raise ValueError("years and values must have the same length")\n'),
     ''),
    ('ex01_history_compute', 'training_cost_usd', 'accepts full utilisation',  # mfu < 1 instead of mfu <= 1
     'if not 0 < mfu <= 1:',
     'if not 0 < mfu < 1:'),
    ('ex01_history_compute', 'training_cost_usd', 'rejects zero utilisation',  # only mfu > 1 refused
     'if not 0 < mfu <= 1:',
     'if mfu > 1:'),
    ('ex01_history_compute', 'training_cost_usd', 'negative compute',  # the other arguments never checked
     ('    if not (flops > 0 and peak_flops > 0 and usd_per_gpu_hour > 0):\n'
      '        raise ValueError("flops, peak_flops and usd_per_gpu_hour must be positive")\n'),
     ''),
    ('ex02_power_laws', 'fit_power_law', 'negative for an increasing law',  # abs(slope)
     'float(-slope)',
     'float(abs(slope))'),
    ('ex02_power_laws', 'fit_power_law', 'different lengths',  # no length check (TypeError)
     '    if x.shape != y.shape:\n        raise ValueError("x and y must have the same length")\n',
     ''),
    ('ex02_power_laws', 'huber_loss', 'keeps the shape',  # a loop over a flattened array
     ('r = np.abs(np.asarray(residuals, dtype=float))\n'
      '    return np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))'),
     ('return np.array([0.5 * r**2 if abs(r) <= delta else delta * (abs(r) - 0.5 * delta) for r in'
      ' np.ravel(residuals)])')),
    ('ex02_power_laws', 'huber_loss', 'single residual',  # a loop over the residuals (a float is not iterable)
     ('r = np.abs(np.asarray(residuals, dtype=float))\n'
      '    return np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))'),
     'return np.array([0.5 * r**2 if abs(r) <= delta else delta * (abs(r) - 0.5 * delta) for r in residuals])'),
    ('ex02_power_laws', 'bootstrap_interval', 'widens with the level',  # always the 5th and 95th percentiles
     'np.percentile(alphas, [tail, 100.0 - tail])',
     'np.percentile(alphas, [5.0, 95.0])'),
    ('ex02_power_laws', 'bootstrap_interval', 'reproducible',  # an unseeded generator
     'rng = np.random.default_rng(seed)',
     'rng = np.random.default_rng()'),
    ('ex03_scaling_lab', 'count_non_embedding_params', 'whole number',  # float arithmetic
     'return 12 * n_layer * d_model**2',
     'return 12.0 * n_layer * d_model**2'),
    ('ex03_scaling_lab', 'bigram_cross_entropy', 'uses the smoothing',  # a pseudo-count fixed at 1
     'float(smoothing))',
     '1.0)'),
    ('ex03_scaling_lab', 'compute_efficient_frontier', 'equal compute',  # sorted by compute alone
     'order = np.lexsort((L, C))',
     "order = np.argsort(C, kind='stable')"),
    ('ex03_scaling_lab', 'compute_efficient_frontier', 'only equals',  # <= where the docstring says strictly lower
     'keep = L_sorted < best_before',
     'keep = L_sorted <= best_before'),
    ('ex03_scaling_lab', 'fit_reducible_power_law', 'equal to the floor',  # L < E refused, L = E let through
     'if np.any(~(reducible > 0)):',
     'if np.any(reducible < 0):'),
    ('ex03_scaling_lab', 'fit_reducible_power_law', 'minus the slope',  # abs(slope)
     'float(-slope)',
     'float(abs(slope))'),
    ('ex04_chinchilla', 'compute_optimal_allocation', 'array of budgets',  # float(C)
     '    C = np.asarray(C, dtype=float)\n',
     '    C = float(C)\n'),
    ('ex04_chinchilla', 'fit_chinchilla_law', 'default reduction',  # the default "mean"
     'reduction="sum"):',
     'reduction="mean"):'),
    ('ex05_data_limits', 'tokens_per_parameter', 'negative parameters',  # only N = 0 refused
     'if np.any(~(N > 0)):',
     'if np.any(N == 0):'),
    ('ex05_data_limits', 'exhaustion_year', 'in the past',  # the year clamped to year_now
     'return year_now + math.log(stock / dataset_now) / math.log(growth_per_year)',
     'return max(year_now, year_now + math.log(stock / dataset_now) / math.log(growth_per_year))'),
    ('ex05_data_limits', 'exhaustion_year', 'empty stock',  # no check, numpy's log
     ('    if not (stock > 0 and dataset_now > 0):\n'
      '        raise ValueError("stock and dataset_now must be positive")\n'
      '    return year_now + math.log(stock / dataset_now)'),
     '    return year_now + np.log(stock / dataset_now)'),
    ('ex05_data_limits', 'lifetime_compute', 'elementwise',  # float(N)
     ('    N = np.asarray(N, dtype=float)\n'
      '    return 6.0 * N * np.asarray(D, dtype=float) + 2.0 * N * np.asarray(inference_tokens, dtype=float)'),
     '    return 6.0 * float(N) * D + 2.0 * float(N) * inference_tokens'),
    ('ex05_data_limits', 'overtrained_allocation', 'below the irreducible',  # no check: a complex power, then TypeError
     '    if not loss_target > E:\n        raise ValueError(f"loss_target must exceed E = {E}")\n',
     ''),
    ('ex06_since_chinchilla', 'pass_at_k', 'outside zero to n',  # c never checked
     '    if not (0 <= c <= n):\n        raise ValueError(f"need 0 <= c <= n; got c={c}, n={n}")\n',
     ''),
    ('ex06_since_chinchilla', 'pass_at_k', 'zero draws',  # only k > n refused
     'if not (1 <= k <= n):',
     'if k > n:'),
    ('ex06_since_chinchilla', 'moe_parameter_counts', 'not positive',  # sizes never checked
     '    if any(s <= 0 for s in sizes):\n        raise ValueError("all sizes must be positive")\n',
     ''),
    ('ex06_since_chinchilla', 'moe_parameter_counts', 'whole numbers',  # float arithmetic
     'return total, active',
     'return float(total), float(active)'),
    ('ex06_since_chinchilla', 'compute_optimal_precision', 'stops at 32',  # an unbounded search
     'result = minimize_scalar(objective, bounds=(low, 32.0), method="bounded", options={"xatol": 1e-10})',
     'result = minimize_scalar(objective, bracket=(low + 1, 10.0))'),
    ('ex06_since_chinchilla', 'compute_reduction_factor', 'negative number of years',  # years never checked
     '    if np.any(~(years >= 0)):\n        raise ValueError("years must be >= 0")\n',
     ''),
]

def _wrong_notebook(stem: str, exercise: str, old: str, new: str, folder: Path) -> Path:
    nb = json.loads((ROOT.solutions / f"{stem}.ipynb").read_text(encoding="utf-8"))
    edited = 0
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and f"def {exercise}(" in source and old in source:
            cell["source"] = source.replace(old, new)
            edited += 1
    assert edited == 1, f"{stem}: the solution of {exercise} no longer holds {old!r}: update WRONG"
    folder.mkdir(parents=True)
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_every_stated_rule_catches_its_plausible_wrong_version(tmp_path):
    from course_utils.grading.learner.feedback import check_notebooks

    paths = [_wrong_notebook(stem, exercise, old, new, tmp_path / str(number))
             for number, (stem, exercise, _words, old, new) in enumerate(WRONG)]
    graded = check_notebooks(paths, exercises=sorted({row[1] for row in WRONG}), jobs=2)
    missed = []
    for path, (stem, exercise, words, _old, _new) in zip(paths, WRONG):
        rows, notes = graded[str(path)]
        named = [row for row in rows if row["exercise"] == exercise and words in row["test"]]
        assert len(named) == 1, f"{stem}: no single test of {exercise} named like {words!r} ({notes})"
        if named[0]["status"] == "passed":
            missed.append(f"{stem}: {exercise} / {named[0]['test']}")
    assert not missed, "tests that pass on the wrong version they exist to catch:\n" + "\n".join(missed)
