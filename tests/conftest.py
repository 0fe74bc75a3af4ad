"""Personas and a small organisation shared by the tests.

Two organs, each with two branches; branch_a belongs to organ_a. Personas hold one role each.
"""

import pytest

from tests.celery_worker import worker_queue  # noqa: F401 (a fixture for the real-worker tests)
from tests.factories import BranchFactory, MemberFactory, OrganFactory, Role, UserFactory, grant


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing strength is Django's business; tests only need passwords to check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def own_cache(settings, request):
    """Each test gets an empty cache of its own: counters such as log-in failures must not leak
    between tests, nor between the parallel workers that share CI's Redis."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process unless a test asks for the real worker (see the `celery_worker` tests).

    With REDIS_URL set (as in CI) `.delay()` would otherwise queue to Redis where no worker listens.
    """
    from partybuild.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def organ_a(db):
    return OrganFactory(name="市发展和改革委员会", short_name="市发改委")


@pytest.fixture
def organ_b(db):
    return OrganFactory(name="市财政局", short_name="市财政局")


@pytest.fixture
def branch_a(organ_a):
    return BranchFactory(organ=organ_a, name="综合处党支部")


@pytest.fixture
def branch_a2(organ_a):
    return BranchFactory(organ=organ_a, name="规划处党支部")


@pytest.fixture
def branch_b(organ_b):
    return BranchFactory(organ=organ_b, name="预算处党支部")


@pytest.fixture
def gongwei_staff(db):
    user = UserFactory(username="gongwei", full_name="工委干部")
    grant(user, Role.GONGWEI)
    return user


@pytest.fixture
def organ_staff_a(organ_a):
    user = UserFactory(username="jiguan_a", full_name="发改委机关党委干部")
    grant(user, Role.ORGAN, organ=organ_a)
    return user


@pytest.fixture
def organ_staff_b(organ_b):
    user = UserFactory(username="jiguan_b", full_name="财政局机关党委干部")
    grant(user, Role.ORGAN, organ=organ_b)
    return user


@pytest.fixture
def secretary_of_branch_a(branch_a):
    user = UserFactory(username="shuji_a", full_name="综合处书记")
    grant(user, Role.BRANCH, branch=branch_a)
    return user


@pytest.fixture
def secretary_of_branch_b(branch_b):
    user = UserFactory(username="shuji_b", full_name="预算处书记")
    grant(user, Role.BRANCH, branch=branch_b)
    return user


@pytest.fixture
def member_user(branch_a):
    user = UserFactory(username="dangyuan", full_name="普通党员")
    MemberFactory(branch=branch_a, name="李明", user=user)
    return user


@pytest.fixture
def expert_reviewer(db):
    """A 评审专家: scores the projects it is assigned to, sees nothing else."""
    user = UserFactory(username="pingshen", full_name="评审专家甲")
    grant(user, Role.EXPERT)
    return user


@pytest.fixture
def outsider(db):
    """An account with no role at all."""
    return UserFactory(username="outsider", full_name="无角色账号")


@pytest.fixture
def client_for(client):
    """Log a persona in: `client_for(user)` returns the logged-in test client."""

    def login(user):
        client.force_login(user)
        return client

    return login
