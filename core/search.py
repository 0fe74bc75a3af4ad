"""A choice among thousands: a select that becomes a search box once its choices are too many to list.

`SearchChoiceField` is a ModelChoiceField with one rule about size: a queryset of at most `LIST_LIMIT`
rows renders as the usual <select> of them all; a bigger one renders as a search box above a <select>
that holds only the current choice. Typing in the box asks the owning app's search endpoint (htmx GET,
`data-hx-*` attributes) for at most `RESULT_LIMIT` matching <option>s, which replace the select's
options. The select is what the form submits: picking is the browser's own control, usable with the
keyboard and without any script but htmx (core/search_select.js only opens the results as a list).

Validation is ModelChoiceField's: a submitted pk outside the field's queryset is refused, whatever the
browser was offered. The endpoint is a way to find a pk, never the check.

The search box belongs to an empty `<form method="dialog">` in base.html (`SEARCH_FORM_ID`): it is not
submitted with the real form (so a GET filter bar keeps its own `q`), and Enter in it submits nothing.
"""

from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# At most this many choices are listed in a plain select; past it, the field searches instead.
LIST_LIMIT = 200
# A search answers with at most this many options.
RESULT_LIMIT = 20
SEARCH_FORM_ID = "pb-search-box"
# Typing pauses a quarter second before asking; the `search` event (Enter, or clearing the box) asks at once.
TRIGGER = "input changed delay:250ms, search"
# What the select says before anything is found (its value is "": nothing chosen).
PROMPT = "在上方输入后，在此选择"

_BOOTSTRAP = {"form-control", "form-control-sm", "form-select", "form-select-sm", "is-invalid"}


class SearchSelect(forms.Widget):
    """The widget of `SearchChoiceField`; it asks its field whether to list or to search."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices: Iterable = ()
        self.url_name = ""
        self.params: dict[str, str] = {}
        self.placeholder = "输入名称搜索"
        self.prompt = PROMPT
        self.narrow_by = ""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        field = self.choices.field
        attrs = self.build_attrs(self.attrs, attrs)
        value = "" if value is None else str(value)
        rows = field.listed()
        if rows is not None:
            options = [("", field.empty_label)] if field.empty_label is not None else []
            options += [(str(field.prepare_value(row)), field.label_from_instance(row)) for row in rows]
            return _select(name, value, attrs, options)
        return self._search(name, value, attrs, field)

    def _search(self, name: str, value: str, attrs: dict, field: "SearchChoiceField") -> SafeString:
        small, invalid, extra = _classes(attrs)
        box = {
            "type": "search",
            "id": attrs.get("id"),
            "class": " ".join(["form-control", *(["form-control-sm"] if small else []), *invalid]),
            "placeholder": self.placeholder,
            "autocomplete": "off",
            "name": "q",
            "form": SEARCH_FORM_ID,
            "aria-describedby": attrs.get("aria-describedby"),
            "aria-invalid": attrs.get("aria-invalid"),
            "disabled": attrs.get("disabled", False),
            "data-hx-get": reverse(self.url_name) + (f"?{urlencode(self.params)}" if self.params else ""),
            "data-hx-trigger": TRIGGER,
            "data-hx-target": "next select",
            "data-hx-swap": "innerHTML",
            "data-hx-sync": "this:replace",
        }
        if self.narrow_by:
            # The search lists what fits the choice made in the other field, and lists it again when it changes.
            narrow = f"select[name={self.narrow_by}]"
            box["data-hx-include"] = narrow
            box["data-hx-trigger"] = f"{TRIGGER}, change from:({narrow})"
        current = field.current(value)
        options = [("", self.prompt)]
        if current is not None:
            options.append((value, field.label_from_instance(current)))
        choice = {
            **{k: v for k, v in attrs.items() if k.startswith("aria-")},
            "id": f"{attrs['id']}_choice" if attrs.get("id") else None,
            "class": " ".join(["form-select", *(["form-select-sm"] if small else []), *invalid, *extra]),
            "required": attrs.get("required", False),
            "disabled": attrs.get("disabled", False),
            "aria-label": f"{field.label or ''}（搜索结果）",
        }
        return format_html(
            '<div class="pb-search{}"><input{}>{}</div>',
            " is-invalid" if invalid else "",  # Bootstrap shows the error under `.is-invalid ~ .invalid-feedback`
            flatatt(box),
            _select(name, value if current is not None else "", choice, options),
        )


class SearchChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that lists up to `list_limit` choices and searches past that.

    `search_url` names the endpoint (GET `q`, plus `params`) that answers with `search_results`; it
    must search the same queryset the field validates against. `narrow_by` names another select of the
    form whose value the search sends along (e.g. the branch, to find that branch's members). `prompt` is
    what the select says while nothing is chosen (an optional field may say what nothing means).
    """

    widget = SearchSelect
    list_limit = LIST_LIMIT

    def __init__(
        self,
        queryset,
        *,
        search_url: str,
        params: dict,
        placeholder: str,
        narrow_by: str = "",
        prompt: str = PROMPT,
        **kwargs,
    ) -> None:
        super().__init__(queryset, **kwargs)
        self.widget.url_name = search_url
        self.widget.params = params
        self.widget.placeholder = placeholder
        self.widget.narrow_by = narrow_by
        self.widget.prompt = prompt

    def listed(self) -> list | None:
        """The choices, when few enough to list in a select; None when the field should search instead.

        The size is asked unordered, so that the database stops at the row past the limit instead of
        sorting a city's members first; only a list that will be shown is read in order. The answer is
        kept until the queryset is replaced (a template may ask `searches` before the widget renders).
        """
        if getattr(self, "_listed_for", None) is not self.queryset:
            probe = self.queryset.order_by().values_list("pk", flat=True)[: self.list_limit + 1]
            self._listed = None if len(probe) > self.list_limit else list(self.queryset)
            self._listed_for = self.queryset
        return self._listed

    def search_only(self) -> None:
        """Search without counting the choices first: for a field narrowed by another field that searches
        (the members of any of a city's branches), where even the count costs a scan of them all."""
        self._listed, self._listed_for = None, self.queryset

    @property
    def searches(self) -> bool:
        """Whether the field renders as a search (a layout may give it more room)."""
        return self.listed() is None

    def current(self, value: str):
        """The chosen object, if the value names one inside the queryset (to show it when editing)."""
        if value in self.empty_values:
            return None
        try:
            return self.queryset.filter(**{self.to_field_name or "pk": value}).first()
        except (ValueError, TypeError, ValidationError):
            return None


