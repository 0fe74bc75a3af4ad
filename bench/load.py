"""A bounded load test: gunicorn on loopback, simulated users as threads with http.client.

Each user holds its own logged-in session and makes a bounded number of requests: pages its role's
crawl found, picked at random, and, for the branch secretary and the party member, writes as a person
makes them: the secretary records a 党课 through the meeting form (GET the form, take its CSRF token and
fields, POST it; a redirect to the new meeting is success), the member opens a message (GET the list
for the token, POST mark-read; a redirect is success). Everything written carries the run's marker and
is deleted afterwards. All users start together; the whole test also stops at a deadline. Only
127.0.0.1 is ever contacted.
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
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from .env import PYTHON, ROOT, django_env

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _request(
    port: int,
    method: str,
    path: str,
    cookies: dict | None = None,
    body: dict | None = None,
    timeout: float = 60,
) -> tuple[int, bytes, dict]:
    """One request on a new connection; cookies the response sets are added to `cookies`."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        if cookies is not None:
            for header in response.headers.get_all("Set-Cookie") or ():
                for name, morsel in SimpleCookie(header).items():
                    cookies[name] = morsel.value
        return response.status, content, dict(response.headers)
    finally:
        conn.close()


def _get(port: int, path: str, session: str | None = None, timeout: float = 60) -> tuple[int, bytes]:
    status, content, _ = _request(port, "GET", path, {"sessionid": session} if session else None, timeout=timeout)
    return status, content


class PostForm(HTMLParser):
    """The fields a browser would send with the page's first POST form that posts back to the page.

    Text, hidden, date and number inputs with their values, checked boxes, textareas, each select's
    selected (else first) option; file inputs and buttons are left out.
    """

    def __init__(self, path: str):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.fields: list[tuple[str, str]] = []
        self.found = False
        self._in_form = False
        self._done = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self._done and (attrs.get("method") or "").lower() == "post":
            action = urlsplit(attrs.get("action") or "").path
            self._in_form = action in ("", urlsplit(self.path).path)
            self.found = self.found or self._in_form
            return
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value") or "", "selected" in attrs))

    def handle_data(self, data):
        if self._textarea and self.fields and self.fields[-1][0] == self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [v for v, sel in self._options if sel] or [v for v, _ in self._options[:1]]
            self.fields += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def csrf_token(html: bytes) -> str | None:
    marker = b'name="csrfmiddlewaretoken" value="'
    start = html.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return html[start : html.index(b'"', start)].decode()


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
    think: tuple[float, float] = (0.0, 0.0),
    deadline_seconds: float = 600,
    seed: int = 2026,
    log=print,
) -> dict:
    """Start gunicorn, run the users, stop gunicorn, delete what the test wrote; returns latency and errors.

    `think` is the range of seconds a user pauses after each request (reading the page), drawn at random;
    (0, 0) makes every user ask again as soon as it has its answer.
    """
    env = django_env(database, cache_prefix=cache_prefix)
    plan_file = ROOT / "bench" / "results" / f".load-plan-{database}.json"
    marker = f"性能测试压测{int(time.time())}"
    measure = [PYTHON, "-m", "bench.measure", "--out", str(plan_file)]
    subprocess.run(
        [*measure, "--sessions", str(users), f"--requests-per-user={requests_per_user}", f"--marker={marker}"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    plan = json.loads(plan_file.read_text())
    port = _free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "partybuild.wsgi",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--timeout=120",
        "--backlog=256",
        "--log-level=warning",
    ]
    log(
        f"  gunicorn {workers} workers on {HOST}:{port}, {users} users × {requests_per_user} requests,"
        f" {think[0]:g}–{think[1]:g} s between a user's requests"
    )
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    dropped = {}
    try:
        _wait_ready(port, server)
        # Each page once per worker's share first, so no user times a worker's first import of a view.
        paths = {}
        for s in plan["sessions"]:
            for url in s["urls"]:
                paths.setdefault(url, s["session"])
        for _ in range(2):
            for path, session in paths.items():
                _get(port, path, session)
        result = _run_users(port, plan["sessions"], requests_per_user, deadline_seconds, seed, think)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        drop_out = plan_file.with_suffix(".dropped.json")
        done = subprocess.run(
            [PYTHON, "-m", "bench.measure", "--out", str(drop_out), "--drop-load", str(plan_file)],
            cwd=ROOT,
            env=env,
            check=False,
        )
        if done.returncode == 0:
            dropped = json.loads(drop_out.read_text())
        drop_out.unlink(missing_ok=True)
        plan_file.unlink(missing_ok=True)
    mix = Counter(s["user"] for s in plan["sessions"])
    result.update(
        workers=workers,
        users=users,
        requests_per_user=requests_per_user,
        think_seconds=list(think),
        mix=dict(mix),
        cleaned=dropped,
    )
    return result


def _run_users(
    port: int,
    sessions: list[dict],
    requests_per_user: int,
    deadline_seconds: float,
    seed: int,
    think: tuple[float, float] = (0.0, 0.0),
):
    """Every user's actions, all users at once; each HTTP request's latency is one sample."""
    start = threading.Barrier(len(sessions) + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    writes: Counter = Counter()
    stop_at = [0.0]

    def timed(kind: str, method: str, path: str, cookies: dict, body=None, expect=(200,)):
        began = time.perf_counter()
        try:
            status, content, headers = _request(port, method, path, cookies, body)
        except OSError as exc:
            with lock:
                errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        took = time.perf_counter() - began
        with lock:
            if status not in expect:
                errors[f"{kind}: HTTP {status}"] += 1
                return None
            latencies.append(took)
            by_kind[kind].append(took)
        return status, content, headers

    def write(action: dict, cookies: dict) -> None:
        got = timed(f"GET {action['kind']} form", "GET", action["form"], cookies)
        if got is None:
            return
        if action["kind"] == "meeting":
            form = PostForm(action["form"])
            form.feed(got[1].decode("utf-8", "replace"))
            if not form.found:
                with lock:
                    errors["meeting: no form on the page"] += 1
                return
            body = [(k, v) for k, v in form.fields if k != "topic"] + [("topic", action["topic"])]
            done = timed("POST meeting", "POST", action["form"], cookies, body, expect=(302,))
        else:
            token = csrf_token(got[1])
            done = timed("POST read", "POST", action["post"], cookies, {"csrfmiddlewaretoken": token}, expect=(302,))
        if done is not None:
            with lock:
                writes[action["kind"]] += 1

    def user(index: int, session: dict) -> None:
        rng = random.Random(seed + index)
        cookies = {"sessionid": session["session"]}
        pending = list(session["writes"])
        start.wait()
        for i in range(requests_per_user):
            if time.monotonic() > stop_at[0]:
                with lock:
                    errors["deadline"] += 1
                return
            # One action in three is a write for those who write.
            if pending and (i % 3 == 2 or not session["urls"]):
                action = pending.pop(0) if pending[0]["kind"] == "read" else pending[0]
                write(action, cookies)
            elif session["urls"]:
                timed("GET page", "GET", rng.choice(session["urls"]), cookies)
            if think[1] > 0 and i < requests_per_user - 1:
                time.sleep(min(rng.uniform(*think), max(0.0, stop_at[0] - time.monotonic())))

    threads = [threading.Thread(target=user, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
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
        "writes": dict(writes),
        "seconds": round(elapsed, 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "latency": _percentiles(latencies),
        "by_kind": {kind: _percentiles(samples) for kind, samples in sorted(by_kind.items())},
    }
