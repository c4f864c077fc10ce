"""Insight: what the loans the process records say about the branch's portfolio.

It only reads the loan domain (through selectors) and writes nothing but its own tables: the daily
portfolio snapshots. See docs/insight.md.
"""