def search_results(rows: list, *, label: Callable[[object], str], noun: str, unit: str = "个") -> HttpResponse:
    """The <option>s a search endpoint answers with: a heading option (value "") and up to RESULT_LIMIT rows.

    `rows` may hold one row past the limit, which says there are more than are listed.
    """
    more = len(rows) > RESULT_LIMIT
    rows = rows[:RESULT_LIMIT]
    if not rows:
        heading = f"没有找到匹配的{noun}"
    elif more:
        heading = f"只列出前 {RESULT_LIMIT} {unit}{noun}，请输入更多字词"
    else:
        heading = f"找到 {len(rows)} {unit}{noun}，请选择"
    options = format_html('<option value="">{}</option>', heading) + format_html_join(
        "", '<option value="{}">{}</option>', ((row.pk, label(row)) for row in rows)
    )
    return HttpResponse(options)


def _select(name: str, value: str, attrs: dict, options: list[tuple[str, str]]) -> SafeString:
    attrs = {**attrs, "name": name}
    if not attrs.get("class") or "form-select" not in attrs["class"].split():
        small, invalid, extra = _classes(attrs)
        attrs["class"] = " ".join(["form-select", *(["form-select-sm"] if small else []), *invalid, *extra])
    body = "".join(
        format_html('<option value="{}"{}>{}</option>', key, mark_safe(" selected") if key == value else "", text)
        for key, text in options
    )
    return format_html("<select{}>{}</select>", flatatt(attrs), mark_safe(body))


def _classes(attrs: dict) -> tuple[bool, list[str], list[str]]:
    """What the form library asked for (crispy adds form-control, filter bars the -sm sizes): size, error, others."""
    given = (attrs.get("class") or "").split()
    small = any(c in {"form-control-sm", "form-select-sm"} for c in given)
    invalid = ["is-invalid"] if "is-invalid" in given else []
    return small, invalid, [c for c in given if c not in _BOOTSTRAP]
