"""The grading subcommands of ``python -m course_utils`` (:mod:`.cli`, a thin layer that parses
and prints) and the runs behind them: ``grade`` (:mod:`.grade`), ``merge-grades``
(:mod:`.shards`), ``release`` (:mod:`.release`) and ``start`` (:mod:`.workcopy`)."""
