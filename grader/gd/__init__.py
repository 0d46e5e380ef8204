"""Grading gd.py: gradient ascent on the input image of a small shipped classifier.

`grade_gd(source, config, seed, limits) -> FileGrade` scores four checks (gd.target_probability,
gd.shape_and_range, gd.model_unchanged, gd.finite) and attaches the resulting images as a PNG.
"""

from grader.gd.grade import grade_gd

__all__ = ["grade_gd"]
