"""Synthetic threads as neutral records, the same for the same seed: for fixtures, tests
and benchmarks.

    text      word banks: who says what, and from which instance
    shape     when replies come, where they attach, how they are voted
    plan      a whole discussion, planned before any instance serves it
    generate  the plan as the records one instance would serve
"""
