"""Developer scripts of WallTrack: the local stack, the demo, the test runner's helpers."""
