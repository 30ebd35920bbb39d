"""Scoring rules: a test that only checks that bad input raises earns its points only
when a value test of the same exercise passed (issue 10, item 4)."""

from __future__ import annotations

from course_utils.grading.scoring import GATED, apply_gates, hidden_points_note, literal_constant


def _row(exercise, test, status, points=1.0, requires_value=False, **extra):
    return {"exercise": exercise, "test": test, "status": status,
            "points": points if status == "passed" else 0.0, "max_points": points,
            "requires_value": requires_value, **extra}


def test_a_raise_check_alone_earns_nothing():
    """A function that raises ValueError for every input passes only the raise check."""
    rows = [_row("fit", "recovers the exponent", "error"), _row("fit", "rejects zeros", "passed", requires_value=True)]
    gated = apply_gates(rows)[1]
    assert (gated["status"], gated["points"], gated["max_points"]) == (GATED, 0.0, 1.0)
    assert gated["message"] == "counts once your function returns the right value"


def test_a_gated_check_says_nothing_that_blames_the_raising():
    """A fit with the wrong sign raises ValueError correctly for bad input: its raise-only
    checks wait for a value, with no hint about raising (issue 22)."""
    rows = [_row("fit", "exponent is minus the slope", "failed"),
            _row("fit", "rejects a loss equal to the floor", "passed", requires_value=True,
                 hint="A loss equal to E leaves nothing to take the logarithm of: raise ValueError")]
    gated = apply_gates(rows)[1]
    assert gated["hint"] == "" and "raise" not in gated["message"].lower()


def test_a_partly_scored_value_test_opens_the_gate():
    rows = [_row("predict", "rejects an empty sweep", "passed", requires_value=True),
            {**_row("predict", "loss ten times further", "failed", points=3.0), "status": "partial", "points": 1.5}]
    assert apply_gates(rows)[0]["status"] == "passed"


def test_a_raise_check_earns_its_points_once_a_value_test_passed():
    rows = [_row("fit", "rejects zeros", "passed", requires_value=True), _row("fit", "recovers", "failed"),
            _row("fit", "noisy", "passed", points=2.0)]
    assert [row["points"] for row in apply_gates(rows)] == [1.0, 0.0, 2.0]


def test_a_hidden_value_test_opens_the_gate_too():
    rows = [_row("fit", "rejects zeros", "passed", requires_value=True),
            _row("fit", "hidden: your own data", "passed", hidden=True)]
    assert apply_gates(rows)[0]["status"] == "passed"


def test_another_exercise_notebook_or_student_does_not_open_the_gate():
    gate = _row("fit", "rejects zeros", "passed", requires_value=True, notebook="ex02", student="ada")
    others = [_row("other", "value", "passed", notebook="ex02", student="ada"),
              _row("fit", "value", "passed", notebook="ex03", student="ada"),
              _row("fit", "value", "passed", notebook="ex02", student="alan")]
    assert apply_gates([gate, *others])[0]["status"] == GATED


def test_gates_are_pure():
    """New dicts in the same order; the rows passed in are not changed."""
    rows = [_row("fit", "rejects zeros", "passed", requires_value=True)]
    before = [dict(row) for row in rows]
    out = apply_gates(rows)
    assert rows == before and out[0] is not rows[0] and len(out) == 1


def test_rows_without_the_mark_are_copied_unchanged():
    rows = [{"exercise": "f", "test": "t", "status": "passed", "points": 2.0, "max_points": 2.0}]
    assert apply_gates(rows) == rows


# ------------------------------------------------------------- hidden points


def test_check_all_announces_the_hidden_points_a_public_module_states(tmp_path):
    module = tmp_path / "test_ex09_demo.py"
    module.write_text("BLOCKED = []\nHIDDEN_POINTS = 7\n")
    assert hidden_points_note(module) == ("Hidden tests worth 7 more points run when your instructor grades: "
                                          "the same behaviours, checked on inputs of your own.")


def test_no_hidden_points_no_announcement(tmp_path):
    module = tmp_path / "test_ex09_demo.py"
    module.write_text("BLOCKED = []\n")
    assert hidden_points_note(module) == "" and hidden_points_note(None) == ""
    assert hidden_points_note(tmp_path / "missing.py") == ""


def test_constants_are_read_without_running_the_module(tmp_path):
    module = tmp_path / "test_ex09_demo.py"
    module.write_text("raise SystemExit('never run')\nBLOCKED = ['m.f', 'm.g(seed=7)']\nLATER = len(BLOCKED)\n")
    assert literal_constant(module, "BLOCKED") == ["m.f", "m.g(seed=7)"]
    assert literal_constant(module, "LATER", "not a literal") == "not a literal"
