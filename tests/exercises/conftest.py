"""Exercise tests grade a notebook through the ``student`` fixture.

``pytest tests/exercises --target exercises`` grades the blank notebooks (all must fail),
``--target my_work`` a folder of your own, ``--target path/to/ex02_power_laws.ipynb`` one
notebook; the default is ``solutions``. The hooks and the fixture live in
:mod:`course_utils.grading.plugin`.
"""

from course_utils.grading.plugin import pytest_addoption, pytest_configure, student  # noqa: F401
