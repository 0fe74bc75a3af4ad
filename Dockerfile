# partybuild web/worker/beat image. Build: docker build -t partybuild .
# The same image runs gunicorn (default CMD) and, in docker-compose.yml, Celery worker and beat.
FROM python:3.11-slim

# gunicorn reads its default worker count from WEB_CONCURRENCY; override it in .env.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

RUN useradd --create-home --home-dir /home/app --uid 1000 app

WORKDIR /app

# Dependencies first so that a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The code is copied by name (no .dockerignore): .venv, .env, db.sqlite3 and .git stay out
# of the image. A new Django app directory needs a line here (tests/test_deployment.py checks).
COPY manage.py ./
COPY partybuild/ partybuild/
COPY core/ core/
COPY accounts/ accounts/
COPY branches/ branches/
COPY notifications/ notifications/
COPY projects/ projects/
COPY assessments/ assessments/
COPY maintenance/ maintenance/
COPY portal/ portal/
COPY demo/ demo/
COPY templates/ templates/
COPY static/ static/
COPY locale/ locale/
COPY docker/ docker/

# Static files are collected into the image and served by whitenoise with hashed names.
# The key only satisfies settings at build time; the real one comes from the environment.
RUN DEBUG=False SECRET_KEY=collectstatic-only-not-a-real-secret STATIC_MANIFEST=True \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app

EXPOSE 8000
ENTRYPOINT ["/bin/sh", "/app/docker/entrypoint.sh"]
CMD ["gunicorn", "partybuild.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
