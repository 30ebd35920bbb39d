"""What Canvas and Gradescope accept, re-stated for the tests that check files written for them.

Canvas: the rules of its gradebook importer (app/models/gradebook_importer.rb in
github.com/instructure/canvas-lms). Gradescope: results.json as its specification describes it
(docs/specs.md in github.com/gradescope/autograder_samples, January 2025).
"""

from __future__ import annotations

import csv
import io
import re


def canvas_reads(text: str) -> tuple[list[tuple[str, str | None]], dict[str, str], dict[str, dict[str, str]]]:
    """Read a gradebook CSV the way Canvas's GradebookImporter does (app/models/gradebook_importer.rb):
    returns the assignments as (title, id), the Points Possible row, and the scores by student ID."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1]          # row_has_student_headers?
    assert re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])
    student_columns = 5                                                              # update_column_count
    assert "Section" in header[student_columns - 1]                                  # header? (last info column)
    assignments = []
    for name in header[student_columns:]:
        match = re.match(r"\A(.*)\s\((\d+)\)\Z", name)                               # Assignment.title_and_id
        assignments.append((match.group(1), match.group(2)) if match else (name, None))
    points, scores = {}, {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:                                              # check_for_non_student_row
            points = dict(zip(header[student_columns:], row[student_columns:]))
            continue
        assert row[1].isdigit(), f"row for {row[0]} has no Canvas user ID"
        scores[row[1]] = dict(zip(header[student_columns:], row[student_columns:]))
    return assignments, points, scores


VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
#: Gradescope's results.json as its specification describes it (docs/specs.md, autograder_samples, 2025)
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "integer", "minimum": 0},
        "output": {"type": "string"},
        "output_format": FORMAT, "test_output_format": FORMAT, "test_name_format": FORMAT,
        "visibility": VISIBILITY, "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["score", "max_score", "name"],  # optional in the spec; every test here has them
            "properties": {
                "score": {"type": "number"}, "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"}, "name_format": FORMAT,
                "number": {"type": "string"}, "output": {"type": "string"}, "output_format": FORMAT,
                "tags": {"type": "array", "items": {"type": "string"}}, "visibility": VISIBILITY,
                "extra_data": {"type": "object"},
            }}},
        "leaderboard": {"type": "array"},
    },
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
}
