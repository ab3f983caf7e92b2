"""Mint the local stack's API keys: HS256 JWTs signed with the PostgREST jwt-secret.

Usage: python scripts/mint_keys.py SECRET_FILE
Prints SUPABASE_ANON_KEY=... and SUPABASE_SERVICE_ROLE_KEY=... lines (env-file format).
`mint()` is importable for tests that need other roles or claims.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import jwt

TEN_YEARS = 10 * 365 * 24 * 3600


def mint(secret: str, role: str, **claims: Any) -> str:
    """Return a JWT like Supabase's demo keys: {"role", "iss": "supabase-demo", "iat", "exp"}."""
    now = int(time.time())
    payload = {"role": role, "iss": "supabase-demo", "iat": now, "exp": now + TEN_YEARS, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    secret = Path(argv[1]).read_text().strip()
    print(f"SUPABASE_ANON_KEY={mint(secret, 'anon')}")
    print(f"SUPABASE_SERVICE_ROLE_KEY={mint(secret, 'service_role')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
