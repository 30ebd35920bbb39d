"""An instructor's files and tables: rosters, LMS downloads and exports, late work, overrides,
rubrics and written answers, predictions, similarity, the gradebook's record (:mod:`.ledger`)
and the pages and tables built from it. Plain functions over files and rows: nothing here runs
learner code or imports the sandbox."""
