"""Sessions: cookies, replayed and forged cookies, and throttled password guessing.

Issue 4, group 2. Login rotation and logout replay are in test_auth.py; this module adds the
cookie flags, forged cookies, and the login throttle (per account, per address, across workers).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from kit import security
from kit.auth import save_user
from tests.conftest import PASSWORD, SECRET_KEY, csrf_token, log_in, make_app

EMAIL = "zoë@example.com"
LIMIT = 3
ADDRESS = "203.0.113.7"


def attempt(client: FlaskClient, email: str, password: str, address: str = ADDRESS, **headers):
    """One login through the form, from `address`."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    assert page.status_code == 200
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        headers=headers,
    )


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def throttled(tmp_path) -> Flask:
    app = make_app(tmp_path, LOGIN_ATTEMPTS=LIMIT)
    with app.app_context():
        save_user(EMAIL, PASSWORD, "editor")
    yield app
    app.extensions["kit.store"].close()


# == COOKIES ===================================================================


def session_cookie_header(client: FlaskClient, base_url: str = "http://localhost") -> str:
    """The Set-Cookie header of the session cookie a login hands out."""
    page = client.get("/login", base_url=base_url)
    token = csrf_token(client, "/login")
    assert page.status_code == 200
    response = client.post(
        "/login",
        base_url=base_url,
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": f"{base_url}/login"},
    )
    assert response.status_code == 302
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return cookie


def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    with app.app_context():
        save_user(EMAIL, PASSWORD)
    cookie = session_cookie_header(client)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # local http development keeps working


def test_session_cookie_is_secure_in_production(tmp_path):
    app = make_app(tmp_path, PRODUCTION=True)
    with app.app_context():
        save_user(EMAIL, PASSWORD)
    cookie = session_cookie_header(app.test_client(), base_url="https://localhost")
    app.extensions["kit.store"].close()
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_sets_no_remember_me_cookie(admin_client):
    assert admin_client.get_cookie("remember_token") is None


def forged_cookie(app: Flask, secret: str, payload: dict) -> str:
    """A session cookie as someone holding `secret` would sign it."""
    interface = SecureCookieSessionInterface()
    probe = Flask("forger")
    probe.secret_key = secret
    return interface.get_signing_serializer(probe).dumps(payload)


def stolen_user_id(app: Flask, email: str) -> str:
    with app.app_context():
        row = app.extensions["kit.store"]["kit_user"].find("email", email)
    return f"{row['id']}:{row['session_token']}"


@pytest.mark.parametrize(
    ("secret", "user_id"),
    [
        ("another-secret-key-0123456789-abcdefghij", "real"),  # the right user, signed with a guessed key
        (SECRET_KEY, "1:guessed-token"),  # the right key, a guessed token
        (SECRET_KEY, "1"),  # the plain id Flask-Login would use
        (SECRET_KEY, "1:"),
    ],
    ids=["wrong key", "guessed token", "bare id", "empty token"],
)
def test_forged_session_cookie_opens_nothing(app, secret, user_id):
    log_in(app, "admin", email=EMAIL)
    if user_id == "real":
        user_id = stolen_user_id(app, EMAIL)
    client = app.test_client()
    client.set_cookie("session", forged_cookie(app, secret, {"_user_id": user_id, "_fresh": True}))
    assert client.get("/admin/").status_code == 302


def save_in_admin(app: Flask, admin_client: FlaskClient, email: str, **values: str) -> None:
    """Save the user with this email through the admin's edit form, as an editor by default."""
    with app.app_context():
        row = app.extensions["kit.store"]["kit_user"].find("email", email)
    token = csrf_token(admin_client, "/admin/users/")
    data = {"email": email, "role": "editor", "active": "y", "csrf_token": token, **values}
    data = {name: value for name, value in data.items() if value}  # an unticked box is not sent
    assert admin_client.post(f"/admin/users/edit/?id={row['id']}", data=data).status_code == 302


def replays(app: Flask, cookie: str) -> bool:
    """Whether a copy of this session cookie still opens the admin."""
    replayed = app.test_client()
    replayed.set_cookie("session", cookie)
    return is_logged_in(replayed)


