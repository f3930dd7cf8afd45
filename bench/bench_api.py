"""The JSON API's list of 20 rows against a bare Flask view of the same rows, both under gunicorn.

    .venv/bin/pip install -r bench/requirements.txt && apt-get install -y wrk
    .venv/bin/python -m bench.bench_api                  # 3 rounds of 5 s per side, about 1.5 minutes
    .venv/bin/python -m bench.bench_api --rounds 5 --seconds 10

All apps read the same SQLite file (the demo shop's products) and run as two
sync gunicorn workers; wrk measures them in interleaved rounds, so a busy
spell on the machine slows every side alike, and the median of each side is
compared.  The bare view is Flask as its tutorial has it, a connection per
request (like bench/bare_app.py); the same view keeping its connection is
shown too, as the least any Flask view costs.  Target: the API answers at
least 0.6x the bare view's requests per second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask, Response, g

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
TARGET = 0.6
ROWS = 20


# -- the two apps, as gunicorn factories ------------------------------------------


def kit() -> Flask:
    """The kit, on the database BENCH_DB names."""
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app(settings(Path(os.environ["BENCH_DB"])))


def bare() -> Flask:
    """Flask as its tutorial has it (a connection per request, as in bench/bare_app.py): one query, JSON."""
    return bare_view(keep=False)


def bare_kept() -> Flask:
    """The same view keeping one connection per worker: the least any Flask view can cost."""
    return bare_view(keep=True)


def bare_view(keep: bool) -> Flask:
    app = Flask("bare")
    database = os.environ["BENCH_DB"]
    kept: list[sqlite3.Connection] = []

    def connect() -> sqlite3.Connection:
        if keep:
            if not kept:
                kept.append(sqlite3.connect(database, check_same_thread=False))
            return kept[0]
        db = g.db = sqlite3.connect(database)
        return db

    @app.get("/rows")
    def rows() -> Response:
        cursor = connect().execute("select * from product order by name, id limit ?", (ROWS,))
        names = [column[0] for column in cursor.description]
        data = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in data:
            row["price"] = f"{row['price'] / 100:.2f}"
        return Response(json.dumps({"rows": data}), mimetype="application/json")

    @app.teardown_appcontext
    def close(error: BaseException | None) -> None:
        if "db" in g:
            g.pop("db").close()

    return app


def settings(database: Path) -> dict[str, object]:
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789abcdef",
        "SEED_ON_START": True,
        "ADMIN_EMAIL": "",
    }


# -- measuring --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(factory: str, database: Path) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn with two sync workers on a free port, once it answers."""
    port = free_port()
    env = {**os.environ, "BENCH_DB": str(database)}
    command = [GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", factory]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"{factory} did not start on port {port}")


def requests_per_second(url: str, seconds: int, headers: dict[str, str]) -> float:
    """wrk's requests/sec after a short warm-up; refuses a run with errors or non-2xx answers."""
    options = [item for name, value in headers.items() for item in ("-H", f"{name}: {value}")]
    subprocess.run(["wrk", "-t2", "-c8", "-d2s", *options, url], check=True, capture_output=True)
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", *options, url], check=True, capture_output=True, text=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"{url} answered with errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def token_for(database: Path) -> str:
    """An editor's API token on the benchmark database."""
    app = kit_here(database)
    from kit import tokens
    from kit.auth import save_user

    with app.app_context():
        user = save_user("bench@example.com", "bench password 1", "editor")
        return tokens.issue({"user": user["id"], "name": "bench"})[1]


def kit_here(database: Path) -> Flask:
    os.environ["BENCH_DB"] = str(database)
    return kit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="each wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side, interleaved (default 3)")
    args = parser.parse_args()
    for tool in ("wrk", GUNICORN):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: see this file's docstring.")
    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    database = folder / "shop.db"
    token = token_for(database)  # also makes the tables and loads seed/
    query = f"/api/product?_per_page={ROWS}"
    sides = {
        "bare Flask view": ("bench.bench_api:bare()", "/rows", {}),
        "bare view, kept connection": ("bench.bench_api:bare_kept()", "/rows", {}),
        "kit API, public read": ("bench.bench_api:kit()", query, {}),
        "kit API, with a token": ("bench.bench_api:kit()", query, {"Authorization": f"Bearer {token}"}),
    }
    factories = dict.fromkeys(factory for factory, _, _ in sides.values())  # one server for both kit sides
    servers = {factory: serve(factory, database) for factory in factories}
    runs: dict[str, list[float]] = {name: [] for name in sides}
    try:
        for _ in range(args.rounds):  # interleaved, so a busy spell on the machine hits every side
            for name, (factory, path, headers) in sides.items():
                url = f"http://127.0.0.1:{servers[factory][1]}{path}"
                runs[name].append(requests_per_second(url, args.seconds, headers))
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(10)
        shutil.rmtree(folder)
    results = {name: statistics.median(rps) for name, rps in runs.items()}
    bare_rps = results["bare Flask view"]
    print(
        f"\n{ROWS} rows of the demo shop's products; gunicorn -w 2; wrk -t2 -c8, "
        f"median of {args.rounds} interleaved runs of {args.seconds} s"
    )
    for name, rps in results.items():
        print(f"  {name:<28}{rps:>9,.0f} requests/s   {rps / bare_rps:.2f}x")
    ratio = results["kit API, public read"] / bare_rps
    verdict = "meets" if ratio >= TARGET else "misses"
    print(f"The API {verdict} the target of {TARGET}x the bare Flask view ({ratio:.2f}x).")


if __name__ == "__main__":
    main()
