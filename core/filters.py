"""What every filter bar shares: Bootstrap classes on its widgets and a select fast enough for long lists."""

import django_filters
from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

YES_NO = [("1", "是"), ("0", "否")]


class QuickSelect(forms.Select):
    """A select that writes its options in Python, as Django's templates would: the templates
    include two more templates per option, which made a 90-organ select cost more than all the
    rows of the branch list."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _html_attrs(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>',
                    option["value"],
                    _html_attrs(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


def _html_attrs(attrs: dict) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them: `True` bare, `False` left out."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class StyledFilterSet(django_filters.FilterSet):
    """Bootstrap classes on the filter form's widgets, so the bar renders without a form library."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for declared in self.filters.values():
            # A form field built on the class's filters (the API schema generator builds them) would
            # be copied into every instance with the choices of that moment; build it afresh here.
            declared.__dict__.pop("_field", None)

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        return form
