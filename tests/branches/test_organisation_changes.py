"""Founding, editing, dissolving branches; members; committee terms; history of each change."""

import datetime

import pytest
from django.urls import reverse

from branches.models import Branch, CommitteeMember, CommitteeTerm, Member
from tests.factories import BranchFactory, CommitteeTermFactory, MemberFactory

pytestmark = pytest.mark.django_db


def member_data(branch, **overrides):
    data = {
        "name": "张伟", "gender": "M", "ethnicity": "汉族", "birth_date": "1988-05-20", "id_number": "",
        "education": "bachelor", "organ": branch.organ_id, "post": "科员", "phone": "13812345678",
        "branch": branch.pk, "party_group": "", "status": "full", "joined_on": "2012-07-01",
        "confirmed_on": "2013-07-01",
    }  # fmt: skip
    data.update(overrides)
    return data


class TestFoundAndDissolve:
    def test_organ_staff_founds_a_branch_and_history_records_who(self, client_for, organ_staff_a, organ_a):
        c = client_for(organ_staff_a)
        response = c.post(
            reverse("branches:branch_create"),
            {"organ": organ_a.pk, "name": "新成立党支部", "kind": "project", "founded_on": "2026-03-01", "note": ""},
        )
        branch = Branch.objects.get(name="新成立党支部")
        assert response.status_code == 302
        record = branch.history.get()
        assert record.history_user == organ_staff_a
        assert record.history_change_reason == "成立支部"

    def test_organ_staff_cannot_found_in_another_organ(self, client_for, organ_staff_a, organ_b):
        c = client_for(organ_staff_a)
        response = c.post(
            reverse("branches:branch_create"),
            {"organ": organ_b.pk, "name": "越权支部", "kind": "organ", "founded_on": "2026-03-01"},
        )
        assert response.status_code == 200
        assert "选择一个有效的选项" in response.content.decode() or "有效" in response.content.decode()
        assert not Branch.objects.filter(name="越权支部").exists()

    def test_duplicate_active_name_is_refused(self, client_for, organ_staff_a, branch_a):
        response = client_for(organ_staff_a).post(
            reverse("branches:branch_create"),
            {"organ": branch_a.organ_id, "name": branch_a.name, "kind": "organ", "founded_on": "2026-03-01"},
        )
        assert "该机关已有同名的现有支部" in response.content.decode()
        assert Branch.objects.filter(name=branch_a.name).count() == 1

    def test_branch_with_members_cannot_be_dissolved(self, client_for, organ_staff_a, branch_a):
        MemberFactory(branch=branch_a)
        response = client_for(organ_staff_a).post(
            reverse("branches:branch_dissolve", args=[branch_a.pk]),
            {"dissolved_on": "2026-10-01", "reason": "机构改革", "confirm": "on"},
        )
        assert "仍有 1 名党员" in response.content.decode()
        branch_a.refresh_from_db()
        assert branch_a.dissolved_on is None

    def test_dissolve_needs_confirmation(self, client_for, organ_staff_a, branch_a):
        client_for(organ_staff_a).post(
            reverse("branches:branch_dissolve", args=[branch_a.pk]), {"dissolved_on": "2026-10-01", "reason": "合并"}
        )
        branch_a.refresh_from_db()
        assert branch_a.dissolved_on is None

    def test_empty_branch_is_dissolved_and_kept_with_history(self, client_for, organ_staff_a, branch_a):
        CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2020, 1, 1))
        response = client_for(organ_staff_a).post(
            reverse("branches:branch_dissolve", args=[branch_a.pk]),
            {"dissolved_on": "2026-10-01", "reason": "机构改革合并", "confirm": "on"},
        )
        assert response.status_code == 302
        branch_a.refresh_from_db()
        assert branch_a.dissolved_on == datetime.date(2026, 10, 1)
        assert branch_a.history.first().history_change_reason == "撤销支部：机构改革合并"
        # Dissolved branches leave the default list but stay findable.
        c = client_for(organ_staff_a)
        c.get(reverse("branches:branch_detail", args=[branch_a.pk]))  # shows the success message
        assert branch_a.name not in c.get(reverse("branches:branch_list")).content.decode()
        assert branch_a.name in c.get(reverse("branches:branch_list"), {"state": "dissolved"}).content.decode()
        # Its records stay: it cannot be deleted.
        c.post(reverse("branches:branch_delete", args=[branch_a.pk]))
        assert Branch.objects.filter(pk=branch_a.pk).exists()

    def test_a_branch_entered_by_mistake_can_be_deleted(self, client_for, organ_staff_a, organ_a):
        branch = BranchFactory(organ=organ_a, name="误建支部")
        response = client_for(organ_staff_a).post(reverse("branches:branch_delete", args=[branch.pk]))
        assert response.status_code == 302
        assert not Branch.objects.filter(pk=branch.pk).exists()

    def test_secretary_cannot_delete_or_move_their_branch(self, client_for, secretary_of_branch_a, branch_a, organ_b):
        c = client_for(secretary_of_branch_a)
        assert c.post(reverse("branches:branch_delete", args=[branch_a.pk])).status_code == 403
        response = c.post(
            reverse("branches:branch_edit", args=[branch_a.pk]),
            {
                "organ": organ_b.pk,
                "name": "综合处党支部（更名）",
                "kind": "joint",
                "founded_on": "2001-01-01",
                "note": "",
            },
        )
        assert response.status_code == 302, response.content.decode()
        branch_a.refresh_from_db()
        assert branch_a.name == "综合处党支部（更名）"
        assert branch_a.organ_id != organ_b.pk
        assert branch_a.kind == "organ"


