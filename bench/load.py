"""A bounded load test: gunicorn on loopback, simulated reviewers as threads with http.client.

Each reviewer holds its own logged-in session and asks for a bounded number of pages, picked at
random from those its role would open; the whole test also stops at a deadline. Only 127.0.0.1 is
ever contacted.
"""

import http.client
import json
import random
import socket
import statistics
import subprocess
import threading
import time
from collections import Counter, defaultdict

from .env import PYTHON, ROOT, django_env

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _get(port: int, path: str, session: str | None = None, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Cookie": f"sessionid={session}"} if session else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_ready(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            _get(port, "/accounts/login/", timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within a minute")


def _percentiles(samples: list[float]) -> dict:
    if not samples:
        return {}
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1)

    return {
        "p50_ms": at(0.5),
        "p90_ms": at(0.9),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(1000 * ordered[-1], 1),
        "mean_ms": round(1000 * statistics.fmean(ordered), 1),
    }


def run_load(
    database: str,
    *,
    cache_prefix: str,
    users: int,
    requests_per_user: int,
    workers: int,
    deadline_seconds: float = 600,
    seed: int = 2026,
    log=print,
) -> dict:
    """Start gunicorn, run the reviewers, stop gunicorn; returns throughput, latency percentiles and errors."""
    env = django_env(database, cache_prefix=cache_prefix)
    plan_file = ROOT / "bench" / "results" / f".sessions-{database}.json"
    measure = [PYTHON, "-m", "bench.measure", "--out", str(plan_file)]
    subprocess.run([*measure, "--sessions", str(users)], cwd=ROOT, env=env, check=True)
    plan = json.loads(plan_file.read_text())
    port = _free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "partybuild.wsgi",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--timeout=120",
        "--backlog=256",
        "--log-level=warning",
    ]
    log(f"  gunicorn {workers} workers on {HOST}:{port}, {users} reviewers × {requests_per_user} requests")
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_ready(port, server)
        # One request per page first, so no reviewer times a worker's first import of a view.
        for path in {url for s in plan["sessions"] for url in s["urls"]}:
            session = next(s["session"] for s in plan["sessions"] if path in s["urls"])
            for _ in range(workers):
                _get(port, path, session)
        result = _run_reviewers(port, plan["sessions"], requests_per_user, deadline_seconds, seed)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        subprocess.run([*measure, "--drop-sessions", str(plan_file)], cwd=ROOT, env=env, check=False)
        plan_file.unlink(missing_ok=True)
    result.update(workers=workers, users=users, requests_per_user=requests_per_user)
    return result


def _run_reviewers(port: int, sessions: list[dict], requests_per_user: int, deadline_seconds: float, seed: int):
    start = threading.Barrier(len(sessions) + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    by_page: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    stop_at = [0.0]

    def reviewer(index: int, session: dict) -> None:
        rng = random.Random(seed + index)
        start.wait()
        for _ in range(requests_per_user):
            if time.monotonic() > stop_at[0]:
                with lock:
                    errors["deadline"] += 1
                return
            path = rng.choice(session["urls"])
            began = time.perf_counter()
            try:
                status, _ = _get(port, path, session["session"])
            except OSError as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                continue
            took = time.perf_counter() - began
            with lock:
                if status != 200:
                    errors[f"HTTP {status}"] += 1
                else:
                    latencies.append(took)
                    by_page[path].append(took)

    threads = [threading.Thread(target=reviewer, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + deadline_seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(deadline_seconds + 120)
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies) + sum(errors.values()),
        "ok": len(latencies),
        "errors": dict(errors),
        "seconds": round(elapsed, 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "latency": _percentiles(latencies),
        "by_page": {path: _percentiles(samples) for path, samples in sorted(by_page.items())},
    }
