"""Fixtures in the flaskr manner: an app on a file database under tmp_path, its clients.

With KIT_TEST_DATABASE=postgresql://user:password@host/postgres the same tests run
on PostgreSQL: the session makes a database of its own there (dropped at the end)
and each test's app gets a schema of its own in it, named after its tmp_path.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

import models
from app import create_app
from kit import auth
from kit.auth import save_user
from kit.store import STORES, database_url
from tests import unusual_models

ROOT = Path(__file__).resolve().parent.parent
MODEL_SETS = {"shop": models, "unusual": unusual_models}
PASSWORD = "correct horse battery"
SECRET_KEY = "tests-4f9c1e77b2d04a6e93c58a1df0e2b7c6"
TEST_DATABASE = os.environ.get("KIT_TEST_DATABASE", "")
ON_POSTGRES = TEST_DATABASE.startswith("postgres")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="checks SQLite itself (its files, PRAGMAs or FTS5)")
SESSION_DATABASE = f"kit_test_{secrets.token_hex(4)}"
schemas: set[str] = set()


@pytest.fixture(autouse=True, scope="session")
def postgres_database() -> Iterator[None]:
    """On PostgreSQL: a database for this test session, dropped when it ends."""
    if not ON_POSTGRES:
        yield
        return
    server = sa.create_engine(database_url(TEST_DATABASE), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {SESSION_DATABASE}")
    yield
    with server.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {SESSION_DATABASE} WITH (FORCE)")
    server.dispose()


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    """Close what a test opened and left open, so connections never pile up across tests."""
    before = set(STORES)
    yield
    for kit_store in set(STORES) - before:
        kit_store.close()


def database_for(tmp_path) -> str:
    """The test's database: a SQLite file in tmp_path, or a PostgreSQL schema named after it."""
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'test.db'}"
    schema = "t_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:20]
    url = database_url(TEST_DATABASE).set(database=SESSION_DATABASE)
    if schema not in schemas:
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        engine.dispose()
        schemas.add(schema)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Hashing with production rounds costs a third of a second a login; tests log in a lot."""
    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")


def run_python(tmp_path, code: str) -> list[str]:
    """The lines `code` prints in a fresh Python beside app.py, its database a SQLite file in tmp_path."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "SEED_ON_START": "false"}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def make_app(tmp_path, entities: ModuleType = models, **overrides) -> Flask:
    """An app on its own database (see database_for), without demo data unless asked."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_for(tmp_path),
        "SECRET_KEY": SECRET_KEY,
        "SEED_ON_START": False,
        "ADMIN_EMAIL": "",
        **overrides,
    }
    return create_app(config, entities)


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    app.extensions["kit.store"].close()


@pytest.fixture(params=sorted(MODEL_SETS))
def any_app(request, tmp_path) -> Iterator[Flask]:
    """The app once with the example models, once with the unusual ones."""
    app = make_app(tmp_path, MODEL_SETS[request.param])
    yield app
    app.extensions["kit.store"].close()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app) -> FlaskCliRunner:
    return app.test_cli_runner()


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token a page hands out, as a browser would read it from the form."""
    page = client.get(path)
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(app: Flask, role: str = "admin", email: str | None = None) -> FlaskClient:
    """A client logged in through the login form as a user with `role`."""
    email = email or f"{role}@example.com"
    with app.app_context():
        save_user(email, PASSWORD, role)
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    return client


def csv_text(response) -> str:
    """A CSV export as text: it starts with the byte order mark spreadsheets look for."""
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf"), response.data[:80]
    return response.data.decode("utf-8-sig")


@pytest.fixture
def admin_client(app) -> FlaskClient:
    return log_in(app)
