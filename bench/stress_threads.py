"""200 requests at once on threaded servers: all answered, database connections bounded and released.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python -m bench.stress_threads                      # SQLite
    .venv/bin/python -m bench.stress_threads --postgres postgresql://user:password@127.0.0.1/postgres

Two servers in turn on a fresh database: `python app.py` (Flask's threaded
development server) and gunicorn's threaded workers (gthread).  Each gets
--bursts bursts of --clients requests sent at the same moment from as many
client threads (reads of lists and rows, and creates).  Printed per server:
requests sent, answered, 5xx, the most database connections its processes
held during the bursts (SQLite: open handles on the file; PostgreSQL:
pg_stat_activity), the bound (DATABASE_POOL per process), and connections
still inside a transaction once the bursts are over (must be 0: every request
gave its connection back).  Loopback only; bounded in requests and time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.stress_writes import (
    ROOT,
    free_port,
    fresh_database,
    gunicorn,
    prepare,
    request,
    settings,
    wait_until_up,
)

POOL = 5
SERVED = "kit-stress-server"
"""The application_name the servers' connections carry, to count them and no others."""


def served(url: str) -> str:
    """The URL the servers get: on PostgreSQL their connections are named, for pg_stat_activity."""
    if url.startswith("sqlite"):
        return url
    return sa.engine.make_url(url).update_query_dict({"application_name": SERVED}).render_as_string(False)


def processes(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def server_pid(port: int) -> int:
    """The process listening on 127.0.0.1:`port`, from /proc/net/tcp and the fds of processes."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":
            inode = fields[9]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (entry / "fd").iterdir()):
                    return int(entry.name)
            except OSError:
                continue
    raise SystemExit(f"nothing listens on port {port}")


class Connections:
    """Counts the database connections of a server's processes while it is busy."""

    def __init__(self, url: str, root: int) -> None:
        self.url, self.root = url, root
        self.engine = None if url.startswith("sqlite") else sa.create_engine(url, poolclass=sa.NullPool)
        self.database = sa.engine.make_url(url).database

    def held(self) -> tuple[int, int]:
        """(connections open, connections inside a transaction) right now."""
        if self.engine is None:
            opened = 0
            for pid in processes(self.root):
                try:
                    opened += sum(
                        1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd) == self.database
                    )
                except OSError:
                    continue
            return opened, 0  # SQLite: a file handle says nothing about transactions; see the tests
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT state FROM pg_stat_activity WHERE datname = :db AND application_name = :name "
                    "AND pid <> pg_backend_pid()"
                ),
                {"db": self.database, "name": SERVED},
            ).all()
        return len(rows), sum(1 for (state,) in rows if state and "transaction" in state)

    def watch(self, stop: threading.Event, peak: list[int]) -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], self.held()[0])
            time.sleep(0.05)


@contextmanager
def dev_server(url: str) -> Any:
    """`python app.py`: Flask's threaded development server."""
    port = free_port()
    env = {**settings(url), "PORT": str(port), "HOST": "127.0.0.1", "DATABASE_POOL": str(POOL)}
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(server, port, "python app.py")
        yield port
    finally:
        server.terminate()
        server.wait(30)


def burst(port: int, token: str, products: list[int], clients: int, round: str) -> Counter[str]:
    """`clients` requests released at one moment; their outcomes."""
    auth = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(clients)

    def one(n: int) -> str:
        start.wait(30)
        try:
            if n % 4 == 0:
                status = request(port, "POST", "/api/signup", {"email": f"r{round}n{n}@example.com"}, auth)[0]
            elif n % 4 == 1:
                status = request(port, "GET", f"/api/product/{products[n % len(products)]}", headers=auth)[0]
            elif n % 4 == 2:
                status = request(port, "GET", "/api/category")[0]
            else:
                status = request(port, "GET", "/api/signup?_search=example", headers=auth)[0]
        except OSError as error:
            return type(error).__name__
        return "5xx" if status >= 500 else "ok" if status < 400 else str(status)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return Counter(pool.map(one, range(clients)))


def measure(
    name: str, url: str, serve: Any, token: str, products: list[int], args: argparse.Namespace
) -> bool:
    with serve as port:
        watcher = Connections(url, server_pid(port))
        stop, peak = threading.Event(), [0]
        watching = threading.Thread(target=watcher.watch, args=(stop, peak))
        watching.start()
        outcomes: Counter[str] = Counter()
        started = time.monotonic()
        for round in range(args.bursts):
            outcomes += burst(port, token, products, args.clients, f"{port}-{round}")
        seconds = time.monotonic() - started
        stop.set()
        watching.join()
        time.sleep(0.5)
        after, in_transaction = watcher.held()
    sent = args.clients * args.bursts
    print(f"{name}")
    print(f"  {'requests sent':<44}{sent:>8,}")
    print(f"  {'answered (2xx/3xx)':<44}{outcomes['ok']:>8,}")
    print(f"  {'5xx':<44}{outcomes['5xx']:>8,}")
    others = {k: v for k, v in outcomes.items() if k not in ("ok", "5xx")}
    print(f"  {'other answers':<44}{str(others or 0):>8}")
    print(f"  {'most database connections held at once':<44}{peak[0]:>8,}")
    print(f"  {'bound (DATABASE_POOL x processes)':<44}{args.bound:>8,}")
    print(f"  {'connections open after the bursts':<44}{after:>8,}")
    print(f"  {'connections still inside a transaction':<44}{in_transaction:>8,}")
    print(f"  {'seconds':<44}{seconds:>8.1f}")
    return outcomes["ok"] == sent and peak[0] <= args.bound and in_transaction == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL to make the run's database on (else SQLite)")
    parser.add_argument("--clients", type=int, default=200, help="requests sent at the same moment")
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gthread workers")
    parser.add_argument("--threads", type=int, default=32, help="threads per gunicorn worker")
    args = parser.parse_args()
    os.environ["DATABASE_POOL"] = str(POOL)
    ok = True
    with fresh_database(args.postgres) as url:
        token, products = prepare(url, 20)
        kind = "PostgreSQL" if args.postgres else "SQLite"
        url = served(url)
        args.bound = POOL
        ok &= measure(
            f"{kind}: python app.py (threaded dev server)", url, dev_server(url), token, products, args
        )
        args.bound = POOL * args.workers
        title = f"{kind}: gunicorn {args.workers} gthread workers x {args.threads} threads"
        ok &= measure(title, url, gunicorn(url, args.workers, args.threads), token, products, args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
