"""Gradescope: the autograder bundle, and ``results.json`` from the course's result rows.

Checked against Gradescope's "Autograder Specifications"
(gradescope-autograders.readthedocs.io/en/latest/specs/, source ``docs/specs.md`` in
github.com/gradescope/autograder_samples, January 2025) and "Submission Metadata"
(``docs/submission_metadata.md``):

* the zip holds ``setup.sh`` (run once, as root, when Gradescope builds the image; the
  default base image is Ubuntu 22.04, ``docs/base_images.md``) and ``run_autograder`` at its
  root; it is unpacked into ``/autograder/source``, and ``run_autograder`` is copied to
  ``/autograder/run_autograder`` and run from ``/autograder`` for each submission;
* the submission is in ``/autograder/submission``; ``/autograder/submission_metadata.json``
  describes it (``users``: ``email``, ``id``, ``name``; ``created_at``; ``assignment.due_date``);
* ``run_autograder`` must write ``/autograder/results/results.json``: top level ``score``
  (optional when every test has one; overrides their total), ``execution_time`` (seconds),
  ``output``, ``output_format``, ``test_output_format``, ``test_name_format``, ``visibility``,
  ``stdout_visibility``, ``extra_data``, ``tests``; each test ``score``, ``max_score``,
  ``status`` (``passed``/``failed``), ``name``, ``name_format``, ``number``, ``output``,
  ``output_format``, ``tags``, ``visibility``, ``extra_data``; visibility one of ``hidden``,
  ``after_due_date``, ``after_published``, ``visible``; formats ``text``, ``html``,
  ``simple_format``, ``md``, ``ansi``. Every output here is ``text``: messages hold learner
  text, which must not be rendered as HTML.

The bundle installs the course from the wheel inside the zip (its dependencies come from
PyPI while the image is built, CPU PyTorch from PyTorch's own index, or everything from a
``wheelhouse`` inside the zip with no index at all), each pinned to the version installed
where the bundle was made (``constraints.txt``, :func:`tested_versions`: the versions the
course was tested with) on the same Python, which ``setup.sh`` installs after an ``apt-get
update``. It carries the exercise tests (public and hidden) of the chosen notebooks and the
held-out data their code names, and its ``run_autograder`` runs
``python -m course_utils grade`` on the submission, so the same sandbox and limits apply as
on the instructor's machine. ``results.json`` is written whatever happens (Gradescope's
"Best practices": a failed run still gets a result with the reason).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
#: seconds the grader may take inside Gradescope's default 10-minute limit (docs/troubleshooting.md)
GRADE_TIMEOUT_S = 540
#: where the course's files travel inside the bundle (SCALING_COURSE_ROOT points here)
COURSE_DIR = "course"


# ------------------------------------------------------------------ results.json


def _test_output(row: Mapping, *, reveal: bool = False) -> str:
    if row.get("hidden"):
        # hidden tests: their name and points only (grading-trust issue); a prediction test adds
        # how good the prediction was, with the held-out value once results are published
        if isinstance(row.get("prediction"), Mapping):
            from .course.predictions import prediction_sentence

            return prediction_sentence(row["prediction"], reveal=reveal)
        return ""
    parts = []
    if row["status"] != "passed":
        parts.append(row.get("message") or row["status"])
        if row.get("hint"):
            parts.append(f"hint: {row['hint']}")
    elif row.get("message"):
        parts.append(row["message"])
    return "\n".join(parts)


def gradescope_results(rows: Sequence[Mapping], *, visibility: str = "visible",
                       hidden_visibility: str = "after_published", output: str = "") -> dict[str, Any]:
    """``results.json`` for one submission from its result rows.

    Parameters
    ----------
    rows
        The submission's rows (one student), in the order they should appear.
    visibility
        Visibility of ordinary tests.
    hidden_visibility
        Visibility of rows marked ``hidden`` (hidden tests): their output is always empty.
    output
        Text shown above the tests (notes on the notebook); the score line is added.

    Notes
    -----
    Each test is named ``<exercise>: <test>`` (prefixed by the notebook when the rows span
    several), scores ``points`` of ``max_points`` (a prediction scored by accuracy may earn a
    fraction: it is then ``failed`` with its share) and is ``passed`` only when the grader said
    so. The top-level ``score`` is the sum, never below zero nor above the possible points. A
    hidden prediction test's output says how good the prediction was; the held-out value
    only when hidden tests are not ``visible`` at once (Gradescope shows them when the
    instructor publishes, after the due date).

    Raises
    ------
    ValueError
        An unknown visibility, or rows of more than one student.
    """
    for value in (visibility, hidden_visibility):
        if value not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, got {value!r}")
    students = {row["student"] for row in rows if "student" in row}
    if len(students) > 1:
        raise ValueError(f"results.json holds one submission; rows of {len(students)} students given")
    several = len({row["notebook"] for row in rows}) > 1
    tests = []
    for row in rows:
        name = f"{row['exercise']}: {row['test']}"
        tests.append({
            "name": f"{row['notebook']} / {name}" if several else name,
            "name_format": "text",
            "score": round(float(row["points"]), 4),
            "max_score": round(float(row["max_points"]), 4),
            "status": "passed" if row["status"] == "passed" else "failed",
            "output": _test_output(row, reveal=hidden_visibility != "visible"),
            "output_format": "text",
            "visibility": hidden_visibility if row.get("hidden") else visibility,
        })
    earned = sum(float(row["points"]) for row in rows)
    possible = sum(float(row["max_points"]) for row in rows)
    summary = f"Score: {earned:g}/{possible:g} points"
    return {
        "score": round(min(max(earned, 0.0), possible), 4),
        "execution_time": int(round(sum(float(row.get("seconds", 0.0)) for row in rows))),
        "output": f"{output.rstrip()}\n\n{summary}".strip(),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "tests": tests,
    }


def error_results(reason: str) -> dict[str, Any]:
    """``results.json`` when the submission could not be graded: zero, with the reason."""
    return {"score": 0.0, "output": f"The autograder could not grade this submission: {reason}",
            "output_format": "text", "tests": []}


# ------------------------------------------------------------------ the bundle


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (network allowed).
# The course itself is installed from the wheel inside this zip, never from a network copy;
# constraints.txt pins every package to the version the course was tested with, on Python
# {python} (the pins apply there only: on another Python, pip chooses).
set -euo pipefail
SOURCE=/autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update
PY=python{python}
if ! apt-get install -y --no-install-recommends "$PY" "$PY-venv"; then
    echo "note: $PY is not among this image's packages; using python3 (the pins are for Python {python})"
    apt-get install -y --no-install-recommends python3 python3-venv python3-pip
    PY=python3
fi
"$PY" -m venv /autograder/venv
PIP="/autograder/venv/bin/python -m pip"
{install}
"""

