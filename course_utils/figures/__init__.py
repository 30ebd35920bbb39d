"""The lessons' figures, one module per lesson, each figure built by one function.

Every builder takes what the lesson computed in front of the learner (data, fits, intervals),
draws it in the course style (:mod:`course_utils.plotting`) and returns a
:class:`matplotlib.figure.Figure`; the lesson cell then shows it with its text alternative
(:func:`course_utils.plotting.show`). Tests call the same builders
(``tests/test_figure_baselines.py``), so a figure cannot change unnoticed.

* :mod:`.history` (lesson 01), :mod:`.power_laws` (02), :mod:`.chinchilla` (04),
  :mod:`.data_limits` (05), :mod:`.since_chinchilla` (06), :mod:`.capstone` (07);
* the scaling lab's figures (lessons 03 and 04) are in :mod:`course_utils.lab.figures`.
"""
