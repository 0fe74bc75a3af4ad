"""/healthz reports each part the portal depends on; a part that is down makes it answer 503."""

import pytest

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1

pytestmark = pytest.mark.django_db


def test_all_parts_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_a_cache_that_is_down_is_reported(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DOWN}}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error", "broker": "ok"}


def test_a_broker_that_is_down_is_reported(client, eager_celery):
    saved = eager_celery.conf.broker_url
    eager_celery.conf.broker_url = DOWN
    try:
        response = client.get("/healthz")
    finally:
        eager_celery.conf.broker_url = saved
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error"
    assert response.json()["status"] == "error"
