"""Form pieces every app uses: the date input and a field that takes several files at once."""

from django import forms

from .uploads import ACCEPT_ATTR

# A date picker that shows and reads ISO dates, whatever the browser's language.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the service, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return super().clean(None, initial) or []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def add_error_with_links(form: forms.BaseForm, message: str, links) -> None:
    """A form-wide error about some rows of the page: the error summary (`{% form_errors %}`) links to each.

    `links` are (label, element id) pairs, e.g. the members graded 优秀 over the quota and their rows.
    """
    form.add_error(None, message)
    form.error_links = {**getattr(form, "error_links", {}), message: [(str(label), anchor) for label, anchor in links]}
