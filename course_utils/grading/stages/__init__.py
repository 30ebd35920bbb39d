"""Grading a class: the stages discover -> extract -> run -> score -> write (:mod:`.pipeline`),
the engine that runs a notebook's tests in the sandbox (:mod:`.runner`), an instructor's
additions to a run (:mod:`.instructions`) and the write stage's outputs (:mod:`.outputs`)."""
