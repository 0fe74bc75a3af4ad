"""Capped ranks (a branch's 5★, a project's 优秀): who must leave the rank when more hold it than its quota.

One rule for every capped rank: the quota is a maximum, and which of two equal totals keeps the rank must not
depend on the order the records were made in. So at the cut everyone tied with the first one left out goes
too; a tie at the cut leaves places unused rather than favour one of equals.
"""

from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def beyond_quota(totals: Mapping[K, Decimal], limit: int) -> set[K]:
    """The keys of `totals` (those holding the rank) that must leave it so that at most `limit` keep it."""
    best_first = sorted(totals.values(), reverse=True)
    if len(best_first) <= limit:
        return set()
    cut = best_first[limit]
    return {key for key, total in totals.items() if total <= cut}
