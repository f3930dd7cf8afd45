"""Fixtures in the flaskr manner: an app on a file database under tmp_path, its clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

import models
from app import create_app
from kit import auth
from kit.auth import save_user
from tests import unusual_models

MODEL_SETS = {"shop": models, "unusual": unusual_models}
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Hashing with production rounds costs a third of a second a login; tests log in a lot."""
    monkeypatch.setattr(auth, "PASSWORD_METHOD", "pbkdf2:sha256:1000")


def make_app(tmp_path, entities: ModuleType = models, **overrides) -> Flask:
    """An app on its own SQLite file, without demo data unless asked."""
    config = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
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


@pytest.fixture
def admin_client(app) -> FlaskClient:
    return log_in(app)
