"""Logging in and out: the rules kit/auth.py promises, checked through the real login form."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from kit import auth
from kit.errors import StartupError
from tests.conftest import PASSWORD, csrf_token, log_in, make_app

EMAIL = "zoë.brontë@example.com"
WRONG = "Wrong email or password."
FIRST_START = re.compile(r"log in at /admin/ as (\S+) with password (\S+)")


def post_login(client: FlaskClient, email: str, password: str, next: str | None = None):
    """Submit the login form as a browser would, optionally with a `next` target."""
    path = "/login" if next is None else "/login?next=" + quote(next, safe="")
    token = csrf_token(client, path)
    return client.post(path, data={"email": email, "password": password, "csrf_token": token})


def post_logout(client: FlaskClient):
    """Press the logout button: a POST carrying the page's CSRF token."""
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})  # its logout form


def is_logged_in(client: FlaskClient) -> bool:
    """Whether the admin opens for this client, or it is sent to the login page."""
    response = client.get("/admin/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def add_user(app: Flask, email: str = EMAIL, password: str = PASSWORD, role: str = "admin") -> dict:
    with app.app_context():
        return auth.save_user(email, password, role)


def user_row(app: Flask, email: str) -> dict | None:
    with app.app_context():
        return app.extensions["kit.store"]["kit_user"].find("email", email)


def user_count(app: Flask) -> int:
    with app.app_context():
        return app.extensions["kit.store"]["kit_user"].count()


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


# == LOGGING IN ================================================================


def test_login_with_right_password_opens_the_admin(app, client):
    add_user(app)
    response = post_login(client, EMAIL, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (EMAIL, "wrong horse battery"),
        ("nobody-ß@example.com", PASSWORD),
        ("zoë.brontë", PASSWORD),
    ],
    ids=["wrong password", "unknown email", "malformed email"],
)
def test_wrong_password_or_unknown_email_is_refused_with_one_sentence(app, client, email, password):
    add_user(app)
    response = post_login(client, email, password)
    assert response.status_code == 200
    assert WRONG in response.text
    assert not is_logged_in(client)


def test_email_is_matched_case_insensitively(app, client):
    add_user(app, EMAIL)
    response = post_login(client, "ZOË.BRONTË@Example.COM", PASSWORD)
    assert response.status_code == 302, response.text
    assert is_logged_in(client)


def test_inactive_user_cannot_log_in(app, client):
    user = add_user(app)
    with app.app_context():
        app.extensions["kit.store"]["kit_user"].update(user["id"], {"active": False})
    response = post_login(client, EMAIL, PASSWORD)
    assert response.status_code == 200
    assert WRONG in response.text
    assert not is_logged_in(client)


def test_deactivating_a_user_ends_their_session(app):
    client = log_in(app, email=EMAIL)
    with app.app_context():
        repo = app.extensions["kit.store"]["kit_user"]
        repo.update(repo.find("email", EMAIL)["id"], {"active": False})
    assert not is_logged_in(client)


def test_login_form_without_csrf_token_is_refused(app, client):
    add_user(app)
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    assert not is_logged_in(client)


# == WHERE LOGIN LEADS =========================================================


