"""Safe by default: security headers, login throttling and `flask check-deploy`.

Every response carries a Content-Security-Policy that runs only this site's
own scripts (inline ones need the request's nonce), and refuses framing,
MIME sniffing and leaking URLs to other sites.  Failed logins are kept in the
kit's `kit_login_failure` table through the model layer, so every gunicorn
worker (and every server on one database) counts the same failures; each login
is counted as failed before its password is checked, in the same transaction
as the check of the limit.  A browser an account logged in from before keeps a
signed device cookie that lets it past that account's lockout (not its
address's), so guessing at someone's email doesn't lock its owner out
(OWASP, "Slow Down Online Guessing Attacks with Device Cookies").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import ipaddress
import secrets
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, Response, after_this_request, current_app, g, redirect, request, session
from flask.cli import with_appcontext
from flask.helpers import get_debug_flag
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import host_is_trusted

from kit import backup, config
from kit.errors import KitError, TooManyAttempts
from kit.store import Filter, Query, Repository, store, utcnow

# == HEADERS ===================================================================

POLICY = (
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self'",
    "img-src 'self' data: https:",  # product pictures may live on another https site
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

HSTS = "max-age=31536000"
HEALTH_CHECKS = frozenset({"/healthz", "/readyz"})
"""Answered whatever the Host and over plain http: load balancers ask by address, without TLS."""
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class UnknownHost(KitError):
    """The request names a Host outside ALLOWED_HOSTS."""

    status = 400


class BehindUntrustedProxy(KitError):
    """A proxy says the request came over https, but PROXIES says there is no proxy to believe."""

    status = 400


def csp_nonce() -> str:
    """This request's nonce: a template's inline <script nonce="{{ csp_nonce() }}"> may run."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def check_host() -> None:
    """A request must name one of ALLOWED_HOSTS, where set (links and caches trust the Host).

    Static files are the same whatever the Host, and style the page that refuses it.
    """
    allowed = current_app.config["ALLOWED_HOSTS"]
    exempt = request.path in HEALTH_CHECKS or (request.endpoint or "").endswith("static")
    if allowed and not exempt and not host_is_trusted(request.host, allowed):
        raise UnknownHost("This site doesn't answer to that host name (ALLOWED_HOSTS).")


def require_https() -> Response | None:
    """Production: a plain-http request goes to its https address, where its Secure cookies work.

    Health checks and this machine's own address (trying production mode locally) stay on http.
    """
    local = urlsplit(f"//{request.host}").hostname in LOOPBACK
    if request.is_secure or request.path in HEALTH_CHECKS or local:
        return None
    if "X-Forwarded-Proto" in request.headers and not current_app.config["PROXIES"]:
        # redirecting would loop: the proxy asks again over http whatever the answer says
        raise BehindUntrustedProxy(
            "This app is behind a proxy that says how the request came, but PROXIES is 0: "
            "set PROXIES=1 (or the number of proxies) so that it can tell https from http."
        )
    status = 301 if request.method in ("GET", "HEAD") else 308  # 308 keeps a form's method and body
    return redirect(request.url.replace("http://", "https://", 1), status)


