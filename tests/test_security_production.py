"""Production: unsafe settings stop the start, `flask check-deploy` lists them, nothing private is served.

Issue 4, group 7. The basic refusals (empty, short and one-letter keys, DEBUG) are in
test_docs.py; here are more weak keys, the deploy check, and path traversal on the static routes.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest
from flask import Flask

from kit.auth import save_user
from kit.config import SettingError
from tests.conftest import PASSWORD, ROOT, make_app

STRONG = secrets.token_hex(32)
GOOD = {"PRODUCTION": True, "SECRET_KEY": STRONG, "TESTING": False, "ALLOWED_HOSTS": "localhost"}


@pytest.mark.parametrize(
    "key",
    [
        "secret",
        "changeme",
        "changeme" * 5,
        "0" * 64,
        "abababababababababababababababab",
        "1234567890" * 3,
        " " * 40,
        "abcdefghijabcdefghijabcdefghijab",
        "Tr0ub4dor&3xQ" * 4,
        "your-secret-key-here-please-change-it",
        "replace-me-with-a-long-random-string",
        "0123456789abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_production_refuses_a_guessable_secret_key(tmp_path, key):
    with pytest.raises(SettingError, match=r"SECRET_KEY is missing or too weak.*secrets\.token_hex\(32\)"):
        make_app(tmp_path, PRODUCTION=True, SECRET_KEY=key)


def test_production_names_every_unsafe_setting_at_once(tmp_path):
    with pytest.raises(SettingError) as caught:
        make_app(tmp_path, PRODUCTION=True, SECRET_KEY="changeme", DEBUG=True)
    assert "DEBUG must be false" in caught.value.message
    assert "SECRET_KEY is missing or too weak" in caught.value.message


def test_production_refuses_flask_debug_too(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # what `flask run --debug` sets
    with pytest.raises(SettingError, match="DEBUG must be false when PRODUCTION is true, and FLASK_DEBUG"):
        make_app(tmp_path, **GOOD)


# == flask check-deploy ========================================================


def deploy_app(tmp_path: Path, **overrides) -> Flask:
    """A production app whose project folder is tmp_path, as if deployed there."""
    (tmp_path / "static").mkdir(exist_ok=True)
    settings = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", **overrides}
    app = make_app(tmp_path, **settings)
    app.root_path = str(tmp_path)  # where .env and static/ are looked for
    app.instance_path = str(tmp_path / "instance")
    Path(app.instance_path).mkdir(exist_ok=True)
    database = tmp_path / "app.db"
    if database.exists():
        database.chmod(0o600)
    return app


def check(app: Flask):
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    app.extensions["kit.store"].close()
    return result


def test_a_clean_deploy_passes(tmp_path):
    result = check(deploy_app(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output == "No problems found: ready for a public deploy.\n"


def local_key(app: Flask) -> None:
    key = Path(app.instance_path) / "secret_key"
    key.write_text(app.config["SECRET_KEY"])


def serve_database(app: Flask, tmp_path: Path) -> None:
    app.config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'static' / 'app.db'}"
    (tmp_path / "static" / "app.db").write_bytes(b"SQLite format 3\x00")
    (tmp_path / "static" / "app.db").chmod(0o600)


def readable_env(app: Flask, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"SECRET_KEY={STRONG}\n")
    (tmp_path / ".env").chmod(0o644)


def readable_database(app: Flask, tmp_path: Path) -> None:
    Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).chmod(0o644)


def readable_backups(app: Flask, tmp_path: Path) -> None:
    """A backups folder and a copy in it as an older `flask backup` (or a cp) left them."""
    folder = Path(app.instance_path) / "backups"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "app-20260101-120000.db").write_bytes(b"SQLite format 3\x00")
    (folder / "app-20260101-120000.db").chmod(0o644)


def source_in_static(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "static" / "settings.py").write_text("SECRET = 1\n")


def first_start_login(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        save_user("admin@example.com", PASSWORD)


def printed_password_kept(app: Flask, tmp_path: Path) -> None:
    """A first start with ADMIN_EMAIL set to the founder's own address, its password never changed."""
    with app.app_context():
        save_user("gründerin@example.org", PASSWORD, printed=True)


def backup_in_static(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "static" / "shop.bak").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)


