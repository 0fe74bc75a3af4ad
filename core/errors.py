"""The portal's one family of errors, translated the same way by the pages and the API.

Services raise them with a Chinese message meant for the user; nothing else is needed to show them:

- `DomainError`: the step is refused for a reason the user can act on (what to change). Pages show the
  message and keep the input; the API answers 400.
- `IllegalTransition`: the record is not in a state that allows the step (someone else moved it on, or
  the page is stale). Pages answer 409 with the message; the API answers 409.
- `Refused`: the user may not take this step at all. It is Django's `PermissionDenied`, so pages and the
  API both answer 403.

Each app's own error (`ProjectError`, `LedgerError` …) subclasses `DomainError`, so a caller may catch the
app's error or the whole family.
"""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A step refused for a reason the user can act on; the message says what to change."""


class IllegalTransition(DomainError):
    """The record's state does not allow this step; the message says which state it is in."""


class Refused(DomainError, PermissionDenied):
    """The user may not take this step."""


def status_for(error: DomainError) -> int:
    """The HTTP status a page answers with when it shows `error` again in its form."""
    if isinstance(error, IllegalTransition):
        return 409
    if isinstance(error, PermissionDenied):
        return 403
    return 200
