"""The Gradescope autograder bundle: this grader run the way Gradescope runs an autograder.

`autograder export gradescope -o autograder.zip` (bundle.py) packs setup.sh, run_autograder,
the grader's source, its requirements, the assignment file, the reference and the classifier.
On Gradescope, run_autograder runs `python -m grader.gradescope.run` (run.py): it grades
/autograder/submission/{mlp,gd}.py with `grader.grade_submission` and writes
/autograder/results/results.json (results.py) as Gradescope's specification describes it
(https://gradescope-autograders.readthedocs.io/en/latest/specs/).

Part of the grader, not the service: it imports nothing of app/, and the bundle ships
grader/ alone.
"""