PROBLEMS = {
    "development mode": (
        lambda app, tmp: app.config.update(PRODUCTION=False, SESSION_COOKIE_SECURE=False),
        ["PRODUCTION is false", "The session cookie is also sent over plain http"],
    ),
    "debug on": (lambda app, tmp: app.extensions["kit.settings"].update(DEBUG=True), ["DEBUG must be false"]),
    "weak key": (
        lambda app, tmp: app.config.update(SECRET_KEY="changeme"),
        ["SECRET_KEY is missing or too weak"],
    ),
    "key made on this machine": (lambda app, tmp: local_key(app), ["SECRET_KEY is not set"]),
    "cookie readable by scripts": (
        lambda app, tmp: app.config.update(SESSION_COOKIE_HTTPONLY=False),
        ["set SESSION_COOKIE_HTTPONLY to true"],
    ),
    "cookie sent cross-site": (
        lambda app, tmp: app.config.update(SESSION_COOKIE_SAMESITE=None),
        ["set SESSION_COOKIE_SAMESITE to Lax"],
    ),
    "database in static": (
        serve_database,
        ["app.db is inside a static folder", "app.db is served to anyone"],
    ),
    "database readable by all": (readable_database, ["app.db can be read by every user", "chmod 600"]),
    ".env readable by all": (readable_env, [".env can be read by every user", "chmod 600"]),
    "backups readable by all": (
        readable_backups,
        [
            "instance/backups can be opened by every user of this machine: run `chmod 700 instance/backups`",
            "backups/app-20260101-120000.db can be read by every user",
        ],
    ),
    "source in static": (source_in_static, ["settings.py is served to anyone as a static file"]),
    "first-start login": (first_start_login, ["The login admin@example.com is active", "flask create-admin"]),
    "printed password kept": (
        printed_password_kept,
        [
            "The login gründerin@example.org still has the password printed in the start-up log",
            "`flask create-admin gründerin@example.org`",
        ],
    ),
    "database copy in static": (backup_in_static, ["static/shop.bak is served to anyone as a static file"]),
    "throttle off": (lambda app, tmp: app.config.update(LOGIN_ATTEMPTS=0), ["LOGIN_ATTEMPTS is 0"]),
    "any host": (lambda app, tmp: app.config.update(ALLOWED_HOSTS=None), ["ALLOWED_HOSTS is empty"]),
}


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_check_deploy_names_each_problem_and_its_fix(tmp_path, problem):
    make_problem, expected = PROBLEMS[problem]
    app = deploy_app(tmp_path)
    make_problem(app, tmp_path)
    result = check(app)
    assert result.exit_code == 1, result.output
    assert "to fix before a public deploy:" in result.output
    for fragment in expected:
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output


def test_a_printed_password_changed_with_create_admin_passes(tmp_path):
    app = deploy_app(tmp_path)
    printed_password_kept(app, tmp_path)
    runner = app.test_cli_runner()
    changed = runner.invoke(args=["create-admin", "gründerin@example.org", "--password", "neues Passwort"])
    assert changed.exit_code == 0, changed.output
    result = check(app)
    assert result.exit_code == 0, result.output


def test_check_deploy_lists_every_problem_together(tmp_path):
    app = deploy_app(tmp_path)
    for make_problem, _ in PROBLEMS.values():
        make_problem(app, tmp_path)
    result = check(app)
    assert result.exit_code == 1
    assert all(fragment in result.output for _, expected in PROBLEMS.values() for fragment in expected)
    numbered = re.findall(r"^ *(\d+)\. ", result.output, flags=re.M)
    assert numbered == [str(n) for n in range(1, len(numbered) + 1)]
    assert result.output.startswith(f"{len(numbered)} problems to fix before a public deploy:")


def test_check_deploy_on_a_fresh_checkout_says_what_to_change(tmp_path):
    app = make_app(tmp_path)  # what `flask check-deploy` sees on a laptop
    result = check(app)
    assert result.exit_code == 1
    assert "PRODUCTION is false" in result.output


# == NOTHING PRIVATE IS SERVED =================================================

PRIVATE = [
    "app.py",
    "models.py",
    "kit/auth.py",
    ".env",
    ".env.example",
    "instance/app.db",
    "instance/secret_key",
]
TRAVERSALS = [
    "../{f}",
    "..%2f{f}",
    "%2e%2e/{f}",
    "%2e%2e%2f{f}",
    "..%252f{f}",
    "....//{f}",
    "..\\{f}",
    "..%5c{f}",
    "%c0%ae%c0%ae/{f}",
    "/{f}",
    "//{f}",
    "{root}/{f}",
    "..%00/{f}",
    "./../{f}",
    "admin.css/../../{f}",
]


@pytest.fixture
def served(tmp_path):
    """The app, asked for files of the project it runs from."""
    app = make_app(tmp_path)
    yield app.test_client()
    app.extensions["kit.store"].close()


@pytest.mark.parametrize("prefix", ["/static/", "/admin/static/", "/"])
@pytest.mark.parametrize("private", PRIVATE)
def test_no_path_reaches_the_source_the_settings_or_the_database(served, prefix, private):
    for pattern in TRAVERSALS:
        path = prefix + pattern.format(f=private, root=ROOT.as_posix().lstrip("/"))
        for depth in range(1, 7 if ".." in pattern else 2):
            url = path.replace("../", "../" * depth, 1) if depth > 1 else path
            if url.startswith("//"):
                continue  # a client reads //x as the host x: it never reaches this app
            response = served.get(url)
            body = response.get_data()
            response.close()
            assert response.status_code in (308, 400, 404), (url, response.status_code)
            assert b"import " not in body and b"SECRET_KEY" not in body and b"SQLite format" not in body, url


def test_the_default_database_is_outside_every_static_folder(app):
    from kit.config import SETTINGS

    default = next(s.default for s in SETTINGS if s.name == "DATABASE_URL").removeprefix("sqlite:///")
    database = (ROOT / default).resolve()
    for folder in (
        app.static_folder,
        *(bp.static_folder for bp in app.blueprints.values() if bp.static_folder),
    ):
        assert not database.is_relative_to(Path(folder).resolve()), folder


def test_a_key_made_on_this_machine_is_readable_by_its_owner_only(tmp_path):
    from kit.config import local_secret

    assert len(local_secret(tmp_path / "secret_key")) == 64
    assert os.stat(tmp_path / "secret_key").st_mode & 0o077 == 0


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    app.extensions["kit.store"].close()
    assert os.stat(tmp_path / "fresh.db").st_mode & 0o077 == 0
