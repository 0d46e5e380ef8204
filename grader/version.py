"""The grader's version, stamped into every report so a grade can be traced to its code."""

GRADER_VERSION = "0.3.0"
