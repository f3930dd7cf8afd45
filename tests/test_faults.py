"""Faults: a bad DATABASE_URL, a read-only, full or busy database, a process killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from kit import store as storage
from kit.errors import StartupError
from tests.conftest import ON_POSTGRES, ROOT, SECRET_KEY, csrf_token, database_for, make_app, sqlite_only

# -- start-up ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgres://kit:secret@127.0.0.1/shop",
            "DATABASE_URL starts with postgres://, which SQLAlchemy no longer reads; "
            "write postgresql:// instead and keep the rest.",
        ),
        (
            "mysql://kit@127.0.0.1/shop",
            "DATABASE_URL names 'mysql', but the kit runs on SQLite (sqlite:///...) or PostgreSQL (postgresql://...).",
        ),
        (
            "instance/app.db",
            "DATABASE_URL 'instance/app.db' is not a database URL; "
            "use sqlite:///instance/app.db or postgresql://user:password@host/name.",
        ),
        (
            "sqlite://",
            "DATABASE_URL 'sqlite://' is a database in memory, which each connection sees empty "
            "and which is gone at exit; name a file: sqlite:///instance/app.db.",
        ),
    ],
    ids=["postgres scheme", "unknown scheme", "a path", "in memory"],
)
def test_a_bad_database_url_stops_start_up_with_one_sentence(tmp_path, url, message):
    with pytest.raises(StartupError) as refused:
        make_app(tmp_path, DATABASE_URL=url)
    assert refused.value.message == message


def test_an_unreachable_server_stops_start_up_without_showing_the_password(tmp_path):
    with pytest.raises(StartupError) as refused:
        make_app(tmp_path, DATABASE_URL="postgresql://kit:hunter2@127.0.0.1:9/shop")  # port 9: nobody listens
    message = refused.value.message
    assert message.startswith("DATABASE_URL postgresql+psycopg://kit:***@127.0.0.1:9/shop can't be reached (")
    assert message.endswith("; check it and that the server runs.") and "hunter2" not in message


def test_a_sqlite_file_in_a_missing_folder_stops_start_up(tmp_path):
    with pytest.raises(
        StartupError, match=r"^DATABASE_URL's SQLite file .*nowhere/app.db can't be opened \(unable to open"
    ):
        make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'nowhere' / 'app.db'}")


def test_python_app_py_prints_the_sentence_and_no_traceback():
    env = {**os.environ, "DATABASE_URL": "postgres://kit@127.0.0.1/shop", "SEED_ON_START": "false"}
    run = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    assert (
        run.stderr == "Can't start: DATABASE_URL starts with postgres://, which SQLAlchemy no longer reads; "
        "write postgresql:// instead and keep the rest.\n"
    )


# -- a database that can't write -----------------------------------------------


def on_every_new_connection(app, statement: str) -> None:
    """Run `statement` on each connection the app opens from now on (and drop those it has)."""
    engine = app.extensions["kit.store"].db.engine

    def run(conn, record) -> None:
        conn.cursor().execute(statement)
        conn.commit()  # a SET on PostgreSQL lasts only as long as its transaction

    sa.event.listen(engine, "connect", run)
    app.extensions["kit.store"].release()
    engine.dispose()


def signup(app) -> tuple:
    client = app.test_client()
    data = {"email": "zoë@example.com", "comment": "Für Tee", "csrf_token": csrf_token(client, "/")}
    return client.post("/", data=data), client.post("/api/signup", json={"email": "a@example.com"})


def test_a_read_only_database_answers_503_with_a_sentence(tmp_path):
    app = make_app(tmp_path, TESTING=False)
    on_every_new_connection(
        app, "SET default_transaction_read_only = on" if ON_POSTGRES else "PRAGMA query_only = ON"
    )
    page, api = signup(app)
    sentence = "The database is read-only right now, so nothing can be saved; try again later."
    assert page.status_code == 503 and sentence in page.text and "Traceback" not in page.text
    assert page.headers["Retry-After"] == "5"
    assert api.status_code in (401, 503)  # the API asks who it is first; a page reads fine
    with app.app_context():
        assert app.extensions["kit.store"]["signup"].count() == 0


@sqlite_only
def test_a_full_disk_answers_503_with_a_sentence(tmp_path):
    app = make_app(tmp_path, TESTING=False)
    with closing(sqlite3.connect(tmp_path / "test.db")) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    on_every_new_connection(app, f"PRAGMA max_page_count = {pages + 2}")  # room for a few rows more
    client = app.test_client()
    token = csrf_token(client, "/")
    for n in range(500):
        page = client.post(
            "/", data={"email": f"zoë{n}@example.com", "comment": "ü" * 200, "csrf_token": token}
        )
        if page.status_code != 302:
            break
    assert page.status_code == 503, page.text
    assert "The server's disk is full, so nothing can be saved; try again later." in unescape(page.text)
    with app.app_context():
        assert app.extensions["kit.store"]["signup"].count() == n  # every row answered 302 is stored


@sqlite_only
def test_a_database_locked_too_long_answers_503_with_a_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "BUSY_TIMEOUT_MS", 100)
    app = make_app(tmp_path, TESTING=False)
    client = app.test_client()
    token = csrf_token(client, "/")
    with closing(sqlite3.connect(tmp_path / "test.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        page = client.post("/", data={"email": "zoë@example.com", "csrf_token": token})
        other.execute("ROLLBACK")
    assert page.status_code == 503 and "The database is busy; try again in a moment." in page.text
    with app.app_context():
        assert app.extensions["kit.store"]["signup"].count() == 0


# -- killed mid-write ----------------------------------------------------------


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    """`python ARGS` in the project, on the test's database, its stderr to read."""
    env = {
        **os.environ,
        "DATABASE_URL": database_for(tmp_path),
        "SECRET_KEY": SECRET_KEY,
        "SEED_ON_START": "false",
        "ADMIN_EMAIL": "",
    }
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def wait_for(process: subprocess.Popen, text: str) -> None:
    """Read the process's stderr until `text` shows (it is then mid-way through its work)."""
    seen = ""
    while text not in seen:
        char = process.stderr.read(1)
        assert char, f"the process ended before saying {text!r}: {seen}"
        seen += char


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    process.stderr.close()


