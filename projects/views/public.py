"""The public 公开验收 results page: no log-in, no personal data, the same for every visitor.

The page is rendered without the request's context processors, so it reads no session and sets
no cookie: the response is identical for everyone and a proxy or browser may cache it.
"""

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from django.views.decorators.http import require_safe

from branches.models import Organ

from ..choices import Direction, Grade
from ..models import Project

PAGE_SIZE = 50
MAX_AGE = 300
# Only these columns ever leave the database for this page: nothing names a person.
PUBLIC_FIELDS = (
    "pk", "title", "direction", "score", "grade", "is_top_ten",
    "branch__name", "branch__organ__name", "branch__organ__short_name",
)  # fmt: skip
RANKING = ("-score", "accepted_at", "pk")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _rows(values) -> list[dict]:
    directions, grades = dict(Direction.choices), dict(Grade.choices)
    rows = []
    for row in values:
        row["organ"] = row["branch__organ__short_name"] or row["branch__organ__name"]
        row["direction_label"] = directions.get(row["direction"], "")
        row["grade_label"] = grades.get(row["grade"], "")
        rows.append(row)
    return rows


def _context(request: HttpRequest) -> dict:
    published = Project.objects.published()
    years = list(published.order_by("-year").values_list("year", flat=True).distinct())
    year = _int(request.GET.get("year"))
    if year not in years:
        year = years[0] if years else timezone.localdate().year
    of_year = published.filter(year=year)
    organ_id, grade = _int(request.GET.get("organ")), request.GET.get("grade", "")
    listed = of_year
    if organ_id:
        listed = listed.filter(branch__organ_id=organ_id)
    if grade in Grade.values:
        listed = listed.filter(grade=grade)
    else:
        grade = ""
    counts = of_year.aggregate(total=Count("pk"), **{g: Count("pk", filter=Q(grade=g)) for g in Grade.values})
    page = Paginator(listed.order_by(*RANKING).values(*PUBLIC_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("year", year), ("organ", organ_id or ""), ("grade", grade)) if v})
    return {
        "year": year,
        "years": years,
        "organ_id": organ_id,
        "grade": grade,
        "organs": Organ.objects.filter(branches__projects__in=of_year).distinct().order_by("sort_order", "name"),
        "grades": Grade.choices,
        "counts": [(label, counts[value]) for value, label in Grade.choices],
        "total": counts["total"],
        "top_ten": _rows(of_year.filter(is_top_ten=True).order_by(*RANKING).values(*PUBLIC_FIELDS)),
        "page": page,
        "rows": _rows(page.object_list),
        "rank_offset": page.start_index() - 1 if page.paginator.count else 0,
        "query": query,
        "work_committee_name": settings.WORK_COMMITTEE_NAME,
    }


@require_safe
def results(request: HttpRequest) -> HttpResponse:
    html = render_to_string("public/results.html", _context(request))
    etag = quote_etag(hashlib.sha256(html.encode()).hexdigest()[:32])
    response = get_conditional_response(request, etag=etag) or HttpResponse(html)
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