class TestMembers:
    def test_secretary_registers_a_member(self, client_for, secretary_of_branch_a, branch_a):
        response = client_for(secretary_of_branch_a).post(reverse("branches:member_create"), member_data(branch_a))
        assert response.status_code == 302
        member = Member.objects.get(name="张伟")
        assert member.name_pinyin == "zhang wei"
        assert member.history.get().history_user == secretary_of_branch_a

    def test_secretary_cannot_register_into_another_branch(self, client_for, secretary_of_branch_a, branch_b):
        response = client_for(secretary_of_branch_a).post(reverse("branches:member_create"), member_data(branch_b))
        assert response.status_code == 200
        assert not Member.objects.filter(name="张伟").exists()

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"id_number": "320302198805200011"}, "身份证号校验位不正确"),
            ({"id_number": "32030219880520001"}, "身份证号应为18位"),
            ({"id_number": "110105194912310021"}, "校验位"),
            ({"id_number": "11010519491231002X"}, "出生日期不一致"),
            ({"phone": "12345"}, "手机号"),
            ({"joined_on": "2003-01-01", "confirmed_on": "2004-01-01"}, "年满十八周岁"),
            ({"status": "probationary"}, "预备党员没有转正日期"),
            ({"confirmed_on": "2011-07-01"}, "转正日期不能早于入党日期"),
            ({"joined_on": "2026-06-01", "confirmed_on": ""}, "入党不满一年的应为预备党员"),
            ({"birth_date": "2030-01-01"}, "出生日期不能晚于今天"),
        ],
    )
    def test_bad_input_gets_a_chinese_message_and_changes_nothing(
        self, client_for, secretary_of_branch_a, branch_a, overrides, message
    ):
        response = client_for(secretary_of_branch_a).post(
            reverse("branches:member_create"), member_data(branch_a, **overrides)
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Member.objects.filter(name="张伟").exists()

    def test_valid_id_number_is_accepted(self, client_for, gongwei_staff, branch_a):
        response = client_for(gongwei_staff).post(
            reverse("branches:member_create"),
            member_data(branch_a, id_number="11010519491231002x", birth_date="1949-12-31",
                        joined_on="1970-01-01", confirmed_on="1971-01-01"),
        )  # fmt: skip
        assert response.status_code == 302
        assert Member.objects.get(name="张伟").id_number == "11010519491231002X"

    def test_edit_is_in_the_history_with_old_and_new_values(self, client_for, secretary_of_branch_a, branch_a):
        member = MemberFactory(branch=branch_a, name="张伟", post="科员")
        c = client_for(secretary_of_branch_a)
        c.post(reverse("branches:member_edit", args=[member.pk]), member_data(branch_a, post="副科长"))
        page = c.get(reverse("branches:member_detail", args=[member.pk])).content.decode()
        assert "科员" in page and "副科长" in page
        assert member.history.first().history_user == secretary_of_branch_a

    def test_names_sort_by_pinyin(self, client_for, gongwei_staff, branch_a):
        for name in ["赵六", "曾强", "艾华", "张三"]:
            MemberFactory(branch=branch_a, name=name)
        assert list(Member.objects.filter(branch=branch_a).values_list("name", flat=True)) == [
            "艾华", "曾强", "张三", "赵六",
        ]  # fmt: skip


class TestCommitteeTerms:
    def seats_data(self, seats, total=None):
        data = {"seats-TOTAL_FORMS": str(total or len(seats)), "seats-INITIAL_FORMS": "0"}
        for i, (member, post) in enumerate(seats):
            data[f"seats-{i}-member"] = member.pk if member else ""
            data[f"seats-{i}-post"] = post
        return data

    def test_record_an_election_with_posts(self, client_for, secretary_of_branch_a, branch_a):
        a, b, c3 = MemberFactory.create_batch(3, branch=branch_a)
        data = {"elected_on": "2025-06-15", "term_years": "3", "note": ""}
        data.update(self.seats_data([(a, "secretary"), (b, "organisation"), (c3, "discipline"), (None, "")]))
        response = client_for(secretary_of_branch_a).post(reverse("branches:term_create", args=[branch_a.pk]), data)
        assert response.status_code == 302
        term = CommitteeTerm.objects.get(branch=branch_a)
        assert term.ends_on == datetime.date(2028, 6, 15)
        assert set(term.seats.values_list("post", flat=True)) == {"secretary", "organisation", "discipline"}

    def test_a_term_needs_exactly_one_secretary(self, client_for, secretary_of_branch_a, branch_a):
        a, b = MemberFactory.create_batch(2, branch=branch_a)
        data = {"elected_on": "2025-06-15", "term_years": "3"}
        data.update(self.seats_data([(a, "secretary"), (b, "secretary")]))
        c = client_for(secretary_of_branch_a)
        response = c.post(reverse("branches:term_create", args=[branch_a.pk]), data)
        assert "每届只能有一名书记" in response.content.decode()
        data.update(self.seats_data([(a, "organisation"), (b, "publicity")]))
        response = c.post(reverse("branches:term_create", args=[branch_a.pk]), data)
        assert "每届须有一名书记" in response.content.decode()
        assert not CommitteeTerm.objects.exists()

    def test_members_of_another_branch_cannot_be_seated(self, client_for, gongwei_staff, branch_a, branch_b):
        outsider = MemberFactory(branch=branch_b)
        data = {"elected_on": "2025-06-15", "term_years": "3"}
        data.update(self.seats_data([(outsider, "secretary")]))
        client_for(gongwei_staff).post(reverse("branches:term_create", args=[branch_a.pk]), data)
        assert not CommitteeTerm.objects.exists()

    def test_probationary_members_cannot_be_elected(self, client_for, secretary_of_branch_a, branch_a):
        probationary = MemberFactory(branch=branch_a, status="probationary", confirmed_on=None)
        data = {"elected_on": "2025-06-15", "term_years": "3"}
        data.update(self.seats_data([(probationary, "secretary")]))
        response = client_for(secretary_of_branch_a).post(reverse("branches:term_create", args=[branch_a.pk]), data)
        assert "预备党员没有选举权和被选举权" in response.content.decode()
        assert not CommitteeTerm.objects.exists()

    def test_reassigning_posts_keeps_history(self, client_for, secretary_of_branch_a, branch_a):
        a, b = MemberFactory.create_batch(2, branch=branch_a)
        c = client_for(secretary_of_branch_a)
        data = {"elected_on": "2025-06-15", "term_years": "3"}
        data.update(self.seats_data([(a, "secretary"), (b, "deputy")]))
        c.post(reverse("branches:term_create", args=[branch_a.pk]), data)
        term = CommitteeTerm.objects.get()
        data.update(self.seats_data([(a, "deputy"), (b, "secretary")]))
        response = c.post(reverse("branches:term_edit", args=[branch_a.pk, term.pk]), data)
        assert response.status_code == 302
        assert dict(term.seats.values_list("member_id", "post")) == {a.pk: "deputy", b.pk: "secretary"}
        assert term.seats.model.history.filter(term_id=term.pk).count() >= 4


def test_branch_page_lists_the_secretary_first(client_for, gongwei_staff, branch_a):
    term = CommitteeTermFactory(branch=branch_a)
    for name, post in [("纪检甲", "discipline"), ("组织乙", "organisation"), ("书记丙", "secretary")]:
        CommitteeMember.objects.create(term=term, member=MemberFactory(branch=branch_a, name=name), post=post)
    page = client_for(gongwei_staff).get(reverse("branches:branch_detail", args=[branch_a.pk])).content.decode()
    assert page.index("书记丙") < page.index("组织乙") < page.index("纪检甲")
