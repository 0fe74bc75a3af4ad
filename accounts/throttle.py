"""Log-in throttling: after repeated failures an account name, or an address, is refused for a while.

Counted in the cache (Redis in production, shared by every worker), per account name and per client
address, so that guessing one account's password and trying one password on many accounts are both
slowed down. The page and the API token endpoint use the same counters.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Lockout:
    minutes: int

    @property
    def message(self) -> str:
        return f"登录失败次数过多，请 {self.minutes} 分钟后再试。"


def _keys(username: str, address: str | None) -> list[str]:
    keys = [f"login-failures:user:{username.strip().lower()}"]
    if address:
        keys.append(f"login-failures:addr:{address}")
    return keys


def client_address(request) -> str | None:
    # REMOTE_ADDR is set by gunicorn from the proxy connection; the proxy in front passes the client's
    # address as REMOTE_ADDR too (see docker/ and the README), never trusted from a request header.
    return request.META.get("REMOTE_ADDR") if request is not None else None


def locked_out(username: str, address: str | None) -> Lockout | None:
    limit = settings.LOGIN_FAILURE_LIMIT
    counts = cache.get_many(_keys(username, address))
    if any(count >= limit for count in counts.values()):
        return Lockout(settings.LOGIN_LOCKOUT_MINUTES)
    return None


def record_failure(username: str, address: str | None) -> None:
    timeout = settings.LOGIN_LOCKOUT_MINUTES * 60
    for key in _keys(username, address):
        # add() starts the window on the first failure; incr() keeps it (the window is not extended).
        if not cache.add(key, 1, timeout):
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 1, timeout)


def record_success(username: str, address: str | None) -> None:
    cache.delete(_keys(username, None)[0])
