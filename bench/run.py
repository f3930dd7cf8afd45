"""Measure the kit against Flask-Admin's SQLAlchemy view, bare Flask and raw sqlite3.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python -m bench.run            # 1k, 100k and 1M rows; about ten minutes
    .venv/bin/python -m bench.run --quick    # 1k and 20k rows; about a minute

Every figure is a ratio of two timings taken in the same run on the same
SQLite file, so a busy machine slows both sides alike.  Latencies are the
median (p50) of repeated requests to apps served by gunicorn on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "results"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PASSWORD = "bench password 1"
REPEAT = 25
COLUMNS = "name, sku, price, stock, active, released, status, contact, created_at, updated_at"


# -- building the tables ---------------------------------------------------------


def kit_app(database: Path):
    """The kit with the benchmark's entity, in this process (for building and seeding)."""
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from bench import models

    return create_app(settings(database), models)


def settings(database: Path) -> dict[str, object]:
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "SEED_ON_START": False,
        "ADMIN_EMAIL": "",
        "SECRET_KEY": "bench-" + "k" * 40,
    }


def build(database: Path, rows: int) -> float:
    """A table of `rows` made-up items plus a login; returns the seconds the kit took."""
    from kit import auth, seed

    database.unlink(missing_ok=True)
    app = kit_app(database)
    with app.app_context():
        auth.save_user("bench@example.com", PASSWORD, "admin")
        started = time.perf_counter()
        seed.load_fake(app.extensions["kit.store"], ["item"], rows)
        seconds = time.perf_counter() - started
    app.extensions["kit.store"].close()
    return seconds


def seeding_ratio(rows: int) -> tuple[float, float]:
    """(kit seconds, raw seconds) to load the same `rows` rows into the same empty table."""
    from kit import fake

    kit_db, raw_db = WORK / "seed-kit.db", WORK / "seed-raw.db"
    kit_db.unlink(missing_ok=True)
    app = kit_app(kit_db)
    store = app.extensions["kit.store"]
    repo = store["item"]
    with app.app_context():
        made = [fake.row(repo, n) for n in range(rows)]  # both sides get the same ready-made rows
        started = time.perf_counter()
        with store.transaction() as conn:
            repo.load((repo.clean(row, check_db=False) for row in made), conn, bulk=True)
        kit_seconds = time.perf_counter() - started
        tuples = sqlite3.connect(kit_db).execute(f"SELECT {COLUMNS} FROM item").fetchall()
    store.close()
    # the same table and indexes as the kit's (its search index aside: raw gets the easier job)
    schema = sqlite3.connect(kit_db).execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'item' AND type IN ('table', 'index') AND sql != ''"
    )
    raw_db.unlink(missing_ok=True)
    raw = sqlite3.connect(raw_db)
    raw.execute("PRAGMA journal_mode = WAL")
    for (sql,) in schema:
        raw.execute(sql)
    started = time.perf_counter()
    with raw:
        raw.executemany(f"INSERT INTO item ({COLUMNS}) VALUES ({', '.join('?' * len(tuples[0]))})", tuples)
    raw_seconds = time.perf_counter() - started
    raw.close()
    return kit_seconds, raw_seconds


