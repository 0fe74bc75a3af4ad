"""The error summary every form page opens with (`{% form_errors %}`): each error once, linked to its field,
its formset row, or the rows of the page it is about."""

from django import forms
from django.template import Context, Template

from core.forms import add_error_with_links
from core.templatetags.form_errors import collect


class PlanForm(forms.Form):
    title = forms.CharField(label="项目名称")
    token = forms.CharField(widget=forms.HiddenInput)
    error_anchor = "plan"


class StepForm(forms.Form):
    name = forms.CharField(label="节点")
    weight = forms.IntegerField(label="权重", min_value=1)


StepFormSet = forms.formset_factory(StepForm, extra=0, min_num=1, validate_min=True)


def steps(*rows) -> forms.BaseFormSet:
    data = {"s-TOTAL_FORMS": str(len(rows)), "s-INITIAL_FORMS": "0"}
    for i, (name, weight) in enumerate(rows):
        data[f"s-{i}-name"], data[f"s-{i}-weight"] = name, weight
    formset = StepFormSet(data, prefix="s")
    formset.is_valid()
    return formset


def render(*found, **kwargs) -> str:
    return Template("{% load form_errors %}{% form_errors found.0 found.1 note=note %}").render(
        Context({"found": [*found, None], "note": kwargs.get("note", "")})
    )


def test_each_field_error_links_to_its_field_and_form_wide_errors_to_the_forms_anchor():
    form = PlanForm({"title": "", "token": ""})
    form.is_valid()
    form.add_error(None, "项目已提交，不能再修改。")
    items = [(i.label, i.message, i.anchor) for i in collect(form)]
    assert items == [
        ("", "项目已提交，不能再修改。", "plan"),
        ("项目名称", "该字段是必填项。", "id_title"),
        ("Token", "该字段是必填项。", "plan"),  # a hidden field has nowhere to go but the form
    ]


def test_formset_rows_are_numbered_and_its_own_errors_come_first():
    formset = steps(("调研", "2"), ("", "0"))
    items = [(i.label, i.message, i.anchor) for i in collect(formset)]
    assert items == [
        ("第2行 · 节点", "该字段是必填项。", "id_s-1-name"),
        ("第2行 · 权重", "确保该值大于或等于1。", "id_s-1-weight"),
    ]
    empty = steps()
    assert [i.message for i in collect(empty)] == ["请至少提交 1 个表单。"]


def test_an_error_about_rows_of_the_page_links_to_each_row():
    form = PlanForm({"title": "方案", "token": "x"})
    form.is_valid()
    add_error_with_links(form, "优秀超过名额。", [("张三", "entry-1"), ("李四", "entry-2")])
    page = render(form)
    assert page.count('id="form-errors"') == 1
    assert '<a class="alert-link fw-normal" href="#plan">优秀超过名额。</a>' in page
    link = '<a class="alert-link fw-normal" href="#{}">{}</a>'
    assert link.format("entry-1", "张三") + "、" + link.format("entry-2", "李四") in page


def test_valid_and_unbound_forms_show_nothing_and_a_note_alone_still_shows():
    assert render(PlanForm(), None).strip() == ""
    valid = PlanForm({"title": "方案", "token": "x"})
    valid.is_valid()
    assert render(valid).strip() == ""
    assert "本次未保存任何内容" in render(valid, note="本次未保存任何内容。")
