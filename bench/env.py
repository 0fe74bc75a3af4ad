"""Connection settings and the environment every bench subprocess (manage.py, the measurer, gunicorn) runs in."""

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def server_url() -> str:
    """The PostgreSQL server, without a database: BENCH_POSTGRES, else DATABASE_URL's server, else the local one."""
    url = os.environ.get("BENCH_POSTGRES") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return DEFAULT_SERVER
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def database_url(database: str, *, options: str = "") -> str:
    """The database's URL; `options` (e.g. "-c jit=off") reaches PostgreSQL as connection options."""
    url = f"{server_url()}/{database}"
    return f"{url}?{urlencode({'options': options})}" if options else url


def django_env(database: str, *, cache_prefix: str, cache: bool = True) -> dict[str, str]:
    """Production-like settings (DEBUG off, no HTTPS redirect) on the bench database.

    The cache is Redis when REDIS_URL is set, with its own key prefix so other runs' entries never answer.
    With `cache=False` the settings module is `bench.settings_nocache`: the same settings with Django's
    DummyCache, as the portal's settings have no environment variable that switches caching off.
    """
    env = dict(os.environ)
    env.update(
        # BENCH_PG_OPTIONS tries a server setting without touching the portal's settings, e.g. "-c jit=off".
        DATABASE_URL=database_url(database, options=env.get("BENCH_PG_OPTIONS", "")),
        DEBUG="0",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SECURE_HSTS_SECONDS="0",
        # No collectstatic for a benchmark: pages link plain static names.
        STATIC_MANIFEST="False",
        CACHE_KEY_PREFIX=cache_prefix,
        DJANGO_SETTINGS_MODULE="partybuild.settings" if cache else "bench.settings_nocache",
        # WhiteNoise warns, for every test client, that there is no collectstatic output: none is needed.
        PYTHONWARNINGS=env.get("PYTHONWARNINGS") or "ignore:No directory at:UserWarning",
        PYTHONPATH=str(ROOT),
    )
    return env


def drop_cache(prefix: str) -> None:
    """Delete the run's cache entries from Redis (each run has its own key prefix; nothing else is touched)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def connect(database: str = "postgres"):
    """A psycopg2 connection in autocommit mode (CREATE/DROP DATABASE cannot run in a transaction)."""
    import psycopg2

    conn = psycopg2.connect(database_url(database))
    conn.autocommit = True
    return conn
