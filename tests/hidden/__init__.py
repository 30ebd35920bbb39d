"""Hidden exercise tests: never shipped to learners (see ``test_<notebook>.py`` here).

A package, so that ``tests/hidden/test_<notebook>.py`` and ``tests/exercises/test_<notebook>.py``
can be collected in one pytest run without their module names colliding.
"""
