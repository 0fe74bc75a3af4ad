"""Logging filters the settings' LOGGING names."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A refused or missing page (4xx) is the portal answering as designed, not a defect: one line, no traceback.

    Django logs a refusal (PermissionDenied) with the exception attached, which prints its traceback as if
    something had broken; a server error (5xx) keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
