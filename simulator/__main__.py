"""python -m simulator --scenario PATH [--port N] [--realtime [--speed X]]

Prints one line `simulator ready at http://127.0.0.1:PORT` once it serves, and exits cleanly
(status 0) on SIGTERM or Ctrl-C. A scenario that does not validate exits with status 2 and
the list of problems.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from decimal import Decimal

from simulator.http import BadRequest
from simulator.scenario import ScenarioError, load_scenario
from simulator.server import Simulator, run_simulator

REALTIME_TICK_SECONDS = 0.1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--scenario", required=True, help="the scenario JSON file")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="move the clock with the wall clock instead of waiting for /control/advance",
    )
    parser.add_argument("--speed", type=Decimal, default=Decimal(1), help="scenario s per real s")
    parser.add_argument("--verbose", action="store_true", help="log every delivery and request")
    return parser.parse_args(argv)


def follow_wall_clock(simulator: Simulator, speed: Decimal, stop: threading.Event) -> None:
    """Advances the scenario clock to the elapsed wall time (times `speed`), tick by tick."""
    started, start_at = time.monotonic(), simulator.world.now()
    while not stop.wait(REALTIME_TICK_SECONDS):
        elapsed = Decimal(int((time.monotonic() - started) * 1000)).scaleb(-3)  # whole ms
        target = start_at + elapsed * speed
        if target > simulator.world.now():
            try:
                simulator.advance(target)
            except BadRequest:
                return  # stopping


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return 2
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    with run_simulator(scenario, port=args.port, host=args.host) as simulator:
        print(f"simulator ready at {simulator.base_url} (scenario {scenario.name})", flush=True)
        if args.realtime:
            clock = threading.Thread(
                target=follow_wall_clock, args=(simulator, args.speed, stop), daemon=True
            )
            clock.start()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
