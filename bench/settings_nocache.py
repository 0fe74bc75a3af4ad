"""The portal's settings with caching switched off: Django's DummyCache keeps nothing.

`partybuild/settings.py` chooses its cache from REDIS_URL only (Redis when set, else the in-process
LocMemCache): no environment variable there turns caching off. The bench's cache-off measurement runs
with DJANGO_SETTINGS_MODULE=bench.settings_nocache (set by `bench.env.django_env(cache=False)`), which
takes every setting from the portal's own module and replaces only CACHES.
"""

from partybuild.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
