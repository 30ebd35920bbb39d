"""Grading a class: five stages, one module each, that a submission goes down through once.

:mod:`.discover` (the folders and options)
    gives a :class:`~.discover.Plan`: the roster, the notebooks chosen (``--notebook``), test
    modules (public and hidden), the syllabus, rubrics, the tests' hash.
:mod:`.extract` (the plan)
    gives a :class:`~.extract.Submission` per student: each notebook copied into a private
    staging folder, or the reason it was refused (a link, its size) or is missing.
:mod:`.run` (plan and submissions)
    gives an :class:`~.run.Outcome` per student: every test's row and the notes, with the
    learner's code in the sandbox (through :mod:`.runner`).
:mod:`.score` (plan, submissions, outcomes)
    gives a :class:`~.score.Gradebook`: rows completed from the syllabus and gated
    (``scoring.apply_gates``); written answers, fingerprints and submission times read from
    the staged notebooks.
:mod:`.write` (the gradebook)
    merges it into the gradebook's record (:mod:`.ledger`) with the instructor's additions
    (:mod:`.instructions`) and rebuilds every output from it (:mod:`.outputs`), after every
    learner process is gone.

Each stage imports only the stages before it, for the types it takes; ``grade``
(:mod:`course_utils.grading.commands.grade`) calls them once each, in order. :mod:`.runner` runs
a notebook's tests in the sandbox, for the run stage and for a learner's ``check``.
"""
