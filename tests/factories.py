"""factory_boy factories for the organisation; dates are consistent with the rules."""

import datetime

import factory
from django.contrib.auth import get_user_model

from accounts.models import Role, RoleAssignment
from branches import figures
from branches.choices import BranchKind, CommitteePost, Gender, MemberStatus
from branches.models import Branch, CommitteeMember, CommitteeTerm, Member, Organ, PartyGroup

PASSWORD = "pw-for-tests-only-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class OrganFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organ

    name = factory.Sequence(lambda n: f"市第{n}局")
    short_name = factory.Sequence(lambda n: f"第{n}局")
    sort_order = factory.Sequence(int)


def keep_figures(branch_ids, *, roster: bool = True) -> None:
    """What the services do after a write: the factories write past them, so they refresh the kept figures too."""
    figures.refresh(branch_ids, roster=roster)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        skip_postgeneration_save = True

    organ = factory.SubFactory(OrganFactory)
    name = factory.Sequence(lambda n: f"第{n}党支部")
    kind = BranchKind.ORGAN
    founded_on = datetime.date(2015, 7, 1)

    @factory.post_generation
    def kept(obj, create, extracted, **kwargs):
        if create:
            keep_figures([obj.pk])


class PartyGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyGroup

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"第{n}党小组")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"党员{n}")
    gender = Gender.MALE
    birth_date = datetime.date(1985, 3, 12)
    branch = factory.SubFactory(BranchFactory)
    organ = factory.SelfAttribute("branch.organ")
    joined_on = datetime.date(2008, 6, 1)
    confirmed_on = datetime.date(2009, 6, 1)
    status = MemberStatus.FULL

    @factory.post_generation
    def kept(obj, create, extracted, **kwargs):
        if create:
            keep_figures([obj.branch_id])


class CommitteeTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeTerm
        skip_postgeneration_save = True

    branch = factory.SubFactory(BranchFactory)
    elected_on = datetime.date(2025, 6, 15)
    term_years = 3

    @factory.post_generation
    def kept(obj, create, extracted, **kwargs):
        if create:
            keep_figures([obj.branch_id], roster=False)


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember
        skip_postgeneration_save = True

    term = factory.SubFactory(CommitteeTermFactory)
    member = factory.SubFactory(MemberFactory, branch=factory.SelfAttribute("..term.branch"))
    post = CommitteePost.MEMBER

    @factory.post_generation
    def kept(obj, create, extracted, **kwargs):
        if create:
            keep_figures([obj.term.branch_id], roster=False)


def grant(user, role: str, *, organ=None, branch=None) -> RoleAssignment:
    return RoleAssignment.objects.create(user=user, role=role, organ=organ, branch=branch)


__all__ = [
    "PASSWORD",
    "BranchFactory",
    "CommitteeMemberFactory",
    "CommitteeTermFactory",
    "MemberFactory",
    "OrganFactory",
    "PartyGroupFactory",
    "Role",
    "UserFactory",
    "grant",
    "keep_figures",
]
