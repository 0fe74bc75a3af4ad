"""`/healthz`: is the portal able to serve and run its jobs? Database, cache and job broker.

For load balancers and monitoring: 200 when every part answers, 503 naming the part that does not.
Anonymous (a monitor has no account) and without details an outsider could use: each part is only
"ok" or "error".
"""

import logging

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value just written")


def _broker() -> None:
    # The project's app, set current when partybuild/celery.py is imported (by partybuild/__init__.py).
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
@require_GET
def healthz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    healthy = all(v == "ok" for v in results.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)
