"""The grading engine: `grade(files, assignment, seed) -> Report`.

Imports nothing of the service (FastAPI, Celery, SQLAlchemy); the student's code never runs
in this process, only in the sandbox.
"""

from grader.engine import Grading, grade, grade_submission
from grader.report import Report

__all__ = ["Grading", "Report", "grade", "grade_submission"]
