"""WallTrack: Python code that talks to the outside world (webhooks, market data, RPC)."""
