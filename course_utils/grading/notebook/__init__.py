"""Reading an exercise notebook without running it: the cells the grader may run
(:mod:`.extract`), the names their code defines and uses (:mod:`.calls`), and which exercise a
misnamed file is (:mod:`.names`). Imports only the grader's shared modules."""
