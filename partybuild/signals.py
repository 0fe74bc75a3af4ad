"""Signals of the portal's own.

`bulk_written` is sent, with the model as sender, after writes that skip `post_save`/`post_delete`
(`bulk_create`, `bulk_update`, `QuerySet.update`) on rows other parts of the portal cache figures
from; the receivers treat it like a save of that model. Send it inside the writing transaction.
"""

from django.dispatch import Signal

bulk_written = Signal()  # sender: the model class; using: the database alias; rows: optional
