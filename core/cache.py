"""A Redis cache that the portal can live without.

The cache only holds things that can be recomputed (dashboard figures, log-in failure counters), so
when Redis is down the pages must still work. Django's RedisCache raises on a connection error; this
subclass logs it and answers as if the key were missing (reads) or the write had been dropped
(writes). After a failure it stops asking Redis for a few seconds, so a page that touches the cache
many times does not wait for a connection timeout on each call.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 5.0


class TolerantRedisCache(RedisCache):
    """RedisCache whose connection errors are logged and treated as misses or no-ops."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, name: str, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback()
        try:
            return getattr(super(), name)(*args, **kwargs)
        except UNAVAILABLE as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("Cache unavailable (%s %s): %s; carrying on without it", name, type(exc).__name__, exc)
            return fallback()

    # Reads: a miss.
    def get(self, key, default=None, version=None):
        return self._call("get", lambda: default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", dict, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", lambda: False, key, version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable)")

        return self._call("incr", missing, key, delta, version)

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)

    # Writes: dropped. add() reports that nothing was stored, as for a key another writer holds.
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", lambda: False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", lambda: None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", lambda: list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", lambda: False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", lambda: False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", lambda: None, keys, version)

    def clear(self):
        return self._call("clear", lambda: False)
