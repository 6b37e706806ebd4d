"""Benchmarks: one script each, its docstring says what it measures, its target
and how to run it; ``harness.py`` is what they share. ``make bench`` runs them
all, ``make bench-smoke`` checks that each still works (CI)."""
