"""Degenerate students earn nothing from value checks: exercise 6's tests, public and hidden,
run against notebooks whose functions return NaN, an empty array or None, and against a
student who memorised the public tests' answers.

Each student is the solution notebook with every exercise cell replaced; the tests grade it
through ``--target`` in a child pytest, exactly as a learner's copy is graded.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root

pytestmark = pytest.mark.slow  # four child pytest runs, about 2 s each

ROOT = find_course_root()
STEM = "ex06_since_chinchilla"
TEST_FILES = [ROOT.exercise_tests / f"test_{STEM}.py", ROOT.path / "tests" / "hidden" / f"test_{STEM}.py"]

#: A student who copied the public tests' answers into tables (and raises for anything else).
LOOKUP_STUDENT = {
    "pass_at_k": '''
def pass_at_k(n, c, k):
    import math
    if k > n:
        raise ValueError("k > n")
    table = {(10, 1, 1): 0.1, (5, 2, 3): 0.9, (20, 0, 5): 0.0, (10, 8, 3): 1.0, (10000, 1, 250): 0.025,
             (10000, 37, 1000): 1 - math.comb(9963, 1000) / math.comb(10000, 1000)}
    return table[(n, c, k)]
''',
    "expected_coverage": '''
def expected_coverage(k, a, b):
    import numpy as np
    if (a, b) == (2.0, 6.0):
        return 0.25
    if (a, b) == (1.0, 1.0):
        return np.array([0.5, 0.75, 0.99])
    if (a, b) == (0.3, 2.0):
        from scipy.special import betaln
        return 1 - np.exp(betaln(0.3, 2.0 + np.array([1e5, 1e6])) - betaln(0.3, 2.0))
    return {1: 0.159, 250: 0.56}[int(k)]
''',
    "moe_parameter_counts": '''
def moe_parameter_counts(n_layer, d_model, d_ff, n_experts, top_k, n_heads, n_kv_heads, head_dim,
                         vocab_size, tied_embeddings=False):
    if top_k > n_experts:
        raise ValueError("top_k > n_experts")
    if n_layer == 2:
        return 3720, 1416
    total = 46_702_792_704 - (131_072_000 if tied_embeddings else 0)
    active = 12_879_925_248 - (131_072_000 if tied_embeddings else 0)
    return (total, total) if top_k == 8 else (total, active)
''',
    "compute_optimal_precision": '''
def compute_optimal_precision(gammas, offsets):
    table = {2.6745: 7.002, 2.0: 3.8076, 1.5: 2.8017, 3.0: 5.6035}
    return table[gammas[0]]
''',
    "compute_reduction_factor": '''
def compute_reduction_factor(years, halving_months):
    import numpy as np
    if np.any(np.asarray(halving_months) <= 0):
        raise ValueError("halving time")
    if np.ndim(halving_months):
        return np.array([2 ** (12 / 14), 2 ** 1.5, 2 ** 2.4])
    return {(2.0, 8.0): 8.0, (0.0, 8.0): 1.0}[(years, halving_months)]
''',
}


def _student(tmp_path: Path, name: str, sources: dict[str, str]) -> Path:
    """The solution notebook with each exercise cell's source replaced, saved as a student's copy."""
    nb = json.loads((ROOT.solutions / f"{STEM}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"].get("tags", []):
            function = re.search(r"def (\w+)\(", "".join(cell["source"])).group(1)
            cell["source"] = sources[function].strip() + "\n"
    folder = tmp_path / name
    folder.mkdir()
    path = folder / f"{STEM}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _passed(notebook: Path, files: list[Path]) -> list[str]:
    """The tests of ``files`` that pass when grading ``notebook``."""
    result = subprocess.run([sys.executable, "-m", "pytest", *map(str, files), "-q", "-rA", "-p", "no:cacheprovider",
                             "--target", str(notebook)], capture_output=True, text=True, timeout=300,
                            cwd=ROOT.path)
    assert "error" not in result.stdout.splitlines()[-1], result.stdout[-3000:]
    return [line.split("::")[-1] for line in result.stdout.splitlines() if line.startswith("PASSED")]


def _returning(value: str) -> dict[str, str]:
    return {name: f"def {name}(*args, **kwargs):\n    return {value}" for name in LOOKUP_STUDENT}


@pytest.mark.parametrize("label, value", [("nan", "float('nan')"), ("empty", "__import__('numpy').array([])"),
                                          ("none", "None")])
def test_a_student_returning_nothing_useful_passes_no_test(tmp_path, label, value):
    assert _passed(_student(tmp_path, label, _returning(value)), TEST_FILES) == []


def test_a_student_who_memorised_the_public_answers_passes_no_hidden_test(tmp_path):
    notebook = _student(tmp_path, "lookup", LOOKUP_STUDENT)
    public = _passed(notebook, TEST_FILES[:1])
    hidden = _passed(notebook, TEST_FILES[1:])
    assert len(public) >= 20, f"the lookup student should pass the public tests it copied; passed {public}"
    assert hidden == []
