"""The write stage: a run merged into the gradebook's record (:mod:`.ledger`) with the
instructor's additions, and every output rebuilt from it (:func:`.outputs.write_outputs`), after
every learner process is gone. Last of the stages of :mod:`course_utils.grading.stages`.
"""

from __future__ import annotations

from typing import Any

from .score import Gradebook


def write(book: Gradebook, instructions: Any = None) -> Any:
    """Merge this run into the gradebook folder's record and rebuild every output.

    The run's scope (its students, or everyone; its notebooks) replaces what the record
    held for it; everything else is kept (:meth:`.ledger.Ledger.merged`). A run that sets its
    notebooks (``plan.assigning``) records them in the settings (assignment mode). ``instructions``
    (:class:`.instructions.Instructions`) adds marks, overrides, due dates, the late rule
    and exports. The files are written by :func:`.outputs.write_outputs`, once every
    learner process is gone. Returns its :class:`.outputs.Written`.
    """
    from ..course.ledger import ASSIGNED, FORGOTTEN, read_ledger
    from .outputs import write_outputs

    plan = book.plan
    previous = read_ledger(plan.out)
    ledger = previous.merged(book.ledger(), students=set(book.files) if plan.replace_only else None,
                             notebooks=plan.notebooks)
    if plan.assigning:  # assignment mode: record what is set (a notebook set again is no longer forgotten)
        before = previous.assigned if previous.assigned is not None else previous.graded_notebooks
        forgotten = {stem: when for stem, when in previous.forgotten.items() if stem not in plan.notebooks}
        ledger.settings.update({ASSIGNED: sorted({*before, *plan.notebooks} - set(forgotten)),
                                FORGOTTEN: forgotten or None})
    exports = ()
    if instructions is not None:
        ledger = instructions.apply(ledger)
        exports = instructions.exports
    return write_outputs(plan.out, ledger, rubrics=plan.rubrics, order=ledger.run.get("order"), exports=exports,
                         cells=book.cells)
