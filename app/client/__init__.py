"""The `autograder submit` client: HTTP calls, the result table, JUnit XML."""
