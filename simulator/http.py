"""Requests and replies as the simulator's services see them, and how one is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulator.encoding import to_json


class BadRequest(ValueError):
    """The caller sent something the real service would refuse with 400."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True)
        lowered = {name.lower(): value for name, value in headers.items()}
        return cls(method, url.path, query, lowered, body)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        """The body as JSON, numbers with a fraction as Decimal."""
        try:
            return json.loads(self.body or b"null", parse_float=Decimal)
        except ValueError:
            raise BadRequest("body is not valid JSON") from None


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def write_json(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> bool:
    """Writes one JSON answer; False when the client hung up first (it may give up waiting)."""
    try:
        handler.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, to_json(body), headers or {})


def error_reply(status: int, message: str, **extra: Any) -> Reply:
    return json_reply({"error": message, **extra}, status)
