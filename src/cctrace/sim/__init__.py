"""Synthetic scenarios and test material with known ground truth."""