@pytest.mark.parametrize(
    "change",
    [{"password": "ein neues Passwort"}, {"active": ""}, {"role": "viewer"}],
    ids=["new password", "deactivated", "new role"],
)
def test_old_cookie_dies_when_an_admin_changes_password_access_or_role(app, admin_client, change):
    victim = log_in(app, "editor", email=EMAIL)
    old_cookie = victim.get_cookie("session").value
    save_in_admin(app, admin_client, EMAIL, **change)
    assert not replays(app, old_cookie)
    save_in_admin(app, admin_client, EMAIL)  # an active editor again
    assert not replays(app, old_cookie)
    assert is_logged_in(log_in(app, "editor", email=EMAIL))


def test_saving_a_user_unchanged_keeps_their_session(app, admin_client):
    victim = log_in(app, "editor", email=EMAIL)
    save_in_admin(app, admin_client, EMAIL, name="Zoë")
    assert is_logged_in(victim)


def test_logged_in_pages_are_not_kept_by_caches(admin_client):
    assert admin_client.get("/admin/").headers["Cache-Control"] == "no-store"


# == THROTTLING ================================================================


def test_failed_logins_for_one_account_are_throttled_even_with_the_right_password(throttled):
    client = throttled.test_client()
    for _ in range(LIMIT):
        assert attempt(client, EMAIL, "wrong password!").status_code == 200
    response = attempt(client, EMAIL, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins for this account; try again in 15 minutes." in response.text
    assert response.headers["Retry-After"] == "900"
    assert not is_logged_in(client)


def test_account_throttle_holds_from_any_address(throttled):
    for n in range(LIMIT):
        attempt(throttled.test_client(), EMAIL, "wrong password!", address=f"198.51.100.{n}")
    response = attempt(throttled.test_client(), EMAIL, PASSWORD, address="192.0.2.99")
    assert response.status_code == 429


@pytest.mark.parametrize(
    "spelling", ["ZOË@EXAMPLE.COM", " zoë@example.com ", "Zoë@Example.com"], ids=["upper", "spaces", "mixed"]
)
def test_account_throttle_is_not_escaped_by_spelling_the_email_differently(throttled, spelling):
    for _ in range(LIMIT):
        attempt(throttled.test_client(), spelling, "wrong password!", address="198.51.100.1")
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address="192.0.2.1").status_code == 429


def test_guessing_many_accounts_from_one_address_is_throttled(throttled):
    client = throttled.test_client()
    for n in range(LIMIT * security.PER_ADDRESS):
        assert attempt(client, f"guess{n}@example.com", "wrong password!").status_code == 200
    response = attempt(client, EMAIL, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins for your address" in response.text
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address="192.0.2.1").status_code == 302


def test_forwarded_for_header_is_ignored_without_a_trusted_proxy(throttled):
    for n in range(LIMIT * security.PER_ADDRESS):
        attempt(
            throttled.test_client(), f"guess{n}@example.com", "wrong!", **{"X-Forwarded-For": f"10.0.0.{n}"}
        )
    assert attempt(throttled.test_client(), EMAIL, PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_the_client_address_counts(tmp_path):
    app = make_app(tmp_path, LOGIN_ATTEMPTS=LIMIT, PROXIES=1)
    with app.app_context():
        save_user(EMAIL, PASSWORD)
    proxy = "127.0.0.1"
    for n in range(LIMIT * security.PER_ADDRESS):
        attempt(app.test_client(), f"guess{n}@example.com", "wrong!", proxy, **{"X-Forwarded-For": ADDRESS})
    blocked = attempt(app.test_client(), EMAIL, PASSWORD, proxy, **{"X-Forwarded-For": ADDRESS})
    other = attempt(app.test_client(), EMAIL, PASSWORD, proxy, **{"X-Forwarded-For": "192.0.2.1"})
    app.extensions["kit.store"].close()
    assert (blocked.status_code, other.status_code) == (429, 302)


def test_ipv6_clients_are_counted_by_their_64_block(throttled):
    for n in range(LIMIT * security.PER_ADDRESS):
        attempt(
            throttled.test_client(), f"guess{n}@example.com", "wrong!", address=f"2001:db8:1:2::{n + 1:x}"
        )
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address="2001:db8:1:2::ffff").status_code == 429
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address="2001:db8:1:3::1").status_code == 302


def test_ipv4_clients_on_a_dual_stack_socket_are_counted_by_their_own_address(throttled):
    # a server listening on [::] sees 203.0.113.7 as ::ffff:203.0.113.7
    for n in range(LIMIT * security.PER_ADDRESS):
        attempt(throttled.test_client(), f"guess{n}@example.com", "wrong!", address=f"::ffff:{ADDRESS}")
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address=ADDRESS).status_code == 429
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address="::ffff:192.0.2.1").status_code == 302
    with throttled.app_context():
        addresses = {
            row["address"] for row in throttled.extensions["kit.store"]["kit_login_failure"].iterate()
        }
    assert addresses == {ADDRESS}


