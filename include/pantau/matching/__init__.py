"""Reconciliation: person matching, agency resolution, categories, review queue, evaluation."""
