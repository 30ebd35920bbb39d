"""Written answers: collecting answer cells, the marker's HTML page, rubrics and marking sheets,
and the capstone's answer notebook with its rubric."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.course.answers import (Answers, answer_status, answers_html, collect_answers,
                                          collect_answers_from_file, write_answer_pages)
from course_utils.grading.course.csvio import parse_table
from course_utils.grading.course.rubric import (RubricError, exercise_notebooks, find_rubrics, is_rubric_only,
                                         load_rubric, marking_sheet_csv, merge_marks, parse_rubric, replace_marks)

ROOT = find_course_root()
TESTS = ROOT.exercise_tests
CAPSTONE = "ex07_capstone"


def _md(text, *tags):
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)} if tags else {}, "source": text}


def _nb(*cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


TEMPLATE = _nb(_md("## 1. Plan"), _md("*Write here.*", "answer", "question:plan"),
               _md("*Write here.*", "answer", "question:verdict"))
RUBRIC = parse_rubric({"notebook": "ex07_capstone", "title": "Capstone", "question": [
    {"id": "plan", "points": 6, "title": "The plan", "prompt": "Which N?", "criteria": ["states N and D"]},
    {"id": "verdict", "points": 4}]}, "rubric.toml")


# ------------------------------------------------------------------ collecting


def test_answer_cells_are_collected_by_question_and_placeholders_count_as_unanswered():
    nb = _nb(_md("Take N = 7e10.", "answer", "question:plan"), _md("*Write here.*", "answer", "question:verdict"))
    found = collect_answers(nb, TEMPLATE)
    assert [(a.question, a.answered, a.cell) for a in found.answers] == [("plan", True, 1), ("verdict", False, 2)]
    assert found.notes == []


def test_an_empty_answer_is_not_an_answer_even_without_a_template():
    assert not collect_answers(_nb(_md("  \n", "answer", "question:plan"))).answers[0].answered


def test_an_answer_without_a_question_tag_is_kept_with_a_note():
    found = collect_answers(_nb(_md("My view.", "answer")))
    assert found.answers[0].question == "answer_1" and "without a 'question:' tag" in found.notes[0]


def test_two_cells_for_one_question_are_joined_in_order():
    found = collect_answers(_nb(_md("First.", "answer", "question:plan"), _md("Second.", "answer", "question:plan")))
    assert found.answers[0].text == "First.\n\nSecond." and "cells 1 and 2" in found.notes[0]


def test_a_code_cell_tagged_answer_is_noted_not_collected():
    code = {"cell_type": "code", "metadata": {"tags": ["answer"]}, "source": "x = 1", "outputs": [],
            "execution_count": None}
    found = collect_answers(_nb(code))
    assert found.answers == [] and "not a markdown cell" in found.notes[0]


def test_an_unreadable_notebook_gives_a_note_not_a_crash(tmp_path):
    path = tmp_path / "ex07_capstone.ipynb"
    path.write_text("{not json", encoding="utf-8")
    found = collect_answers_from_file(path)
    assert found.answers == [] and "not valid JSON" in found.notes[0]


# ------------------------------------------------------------------ the marker's page


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def test_the_answers_page_escapes_learner_text_and_runs_nothing():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"'
    page = answers_html("ada", collect_answers(_nb(_md(evil, "answer", "question:plan"))), RUBRIC)
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert not any(name.startswith("on") for name in parser.attributes)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"(src|href)=\"?https?:", page)  # self-contained: nothing fetched
    assert "default-src 'none'" in page


def test_the_answers_page_follows_the_rubric_and_says_what_is_missing():
    page = answers_html("ada", collect_answers(_nb(_md("N = 7e10", "answer", "question:plan"))), RUBRIC)
    assert page.index("The plan") < page.index("verdict")
    assert "What a good answer contains" in page and "states N and D" in page
    assert "No answer cell for this question" in page
    assert "(6 points)" in page and "10 points" in page


def test_answer_pages_index_and_marking_sheet_are_written_and_a_filled_sheet_is_kept(tmp_path):
    collected = {"ada": collect_answers(_nb(_md("N = 7e10", "answer", "question:plan"))), "alan": Answers()}
    written = write_answer_pages(tmp_path, CAPSTONE, collected, RUBRIC)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == ["answers/ex07_capstone/ada.html", "answers/ex07_capstone/alan.html",
                     "answers/ex07_capstone/index.html", "marking_ex07_capstone.csv"]
    (tmp_path / "marking_ex07_capstone.csv").write_text("my marks", encoding="utf-8")
    again = write_answer_pages(tmp_path, CAPSTONE, collected, RUBRIC)
    assert (tmp_path / "marking_ex07_capstone.csv").read_text() == "my marks"
    assert again[-1].name == "marking_ex07_capstone.new.csv"


# ------------------------------------------------------------------ rubrics


@pytest.mark.parametrize("data, message", [
    ({"question": [{"id": "a", "points": 1}]}, "'notebook' must name"),
    ({"notebook": "x"}, "no \\[\\[question\\]\\]"),
    ({"notebook": "x", "question": [{"id": "Bad id", "points": 1}]}, "id 'Bad id'"),
    ({"notebook": "x", "question": [{"id": "a", "points": 0}]}, "positive number"),
    ({"notebook": "x", "question": [{"id": "a", "points": True}]}, "positive number"),
    ({"notebook": "x", "question": [{"id": "a", "points": 1}, {"id": "a", "points": 1}]}, "used twice"),
    ({"notebook": "x", "question": [{"id": "a", "points": 1, "criteria": "one string"}]}, "list of non-empty"),
])
def test_a_bad_rubric_is_refused_saying_why(data, message):
    with pytest.raises(RubricError, match=message):
        parse_rubric(data, "rubric.toml")


def test_a_rubric_file_must_be_named_for_its_notebook(tmp_path):
    path = tmp_path / "rubric_ex09.toml"
    path.write_text('notebook = "ex07_capstone"\n[[question]]\nid = "a"\npoints = 1\n', encoding="utf-8")
    with pytest.raises(RubricError, match="named for 'ex09'"):
        load_rubric(path)


def test_invalid_toml_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "rubric_x.toml"
    path.write_text("notebook = ", encoding="utf-8")
    with pytest.raises(RubricError, match="rubric_x.toml: not valid TOML"):
        load_rubric(path)


# ------------------------------------------------------------------ marking sheets


def test_the_marking_sheet_has_a_row_per_student_and_question_and_prefills_blanks():
    sheet = marking_sheet_csv(RUBRIC, {"alan": {"plan": True}, "ada": {"plan": True, "verdict": True}})
    rows = list(csv.reader(io.StringIO(sheet)))
    assert rows[0] == ["student", "notebook", "question", "max_points", "points", "comment"]
    assert rows[1:] == [["ada", CAPSTONE, "plan", "6", "", ""], ["ada", CAPSTONE, "verdict", "4", "", ""],
                        ["alan", CAPSTONE, "plan", "6", "", ""], ["alan", CAPSTONE, "verdict", "4", "0", "no answer"]]


def _sheet(text):
    return parse_table(text, "marks.csv", required=("student", "question", "points"))


def test_a_filled_sheet_becomes_gradebook_rows():
    merged = merge_marks(_sheet("student,question,points,comment\nada,plan,5.5,Clear; cite the fit.\n"
                                "ada,verdict,,\n"), RUBRIC, ["ada"])
    assert merged.rows == [{"student": "ada", "notebook": CAPSTONE, "exercise": "plan", "test": "marked by hand",
                            "status": "marked", "points": 5.5, "max_points": 6.0,
                            "message": "Clear; cite the fit.", "hint": "", "seconds": 0.0}]
    assert merged.unmarked == [("ada", CAPSTONE, "verdict")]


def test_every_bad_row_of_a_sheet_is_named_with_its_line():
    text = ("student,question,points\n"
            "zed,plan,1\n"          # line 2: unknown student
            "ada,budget,1\n"        # line 3: unknown question
            "ada,plan,seven\n"      # line 4: not a number
            "ada,verdict,4.5\n"     # line 5: above the maximum
            "alan,plan,-1\n"        # line 6: negative
            "alan,verdict,2\n"
            "alan,verdict,3\n")     # line 8: marked twice
    with pytest.raises(RubricError) as info:
        merge_marks(_sheet(text), RUBRIC, ["ada", "alan"])
    message = str(info.value)
    for expected in ("line 2: unknown student 'zed'", "line 3: ex07_capstone has no question 'budget'",
                     "line 4: points: 'seven' is not a number", "line 5: points 4.5 above the maximum 4",
                     "line 6: points -1 below 0", "line 8: alan / verdict is already marked on line 7"):
        assert expected in message


def test_merging_a_corrected_sheet_replaces_earlier_marks():
    first = merge_marks(_sheet("student,question,points\nada,plan,3\n"), RUBRIC, ["ada"]).rows
    second = merge_marks(_sheet("student,question,points\nada,plan,5\n"), RUBRIC, ["ada"]).rows
    results = replace_marks(replace_marks([], first), second)
    assert [(r["exercise"], r["points"]) for r in results] == [("plan", 5.0)]


# ------------------------------------------------------------------ the capstone


def test_the_capstone_is_a_rubric_only_notebook():
    assert CAPSTONE in find_rubrics(TESTS)
    assert is_rubric_only(CAPSTONE, TESTS)
    assert not is_rubric_only("ex02_power_laws", TESTS)


def test_listing_notebooks_with_tests_skips_the_rubric_only_capstone():
    listed = [path.stem for path in exercise_notebooks(ROOT.exercises, TESTS)]
    assert CAPSTONE not in listed
    assert listed == sorted(path.stem.removeprefix("test_") for path in TESTS.glob("test_*.py"))


def test_the_capstone_rubric_matches_the_answer_cells_of_the_released_notebook():
    rubric = load_rubric(TESTS / f"rubric_{CAPSTONE}.toml")
    nb = json.loads((ROOT.exercises / f"{CAPSTONE}.ipynb").read_text(encoding="utf-8"))
    found = collect_answers(nb, nb)
    assert [a.question for a in found.answers] == [q.id for q in rubric.questions]
    assert not any(a.answered for a in found.answers), "the released notebook holds placeholders only"
    assert rubric.total == 20 and all(q.criteria and q.prompt for q in rubric.questions)


def test_each_capstone_question_states_its_points_as_the_rubric_does():
    rubric = load_rubric(TESTS / f"rubric_{CAPSTONE}.toml")
    text = (ROOT.exercises / f"{CAPSTONE}.ipynb").read_text(encoding="utf-8")
    for question in rubric.questions:
        assert f"{question.title} ({question.points:g} points)" in text.replace("## ", "")


def test_a_learner_sees_which_answers_the_saved_notebook_holds(tmp_path):
    nb = json.loads((ROOT.exercises / f"{CAPSTONE}.ipynb").read_text(encoding="utf-8"))
    answers = [c for c in nb["cells"] if "answer" in c["metadata"].get("tags", [])]
    answers[0]["source"] = "I choose N = 3.5e10 and D = 1e13."
    path = tmp_path / f"{CAPSTONE}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert answer_status(path).startswith("1 of 5 written answers filled in; still to write: sensitivity")
    assert "save the notebook" in answer_status(tmp_path / "absent.ipynb")


@pytest.mark.parametrize("name", [f"{CAPSTONE}.ipynb", f"{CAPSTONE}-Copy1.ipynb", "my capstone.ipynb", "Untitled.ipynb"])
def test_the_answer_status_of_an_untouched_copy_does_not_depend_on_its_name(tmp_path, name):
    """An untouched copy has written nothing, whatever it is called: the released notebook is
    found by its questions, not by the file's name (issue 22: a copy once read "5 of 5")."""
    path = tmp_path / name
    path.write_bytes((ROOT.exercises / f"{CAPSTONE}.ipynb").read_bytes())
    status = answer_status(path)
    assert status.startswith("0 of 5 written answers filled in; still to write: plan, sensitivity")
    assert (f"rename it to {CAPSTONE}.ipynb" in status) == (name != f"{CAPSTONE}.ipynb")


def test_check_on_the_capstone_says_it_is_marked_by_a_person_against_its_rubric(tmp_path):
    """Its name is right and it has no tests on purpose: check says how it is marked instead of
    telling the learner to rename it (issue 22)."""
    from course_utils.grading.learner.feedback import check_notebooks

    for path in (ROOT.exercises / f"{CAPSTONE}.ipynb", tmp_path / f"{CAPSTONE}-Copy1.ipynb"):
        if not path.exists():
            path.write_bytes((ROOT.exercises / f"{CAPSTONE}.ipynb").read_bytes())
        (rows, notes), = check_notebooks([path]).values()
        assert not rows and f"has no automatic tests: a person marks its written answers against the rubric " \
                            f"rubric_{CAPSTONE}.toml" in notes[-1] and "keep the name" not in " ".join(notes)
