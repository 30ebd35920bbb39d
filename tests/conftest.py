"""The grading plugin for the whole suite: exercise tests grade a notebook through ``student``.

Registered here, at the top of ``tests/``, so the ``--target`` option works from a bare
``pytest`` as well as from ``pytest tests/exercises``.

``pytest tests/exercises --target exercises`` grades the blank notebooks (all must fail),
``--target my_work`` a folder of your own, ``--target path/to/ex02_power_laws.ipynb`` one
notebook; the default is ``solutions``. The hooks and the fixture live in
:mod:`course_utils.grading.plugin`.
"""

from course_utils.grading.plugin import (pytest_addoption, pytest_configure, student,  # noqa: F401
                                         student_seed)
