#!/usr/bin/env python
"""Django's command-line utility for partybuild."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partybuild.settings")
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
