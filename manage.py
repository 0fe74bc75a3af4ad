#!/usr/bin/env python
"""Django's command-line utility for partybuild."""

import os
import secrets
import sys

# Commands that read the models and migrations only: nothing they do is signed, so without a configured
# SECRET_KEY they run with a throwaway one instead of refusing (CI and hooks check migrations bare).
KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Read the settings first: Django would otherwise swallow a configuration error (a missing
        # SECRET_KEY) and fail later with an unrelated one ("Models aren't loaded yet").
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.exit(f"配置错误：{exc}（本地运行可先 export DEBUG=1，见 README）")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
