"""`python -m bench` (what `make bench` runs): build or reuse each scale, crawl and time it, load-test Xuzhou.

    .venv/bin/python -m bench                       # Xuzhou and province, load test on Xuzhou
    .venv/bin/python -m bench --scale xuzhou        # one scale
    .venv/bin/python -m bench --rebuild             # drop and seed the databases again
    .venv/bin/python -m bench --skip-load --repeat 5

The PostgreSQL server comes from BENCH_POSTGRES (or DATABASE_URL's server, or the local one); the
databases are `partybuild_bench_<scale>`. Every page each role reaches (`bench.crawl`) is timed
with the cache off and right after a write (`bench.measure`), and judged against the budgets of
`bench.budgets`. The table is printed with each row 达到/未达到, then the misses; the whole result is
written to `bench/results/<timestamp>-<scales>.json`, with the heaviest floor statement's plan beside it.
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

from .budgets import MET, MISSED, describe, evaluate
from .build import ensure_database
from .env import PYTHON, ROOT, connect, django_env, drop_cache
from .load import run_load
from .scales import SCALES

RESULTS = ROOT / "bench" / "results"


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


def _run_measurer(env: dict, *options: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    try:
        subprocess.run([PYTHON, "-m", "bench.measure", "--out", path, *options], cwd=ROOT, env=env, check=True)
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)


def measure(scale, args) -> dict:
    """Crawl and time with the cache off, then time the same pages right after a write with the cache on."""
    prefix = f"bench-{scale.name}-{int(time.time())}"
    options = [f"--repeat={args.repeat}"] + ([f"--pages={args.pages}"] if args.pages else [])
    result = _run_measurer(django_env(scale.database, cache_prefix=prefix, cache=False), "--phase=cache-off", *options)
    if args.skip_after_write:
        return result
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as pages:
        json.dump({"pages": result["pages"]}, pages, ensure_ascii=False, default=str)
    try:
        env = django_env(scale.database, cache_prefix=prefix)
        written = _run_measurer(env, "--phase=after-write", f"--pages-from={pages.name}", *options)
    finally:
        os.unlink(pages.name)
        drop_cache(prefix)
    result["pages"] = written["pages"]
    result["after_write"] = written["after_write"]
    result["settings_after_write"] = written["settings"]
    return result


def _num(value, unit: str = "ms", width: int = 9) -> str:
    return f"{'—':>{width}}" if value is None else f"{value:>{width - len(unit)}.1f}{unit}"


def table(name: str, result: dict) -> str:
    """The printed report of one scale: every crawled page with its budget verdict, then the other figures."""
    lines = [
        f"== {name}: " + "，".join(f"{k} {v}" for k, v in result["counts"].items()),
        "settings (cache off): " + ", ".join(f"{k} {v}" for k, v in result.get("settings", {}).items()),
    ]
    if result.get("settings_after_write"):
        lines.append(
            "settings (after a write): "
            + ", ".join(f"{k} {v}" for k, v in result["settings_after_write"].items())
            + f"; write: {result.get('after_write', {}).get('write', '')}"
        )
    lines.append("budgets: " + "; ".join(describe(name)))
    lines.append(
        f"{'role':<9}{'page':<34}{'median':>9}{'p95':>9}{'w.med':>9}{'w.p95':>9}{'q':>5}{'w.q':>5}"
        f"{'pageSQL':>9}{'floor':>9}{'×fl':>6}  budget  url"
    )
    for row in result["pages"]:
        head = f"{row.get('role', ''):<9}{row.get('view_name') or row.get('page'):<34}"
        if row.get("error") or "median_ms" not in row:
            lines.append(
                f"{head}{'error: ' + (row.get('error') or '未计时'):<61}  {row.get('budget', '')}  {row['url']}"
            )
            continue
        ratio = row.get("ratio_to_floor")
        lines.append(
            head
            + _num(row.get("median_ms"))
            + _num(row.get("p95_ms"))
            + _num(row.get("write_median_ms"))
            + _num(row.get("write_p95_ms"))
            + f"{row.get('queries', '—'):>5}{row.get('write_queries', '—'):>5}"
            + _num(row.get("page_sql_ms"))
            + _num(row.get("floor_ms"))
            + (f"{ratio:>5.1f}×" if ratio is not None else f"{'—':>6}")
            + f"  {row.get('budget', ''):<6}  {row['url']}"
        )
    rating = result.get("rating_run")
    if rating:
        verdict = rating.get("budgets", {}).get("rating_run")
        lines.append(
            f"rating run {rating['year']}: {rating.get('seconds')} s for {rating.get('branches')} branches"
            + (f"  {MET if verdict['met'] else MISSED}" if verdict else "")
        )
    cards = result.get("scorecards")
    if cards and "seconds" in cards:
        verdict = cards.get("budgets", {}).get("scorecards")
        lines.append(
            f"scorecard export {cards['year']}: {cards['seconds']} s, {cards['branches']} branches, "
            f"peak Python memory {cards['peak_python_mb']} MB, file {cards['file_kb']} KB"
            + (f"  {MET if verdict['met'] else MISSED}" if verdict else "")
        )
    load = result.get("load")
    if load:
        lat = load["latency"]
        verdict = load.get("budgets", {})
        met = all(v["met"] for v in verdict.values()) if verdict else None
        think = load.get("think_seconds") or [0, 0]
        lines.append(
            f"load: {load['users']} users {load.get('mix')}, {think[0]:g}–{think[1]:g} s pause between a user's "
            f"requests, {load['workers']} gunicorn workers: "
            f"{load['ok']}/{load['requests']} ok, writes {load.get('writes')}, errors {load['errors'] or 'none'}, "
            f"{load['throughput_rps']} req/s, p50 {lat.get('p50_ms')} ms, p95 {lat.get('p95_ms')} ms, "
            f"p99 {lat.get('p99_ms')} ms, max {lat.get('max_ms')} ms"
            + ("" if met is None else f"  {MET if met else MISSED}")
        )
        for kind, figures in load.get("by_kind", {}).items():
            lines.append(f"  {kind}: p50 {figures.get('p50_ms')} ms, p95 {figures.get('p95_ms')} ms")
    skipped = result.get("skipped") or []
    if skipped:
        reasons = {}
        for s in skipped:
            reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
        lines.append("left out of the crawl: " + "，".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    return "\n".join(lines)


def think_range(text: str) -> tuple[float, float]:
    """ "1-5" → (1.0, 5.0); "2" → (2.0, 2.0); "0" → no pause."""
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["all", *SCALES], default="all", help="all = xuzhou and province")
    parser.add_argument("--rebuild", action="store_true", help="drop and seed the databases again")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--pages", help="only these URL names (e.g. portal:dashboard, baseline), comma-separated")
    parser.add_argument("--skip-after-write", action="store_true", help="time with the cache off only")
    parser.add_argument("--skip-load", action="store_true", help="no gunicorn load test")
    parser.add_argument("--load-scale", default="xuzhou", help="the scale the load test runs on")
    parser.add_argument("--load-users", type=int, default=100)
    parser.add_argument("--load-requests", type=int, default=10, help="requests per simulated user")
    parser.add_argument("--load-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--load-think",
        default="1-5",
        help="seconds a simulated user pauses after each request, a range drawn at random (default 1-5; 0: none)",
    )
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
        load_before = [round(x, 2) for x in os.getloadavg()]
        result = measure(scale, args)
        result["scale"], result["build"] = scale.as_dict(), build
        # The machine is shared: the load average before and after says how quiet it was while measuring.
        result["load_average"] = {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}
        if name == args.load_scale and not args.skip_load:
            print(f"[{name}] load test", flush=True)
            prefix = f"bench-{name}-load-{int(time.time())}"
            result["load"] = run_load(
                scale.database,
                cache_prefix=prefix,
                users=args.load_users,
                requests_per_user=args.load_requests,
                workers=args.load_workers,
                think=think_range(args.load_think),
            )
            drop_cache(prefix)
        result["budget_misses"] = evaluate(name, result)
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
        misses = result["budget_misses"]
        print(f"budgets ({name}): " + ("全部达到" if not misses else f"{len(misses)} 项未达到："))
        for miss in misses:
            print(f"  - {miss}")
        print()
    print(f"written: {base}.json, {base}-explain.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
