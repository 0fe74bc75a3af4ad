"""`python -m bench` (what `make bench` runs): build or reuse each scale, measure it, load-test Xuzhou.

    .venv/bin/python -m bench                       # Xuzhou and province, load test on Xuzhou
    .venv/bin/python -m bench --scale xuzhou        # one scale
    .venv/bin/python -m bench --rebuild             # drop and seed the databases again
    .venv/bin/python -m bench --skip-load --repeat 5

The PostgreSQL server comes from BENCH_POSTGRES (or DATABASE_URL's server, or the local one); the
databases are `partybuild_bench_<scale>`. The table is printed and the whole result written to
`bench/results/<timestamp>-<scales>.json`, with the heaviest floor statement's plan beside it.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from .build import ensure_database
from .env import PYTHON, ROOT, connect, django_env, drop_cache
from .load import run_load
from .scales import SCALES

RESULTS = ROOT / "bench" / "results"
PAGE_BUDGET_MS = 150
FLOOR_RATIO_BUDGET = 3
RATING_BUDGET_S = 5
SCORECARD_BUDGET_S = 5


def machine_info() -> dict:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
        with open("/proc/meminfo") as f:
            info["memory_gb"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    conn = connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            info["shared_buffers"] = cursor.fetchone()[0]
            cursor.execute("SHOW jit")
            info["jit"] = cursor.fetchone()[0]
    finally:
        conn.close()
    info["bench_pg_options"] = os.environ.get("BENCH_PG_OPTIONS", "")
    return info


def measure(scale, args) -> dict:
    prefix = f"bench-{scale.name}-{int(time.time())}"
    env = django_env(scale.database, cache_prefix=prefix)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    command = [PYTHON, "-m", "bench.measure", "--out", path, f"--repeat={args.repeat}"]
    if args.pages:
        command.append(f"--pages={args.pages}")
    try:
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)
        drop_cache(prefix)


def budgets(result: dict) -> list[str]:
    """What misses the Xuzhou budgets, in words; empty when everything is within them."""
    misses = []
    for page in result["pages"]:
        if "median_ms" not in page:
            misses.append(f"{page['page']}: {page.get('missing') or page.get('error')}")
            continue
        if page["median_ms"] >= PAGE_BUDGET_MS:
            misses.append(f"{page['page']}: median {page['median_ms']} ms ≥ {PAGE_BUDGET_MS} ms")
        if page.get("ratio_to_floor", 0) > FLOOR_RATIO_BUDGET:
            misses.append(
                f"{page['page']}: {page['ratio_to_floor']}× its SQL floor ({page['floor_ms']} ms)"
                f" > {FLOOR_RATIO_BUDGET}×"
            )
    rating = result.get("rating_run", {})
    if rating.get("seconds", 0) >= RATING_BUDGET_S:
        misses.append(f"rating run: {rating['seconds']} s ≥ {RATING_BUDGET_S} s")
    cards = result.get("scorecards", {})
    if cards.get("seconds", 0) >= SCORECARD_BUDGET_S:
        misses.append(f"scorecard export: {cards['seconds']} s ≥ {SCORECARD_BUDGET_S} s")
    load = result.get("load")
    if load and load["errors"]:
        misses.append(f"load test errors: {load['errors']}")
    return misses


def table(name: str, result: dict) -> str:
    lines = [
        f"== {name}: " + "，".join(f"{k} {v}" for k, v in result["counts"].items()),
        "settings: " + ", ".join(f"{k} {v}" for k, v in result.get("settings", {}).items()),
        f"{'page':<16}{'median':>9}{'p95':>9}{'cold':>9}{'queries':>9}{'page SQL':>10}{'floor':>9}{'×floor':>8}"
        f"{'afresh':>10}{'queries':>9}",
    ]
    for page in result["pages"]:
        if "median_ms" not in page:
            lines.append(f"{page['page']:<16}  {page.get('missing') or page.get('error')}")
            continue
        lines.append(
            f"{page['page']:<16}{page['median_ms']:>7.1f}ms{page['p95_ms']:>7.1f}ms{page['cold_ms']:>7.1f}ms"
            f"{page['queries']:>9}{page['page_sql_ms']:>8.1f}ms{page.get('floor_ms', 0):>7.1f}ms"
            f"{page.get('ratio_to_floor', 0):>7.1f}×"
        )
    rating = result.get("rating_run")
    if rating:
        lines.append(f"rating run {rating['year']}: {rating.get('seconds')} s for {rating.get('branches')} branches")
    cards = result.get("scorecards")
    if cards and "seconds" in cards:
        lines.append(
            f"scorecard export {cards['year']}: {cards['seconds']} s, {cards['branches']} branches, "
            f"peak Python memory {cards['peak_python_mb']} MB, file {cards['file_kb']} KB"
        )
    load = result.get("load")
    if load:
        lat = load["latency"]
        lines.append(
            f"load: {load['users']} reviewers, {load['workers']} gunicorn workers: {load['ok']}/{load['requests']} ok, "
            f"errors {load['errors'] or 'none'}, {load['throughput_rps']} req/s, "
            f"p50 {lat.get('p50_ms')} ms, p95 {lat.get('p95_ms')} ms, p99 {lat.get('p99_ms')} ms, "
            f"max {lat.get('max_ms')} ms"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["all", *SCALES], default="all", help="all = xuzhou and province")
    parser.add_argument("--rebuild", action="store_true", help="drop and seed the databases again")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--pages", help="only these pages, comma-separated")
    parser.add_argument("--skip-load", action="store_true", help="no gunicorn load test")
    parser.add_argument("--load-scale", default="xuzhou", help="the scale the load test runs on")
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument("--load-requests", type=int, default=10, help="requests per simulated reviewer")
    parser.add_argument("--load-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--out-dir", default=str(RESULTS))
    args = parser.parse_args(argv)

    names = ["xuzhou", "province"] if args.scale == "all" else [args.scale]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {"timestamp": datetime.datetime.now().astimezone().isoformat(), "machine": machine_info(), "scales": {}}
    for name in names:
        scale = SCALES[name]
        print(f"[{name}] database {scale.database}", flush=True)
        build = ensure_database(scale, rebuild=args.rebuild)
        print(f"[{name}] measuring pages, rating run and scorecard export", flush=True)
        result = measure(scale, args)
        result["scale"], result["build"] = scale.as_dict(), build
        if name == args.load_scale and not args.skip_load:
            print(f"[{name}] load test", flush=True)
            prefix = f"bench-{name}-load-{int(time.time())}"
            result["load"] = run_load(
                scale.database,
                cache_prefix=prefix,
                users=args.load_users,
                requests_per_user=args.load_requests,
                workers=args.load_workers,
            )
            drop_cache(prefix)
        if name == "xuzhou":
            result["budget_misses"] = budgets(result)
        report["scales"][name] = result

    os.makedirs(args.out_dir, exist_ok=True)
    base = os.path.join(args.out_dir, f"{stamp}-{'-'.join(names)}")
    with open(base + ".json", "w") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
    with open(base + "-explain.txt", "w") as f:
        for name, result in report["scales"].items():
            explain = result.get("explain")
            if explain:
                f.write(f"-- {name}: {explain['page']} / {explain['label']} ({explain['median_ms']} ms)\n")
                f.write(explain["plan"] + "\n\n")
    print()
    for name, result in report["scales"].items():
        print(table(name, result))
        if result.get("budget_misses") is not None:
            print(
                "budgets (Xuzhou): "
                + ("all met" if not result["budget_misses"] else "; ".join(result["budget_misses"]))
            )
        print()
    print(f"written: {base}.json, {base}-explain.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