INSTALL_FROM_INDEX = """$PIP install -c "$SOURCE/constraints.txt" --upgrade pip
# CPU-only PyTorch first: the course's plain `torch` requirement would pull a multi-GB CUDA build.
$PIP install -c "$SOURCE/constraints.txt" torch --index-url {torch_index}
$PIP install -c "$SOURCE/constraints.txt" "$SOURCE/wheels/{wheel}"
"""

INSTALL_OFFLINE = """# Everything from the wheelhouse inside this zip: no package index is consulted.
$PIP install --no-index --find-links "$SOURCE/wheels" -c "$SOURCE/constraints.txt" "$SOURCE/wheels/{wheel}"
"""

#: the distribution whose requirements the bundle pins (pyproject.toml's name)
DISTRIBUTION = "scaling-laws-course"

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, from /autograder. It always writes
# results/results.json (with the reason when grading fails) and exits 0.
AUTOGRADER_ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$AUTOGRADER_ROOT/venv/bin/python}}"
export SCALING_COURSE_ROOT="$AUTOGRADER_ROOT/source/{course_dir}"
mkdir -p "$AUTOGRADER_ROOT/results"
"$PYTHON" -m course_utils.grading.gradescope run \\
    --submission "$AUTOGRADER_ROOT/submission" \\
    --metadata "$AUTOGRADER_ROOT/submission_metadata.json" \\
    --results "$AUTOGRADER_ROOT/results/results.json" \\
{options}
exit 0
"""


def _executable(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _plain(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100644 & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _names_in_code(path: Path) -> set[str]:
    """The string constants of a test module's code (docstrings aside): the data files it opens."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def bundle_files(course_root: Path, notebooks: Sequence[str]) -> dict[str, Path]:
    """The course files the bundle carries: ``{path in zip: file}``.

    ``tests/conftest.py``, each notebook's public and hidden test module, and the files of
    ``tests/hidden/data/`` that those modules' code names (the held-out runs one exercise
    reads; never another assignment's data, nor the script that made it). Never ``solutions/``.

    Raises
    ------
    ValueError
        A notebook without a public test module.
    """
    tests = course_root / "tests"
    files = {f"{COURSE_DIR}/tests/conftest.py": tests / "conftest.py"}
    named: set[str] = set()
    for stem in notebooks:
        public = tests / "exercises" / f"test_{stem}.py"
        if not public.is_file():
            raise ValueError(f"notebook {stem}: no test module {public} (a rubric-only notebook is marked "
                             f"by hand, not on Gradescope)")
        files[f"{COURSE_DIR}/tests/exercises/test_{stem}.py"] = public
        named |= _names_in_code(public)
        hidden = tests / "hidden" / f"test_{stem}.py"
        if hidden.is_file():
            files[f"{COURSE_DIR}/tests/hidden/test_{stem}.py"] = hidden
            named |= _names_in_code(hidden)
    data = tests / "hidden" / "data"
    if data.is_dir():
        for path in sorted(data.rglob("*")):
            inside = path.relative_to(data).as_posix()
            if path.is_file() and (inside in named or f"data/{inside}" in named):
                files[f"{COURSE_DIR}/{path.relative_to(course_root).as_posix()}"] = path
    if (tests / "hidden" / "conftest.py").is_file():
        files[f"{COURSE_DIR}/tests/hidden/conftest.py"] = tests / "hidden" / "conftest.py"
    return files


