"""Grading of mlp.py: hidden cases, sandbox run, float64 comparison, diagnosis, scores.

Entry point: `grader.mlp.grade.grade_mlp(source, settings, seed, limits) -> FileGrade`.
"""
