"""What several test modules share and none of which is a test: HTTP fakes of the outside
services, the functions served in-process, JSON checks. Kept out of tests/py/ so that no test
module imports another, and pytest collects only tests there."""
