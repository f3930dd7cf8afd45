"""Many writers at once through gunicorn: is every acknowledged write in the database?

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python -m bench.stress_writes                       # SQLite, 8 workers, 10,000 writes
    .venv/bin/python -m bench.stress_writes --postgres postgresql://user:password@127.0.0.1/postgres

The app runs under gunicorn on 127.0.0.1 with a fresh database (on PostgreSQL a
database made for the run and dropped after it); client threads send, through
the JSON API:

- creates of waitlist signups, each with its own email;
- clashing creates: groups of clients sending the same email at the same moment,
  of which exactly one may succeed and the others must get a 409;
- read-then-write increments of a few counters (a product's stock): GET the row
  and its ETag, PATCH stock+1 with If-Match, and on a 412 read again and retry.

Then it reads the database directly and prints writes sent, acknowledged,
found, lost (must be 0), 5xx (must be 0), duplicates on unique fields (must
be 0) and history lines missing or extra (must be 0: each write adds one in its
own transaction); it exits 1 if any of those is not 0.  Bounded: a fixed number
of writes, and it stops by itself after --seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SECRET = "stress-secret-key-that-is-long-enough-0123456789"


# -- the database and the server -----------------------------------------------


@contextmanager
def fresh_database(postgres: str | None) -> Any:
    """A URL of an empty database, removed afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/stress.db"
        return
    from kit.store import database_url

    server = sa.create_engine(database_url(postgres), isolation_level="AUTOCOMMIT")
    name = f"kit_stress_{secrets.token_hex(4)}"
    with server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield database_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        server.dispose()


def settings(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "SEED_ON_START": "false",
        "ADMIN_EMAIL": "",
    }


def prepare(url: str, counters: int) -> tuple[str, list[int]]:
    """An editor's API token and `counters` products to increment, made through the kit."""
    os.environ.update(settings(url))
    from app import create_app
    from kit import tokens

    app = create_app()
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        user = kit_store["kit_user"].create({"email": "stress@example.com", "role": "editor"})
        token = tokens.issue({"user": user["id"], "name": "stress"})[1]
        category = kit_store["category"].create({"name": "Zähler"})
        ids = [
            kit_store["product"].create({"name": f"Zähler {n}", "category": category["id"], "price": "1"})[
                "id"
            ]
            for n in range(counters)
        ]
    app.extensions["kit.store"].close()
    return token, ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(server: subprocess.Popen, port: int, name: str) -> None:
    """Until the server answers /healthz; SystemExit if it ends or takes a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit(f"{name} did not start")
        time.sleep(0.2)


@contextmanager
def gunicorn(url: str, workers: int, threads: int = 1, preload: bool = False) -> Any:
    """The app under gunicorn on a free loopback port; yields the port."""
    port = free_port()
    command = [GUNICORN, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    if preload:
        command.append("--preload")
    server = subprocess.Popen([*command, "app:create_app()"], cwd=ROOT, env=settings(url))
    try:
        wait_until_up(server, port, "gunicorn")
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def request(port: int, method: str, path: str, body: Any = None, headers: dict | None = None):
    """(status, headers, parsed JSON or None) of one request on a new connection."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = None if body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        data = response.read()
        parsed = (
            json.loads(data)
            if data and response.getheader("Content-Type", "").startswith("application/json")
            else None
        )
        return response.status, dict(response.getheaders()), parsed
    finally:
        conn.close()


# -- the load --------------------------------------------------------------------


