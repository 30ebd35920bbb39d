"""Where the exercise tests are: the folder of ``test_<notebook>.py`` modules that ``check``,
``grade`` and the rubrics read."""

from __future__ import annotations

import os
from pathlib import Path

#: environment variable: another folder of test modules
ENV_TESTS = "COURSE_GRADING_TESTS"


def tests_folder() -> Path:
    """The folder of ``test_<notebook>.py`` modules ``check`` uses: ``$COURSE_GRADING_TESTS``,
    else the course root's ``tests/exercises`` (see :mod:`course_utils.course_root`)."""
    if os.environ.get(ENV_TESTS):
        return Path(os.environ[ENV_TESTS])
    from ..course_root import find_folder

    return find_folder("exercise_tests")
