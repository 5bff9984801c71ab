"""Benchmarks: scripts with a report, never timed tests. ``make bench`` runs them all; each writes
``bench/results/<name>.md`` with the figures, how they were measured and on what machine.

A benchmark is a module here with ``run(args) -> str`` (the markdown report body), listed in
``bench.__main__.BENCHMARKS``."""
