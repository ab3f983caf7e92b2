"""WallTrack's cloud functions: the functions-framework entry points, and nothing else."""

from __future__ import annotations

import logging

import functions_framework

from walltrack import backfill, discovery, live_orders, reconciliation, sync, webhook
from walltrack.http import json_endpoint
from walltrack.notify import handle_notify
from walltrack.price_refresh import handle_refresh
from walltrack.token_lookup import handle_lookup

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
# httpx logs every request URL at INFO, and Helius takes its API key in the query string.
logging.getLogger("httpx").setLevel(logging.WARNING)

helius_webhook = functions_framework.http(json_endpoint(webhook.handle_delivery))
helius_sync = functions_framework.http(json_endpoint(sync.handle_sync))
helius_backfill = functions_framework.http(json_endpoint(backfill.handle_backfill))
token_lookup = functions_framework.http(json_endpoint(handle_lookup))
price_refresh = functions_framework.http(json_endpoint(handle_refresh))
execute_orders = functions_framework.http(json_endpoint(live_orders.handle_execute))
confirm_orders = functions_framework.http(json_endpoint(live_orders.handle_confirm))
reconcile_wallet = functions_framework.http(json_endpoint(reconciliation.handle_reconcile))
wallet_discovery = functions_framework.http(json_endpoint(discovery.handle_discovery))
notify = functions_framework.http(json_endpoint(handle_notify))
