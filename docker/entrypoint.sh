#!/bin/sh
# Container entry point: the web container applies migrations before gunicorn starts;
# worker and beat wait until they are applied (beat's DatabaseScheduler needs its tables).
set -eu
cd /app

case "${1:-}" in
  gunicorn)
    python manage.py migrate --noinput
    ;;
  celery)
    until python manage.py migrate --check >/dev/null 2>&1; do
      echo "entrypoint: waiting for the web container to apply migrations"
      sleep 5
    done
    ;;
esac

exec "$@"