def tested_versions(distribution: str = DISTRIBUTION) -> dict[str, str]:
    """``{package: version}`` installed here for ``distribution`` and everything it needs
    (its requirements, theirs, and so on; extras left out), with pip: the versions the course
    runs and was tested with on this machine. Local version labels (``+cpu``) are dropped:
    pip matches ``torch==2.13.0`` to PyTorch's ``2.13.0+cpu``. Empty when ``distribution`` is
    not installed."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    pending = [distribution, "pip"]
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        try:
            found[name] = metadata.version(name).split("+")[0]
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    found.pop(canonicalize_name(distribution), None)  # the course itself comes from the wheel in the zip
    return dict(sorted(found.items()))


def constraints_txt(versions: Mapping[str, str], python: str) -> str:
    """pip's constraints file for ``versions``, each pin applying on Python ``python`` only."""
    lines = [f"# the versions the course was tested with, on Python {python}; elsewhere pip chooses"]
    lines += [f'{name}=={version}; python_version == "{python}"' for name, version in versions.items()]
    return "\n".join(lines) + "\n"


def write_bundle(out_zip: str | os.PathLike, *, wheel: str | os.PathLike, notebooks: Sequence[str],
                 course_root: str | os.PathLike, email_to_folder: Mapping[str, str] | None = None,
                 wheelhouse: Iterable[str | os.PathLike] = (),
                 torch_index: str = "https://download.pytorch.org/whl/cpu",
                 visibility: str = "visible", hidden_visibility: str = "after_published") -> Path:
    """Write a Gradescope autograder zip for ``notebooks`` (usually one assignment's notebook).

    Parameters
    ----------
    wheel
        The course's wheel (``python -m build --wheel``); installed by ``setup.sh`` from the zip.
    course_root
        The course folder whose ``tests/`` to carry (public and hidden tests).
    email_to_folder
        Optional map from a student's Gradescope e-mail to their roster folder, so hidden-test
        inputs are seeded as in the instructor's own ``grade`` runs (only e-mail and folder
        travel, no other roster data). Without it a student's folder is ``gs-<Gradescope id>``.
    wheelhouse
        Wheels of every dependency: when given, ``setup.sh`` installs with ``--no-index``.

    Raises
    ------
    ValueError
        A missing wheel, an unknown notebook, a bad visibility.
    """
    wheel = Path(wheel)
    if not (wheel.is_file() and wheel.suffix == ".whl"):
        raise ValueError(f"wheel: {wheel} is not a .whl file (build one with `python -m build --wheel`)")
    if not notebooks:
        raise ValueError("name at least one notebook for the Gradescope assignment")
    for value in (visibility, hidden_visibility):
        if value not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, got {value!r}")
    files = bundle_files(Path(course_root), notebooks)
    house = [Path(path) for path in wheelhouse]
    install = (INSTALL_OFFLINE if house else INSTALL_FROM_INDEX).format(wheel=wheel.name, torch_index=torch_index)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    options = [f"    --notebook {stem} \\" for stem in notebooks]
    options += [f"    --visibility {visibility} --hidden-visibility {hidden_visibility} \\"]
    if email_to_folder:
        options.append('    --roster "$AUTOGRADER_ROOT/source/roster.csv" \\')
    options[-1] = options[-1].removesuffix(" \\")
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_zip.with_name(f".{out_zip.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr(_executable("setup.sh"), SETUP_SH.format(install=install, python=python))
        archive.writestr(_plain("constraints.txt"), constraints_txt(tested_versions(), python))
        archive.writestr(_executable("run_autograder"),
                         RUN_AUTOGRADER.format(course_dir=COURSE_DIR, options="\n".join(options)))
        archive.writestr(_plain(f"wheels/{wheel.name}"), wheel.read_bytes())
        for path in house:
            if path.suffix == ".whl" and path.name != wheel.name:
                archive.writestr(_plain(f"wheels/{path.name}"), path.read_bytes())
        for name, path in files.items():
            archive.writestr(_plain(name), path.read_bytes())
        archive.writestr(_plain(f"{COURSE_DIR}/pytest.ini"),
                         "# the course root for pytest (its rootdir), as pyproject.toml is in a checkout\n[pytest]\n")
        if email_to_folder:
            from .course.csvio import csv_text

            archive.writestr(_plain("roster.csv"), csv_text(("email", "folder"), sorted(email_to_folder.items())))
    os.replace(tmp, out_zip)
    return out_zip


# ------------------------------------------------------------------ run inside Gradescope


def student_folder(metadata: Mapping, email_to_folder: Mapping[str, str] | None = None) -> str:
    """The folder name a Gradescope submission is graded under (it seeds hidden-test inputs).

    The roster's folder for the first submitter's e-mail when known, else ``gs-<user id>``.
    """
    users = metadata.get("users") or [{}]
    user = users[0] if isinstance(users[0], Mapping) else {}
    email = str(user.get("email", "")).strip().lower()
    if email_to_folder and email in email_to_folder:
        return email_to_folder[email]
    user_id = re.sub(r"[^A-Za-z0-9_-]", "", str(user.get("id", ""))) or "student"
    return f"gs-{user_id}"


def _notebooks_in(submission: Path) -> list[Path]:
    """The notebooks of a submission (files, not links, outside Jupyter's checkpoints), sorted."""
    return sorted(path for path in submission.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in path.parts and path.is_file() and not path.is_symlink())


def find_submitted(submission: Path, stem: str) -> Path | None:
    """``<stem>.ipynb`` anywhere in the submission, else a renamed copy (``<stem>-1.ipynb``,
    ``<stem> (1).ipynb``, ``Copy of <stem>.ipynb``: :func:`.names.exercise_stem`) when there
    is exactly one."""
    from .notebook.names import exercise_stem

    notebooks = _notebooks_in(submission)
    found = [path for path in notebooks if path.name == f"{stem}.ipynb"]
    if found:
        return found[0]
    copies = [path for path in notebooks if exercise_stem(path.name, [stem]) == stem]
    return copies[0] if len(copies) == 1 else None


def missing_note(submission: Path, stem: str) -> str:
    """What a learner is told when no notebook of theirs is ``<stem>.ipynb``: the files that came in."""
    from .safetext import LABEL_CHARS, clean

    names = [clean(path.relative_to(submission).as_posix(), LABEL_CHARS) for path in _notebooks_in(submission)]
    came = f"it holds {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}" if names else "it holds no notebook"
    return f"no {stem}.ipynb in the submission ({came}): upload the notebook under the name {stem}.ipynb"


def roster_note(metadata: Mapping, email_to_folder: Mapping[str, str] | None) -> str | None:
    """A note when the bundle has a roster and the submitter's e-mail is not on it: they are
    graded under their Gradescope id, so their hidden tests draw other inputs than the
    instructor's own runs would."""
    if not email_to_folder:
        return None
    users = metadata.get("users") or [{}]
    user = users[0] if isinstance(users[0], Mapping) else {}
    email = str(user.get("email", "")).strip().lower()
    if email in email_to_folder:
        return None
    from .safetext import LABEL_CHARS, clean

    return (f"the submitter's e-mail ({clean(email, LABEL_CHARS) or 'none given'}) is not on the course roster: "
            f"graded as {student_folder(metadata)}, whose hidden-test inputs differ from the roster folder's; "
            f"the instructor can regrade it under the right name")


def run_submission(submission: Path, notebooks: Sequence[str], folder: str, *,
                   timeout_s: float = GRADE_TIMEOUT_S, visibility: str = "visible",
                   hidden_visibility: str = "after_published", notes: Sequence[str] = ()) -> dict[str, Any]:
    """Grade one Gradescope submission with ``python -m course_utils grade``; ``results.json``.

    The submission's notebooks are copied into a scratch class folder as ``<folder>/``,
    graded there, and only the rows of ``notebooks`` are reported; ``notes`` head the output.
    """
    from .safetext import LABEL_CHARS, clean

    notes = list(notes)
    with tempfile.TemporaryDirectory(prefix="gradescope-") as scratch:
        classroom, out = Path(scratch) / "class", Path(scratch) / "out"
        mine = classroom / folder
        mine.mkdir(parents=True)
        for stem in notebooks:
            path = find_submitted(submission, stem)
            if path is None:
                notes.append(missing_note(submission, stem))
                continue
            if path.name != f"{stem}.ipynb":
                notes.append(f"graded {clean(path.name, LABEL_CHARS)} as {stem}.ipynb (rename it to {stem}.ipynb)")
            shutil.copyfile(path, mine / f"{stem}.ipynb")
        command = [sys.executable, "-m", "course_utils", "grade", str(classroom), "--out", str(out), "--quiet",
                   *(part for stem in notebooks for part in ("--notebook", stem))]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return error_results(f"grading took longer than {timeout_s:g} s")
        results = out / "results.jsonl"
        if run.returncode != 0 or not results.is_file():
            reason = (run.stderr.strip().splitlines() or [f"exit code {run.returncode}"])[-1]
            return error_results(reason)
        rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [row for row in rows if row["notebook"] in notebooks]
    return gradescope_results(rows, visibility=visibility, hidden_visibility=hidden_visibility,
                              output="\n".join(notes))


def _write_json(path: Path, data: Mapping) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m course_utils.grading.gradescope run ...`` (what ``run_autograder`` calls)."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="grade /autograder/submission and write results.json")
    run.add_argument("--submission", type=Path, required=True)
    run.add_argument("--results", type=Path, required=True)
    run.add_argument("--metadata", type=Path, default=None)
    run.add_argument("--notebook", action="append", required=True, metavar="STEM")
    run.add_argument("--roster", type=Path, default=None, help="CSV of email,folder")
    run.add_argument("--visibility", choices=VISIBILITIES, default="visible")
    run.add_argument("--hidden-visibility", choices=VISIBILITIES, default="after_published")
    args = parser.parse_args(argv)
    try:
        metadata = {}
        if args.metadata is not None and args.metadata.is_file():
            metadata = json.loads(args.metadata.read_text(encoding="utf-8"))
        mapping = None
        if args.roster is not None:
            from .course.csvio import read_table

            mapping = {row["email"].lower(): row["folder"] for row in read_table(args.roster).rows
                       if row.get("email") and row.get("folder")}
        folder = student_folder(metadata, mapping)
        data = run_submission(args.submission, args.notebook, folder, visibility=args.visibility,
                              hidden_visibility=args.hidden_visibility,
                              notes=[note for note in [roster_note(metadata, mapping)] if note])
    except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results.json
        data = error_results(f"{type(exc).__name__}: {exc}")
    _write_json(args.results, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
