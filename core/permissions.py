"""A permission rule written once: who may take a step, and the Chinese message of the refusal.

The page, the API endpoint and the service of a step all check the same rule, so each app names its rules
once (`<app>/permissions.py`) and every call site asks that rule; the wording of a refusal can then no
longer drift apart between the page, the API and the service.

A rule's test is a function, or the dotted path of one: most tests live in the service module that owns the
step (`assessments.secretary.can_write`), and that module imports its rules, so the rule looks the function
up when it is first asked rather than when it is defined.

A rule raises Django's `PermissionDenied` unless told otherwise, which the pages and the API both answer
with 403 (`core.api.exception_handler`). A service that reports the refusal in its own `DomainError`
subclass (shown in the form, 400 in the API) passes `error=` at its call site, so the page and the API keep
their 403 while the service keeps its form error.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Rule:
    """`test(user, *objects)` says whether the user may; `message` tells them why not."""

    test: Callable[..., bool] | str
    message: str
    error: type[Exception] = PermissionDenied

    @property
    def predicate(self) -> Callable[..., bool]:
        return import_string(self.test) if isinstance(self.test, str) else self.test

    def allows(self, user, *objects) -> bool:
        return bool(self.predicate(user, *objects))

    def refusal(self, *, error: type[Exception] | None = None) -> Exception:
        """The exception `require` raises, for a caller that already knows the answer from data it
        fetched anyway (asking the rule again would cost a query)."""
        return (error or self.error)(self.message)

    def require(self, user, *objects, error: type[Exception] | None = None) -> None:
        """Raise the refusal unless the user may."""
        if not self.allows(user, *objects):
            raise self.refusal(error=error)
