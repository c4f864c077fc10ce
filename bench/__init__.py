"""LoanFlow's benchmarks: ``python -m bench`` (or ``make bench``) runs them and prints ratios.

Machines here are shared and noisy, so every figure that matters is a ratio of two measurements
taken in the same run (engine ÷ raw SQL, 100,000 rows ÷ 1,000 rows, ...), never an absolute time
compared with another run. Each suite is a module of this package with a ``run(scale)`` function;
``docs/performance.md`` records the figures and the command that produced them.
"""