def add_headers(response: Response) -> Response:
    """Put the security headers on a response; a view that set its own keeps them."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", "; ".join(POLICY).format(nonce=csp_nonce()))
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if current_app.config["PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if "_user_id" in session and not (request.endpoint or "").endswith("static"):
        # a logged-in page must not come back from a cache after logout
        headers.setdefault("Cache-Control", "no-store")
    return response


# == LOGIN THROTTLING ==========================================================

WINDOW = dt.timedelta(minutes=15)
PER_ADDRESS = 4
"""An address may fail this many times more often than one account (several people, one office)."""
THROTTLE_LOCK = 0x6B69746C  # "kitl": the PostgreSQL advisory lock logins take turns under to count
DEVICE_COOKIE = "kit_device"
DEVICE_DAYS = 90
DEVICE_ACCOUNTS = 5
"""A device cookie remembers the last few accounts that logged in from its browser."""


def account_key(email: str) -> str:
    """The account a login names, as the failures table keeps it: the email, lower-cased."""
    return email.strip().lower()[:200] or "(no email)"


def address_key() -> str:
    """The client's address; IPv6 clients by their /64, which one household or server holds.

    A server listening on both stacks sees an IPv4 client as ::ffff:1.2.3.4: that is the
    IPv4 address, not a share of the ::/64 every IPv4 client would then count against.
    """
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def count_login_attempt(email: str) -> None:
    """Count this login as failed until it succeeds; TooManyAttempts if its account or address is spent.

    The count and the new failure are one transaction that one login at a time
    may hold (SQLite's write lock, an advisory lock on PostgreSQL), so logins
    fired in parallel all see each other and none gets a guess past the limit.
    """
    limit = current_app.config["LOGIN_ATTEMPTS"]
    if limit <= 0:
        return
    failures = store()["kit_login_failure"]
    account, address = account_key(email), address_key()
    known = digest(account) in known_accounts()
    with failures.store.transaction(lock=THROTTLE_LOCK):
        expired = failures.list(Query([Filter("created_at", "lt", utcnow() - WINDOW)], per_page=500))
        failures.delete_many(row["id"] for row in expired.rows)
        refuse_when_spent(failures, account, address, limit, known)
        failures.create({"account": account, "address": address})


def refuse_when_spent(failures: Repository, account: str, address: str, limit: int, known: bool) -> None:
    """Raise TooManyAttempts while the account (unless this browser is `known` to it) or the address
    has failed too often lately."""
    since = Filter("created_at", "gte", utcnow() - WINDOW)
    limits = [("account", account, limit, "this account")] if not known else []
    for field, value, allowed, who in (*limits, ("address", address, limit * PER_ADDRESS, "your address")):
        recent = [since, Filter(field, "eq", value)]
        rows = failures.list(Query(recent, sort="created_at", desc=True, per_page=allowed)).rows
        if len(rows) >= allowed:
            # the login opens again when the allowed-th most recent failure leaves the window
            wait = rows[allowed - 1]["created_at"] + WINDOW - utcnow()
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            raise TooManyAttempts(
                f"Too many failed logins for {who}; try again in {minutes} minute{'s' * (minutes > 1)}.",
                retry_after=minutes * 60,
            )


def forget_failed_logins(email: str) -> None:
    """A successful login clears its account's failures from its own address (the owner's typos);
    those from elsewhere, a guesser's, count on, as do other accounts' failures for the address.

    The browser is remembered for the account: its device cookie gets it past the account's
    lockout next time.
    """
    failures = store()["kit_login_failure"]
    account = account_key(email)
    mine = [Filter("account", "eq", account), Filter("address", "eq", address_key())]
    found = failures.list(Query(filters=mine, per_page=500))
    failures.delete_many(row["id"] for row in found.rows)
    this = digest(account)
    accounts = [this, *(known for known in known_accounts() if known != this)]
    cookie = device_signer().dumps(accounts[:DEVICE_ACCOUNTS])

    @after_this_request
    def remember_device(response: Response) -> Response:
        secure = current_app.config["SESSION_COOKIE_SECURE"]
        age = DEVICE_DAYS * 86400
        response.set_cookie(DEVICE_COOKIE, cookie, max_age=age, secure=secure, httponly=True, samesite="Lax")
        return response


def digest(account: str) -> str:
    """How a device cookie names an account: not by its email, which anyone holding it could read."""
    return hashlib.sha256(account.encode()).hexdigest()[:32]


def device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kit.device")


def known_accounts() -> list[str]:
    """The accounts (as digests) that logged in from this browser lately, if its device cookie is genuine."""
    try:
        found = device_signer().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
    except BadData:
        return []
    return [str(known) for known in found][:DEVICE_ACCOUNTS] if isinstance(found, list) else []


# == flask check-deploy ========================================================

Check = Callable[[Flask], list[str]]
SERVED_BY_MISTAKE = (".py", ".db", ".sqlite", ".sqlite3", ".env", ".pem", ".key")


def check_settings(app: Flask) -> list[str]:
    """The settings production refuses to start with, and those it should not run without."""
    debug = app.debug or get_debug_flag() or app.extensions["kit.settings"]["DEBUG"]
    settings = {**app.config, "DEBUG": debug}
    problems = config.production_problems(settings)
    local_key = Path(app.instance_path) / "secret_key"
    if local_key.exists() and settings["SECRET_KEY"] == local_key.read_text().strip():
        problems.append(
            "SECRET_KEY is not set: a key made on this machine signs the sessions. Set SECRET_KEY "
            "in the server's environment to the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    if not settings["PRODUCTION"]:
        problems.append(
            "PRODUCTION is false: set PRODUCTION=true on the public server, so cookies are sent over "
            "https only, http is redirected to https, and unsafe settings stop the start."
        )
    if not settings["ALLOWED_HOSTS"]:
        problems.append(
            "ALLOWED_HOSTS is empty, so the app answers whatever Host a request names: set it to the "
            "names it is served at, e.g. ALLOWED_HOSTS=shop.example.com."
        )
    if settings["LOGIN_ATTEMPTS"] <= 0:
        problems.append("LOGIN_ATTEMPTS is 0, so password guessing is never slowed down: set it to 5.")
    return problems


def check_cookies(app: Flask) -> list[str]:
    """Session cookies that scripts can't read and that never travel over plain http."""
    settings, problems = app.config, []
    if not settings["SESSION_COOKIE_SECURE"]:
        problems.append(
            "The session cookie is also sent over plain http (SESSION_COOKIE_SECURE is false); "
            "PRODUCTION=true turns it on."
        )
    if not settings["SESSION_COOKIE_HTTPONLY"]:
        problems.append("Scripts can read the session cookie: set SESSION_COOKIE_HTTPONLY to true.")
    if settings["SESSION_COOKIE_SAMESITE"] not in ("Lax", "Strict"):
        problems.append("Other sites' requests carry the session cookie: set SESSION_COOKIE_SAMESITE to Lax.")
    return problems


