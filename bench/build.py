"""Build a scale's database with `seed_demo`, or reuse it when an earlier build finished.

A finished build leaves the scale's signature as the database comment; a build that stopped half way
leaves none, so the next run starts that database again. Migrations run every time, so indexes added
since the build reach the database without reseeding.
"""

import datetime
import subprocess
import time

from .env import PYTHON, ROOT, connect, django_env
from .scales import Scale


def _comment(cursor, database: str) -> str | None:
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [database])
    row = cursor.fetchone()
    return None if row is None else (row[0] or "")


def _manage(scale: Scale, *args: str, log=print) -> None:
    env = django_env(scale.database, cache_prefix=f"bench-{scale.name}")
    log(f"  manage.py {' '.join(args)}")
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def ensure_database(scale: Scale, *, rebuild: bool = False, log=print) -> dict:
    """Make sure the scale's database is built and migrated; returns what was done and how long it took."""
    conn = connect()
    try:
        with conn.cursor() as cursor:
            comment = _comment(cursor, scale.database)
            finished = comment is not None and (
                comment == scale.signature() or comment.startswith(scale.signature() + ";")
            )
            reuse = finished and not rebuild
            if not reuse:
                if comment is not None:
                    log(f"  {scale.database}: {'--rebuild' if rebuild else 'incomplete or of another size'}, dropped")
                    cursor.execute(f'DROP DATABASE "{scale.database}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{scale.database}"')
    finally:
        conn.close()
    started = time.monotonic()
    _manage(scale, "migrate", "--noinput", "-v", "0", log=log)
    if reuse:
        log(f"  {scale.database}: reused ({comment})")
        return {"built": False, "seconds": round(time.monotonic() - started, 1), "earlier_build": comment}
    _manage(scale, "seed_demo", *scale.seed_args(), log=log)
    seconds = round(time.monotonic() - started, 1)
    conn = connect(scale.database)
    try:
        with conn.cursor() as cursor:
            # A production database has been vacuumed by autovacuum long since; a fresh bulk load has not,
            # and without the visibility map no index-only scan pays off. Measure the settled state.
            cursor.execute("VACUUM ANALYZE")
            note = f"{scale.signature()}; seeded in {seconds} s on {datetime.date.today()}"
            cursor.execute(f'COMMENT ON DATABASE "{scale.database}" IS %s', [note])
    finally:
        conn.close()
    log(f"  {scale.database}: built in {seconds} s")
    return {"built": True, "seconds": seconds}
