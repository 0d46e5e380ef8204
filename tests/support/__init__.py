"""What the test suites share, in one place: where the checkout and its command are, the small
sandbox limits, running a probe job, finding host processes, waiting on a deadline, scratch
databases. The benches use it too (bench/ drives the same real service); it imports only the
standard library, app/ and grader/, never a test module, so either may import it."""
