"""The process boundary: everything that runs a learner's code, and nothing else.

The isolation of a learner's process (:mod:`.isolation`), the clean process every sandbox is
forked from (:mod:`.template`), the child that runs the learner's cells (:mod:`.child`), the
``student`` proxy that tests call through (:mod:`.proxy`), the messages between them
(:mod:`.protocol`) and their wire format (:mod:`.plaindata`), and the reference code made
unusable in the child (:mod:`.blocking`). It never imports the course operations or the stages:
what crosses it is checked here, once. See ARCHITECTURE.md for the trust boundary.
"""
