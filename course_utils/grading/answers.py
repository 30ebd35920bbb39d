"""``course_utils.grading.answers``, the name the capstone notebook imports: the very module
:mod:`course_utils.grading.course.answers` under its old name, so that a learner's copy of the
notebook made before the grader was laid out in sub-packages keeps working."""

import sys

from .course import answers

sys.modules[__name__] = answers