def check_intact(app) -> None:
    """The database passes its own check, every kept count is exact, and every index is there."""
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        conn = kit_store.connection
        if kit_store.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        inspector = sa.inspect(conn)
        for repo in kit_store:
            assert repo.count() == conn.execute(sa.select(sa.func.count()).select_from(repo.table)).scalar()
            present = {index["name"] for index in inspector.get_indexes(repo.name)}
            assert {index.name for index in repo.indexes(conn.dialect.name)} <= present, repo.name


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.8])
def test_a_seed_load_killed_mid_way_leaves_all_of_it_or_none(tmp_path, delay):
    app = make_app(tmp_path)
    loading = start(
        tmp_path, "-m", "flask", "--app", "app", "seed", "--fake", "30000", "--entity", "category"
    )
    wait_for(loading, "Loading category")
    time.sleep(delay)
    kill(loading)
    check_intact(app)
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() in (0, 30_000)


DELETE_ALL = """
import sys
from app import create_app
app = create_app()
with app.app_context():
    print("deleting", file=sys.stderr, flush=True)
    app.extensions["kit.store"]["category"].delete_many(range(1, 20_001))
"""


def test_a_bulk_delete_killed_mid_way_deletes_all_of_it_or_none(tmp_path):
    app = make_app(tmp_path)
    seeding = start(
        tmp_path, "-m", "flask", "--app", "app", "seed", "--fake", "20000", "--entity", "category"
    )
    seeding.communicate(timeout=120)
    assert seeding.returncode == 0
    for delay in (0.0, 0.05, 0.2, 1.0):
        deleting = start(tmp_path, "-c", DELETE_ALL)
        wait_for(deleting, "deleting")
        time.sleep(delay)
        kill(deleting)
        check_intact(app)
        with app.app_context():
            rows = app.extensions["kit.store"]["category"].count()
        assert rows in (0, 20_000)
        if rows == 0:
            break
