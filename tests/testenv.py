"""Environment for the test run, loaded as a plugin before Django reads its settings.

Values already in the environment win, so CI's DATABASE_URL and REDIS_URL are used as given.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "partybuild-test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("STATIC_MANIFEST", "False")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="partybuild-test-media-"))
