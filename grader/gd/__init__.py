"""Grading gd.py: gradient ascent on the input image of a small shipped classifier.

`grade_gd(source, settings, seed, limits) -> FileGrade` scores four checks (gd.target_probability,
gd.shape_and_range, gd.model_unchanged, gd.finite) and attaches the resulting images as a PNG.

The package itself imports no torch: `grader.gd.config` is read by load_assignment, which
the API (an image without torch) calls for the course rules. `grade_gd` is loaded on first use.
"""

__all__ = ["grade_gd"]


def __getattr__(name: str):
    if name == "grade_gd":
        from grader.gd.grade import grade_gd

        return grade_gd
    raise AttributeError(f"module 'grader.gd' has no attribute {name!r}")
