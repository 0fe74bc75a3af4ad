"""What every filter bar shares: Bootstrap classes on its widgets and a select fast enough for long lists."""

import django_filters
from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

YES_NO = [("1", "是"), ("0", "否")]


class QuickSelect(forms.Select):
    """A select that writes its options in Python, exactly as Django's templates would: the templates
    include two more templates per option, and `optgroups` builds a dict per option, which made a
    province's 900-organ filter a third of the completion page."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        values = self.format_value(value)
        has_selected = False

        def option(key, label) -> str:
            nonlocal has_selected
            key = "" if key is None else str(key)
            selected = not has_selected and key in values
            has_selected |= selected
            return format_html(OPTION, key, SELECTED if selected else "", label)

        parts = [format_html('<select name="{}"{}>', name, _html_attrs(self.build_attrs(self.attrs, attrs)))]
        for key, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(format_html('\n  <optgroup label="{}">', key))
                parts.extend(option(k, v) for k, v in label)
                parts.append("\n  </optgroup>")
            else:
                parts.append(option(key, label))
        parts.append("\n</select>")
        return mark_safe("".join(parts))


OPTION = '\n  <option value="{}"{}>{}</option>'
SELECTED = mark_safe(" selected")


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
        style_bar_fields(form.fields)
        return form


def style_bar_fields(fields) -> None:
    """Small Bootstrap widgets for a filter bar, and every plain select written by `QuickSelect`:
    a bar's organ select lists a province's 900 organs on every page of the list."""
    for field in fields.values():
        if type(field.widget) is forms.Select:
            field.widget = QuickSelect(attrs=field.widget.attrs)
            field.widget.choices = field.choices
        css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)
