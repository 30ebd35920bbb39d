"""Hidden exercise tests, for instructors: never in a workshop copy or the wheel.

``test_<notebook>.py`` here checks the same behaviours as ``tests/exercises/test_<notebook>.py``
on inputs drawn per student (``student_rng(student_seed, label)``, with ``student_seed``
from SHA-256 of the student's folder name), so a table of the public answers earns nothing.
Held-out data, if a test ever needs some, goes in ``data/`` here. Each test is marked
``@exercise(..., hidden=True)``; the public module states their total as ``HIDDEN_POINTS``.

A plain ``pytest`` collects them like the public tests, against ``solutions/`` (the seed is
then that of the folder name ``solutions``); ``--target exercises`` grades the blank
notebooks, where every one of them fails. ``tests/test_grading_honesty.py`` proves the
solutions pass them for 50 students' seeds.

This folder is a package so that a module here and its namesake in ``tests/exercises/``
can be collected in one pytest run.
"""
