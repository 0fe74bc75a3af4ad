"""`manage.py seed_demo`: a reproducible demo organisation with one login per role."""

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from assessments import reports
from assessments.models import DutyFiling
from branches import figures, hours
from branches.choices import BranchKind, CommitteePost, Gender, MemberStatus
from branches.models import Branch, CommitteeMember, Member, Organ, OrganisationRules, TrainingHours, add_years
from core.validators import id_number_birth_date, id_number_error
from demo.organisation import DEMO_PASSWORD, plan_demo

SMALL = {"organs": 3, "branches": 8, "members_per_branch": 10, "seed": 7}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The demo accounts hash DEMO_PASSWORD; the production hasher would take most of the test time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


@pytest.fixture
def seeded(db) -> str:
    return seed()


def small_plan(seed_value: int = SMALL["seed"]):
    today = timezone.localdate()
    return plan_demo(**{**SMALL, "seed": seed_value}, today=today, rules=OrganisationRules.for_year(today.year))


def people(members) -> list[tuple]:
    return [(m.name, m.id_number, m.birth_date, m.phone, m.joined_on) for m in members]


def test_creates_the_requested_organisation(seeded):
    assert Organ.objects.count() == 3
    assert Branch.objects.active().count() == 8
    assert Member.objects.count() == 8 * 10
    assert not Member.objects.exclude(organ=F("branch__organ")).exists()
    dissolved = Branch.objects.filter(dissolved_on__isnull=False)
    assert dissolved.exists()
    assert not Member.objects.filter(branch__in=dissolved).exists()
    assert "党员 80 名" in seeded


def test_the_same_seed_gives_the_same_people(seeded):
    stored = people(Member.objects.order_by("pk"))

    assert stored == people(small_plan().members)
    assert people(small_plan().members) == people(small_plan().members)
    assert people(small_plan(seed_value=8).members) != stored


def test_id_numbers_are_valid_and_carry_birth_date_and_gender(seeded):
    for member in Member.objects.all():
        assert id_number_error(member.id_number) is None, member.id_number
        assert member.id_number.startswith("3203")
        assert id_number_birth_date(member.id_number) == member.birth_date
        assert (int(member.id_number[16]) % 2 == 1) == (member.gender == Gender.MALE)


def test_membership_dates_follow_the_rules(seeded):
    today = timezone.localdate()
    for member in Member.objects.all():
        assert add_years(member.birth_date, 18) <= member.joined_on <= today
        assert member.name_pinyin
        if member.status == MemberStatus.PROBATIONARY:
            assert member.confirmed_on is None
            assert member.joined_on > add_years(today, -1)
        else:
            assert member.confirmed_on == add_years(member.joined_on, 1) <= today


def test_branch_names_are_unique_within_an_organ(seeded):
    names = Counter(Branch.objects.active().values_list("organ_id", "name"))
    assert max(names.values()) == 1


def test_a_large_plan_keeps_organ_and_branch_names_unique():
    today = timezone.localdate()
    plan = plan_demo(organs=100, branches=400, members_per_branch=3, seed=1, today=today)

    assert len({organ.name for organ in plan.organs}) == 100
    active = Counter((b.organ.name, b.name) for b in plan.active_branches)
    assert len(active) == 400
    assert max(active.values()) == 1
    assert len({m.id_number for m in plan.members}) == len(plan.members) == 1200


def test_joint_branches_are_small_and_others_have_room_for_a_committee():
    today = timezone.localdate()
    plan = plan_demo(organs=12, branches=60, members_per_branch=25, seed=3, today=today)

    # Unsaved instances are unhashable: count by identity.
    sizes = Counter(id(m.branch) for m in plan.members)
    joint = [b for b in plan.active_branches if b.kind == BranchKind.JOINT]
    assert joint
    assert all(3 <= sizes[id(b)] <= 6 for b in joint)
    assert all(sizes[id(b)] >= 5 for b in plan.active_branches if b.kind != BranchKind.JOINT)
    assert sum(sizes.values()) == 1500


def test_only_the_intended_warnings_are_left(seeded):
    branches = Branch.objects.with_warnings().active()
    warned = branches.filter(has_warning=True)

    assert warned.exists()
    for flag in ("w_too_few", "w_committee_size", "w_too_many"):
        assert not branches.filter(**{flag: True}).exists(), flag
    shuji_branch = RoleAssignment.objects.get(user__username="shuji").branch
    assert not warned.filter(pk=shuji_branch.pk).exists()


def test_demo_accounts_have_their_roles(seeded):
    gongwei = RoleAssignment.objects.get(user__username="gongwei")
    jiguan = RoleAssignment.objects.get(user__username="jiguan")
    shuji = RoleAssignment.objects.get(user__username="shuji")

    assert gongwei.role == Role.GONGWEI
    assert (jiguan.role, jiguan.organ.name) == (Role.ORGAN, "市发展和改革委员会")
    assert shuji.role == Role.BRANCH
    assert shuji.branch.organ == jiguan.organ
    assert shuji.branch.kind == BranchKind.ORGAN and shuji.branch.is_active
    term = shuji.branch.current_term()
    secretary = CommitteeMember.objects.get(term=term, post=CommitteePost.SECRETARY).member
    assert secretary.user.username == "shuji"
    member = Member.objects.get(user__username="dangyuan")
    assert member.branch == shuji.branch
    assert not term.seats.filter(member=member).exists()
    assert not RoleAssignment.objects.filter(user__username="dangyuan").exists()
    assert get_user_model().objects.get(username="admin").is_superuser


@pytest.mark.parametrize("username", ["gongwei", "jiguan", "shuji", "dangyuan", "admin"])
def test_demo_accounts_log_in_with_the_demo_password(seeded, client, username):
    assert client.login(username=username, password=DEMO_PASSWORD)
    assert username in seeded


def test_if_empty_leaves_a_seeded_database_alone(seeded):
    output = seed(if_empty=True, seed=99)

    assert "已有机关数据" in output
    assert "gongwei" in output
    assert Organ.objects.count() == 3
    assert Member.objects.count() == 80
    assert get_user_model().objects.filter(username="gongwei").count() == 1


def test_refuses_a_database_that_has_data(seeded):
    with pytest.raises(CommandError, match="新建的空数据库"):
        seed()
    assert Member.objects.count() == 80


def test_refuses_impossible_sizes_and_writes_nothing(db):
    with pytest.raises(CommandError, match="不能少于机关数"):
        seed(organs=5, branches=4)
    assert not Organ.objects.exists()


def test_refuses_when_a_demo_username_is_taken(db):
    get_user_model().objects.create_user("admin", password="x-unused-9")

    with pytest.raises(CommandError, match="admin"):
        seed()
    assert not Organ.objects.exists()


def test_if_empty_seeds_an_empty_database(db):
    seed(if_empty=True)

    assert Organ.objects.count() == 3


def test_leaves_the_kept_figures_and_filings_complete(seeded):
    branches = Branch.objects.all()
    assert figures.kept(branches) == figures.fresh(branches)
    assert len(figures.kept(branches)) == branches.count()
    assert DutyFiling.objects.exists()
    assert reports.filing_differences() == []


def test_leaves_the_kept_hours_complete(seeded):
    # The demo writes its meetings and trainings in bulk; its rebuild leaves every member's 学时 kept.
    assert TrainingHours.objects.filter(meeting_hours__gt=0).exists()
    assert TrainingHours.objects.filter(course_hours__gt=0).exists()
    assert hours.differences() == []
