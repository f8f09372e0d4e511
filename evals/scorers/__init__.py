"""Scorers: each turns one capability's output into metrics against a dataset's ground truth."""
