"""Hidden tests (never shipped to learners). A package, so that ``tests/hidden/test_<notebook>.py``
and ``tests/exercises/test_<notebook>.py`` can share a file name in one pytest run."""
