"""Many branches or members at once (bulk_create, no history): enough to pass the forms' list limit."""

import datetime

from branches.choices import Gender, MemberStatus
from branches.models import Branch, Member
from branches.pinyin import name_sort_key


def many_branches(organ, n: int, prefix: str = "调研") -> list[Branch]:
    return Branch.objects.bulk_create(
        Branch(organ=organ, name=f"{prefix}{i:03d}党支部", founded_on=datetime.date(2015, 7, 1)) for i in range(n)
    )


def many_members(branches, n: int = 1, name: str = "赵") -> list[Member]:
    """`n` full members in each branch, all named `name` and a number."""
    branches = branches if isinstance(branches, list | tuple) else [branches]
    return Member.objects.bulk_create(
        Member(
            name=f"{name}{b:03d}{i:02d}",
            name_pinyin=name_sort_key(name),
            gender=Gender.MALE,
            birth_date=datetime.date(1985, 3, 12),
            joined_on=datetime.date(2008, 6, 1),
            confirmed_on=datetime.date(2009, 6, 1),
            status=MemberStatus.FULL,
            organ_id=branch.organ_id,
            branch=branch,
        )
        for b, branch in enumerate(branches)
        for i in range(n)
    )
