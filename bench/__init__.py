"""WallTrack benchmarks: `make bench` (python -m bench). Each figure next to a baseline."""

import sys
from pathlib import Path

# The functions' own modules (walltrack), as deployed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py_functions"))
