"""A permission rule and its Chinese refusal are written once (`core.permissions.Rule`), and stay so."""

import ast
import importlib
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from branches.orglife import OrgLifeError
from branches.permissions import GRANT_EXEMPTION
from core.errors import DomainError
from core.permissions import Rule

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "notifications", "maintenance", "branches", "projects", "assessments", "portal", "demo"]
RULE_MODULES = ["accounts.permissions", "branches.permissions", "projects.permissions", "assessments.permissions"]
REFUSAL_WORDS = ("只有", "无权")


class Person:
    def __init__(self, *, gongwei=False):
        self.gongwei = gongwei


def is_gongwei(user) -> bool:
    return user.gongwei


def owns(user, thing) -> bool:
    return thing == "own"


GONGWEI_ONLY = Rule(is_gongwei, "只有工委工作人员可以测试。")


class NotAllowed(DomainError):
    pass


def test_allows_answers_the_predicate_with_the_objects_passed_on():
    rule = Rule(owns, "只能改自己的。")

    assert rule.allows(Person(), "own") is True
    assert rule.allows(Person(), "theirs") is False


def test_require_is_silent_when_allowed_and_raises_permission_denied_with_the_message_when_not():
    GONGWEI_ONLY.require(Person(gongwei=True))

    with pytest.raises(PermissionDenied, match="只有工委工作人员可以测试。"):
        GONGWEI_ONLY.require(Person())


def test_a_rule_may_raise_its_own_error_and_a_call_site_may_raise_another():
    rule = Rule(is_gongwei, "只有工委工作人员可以测试。", error=NotAllowed)

    with pytest.raises(NotAllowed, match="只有工委工作人员可以测试。"):
        rule.require(Person())
    with pytest.raises(OrgLifeError, match="只有工委工作人员可以测试。"):
        GONGWEI_ONLY.require(Person(), error=OrgLifeError)


def test_refusal_is_the_exception_require_would_raise():
    refusal = GONGWEI_ONLY.refusal()

    assert type(refusal) is PermissionDenied
    assert str(refusal) == "只有工委工作人员可以测试。"
    assert type(GONGWEI_ONLY.refusal(error=NotAllowed)) is NotAllowed


def test_a_predicate_named_by_dotted_path_is_looked_up_when_asked():
    rule = Rule("tests.test_permission_rules.is_gongwei", "只有工委工作人员可以测试。")

    assert rule.predicate is is_gongwei
    assert rule.allows(Person(gongwei=True))
    with pytest.raises(PermissionDenied):
        rule.require(Person())


def test_a_rule_is_a_constant():
    with pytest.raises(AttributeError):
        GONGWEI_ONLY.message = "别的说法"


def app_rules() -> list[tuple[str, Rule]]:
    found = []
    for module_name in RULE_MODULES:
        module = importlib.import_module(module_name)
        found += [(f"{module_name}.{name}", value) for name, value in vars(module).items() if isinstance(value, Rule)]
    return found


@pytest.mark.parametrize(("name", "rule"), app_rules(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_app_rule_names_a_predicate_that_exists(name, rule):
    assert callable(rule.predicate), name


@pytest.mark.django_db
def test_a_service_keeps_its_form_error_where_the_page_refuses_with_403(secretary_of_branch_a, branch_a):
    with pytest.raises(PermissionDenied):
        GRANT_EXEMPTION.require(secretary_of_branch_a, branch_a)
    with pytest.raises(OrgLifeError) as refused:
        GRANT_EXEMPTION.require(secretary_of_branch_a, branch_a, error=OrgLifeError)
    assert not isinstance(refused.value, PermissionDenied)


def refusal_strings() -> Counter:
    """Every plain string literal of the apps that refuses someone (只有…可以, 无权…), docstrings left out.

    f-strings are left out too: a refusal of who asks names who may, while a message that shows the record's
    state (“当前状态：…”) refuses the record's state (an `IllegalTransition`), not the person."""
    counts = Counter()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            in_fstrings = {
                id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings | in_fstrings
                    and any(word in node.value for word in REFUSAL_WORDS)
                ):
                    counts[node.value] += 1
    return counts


def test_each_refusal_message_is_written_once():
    """Two sites with the same refusal are the same rule: name it once in the app's permissions.py and let
    the page, the API and the service call `RULE.require(user, obj)`."""
    counts = refusal_strings()

    assert counts, "the scan found no refusal messages at all"
    assert {message: n for message, n in counts.items() if n > 1} == {}