def test_every_worker_counts_the_same_failures(tmp_path):
    # two apps on one database file are what two gunicorn workers are
    first = make_app(tmp_path, LOGIN_ATTEMPTS=LIMIT)
    second = make_app(tmp_path, LOGIN_ATTEMPTS=LIMIT)
    with first.app_context():
        save_user(EMAIL, PASSWORD)
    for n in range(LIMIT):
        attempt((first, second)[n % 2].test_client(), EMAIL, "wrong password!")
    assert attempt(first.test_client(), EMAIL, PASSWORD).status_code == 429
    assert attempt(second.test_client(), EMAIL, PASSWORD).status_code == 429
    first.extensions["kit.store"].close()
    second.extensions["kit.store"].close()


def test_a_successful_login_clears_the_account_count(throttled):
    client = throttled.test_client()
    for _ in range(LIMIT - 1):
        attempt(client, EMAIL, "wrong password!")
    assert attempt(client, EMAIL, PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert attempt(throttled.test_client(), EMAIL, "wrong password!").status_code == 200
    assert attempt(throttled.test_client(), EMAIL, PASSWORD).status_code == 302


def test_the_owners_login_leaves_a_guessers_failures_counting(throttled):
    for n in range(LIMIT - 1):
        attempt(throttled.test_client(), EMAIL, "wrong password!", address=f"198.51.100.{n}")
    assert attempt(throttled.test_client(), EMAIL, PASSWORD).status_code == 302  # the owner, at ADDRESS
    attempt(throttled.test_client(), EMAIL, "wrong password!", address="198.51.100.50")
    assert attempt(throttled.test_client(), EMAIL, PASSWORD, address="198.51.100.51").status_code == 429


def lock_out(app: Flask, email: str = EMAIL) -> None:
    """Someone elsewhere guesses at the account until it is locked."""
    for n in range(LIMIT):
        attempt(app.test_client(), email, "wrong password!", address=f"198.51.100.{n}")
    assert attempt(app.test_client(), email, PASSWORD, address="198.51.100.99").status_code == 429


def known_browser(app: Flask, email: str = EMAIL) -> FlaskClient:
    """A browser the account logged in from before, logged out since."""
    client = app.test_client()
    assert attempt(client, email, PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert not is_logged_in(client)
    return client


def test_a_browser_the_account_logged_in_from_gets_past_its_lockout(throttled):
    owner = known_browser(throttled)
    lock_out(throttled)
    assert attempt(owner, EMAIL, PASSWORD).status_code == 302
    assert is_logged_in(owner)


def test_the_device_cookie_is_httponly_signed_and_names_no_email(throttled):
    client = throttled.test_client()
    response = attempt(client, EMAIL, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("kit_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=7776000" in cookie
    payload = URLSafeTimedSerializer(throttled.secret_key, salt="kit.device").loads(
        client.get_cookie("kit_device").value
    )
    assert payload == [security.digest(security.account_key(EMAIL))]  # a digest, not the email


def device_cookie(secret: str, days_old: int = 0) -> str:
    """A device cookie for EMAIL's account as one holding `secret` would sign it, `days_old` days ago."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days_old * 86400

    signer = URLSafeTimedSerializer(secret, salt="kit.device", signer=Backdated)
    return signer.dumps([security.digest(security.account_key(EMAIL))])


@pytest.mark.parametrize(
    ("secret", "days_old"),
    [
        (SECRET_KEY, 0),
        ("another-secret-key-0123456789-abcdefghij", 0),
        (SECRET_KEY, security.DEVICE_DAYS + 1),
    ],
    ids=["genuine", "forged", "expired"],
)
def test_only_a_genuine_recent_device_cookie_gets_past_a_lockout(throttled, secret, days_old):
    browser = throttled.test_client()
    browser.set_cookie("kit_device", device_cookie(secret, days_old))
    lock_out(throttled)
    expected = 302 if (secret, days_old) == (SECRET_KEY, 0) else 429
    assert attempt(browser, EMAIL, PASSWORD).status_code == expected


def test_a_browser_known_to_another_account_is_locked_out_of_this_one(throttled):
    with throttled.app_context():
        save_user("other@example.com", PASSWORD, "editor")
    browser = known_browser(throttled, "other@example.com")
    lock_out(throttled)
    assert attempt(browser, EMAIL, PASSWORD).status_code == 429
    assert attempt(browser, "other@example.com", PASSWORD).status_code == 302


def test_a_known_browser_is_still_throttled_by_its_address(throttled):
    owner = known_browser(throttled)
    for _ in range(LIMIT * security.PER_ADDRESS):
        assert attempt(owner, EMAIL, "wrong password!").status_code == 200
    assert attempt(owner, EMAIL, PASSWORD).status_code == 429


def fired_at_once(app: Flask, emails: list[str], password: str) -> list[int]:
    """One login a thread for each email, from ADDRESS, all posted at the same moment; their statuses."""
    environ = {"REMOTE_ADDR": ADDRESS}
    forms = []
    for email in emails:
        client = app.test_client()
        data = {"email": email, "password": password, "csrf_token": csrf_token(client, "/login")}
        forms.append((client, data))
    start = threading.Barrier(len(forms))

    def post(form: tuple[FlaskClient, dict[str, str]]) -> int:
        client, data = form
        start.wait(timeout=30)
        return client.post("/login", data=data, environ_base=environ).status_code

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, forms))


@pytest.mark.parametrize(
    ("emails", "allowed"),
    [
        ([EMAIL] * (LIMIT + 9), LIMIT),
        (
            [f"guess{n}@example.com" for n in range(LIMIT * security.PER_ADDRESS + 4)],
            LIMIT * security.PER_ADDRESS,
        ),
    ],
    ids=["one account", "one address"],
)
def test_guesses_fired_in_parallel_get_exactly_the_allowed_number(throttled, emails, allowed):
    statuses = fired_at_once(throttled, emails, "wrong password!")
    assert sorted(statuses) == [200] * allowed + [429] * (len(emails) - allowed)
    with throttled.app_context():
        assert throttled.extensions["kit.store"]["kit_login_failure"].count() == allowed


def age_failures(app: Flask, by: dt.timedelta) -> None:
    """Move every recorded failure `by` into the past, as waiting would."""
    failures = app.extensions["kit.store"]["kit_login_failure"]
    table = failures.table
    with app.app_context():
        rows = failures.list().rows
        with failures.store.transaction() as conn:
            for row in rows:
                moved = (
                    table.update().where(table.c.id == row["id"]).values(created_at=row["created_at"] - by)
                )
                conn.execute(moved)


def test_the_throttle_lifts_when_the_window_passes(throttled):
    for _ in range(LIMIT):
        attempt(throttled.test_client(), EMAIL, "wrong password!")
    assert attempt(throttled.test_client(), EMAIL, PASSWORD).status_code == 429
    age_failures(throttled, security.WINDOW - dt.timedelta(minutes=2))
    response = attempt(throttled.test_client(), EMAIL, PASSWORD)
    assert "try again in 2 minutes" in response.text
    age_failures(throttled, dt.timedelta(minutes=2, seconds=1))
    assert attempt(throttled.test_client(), EMAIL, PASSWORD).status_code == 302


def test_expired_failures_are_deleted(throttled):
    for n in range(LIMIT):
        attempt(throttled.test_client(), f"guess{n}@example.com", "wrong password!")
    age_failures(throttled, security.WINDOW + dt.timedelta(seconds=1))
    attempt(throttled.test_client(), "late@example.com", "wrong password!")
    with throttled.app_context():
        rows = throttled.extensions["kit.store"]["kit_login_failure"].list().rows
    assert [r["account"] for r in rows] == ["late@example.com"]


def test_zero_login_attempts_turns_the_throttle_off(tmp_path):
    app = make_app(tmp_path, LOGIN_ATTEMPTS=0)
    with app.app_context():
        save_user(EMAIL, PASSWORD)
    for _ in range(10):
        attempt(app.test_client(), EMAIL, "wrong password!")
    response = attempt(app.test_client(), EMAIL, PASSWORD)
    app.extensions["kit.store"].close()
    assert response.status_code == 302


@pytest.mark.parametrize(
    "email",
    [
        "x" * 5000 + "@example.com",
        "'; drop table kit_login_failure; --",
        "zoë\u0000@example.com",
        "<b>@example.com",
        "   ",
    ],
    ids=["very long", "sql", "nul", "html", "blank"],
)
def test_any_typed_email_is_counted_without_an_error(throttled, email):
    for _ in range(LIMIT):
        assert attempt(throttled.test_client(), email, "wrong password!").status_code == 200
    assert attempt(throttled.test_client(), email, "wrong password!").status_code == 429
