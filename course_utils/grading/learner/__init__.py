"""A learner's instant feedback: ``check()`` and ``check_all()`` in a notebook and
``scaling-course check`` (:mod:`.feedback`), the report they return (:mod:`.checkreport`), and
demo cells that wait for an unwritten exercise (:mod:`.demo`)."""