# -- serving ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(target: str, database: Path, workers: int = 1):
    """`target` (a gunicorn app spec) on a free port; yields (port, worker pid)."""
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE": str(database), "DATABASE_URL": f"sqlite:///{database}"}
    env |= {"SEED_ON_START": "false", "ADMIN_EMAIL": "", "SECRET_KEY": "bench-" + "k" * 40}
    process = subprocess.Popen(
        [
            GUNICORN,
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "600",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        yield port, int(children[0])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def wait_for(port: int, path: str = "/", timeout: float = 60) -> float:
    """Seconds until the server on `port` answers `path` with anything."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"nothing answered on port {port}")


class Client:
    """Sequential requests with a session cookie, timed one by one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request("GET", path, headers={"Cookie": self.cookie})
        response = connection.getresponse()
        body = response.read()
        self.keep_cookie(response)
        connection.close()
        return response.status, body, time.perf_counter() - started

    def log_in(self) -> None:
        _, page, _ = self.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode({"email": "bench@example.com", "password": PASSWORD, "csrf_token": token})
        headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        self.keep_cookie(response)
        assert response.status == 302, f"login failed: {response.status}"

    def keep_cookie(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or ():
            self.cookie = header.split(";", 1)[0]

    def p50(self, path: str, repeat: int = REPEAT) -> float:
        """Median seconds of `repeat` requests after two warm-ups; every answer must be 200."""
        return self.p50s([path], repeat)[path]

    def p50s(self, paths: list[str], repeat: int = REPEAT) -> dict[str, float]:
        """Median seconds per path, the paths asked in turn so that a busy moment slows all alike."""
        medians = p50s([(self, path) for path in paths], repeat)
        return {path: medians[self, path] for path in paths}


def p50s(asked: list[tuple[Client, str]], repeat: int = REPEAT) -> dict[tuple[Client, str], float]:
    """Median seconds per (server, path), asked in turn after two warm-ups; every answer must be 200.

    Asking two servers in turn puts both through the same busy moments of a shared machine.
    """
    times: dict[tuple[Client, str], list[float]] = {pair: [] for pair in asked}
    for turn in range(2 + repeat):
        for client, path in asked:
            status, _, seconds = client.get(path)
            assert status == 200, f"{path} answered {status}"
            if turn >= 2:
                times[client, path].append(seconds)
    return {pair: statistics.median(seconds) for pair, seconds in times.items()}


def peak_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


# -- the figures -----------------------------------------------------------------

KIT = "bench.kit_app:app"
SQLA = "bench.sqla_app:app"
BARE = "bench.bare_app:app"
LIST = "/admin/item/"


def measure(database: Path, rows: int) -> tuple[dict[str, float], dict[str, float]]:
    """The kit's figures, and Flask-Admin sqla's page 1 and search asked in turn with the kit's."""
    with served(KIT, database) as (port, worker), served(SQLA, database) as (sqla_port, _):
        client, sqla = Client(port), Client(sqla_port)
        client.log_in()
        last = max(0, -(-rows // 20) - 1)
        sorts = [f"{LIST}?sort={n}" for n in range(6)]
        p50 = client.p50s([LIST, *sorts, f"{LIST}?page={last}", f"{LIST}?search=nord"])
        figures = {
            "page1": p50[LIST],
            "sorted": max(p50[path] for path in sorts),
            "last": p50[f"{LIST}?page={last}"],
            "search": p50[f"{LIST}?search=nord"],
            "memory": peak_mib(worker),  # after the list pages: the peak creeps up with every request
        }
        searches = [f"{LIST}?search=nord&sort={n}" for n in (0, 2, 4)] + [f"{LIST}?search=nord&sort=2&desc=1"]
        p50 = client.p50s([f"{LIST}?search=nord", *searches])
        figures["sorted_search"] = max(p50[path] for path in searches) / p50[f"{LIST}?search=nord"]
        page1 = p50s([(client, LIST), (sqla, LIST)])
        search = p50s([(client, f"{LIST}?search=nord"), (sqla, f"{LIST}?search=nord")], repeat=7)
        figures["page1_vs_sqla"] = page1[client, LIST] / page1[sqla, LIST]
        figures["search_vs_sqla"] = (
            search[client, f"{LIST}?search=nord"] / search[sqla, f"{LIST}?search=nord"]
        )
        compared = {"page1": page1[sqla, LIST], "search": search[sqla, f"{LIST}?search=nord"]}
        before = peak_mib(worker)
        status, body, _ = client.get(f"{LIST}export/csv/")
        assert status == 200 and body.count(b"\n") >= rows, "export incomplete"
        figures["export_growth"] = peak_mib(worker) - before
        figures["memory_after_export"] = peak_mib(worker)
    return figures, compared


def page1_across(small: Path, big: Path) -> dict[str, float]:
    """Page 1 of the small table and of the big one, their two servers asked in turn."""
    with served(KIT, small) as (small_port, _), served(KIT, big) as (big_port, _):
        clients = {"small": Client(small_port), "big": Client(big_port)}
        for client in clients.values():
            client.log_in()
        p50 = p50s([(client, LIST) for client in clients.values()])
    return {size: p50[client, LIST] for size, client in clients.items()}


def cold_starts(commands: dict[str, tuple[list[str], str]], env: dict[str, str]) -> dict[str, float]:
    """Median seconds from launching each command to its first answer on its path, over 21 launches.

    The commands take turns, so a busy moment of a shared machine slows each of them alike.
    Python caches compiled modules as it does on a user's machine: one launch of each before
    the timed ones writes them, as a first `python app.py` does, even where
    PYTHONDONTWRITEBYTECODE is set.
    """
    env = {**os.environ, **env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(22):  # nine gave ratios 2.2-2.4 in one half-minute, 21 gave 2.32-2.35
        for name, (command, path) in commands.items():
            port = free_port()
            started = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=ROOT, env={**env, "PORT": str(port)}, stderr=subprocess.DEVNULL
            )
            try:
                wait_for(port, path)
                times[name].append(time.perf_counter() - started)
            finally:
                process.kill()
                process.wait()
    return {name: statistics.median(seconds[1:]) for name, seconds in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 20k rows instead of 1k, 100k and 1M")
    options = parser.parse_args(argv)
    sizes = [1_000, 20_000] if options.quick else [1_000, 100_000, 1_000_000]
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)

    kit, sqla, built = {}, {}, {}
    for size in sizes:
        database = WORK / f"items-{size}.db"
        built[size] = build(database, size)
        print(f"built {size:,} rows in {built[size]:.1f} s", flush=True)
        kit[size], sqla[size] = measure(database, size)
        print(f"  kit {kit[size]}\n  flask-admin sqla {sqla[size]}", flush=True)

    small, big = sizes[0], sizes[-1]
    seed_rows = 100_000 if not options.quick else 20_000
    kit_seconds, raw_seconds = seeding_ratio(seed_rows)
    env = {
        "DATABASE_URL": f"sqlite:///{WORK / f'items-{small}.db'}",
        "BENCH_DATABASE": str(WORK / f"items-{small}.db"),
    }
    env |= {"SEED_ON_START": "false", "ADMIN_EMAIL": "", "SECRET_KEY": "bench-" + "k" * 40}
    across = page1_across(WORK / f"items-{small}.db", WORK / f"items-{big}.db")
    apps = {"kit": ([PYTHON, "app.py"], "/login"), "bare": ([PYTHON, "bench/bare_app.py"], "/")}
    starts = cold_starts(apps, env)
    kit_start, bare_start = starts["kit"], starts["bare"]

    a, b, fa = kit[big], kit[small], sqla[big]
    # (figure, measured value, target as printed, at most or at least, limit)
    figures = [
        (f"list page 1 at {big:,} / at {small:,}", across["big"] / across["small"], "<=", 1.2),
        (f"list page 1 at {big:,}: kit / Flask-Admin sqla", a["page1_vs_sqla"], "<=", 0.25),
        (f"slowest sorted page / page 1 at {big:,}", a["sorted"] / a["page1"], "<=", 1.5),
        (f"last page / page 1 at {big:,}", a["last"] / a["page1"], "<=", 1.5),
        (f"search at {big:,}: kit / Flask-Admin sqla", a["search_vs_sqla"], "<=", 0.1),
        (f"slowest sorted search / search at {big:,}", a["sorted_search"], "<=", 1.5),
        (f"seeding {seed_rows:,} rows: kit speed / raw executemany", raw_seconds / kit_seconds, ">=", 0.6),
        ("cold start to first 200: python app.py / bare Flask", kit_start / bare_start, "<=", 2.5),
        (f"peak MiB per worker at {big:,} rows", a["memory"], "<=", 70),
        (f"peak MiB per worker at {big:,} / at {small:,} rows", a["memory"] / b["memory"], "<=", 1.1),
        (f"MiB a worker grows exporting {big:,} rows as CSV", a["export_growth"], "<=", 5),
    ]
    print(f"\n{'figure':<60}{'measured':>9}  {'target':<9}result")
    met = 0
    for name, value, sense, limit in figures:
        ok = value <= limit if sense == "<=" else value >= limit
        met += ok
        print(f"{name:<60}{value:>9.2f}  {sense} {limit:<6}{'met' if ok else 'MISSED'}")
    print(f"\n{met} of {len(figures)} targets met.")
    print(
        f"p50 ms: kit page 1 {across['small'] * 1000:.1f} at {small:,} "
        f"and {across['big'] * 1000:.1f} at {big:,}, "
        f"Flask-Admin sqla page 1 {fa['page1'] * 1000:.1f}; search kit {a['search'] * 1000:.1f}, "
        f"sqla {fa['search'] * 1000:.1f}. "
        f"Seeding kit {kit_seconds:.2f} s, raw {raw_seconds:.2f} s. "
        f"Cold start kit {kit_start:.2f} s, bare Flask {bare_start:.2f} s."
    )
    return 0 if met == len(figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
