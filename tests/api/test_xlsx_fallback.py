"""`?format=xlsx` is a list's Excel export; on anything else (a detail, an action, an error) the
answer is JSON, never a failure in the Excel renderer. Every viewset that offers it must say so;
the answers themselves are tested with the problem ledger in test_assessments_api.py."""

import inspect

from core.api import XlsxFallbackMixin, XlsxRenderer, router
from partybuild import urls_api  # noqa: F401  (registers every app's viewsets on the router)


def offers_xlsx(viewset) -> bool:
    if XlsxRenderer in getattr(viewset, "renderer_classes", []):
        return True
    # A viewset may offer it on one action only (its own get_renderers, or an @action's renderers).
    source = inspect.getsource(viewset)
    return "XlsxRenderer" in source or "XLSX_RENDERERS" in source


def test_every_viewset_offering_xlsx_falls_back_to_json():
    offering = [viewset for _, viewset, _ in router.registry if offers_xlsx(viewset)]
    assert len(offering) >= 4  # members, projects, problems, duty reports
    assert [v.__name__ for v in offering if not issubclass(v, XlsxFallbackMixin)] == []