def test_admin_page_asked_for_before_login_is_opened_after_it(app, client):
    add_user(app)
    response = client.get("/admin/product/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    token = csrf_token(client, login_url)
    response = client.post(login_url, data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/product/"


def test_the_login_page_sends_a_logged_in_user_on(admin_client):
    assert admin_client.get("/login").headers["Location"] == "/admin/"
    assert admin_client.get("/login?next=/admin/order/").headers["Location"] == "/admin/order/"
    assert admin_client.get("/login?next=https://evil.example/").headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example/admin/",
    ],
)
def test_next_leading_off_the_site_is_ignored(app, client, target):
    add_user(app)
    response = post_login(client, EMAIL, PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example"])
def test_next_with_control_characters_is_ignored(app, client, target):
    # Browsers drop tabs and newlines from a Location, so "/\t/evil.example" means "//evil.example";
    # a newline would also make Werkzeug refuse the header and answer 500.
    add_user(app)
    response = post_login(client, EMAIL, PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


# == SESSIONS ==================================================================


def test_login_starts_a_fresh_session(app, client):
    add_user(app)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "café before login"
    before = session_cookie(client)
    assert before is not None

    post_login(client, EMAIL, PASSWORD)

    assert is_logged_in(client)
    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_requires_post(admin_client):
    assert admin_client.get("/logout").status_code == 405
    assert is_logged_in(admin_client)


def test_logout_without_csrf_token_is_refused(admin_client):
    assert admin_client.post("/logout").status_code == 400
    assert is_logged_in(admin_client)


def test_logout_invalidates_the_old_cookie(app, admin_client):
    old_cookie = session_cookie(admin_client)
    assert old_cookie is not None

    response = post_logout(admin_client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not is_logged_in(admin_client)

    replayed = app.test_client()
    replayed.set_cookie("session", old_cookie)
    assert not is_logged_in(replayed)


def test_new_password_from_create_admin_ends_old_sessions(app, runner):
    client = log_in(app, email=EMAIL)
    result = runner.invoke(args=["create-admin", EMAIL, "--password", "nouveau mot de passe"])
    assert result.exit_code == 0, result.output
    assert not is_logged_in(client)


# == flask create-admin ========================================================


def test_create_admin_stores_only_a_password_hash(app, runner):
    result = runner.invoke(args=["create-admin", EMAIL, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert f"User {EMAIL} saved with role admin." in result.output

    row = user_row(app, EMAIL)
    assert row["role"] == "admin"
    assert PASSWORD not in row.values()
    assert row["password_hash"] != PASSWORD
    assert check_password_hash(row["password_hash"], PASSWORD)
    assert post_login(app.test_client(), EMAIL, PASSWORD).status_code == 302


def test_create_admin_again_resets_the_password_and_role(app, runner):
    first = runner.invoke(args=["create-admin", EMAIL, "--password", PASSWORD])
    assert first.exit_code == 0, first.output
    new_password = "über geheimes Passwort"
    result = runner.invoke(args=["create-admin", EMAIL, "--password", new_password, "--role", "editor"])
    assert result.exit_code == 0, result.output
    assert f"User {EMAIL} saved with role editor." in result.output

    assert user_count(app) == 1
    assert user_row(app, EMAIL)["role"] == "editor"
    old = post_login(app.test_client(), EMAIL, PASSWORD)
    assert old.status_code == 200
    assert WRONG in old.text
    assert post_login(app.test_client(), EMAIL, new_password).status_code == 302


def test_create_admin_again_keeps_the_role_and_a_deactivated_login_deactivated(app, runner):
    with app.app_context():
        viewer = auth.save_user(EMAIL, PASSWORD, "viewer")
        app.extensions["kit.store"]["kit_user"].update(viewer["id"], {"active": False})
    result = runner.invoke(args=["create-admin", EMAIL, "--password", "über geheimes Passwort"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"User {EMAIL} saved with role viewer.\n"
        "It is deactivated: an admin can activate it on the admin's Users screen.\n"
    )
    row = user_row(app, EMAIL)
    assert (row["role"], row["active"]) == ("viewer", False)
    assert post_login(app.test_client(), EMAIL, "über geheimes Passwort").status_code == 200


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("kurz-ä", "Password must have at least 10 characters."),
        (" " * 18, "Password can't be one character over and over."),
        ("ä" * 12, "Password can't be one character over and over."),
    ],
)
def test_create_admin_refuses_a_short_or_repeated_password(app, runner, password, said):
    result = runner.invoke(args=["create-admin", EMAIL, "--password", password])
    assert result.exit_code == 1, result.output
    assert said in result.output
    assert isinstance(result.exception, SystemExit), result.exception  # click's message, no traceback
    assert "Traceback" not in result.output
    assert user_count(app) == 0


def test_create_admin_refuses_a_malformed_email(app, runner):
    result = runner.invoke(args=["create-admin", "zoë.brontë", "--password", PASSWORD])
    assert result.exit_code == 1, result.output
    assert "Email must be an email address like name@example.com." in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert user_count(app) == 0


# == FIRST START ===============================================================


def first_start(tmp_path, capsys, email: str = "first@example.com") -> tuple[Flask, str]:
    """A fresh app with ADMIN_EMAIL set, and what it printed to stderr."""
    app = make_app(tmp_path, ADMIN_EMAIL=email)
    captured = capsys.readouterr()
    return app, captured.err


def test_first_start_prints_a_random_password_that_logs_in(tmp_path, capsys):
    app, printed = first_start(tmp_path, capsys)
    found = FIRST_START.search(printed)
    assert found, printed
    email, password = found.groups()
    assert email == "first@example.com"
    assert len(password) >= auth.MIN_PASSWORD
    assert post_login(app.test_client(), email, password).status_code == 302
    app.extensions["kit.store"].close()


def test_first_start_happens_only_once(tmp_path, capsys):
    first, printed = first_start(tmp_path, capsys)
    assert FIRST_START.search(printed), printed
    first.extensions["kit.store"].close()

    again, printed_again = first_start(tmp_path, capsys)
    assert "First start" not in printed_again
    assert FIRST_START.search(printed_again) is None
    assert user_count(again) == 1
    again.extensions["kit.store"].close()


def test_first_start_password_is_never_the_same_twice(tmp_path, capsys):
    passwords = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        app, printed = first_start(folder, capsys)
        found = FIRST_START.search(printed)
        assert found, printed
        passwords.append(found.group(2))
        app.extensions["kit.store"].close()
    assert passwords[0] != passwords[1]


def test_first_start_with_a_malformed_admin_email_refuses_to_start(tmp_path):
    with pytest.raises(StartupError, match="ADMIN_EMAIL"):
        make_app(tmp_path, ADMIN_EMAIL="zoë.brontë")


def test_passwords_are_hashed_with_production_rounds_outside_tests(monkeypatch):
    from kit import auth

    monkeypatch.undo()  # drop the cheap method the autouse fixture set
    assert auth.hash_password("geheimes Passwort").startswith("pbkdf2:sha256:600000$")
