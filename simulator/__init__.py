"""The offline market simulator: the outside world WallTrack talks to (Helius, RugCheck,
DexScreener, Jupiter, a Solana RPC node), driven by one scenario file and a clock that moves
only when told. See simulator/README.md."""

from simulator.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from simulator.server import Simulator, env_for, run_simulator

__all__ = [
    "Scenario",
    "ScenarioError",
    "Simulator",
    "env_for",
    "load_scenario",
    "parse_scenario",
    "run_simulator",
]
