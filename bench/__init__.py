"""WallTrack benchmarks: `make bench` (python -m bench). Each figure next to a baseline."""