class Tally:
    """What was sent and what came back, counted across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.failed: Counter[str] = Counter()  # no answer at all
        self.created: list[str] = []  # emails acknowledged with 201
        self.increments: Counter[int] = Counter()  # product id -> acknowledged PATCHes

    def answer(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + sum(self.failed.values())


def create(port: int, auth: dict, tally: Tally, email: str) -> None:
    try:
        status, _, _ = request(port, "POST", "/api/signup", {"email": email, "comment": "Stress – ü"}, auth)
    except OSError as error:
        with tally.lock:
            tally.failed[type(error).__name__] += 1
        return
    tally.answer(status)
    if status == 201:
        with tally.lock:
            tally.created.append(email)


def increment(port: int, auth: dict, tally: Tally, product: int, deadline: float) -> None:
    """Read, add one, write back only if nobody wrote in between; again on a 412."""
    while time.monotonic() < deadline:
        try:
            status, headers, row = request(port, "GET", f"/api/product/{product}", headers=auth)
            if status != 200:
                tally.answer(status)
                return
            body, match = {"stock": row["stock"] + 1}, {**auth, "If-Match": headers["ETag"]}
            status, _, _ = request(port, "PATCH", f"/api/product/{product}", body, match)
        except OSError as error:
            with tally.lock:
                tally.failed[type(error).__name__] += 1
            return
        tally.answer(status)
        if status == 200:
            with tally.lock:
                tally.increments[product] += 1
            return
        if status != 412:
            return


def run_load(port: int, token: str, products: list[int], args: argparse.Namespace) -> Tally:
    auth = {"Authorization": f"Bearer {token}"}
    tally = Tally()
    deadline = time.monotonic() + args.seconds
    clash_groups = args.clashes // args.clash_size
    uniques = args.writes - args.increments - clash_groups * args.clash_size
    jobs: list[tuple] = []
    for n in range(uniques):
        jobs.append((create, f"stress{n}@example.com"))
    for group in range(clash_groups):
        jobs += [(create, f"clash{group}@example.com")] * args.clash_size  # sent side by side
    jobs += [(increment, products[n % len(products)]) for n in range(args.increments)]
    order = sorted(range(len(jobs)), key=lambda i: (i * 7919) % len(jobs))  # mixed, deterministic
    with ThreadPoolExecutor(max_workers=args.clients) as clients:
        for i in order:
            job, value = jobs[i]
            if job is create:
                clients.submit(create, port, auth, tally, value)
            else:
                clients.submit(increment, port, auth, tally, value, deadline)
    return tally


# -- the check -------------------------------------------------------------------


LINES_OF_HISTORY = "SELECT entity, action, count(*) FROM kit_change GROUP BY entity, action"


def check(url: str, tally: Tally, products: list[int]) -> dict[str, int]:
    """Read the database itself: what was acknowledged must be there, once."""
    from kit.store import database_url

    engine = sa.create_engine(database_url(url))
    with engine.connect() as conn:
        emails = [row[0] for row in conn.exec_driver_sql("SELECT email FROM signup")]
        stock = dict(conn.exec_driver_sql("SELECT id, stock FROM product").fetchall())
        kept = conn.exec_driver_sql("SELECT rows FROM kit_count WHERE entity = 'signup'").scalar()
        history = Counter(
            dict(((entity, action), n) for entity, action, n in conn.exec_driver_sql(LINES_OF_HISTORY))
        )
    engine.dispose()
    stored = Counter(emails)
    acknowledged_creates = Counter(tally.created)
    lost_creates = sum(1 for email in acknowledged_creates if email not in stored)
    lost_increments = sum(max(0, tally.increments[p] - (stock[p] or 0)) for p in products)
    phantom_increments = sum(max(0, (stock[p] or 0) - tally.increments[p]) for p in products)
    clash_winners = Counter(email for email in tally.created if email.startswith("clash"))
    return {
        "writes sent": tally.sent,
        "acknowledged": len(tally.created) + sum(tally.increments.values()),
        "found": sum(1 for email in acknowledged_creates if email in stored)
        + sum(min(tally.increments[p], stock[p] or 0) for p in products),
        "lost": lost_creates + lost_increments,
        "5xx": sum(n for status, n in tally.statuses.items() if status >= 500),
        "no answer": sum(tally.failed.values()),
        "duplicates on unique fields": sum(n - 1 for n in stored.values() if n > 1)
        + sum(n - 1 for n in clash_winners.values() if n > 1),
        "stored but never acknowledged": phantom_increments
        + sum(1 for e in stored if e not in acknowledged_creates),
        "kept count off by": abs((kept or 0) - len(emails)),
        "history lines off by": abs(history["signup", "created"] - len(emails))
        + abs(history["product", "changed"] - sum((stock[p] or 0) for p in products)),
        "refused as taken (409)": tally.statuses[409],
        "refused as stale (412), then retried": tally.statuses[412],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to make the run's database on (else SQLite)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="gthread threads per worker (1: sync workers)")
    parser.add_argument(
        "--preload", action="store_true", help="gunicorn --preload: workers forked after start-up"
    )
    parser.add_argument("--clients", type=int, default=32, help="client threads sending at once")
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument(
        "--increments", type=int, default=3_000, help="of the writes, read-then-write increments"
    )
    parser.add_argument("--clashes", type=int, default=1_000, help="of the writes, creates of a taken email")
    parser.add_argument("--clash-size", type=int, default=5, help="clients sending each clashing email")
    parser.add_argument("--counters", type=int, default=20, help="products the increments share")
    parser.add_argument("--seconds", type=float, default=900, help="stop retrying after this long")
    args = parser.parse_args()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    with fresh_database(args.postgres) as url:
        token, products = prepare(url, args.counters)
        workers = f"{args.workers} workers" + (f" x {args.threads} threads" if args.threads > 1 else "")
        print(
            f"{kind}, gunicorn {workers}{' --preload' if args.preload else ''}, {args.clients} client threads"
        )
        with gunicorn(url, args.workers, args.threads, args.preload) as port:
            started = time.monotonic()
            tally = run_load(port, token, products, args)
            seconds = time.monotonic() - started
        figures = check(url, tally, products)
    for name, value in figures.items():
        print(f"  {name:<38}{value:>8,}")
    print(f"  {'seconds':<38}{seconds:>8.1f}   ({tally.sent / seconds:,.0f} writes/s)")
    bad = (
        "lost",
        "5xx",
        "no answer",
        "duplicates on unique fields",
        "stored but never acknowledged",
        "kept count off by",
        "history lines off by",
    )
    sys.exit(1 if any(figures[name] for name in bad) else 0)


if __name__ == "__main__":
    main()
