"""Logging in: users with hashed passwords, sessions that logout really ends, CSRF everywhere."""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any

import click
from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import with_appcontext
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired

from kit import security
from kit.config import SettingError
from kit.errors import KitError, ValidationError
from kit.store import START_UP_LOCK, Row, store
from kit.users import ROLES

# The blueprint also puts kit/templates on the template path, after the project's templates/.
bp = Blueprint("auth", __name__, template_folder="templates")
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"

MIN_PASSWORD = 10


class User(UserMixin):
    """The logged-in person; the session holds their id and current session token."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.id = row["id"]
        self.email = row["email"]
        self.role = row["role"]

    def get_id(self) -> str:
        # Flask-Login's "alternative token": a new token after logout voids old cookies.
        return f"{self.row['id']}:{self.row['session_token']}"


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user a session cookie names, if its token is still the current one."""
    id, _, secret = token.partition(":")
    try:
        row = store()["kit_user"].get(id)
    except KitError:
        return None
    current = row["session_token"] or ""
    if not row["active"] or not current or not hmac.compare_digest(current, secret):
        return None
    return User(row)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Email is required.")])
    password = PasswordField("Password", validators=[InputRequired("Password is required.")])


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    """The login page; sends the user on to where they were going (at once if logged in already)."""
    target = request.args.get("next", "")
    onward = target if is_local(target) else url_for("admin.index")
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(onward)
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        security.count_login_attempt(email)  # 429 after too many failures, before any hashing
        user = authenticate(email, form.password.data or "")
        if user is None:
            flash("Wrong email or password.", "error")
        else:
            security.forget_failed_logins(email)
            session.clear()  # a fresh session: nothing from before the login survives it
            login_user(user)
            return redirect(onward)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=("POST",))
def logout() -> Any:
    """End the session here and on the server: the old cookie stops working."""
    if current_user.is_authenticated:
        store()["kit_user"].update(current_user.id, {"session_token": secrets.token_hex(16)}, hidden=True)
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def is_local(target: str) -> bool:
    """Only paths on this site may be redirected to after login.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash,
    so "/\t/evil.example" would become "//evil.example": refuse all of those.
    """
    unsafe = any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target)
    return target.startswith("/") and not target.startswith("//") and not unsafe


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    users = store()["kit_user"]
    try:
        row = users.find("email", email)
    except KitError:
        row = None
    if row is None or not row["active"] or not row["password_hash"]:
        check_password_hash(dummy_hash(), password)  # same time whether or not the email exists
        return None
    if not check_password_hash(row["password_hash"], password):
        return None
    if not row["session_token"]:
        row = users.update(row["id"], {"session_token": secrets.token_hex(16)}, hidden=True)
    return User(row)


@functools.cache
def dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


PASSWORD_METHOD = "pbkdf2:sha256:600000"
"""OWASP's rounds for PBKDF2-SHA256. Werkzeug's default, scrypt, takes 32 MiB per login:
half again a worker's memory. Tests set a cheap method, as Django's do."""


def hash_password(password: str) -> str:
    """The password as a salted hash (the method and salt are part of it)."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def weak_password(password: str) -> str | None:
    """What makes a password too easy to guess, as a sentence, or None."""
    if len(password) < MIN_PASSWORD:
        return f"Password must have at least {MIN_PASSWORD} characters."
    if len(set(password)) == 1:  # ten spaces, or aaaaaaaaaa
        return "Password can't be one character over and over."
    return None


def save_user(
    email: str, password: str, role: str | None = None, name: str = "", printed: bool = False
) -> Row:
    """Create the user (an admin unless `role` says otherwise), or give one this password and `role`.

    A new password ends the user's sessions and leaves a deactivated login deactivated.
    `printed`: the password went to the start-up log, so `flask check-deploy` asks for another.
    """
    if problem := weak_password(password):
        raise ValidationError({"password": problem})
    users = store()["kit_user"]
    values = {
        "password_hash": hash_password(password),
        "session_token": secrets.token_hex(16),
        "password_printed": printed,
    }
    if role:
        values["role"] = role
    existing = users.find("email", email)
    if existing:
        return users.update(existing["id"], values, hidden=True)
    return users.create({"email": email, "name": name, "role": role or "admin", **values}, hidden=True)


@click.command("create-admin")
@click.argument("email")
@click.option("--role", type=click.Choice([name for name, _ in ROLES]), help="A new login's is admin.")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_admin(email: str, role: str | None, password: str) -> None:
    """Make a login (an admin unless --role says otherwise), or give one a new password."""
    try:
        user = save_user(email, password, role)
    except KitError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"User {user['email']} saved with role {user['role']}.")
    if not user["active"]:
        click.echo("It is deactivated: an admin can activate it on the admin's Users screen.")


def first_login(app: Flask) -> None:
    """With no users yet, make one with a random password and say how to log in, once."""
    email = app.config["ADMIN_EMAIL"]
    if not email:
        return
    # Under the store's lock: of several workers starting together one makes the login,
    # and the others, looking after it committed, print no password that doesn't work.
    with app.app_context(), store().transaction(lock=START_UP_LOCK):
        if store()["kit_user"].count():
            return
        password = secrets.token_urlsafe(12)
        try:
            save_user(email, password, "admin", "Admin", printed=True)
        except KitError as error:
            raise SettingError(f"ADMIN_EMAIL: {error.message}") from None
    click.secho(
        f"\n  First start: log in at /admin/ as {email} with password {password}\n"
        "  Change it with: flask create-admin " + email + "\n",
        fg="yellow",
        err=True,
    )


def actor() -> str:
    """Who is making a change now, as the row's history names them."""
    if not has_request_context():
        return "a command"
    if g.get("kit_actor"):  # an API token's owner: see kit/api.py
        return str(g.kit_actor)
    return str(current_user.email) if current_user.is_authenticated else "a visitor"


def init_app(app: Flask) -> None:
    """Login pages, the current user, CSRF checks on every POST, `flask create-admin`, history names."""
    app.extensions["kit.store"].actor = actor
    csrf.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(create_admin)
    first_login(app)
