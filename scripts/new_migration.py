"""Start a migration: supabase/migrations/<UTC YYYYMMDDHHMMSS>_<NAME>.sql, with a reminder.

make migration NAME=some_change      (or: python -m scripts.new_migration some_change)
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"[a-z0-9_]+")

HEADER = """\
-- {name}
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make migration NAME=some_change")
    parser.add_argument("name", nargs="?", default="")
    parser.add_argument("--dir", type=Path, default=ROOT / "supabase" / "migrations")
    args = parser.parse_args(argv)
    if not NAME.fullmatch(args.name):
        given = f"got {args.name!r}" if args.name else "it is missing"
        print(
            f"make migration: NAME must be lower-case letters, digits and _ only ({given}), "
            "e.g. make migration NAME=add_wallet_label",
            file=sys.stderr,
        )
        return 2
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    path = args.dir / f"{stamp}_{args.name}.sql"
    # Supabase applies migrations in name order: a new one must come after every existing one.
    latest = max((p.name for p in args.dir.glob("*.sql")), default="")
    if path.name <= latest:
        print(f"make migration: {path.name} would not sort after {latest}", file=sys.stderr)
        return 2
    with path.open("x") as file:
        file.write(HEADER.format(name=args.name))
    print(f"created {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