def check_files(app: Flask) -> list[str]:
    """The database, its backups, .env and the source are neither served nor readable by other users."""
    problems = []
    served = [Path(folder).resolve() for folder in backup.static_folders(app)]
    database = config.sqlite_path(app.config["DATABASE_URL"])
    private = (database, Path(app.root_path) / ".env", Path(app.instance_path) / "secret_key")
    for path in (*private, *backup.copies(app)):
        if path is None or not path.exists():
            continue
        name = shown(app, path)
        if any(path.resolve().is_relative_to(folder) for folder in served):
            problems.append(f"{name} is inside a static folder, so anyone can download it: move it out.")
        if path.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH):
            problems.append(f"{name} can be read by every user of this machine: run `chmod 600 {name}`.")
    for folder in served:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.suffix in SERVED_BY_MISTAKE or path.name.startswith(".env") or backup.is_sqlite(path):
                where = shown(app, folder)
                problems.append(
                    f"{shown(app, path)} is served to anyone as a static file: move it out of {where}."
                )
    return problems


def check_backups_folder(app: Flask) -> list[str]:
    """The folder `flask backup` writes to opens to its owner only (its copies are in check_files)."""
    folder = backup.folder(app)
    if not folder.is_dir() or not folder.stat().st_mode & stat.S_IRWXO:
        return []
    name = shown(app, folder)
    return [f"{name} can be opened by every user of this machine: run `chmod 700 {name}`."]


def shown(app: Flask, path: Path) -> str:
    """A path as the project's people know it: from the project folder when it is inside."""
    root = Path(app.root_path).resolve()
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(path)


def check_users(app: Flask) -> list[str]:
    """No login with the placeholder email, and none whose password went to the start-up log."""
    default = next(s.default for s in config.SETTINGS if s.name == "ADMIN_EMAIL")
    problems = []
    for row in store()["kit_user"].iterate():
        if not row["active"]:
            continue
        if row["email"] == default:
            problems.append(
                f"The login {default} is active; its first password was printed in the start-up log. Make "
                f"your own with `flask create-admin you@yourdomain`, then deactivate {default} in the admin."
            )
        elif row["password_printed"]:
            problems.append(
                f"The login {row['email']} still has the password printed in the start-up log: "
                f"give it another with `flask create-admin {row['email']}`."
            )
    return problems


CHECKS: tuple[Check, ...] = (check_settings, check_cookies, check_files, check_backups_folder, check_users)


def deploy_problems(app: Flask) -> list[str]:
    """Every reason this app should not face the internet yet, each with its fix."""
    return [problem for check in CHECKS for problem in check(app)]


@click.command("check-deploy")
@with_appcontext
def check_deploy() -> None:
    """List every problem to fix before this app faces the internet; exit 1 if there are any."""
    problems = deploy_problems(current_app)
    if not problems:
        click.echo("No problems found: ready for a public deploy.")
        return
    noun = "problem" if len(problems) == 1 else "problems"
    click.echo(f"{len(problems)} {noun} to fix before a public deploy:\n")
    for number, problem in enumerate(problems, 1):
        click.echo(f"{number:>3}. {problem}")
    raise SystemExit(1)


# == APP =======================================================================


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def measured_bodies(wsgi_app: WSGIApp, limit: int) -> WSGIApp:
    """Give a chunked request body its Content-Length, so a body over `limit` is refused whole (413).

    Werkzeug reads a body sent without a length only up to MAX_CONTENT_LENGTH and then stops
    as if it had ended (`LimitedStream.readall`): a longer form was cut short and handled.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            stream, body = environ["wsgi.input"], bytearray()
            while len(body) <= limit and (chunk := stream.read(limit + 1 - len(body))):
                body += chunk
            environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
            del environ["wsgi.input_terminated"]
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # Werkzeug ignores the length of a chunked body
        return wsgi_app(environ, start_response)

    return app


def init_app(app: Flask) -> None:
    """Proxies trusted as configured, allowed hosts, https in production, security headers, check-deploy."""
    if app.config["PROXIES"]:
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.wsgi_app = measured_bodies(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])  # type: ignore[method-assign]
    app.before_request(check_host)
    if app.config["PRODUCTION"]:
        app.before_request(require_https)
    app.after_request(add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.cli.add_command(check_deploy)
