"""Rating results as the pages, the API and the portal show them: distributions, breakdowns, a branch's stars.

A fixed number of queries, however many results or years there are.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from accounts.scope import scope_of
from branches.models import Branch

from . import ratings
from .choices import Tier
from .models import RatingResult

# The indicators a result page or the home page names as where most points were lost.
LOSSES_SHOWN = 5


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    percent: Decimal


def _percent(count: int, total: int) -> Decimal:
    if not total:
        return Decimal("0.0")
    return (Decimal(count) * 100 / total).quantize(Decimal("0.1"))


def distributions(results) -> dict:
    """Star and tier counts of the results, in one aggregate query."""
    counts = results.aggregate(
        total=Count("pk"),
        four_plus=Count("pk", filter=Q(stars__gte=4)),
        bottom=Count("pk", filter=Q(is_bottom=True)),
        **{f"stars_{n}": Count("pk", filter=Q(stars=n)) for n in range(6)},
        **{f"tier_{tier.value}": Count("pk", filter=Q(tier=tier.value)) for tier in Tier},
    )
    total = counts["total"]
    return {
        "total": total,
        "stars": [
            Share("★" * n + "☆" * (5 - n) if n else "无星", counts[f"stars_{n}"], _percent(counts[f"stars_{n}"], total))
            for n in range(5, -1, -1)
        ],
        "tiers": [
            Share(tier.label, counts[f"tier_{tier.value}"], _percent(counts[f"tier_{tier.value}"], total))
            for tier in Tier
        ],
        "four_plus": Share("四星及以上", counts["four_plus"], _percent(counts["four_plus"], total)),
        "bottom": counts["bottom"],
    }


@dataclass(frozen=True)
class Line:
    """One indicator of a frozen breakdown, with the points it lost (None when N/A)."""

    name: str
    source: str
    max: Decimal
    score: Decimal | None
    input: str

    @property
    def lost(self) -> Decimal | None:
        return None if self.score is None else self.max - self.score

    @property
    def not_applicable(self) -> bool:
        return self.score is None


@dataclass
class DimensionBlock:
    name: str
    points: str
    lines: list[Line]

    @property
    def max(self) -> Decimal:
        return sum((line.max for line in self.lines if not line.not_applicable), Decimal("0"))

    @property
    def score(self) -> Decimal:
        return sum((line.score for line in self.lines if not line.not_applicable), Decimal("0"))

    @property
    def lost(self) -> Decimal:
        return self.max - self.score


def _line(row: dict) -> Line:
    return Line(
        name=row.get("name", ""),
        source=SOURCE_LABELS.get(row.get("source", ""), row.get("source", "")),
        max=Decimal(row.get("max") or "0"),
        score=None if row.get("score") is None else Decimal(row["score"]),
        input=row.get("input") or "",
    )


def _indicator_rows(result: RatingResult) -> list[dict]:
    return [row for row in result.breakdown if row.get("source") != ADJUSTMENT_SOURCE]


def adjustment_notes(result: RatingResult) -> str:
    """What the 加减分 were for, as the run wrote them ("市级表彰 +2；…")."""
    return "；".join(row.get("input") or "" for row in result.breakdown if row.get("source") == ADJUSTMENT_SOURCE)


def breakdown_blocks(result: RatingResult) -> list[DimensionBlock]:
    """The breakdown grouped by dimension, in the order the run stored it (the scheme's order)."""
    blocks: dict[str, DimensionBlock] = {}
    for row in _indicator_rows(result):
        dimension = row.get("dimension", "")
        block = blocks.get(dimension)
        if block is None:
            block = blocks[dimension] = DimensionBlock(dimension, result.dimensions.get(dimension, ""), [])
        block.lines.append(_line(row))
    return list(blocks.values())


def largest_losses(result: RatingResult | None, limit: int = LOSSES_SHOWN) -> list[Line]:
    """Where the branch lost the most points; N/A indicators lost nothing (they were rescaled away)."""
    if result is None:
        return []
    lines = (_line(row) for row in _indicator_rows(result))
    lost = [line for line in lines if line.lost is not None and line.lost > 0]
    # Ties keep the scheme's order (sort is stable), so the card reads the same on every visit.
    lost.sort(key=lambda line: line.lost, reverse=True)
    return lost[:limit]


def branch_stars_context(branch: Branch, user) -> dict:
    """Context for `assessments/_branch_stars.html`: published results over the years and the
    latest one's largest losses. A fixed number of queries, however many years there are."""
    history = ratings.branch_history(branch)
    latest = history[-1] if history else None
    scope = scope_of(user)
    return {
        "stars_history": history,
        "latest_result": latest,
        "stars_losses": largest_losses(latest),
        # The result page is scoped like RatingResult.visible_to: staff of the organ and the branch committee.
        "stars_linkable": scope.is_gongwei or branch.organ_id in scope.organ_ids or branch.pk in scope.branch_ids,
    }


SOURCE_LABELS = {"computed": "系统计算", "manual": "人工评分", "business": "业务工作"}


ADJUSTMENT_SOURCE = "adjustment"  # the run's line summing the 加减分, outside any dimension
