"""Every setting in one table: it feeds app.config, .env.example and the README."""

from __future__ import annotations

import difflib
import itertools
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from flask import Flask
from flask.helpers import get_debug_flag

from kit.errors import StartupError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, what it does, how to read it."""

    name: str
    default: str
    help: str
    kind: type = str
    least: int = 0  # bounds of a whole number
    most: int | None = None


SETTINGS = (
    Setting("APP_NAME", "Shopfront", "Name shown in the title bar, the admin and the landing page."),
    Setting(
        "DATABASE_URL",
        "sqlite:///instance/app.db",
        "Where the data lives. SQLite by default; postgresql://user:pass@host/db for PostgreSQL.",
    ),
    Setting(
        "DATABASE_POOL",
        "10",
        "Database connections each app process keeps at most; a request waits for a free one. "
        "Keep processes x this below PostgreSQL's max_connections (100).",
        int,
        least=1,
    ),
    Setting(
        "SECRET_KEY",
        "",
        "Signs sessions and CSRF tokens. Empty: a random key is made once and kept "
        "in instance/secret_key. Set a long random value in production.",
    ),
    Setting(
        "PRODUCTION",
        "false",
        "true on a public server: refuses a weak SECRET_KEY or DEBUG, sends cookies over https only, "
        "redirects http to https and tells browsers to use https.",
        bool,
    ),
    Setting("DEBUG", "false", "true shows tracebacks in the browser. Never in production.", bool),
    Setting("MAX_BODY_KB", "1024", "Largest request accepted, in KB; a bigger one gets a 413 page.", int, 1),
    Setting(
        "LOGIN_ATTEMPTS",
        "5",
        "Failed logins allowed per account in 15 minutes (four times as many per address); "
        "then the login answers 429 until the window passes, except to browsers the account "
        "logged in from before. 0 turns this off.",
        int,
    ),
    Setting(
        "PROXIES",
        "0",
        "Reverse proxies in front of the app (1 behind nginx or a hosting platform's router): their "
        "X-Forwarded-For and -Proto headers then give the client's address and https. 0: none.",
        int,
    ),
    Setting(
        "ALLOWED_HOSTS",
        "",
        "Host names the app answers to, comma-separated (shop.example.com; .example.com for every "
        "subdomain); a request naming another Host gets a 400, except health checks. Empty: any, "
        "which check-deploy reports.",
    ),
    Setting(
        "HOST", "127.0.0.1", "Address `python app.py` listens on; 0.0.0.0 to reach it from other machines."
    ),
    Setting("PORT", "5000", "Port `python app.py` listens on.", int, 1, 65535),
    Setting("SEED_ON_START", "true", "Load the demo data from seed/ when the database is empty.", bool),
    Setting(
        "ADMIN_EMAIL",
        "admin@example.com",
        "Login made on the first start, with a random password printed once.",
    ),
    Setting("PAGE_SIZE", "20", "Rows per page in admin lists and API answers, 1 to 100.", int, 1, 100),
    Setting(
        "CORS_ORIGINS",
        "",
        "Other sites whose pages may call the JSON API, comma-separated "
        "(https://app.example.com); * for any. Empty: none.",
    ),
)

WORDS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
    "": False,
}


class SettingError(StartupError):
    """A setting whose value can't be read; the message names it."""


def parse(setting: Setting, raw: str) -> Any:
    """The value of `raw` for `setting`; booleans are words, never "is set"."""
    text = raw.strip()
    if setting.kind is bool:
        if text.lower() not in WORDS:
            raise SettingError(f"{setting.name} must be true or false, not '{raw}'.")
        return WORDS[text.lower()]
    if setting.kind is int:
        try:
            return int(text)
        except ValueError:
            raise SettingError(f"{setting.name} must be a whole number, not '{raw}'.") from None
    return text


def load(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill app.config from defaults, then .env, then the environment, then overrides."""
    root = Path(app.root_path)
    from_file = dotenv_values(root / ".env")
    warn_of_misspelt_names(from_file)
    for setting in SETTINGS:
        raw = os.environ.get(setting.name, from_file.get(setting.name) or setting.default)
        app.config[setting.name] = parse(setting, raw or "")
    app.config.update(overrides or {})
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        # A relative SQLite path is relative to the project, not to wherever it was started.
        app.config["DATABASE_URL"] = f"sqlite:///{root / url.removeprefix('sqlite:///')}"
    database = sqlite_path(app.config["DATABASE_URL"])
    if database and database.parent.is_dir() and not database.exists():
        database.touch(mode=0o600)  # the data is its owner's alone; SQLite's journals copy this mode
    if not app.config["SECRET_KEY"] and not app.config["PRODUCTION"]:
        app.config["SECRET_KEY"] = local_secret(instance / "secret_key")
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = app.config["PRODUCTION"]
    for setting in SETTINGS:
        if setting.kind is int:
            check_bounds(setting, app.config[setting.name])
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_KB"] * 1024
    app.config["ALLOWED_HOSTS"] = host_names(app.config["ALLOWED_HOSTS"])
    app.config["CORS_ORIGINS"] = origins(app.config["CORS_ORIGINS"])
    # as read, for `flask check-deploy`: the flask command sets DEBUG from FLASK_DEBUG instead
    app.extensions["kit.settings"] = {setting.name: app.config[setting.name] for setting in SETTINGS}
    if app.config["PRODUCTION"]:
        refuse_unsafe_production({**app.config, "DEBUG": app.config["DEBUG"] or get_debug_flag()})


def host_names(value: str | list[str] | None) -> list[str] | None:
    """ALLOWED_HOSTS as a list of names (werkzeug's host_is_trusted reads them), or None for any host."""
    names = value.split(",") if isinstance(value, str) else value or []
    names = [name.strip() for name in names if name.strip()]
    for name in names:
        if "/" in name or "@" in name:  # a URL pasted in would match no request: every one a 400
            raise SettingError(f"ALLOWED_HOSTS takes host names like shop.example.com, not '{name}'.")
    return names or None


def origins(value: str | list[str]) -> list[str]:
    """CORS_ORIGINS as a list; one no browser would send (an origin is scheme://host[:port]) is refused."""
    found = [o.strip().rstrip("/") for o in value.split(",")] if isinstance(value, str) else value
    for origin in filter(None, found):
        scheme, _, rest = origin.partition("://")
        if origin != "*" and (scheme not in ("http", "https") or not rest or "/" in rest):
            raise SettingError(f"CORS_ORIGINS takes origins like https://app.example.com, not '{origin}'.")
    return [origin for origin in found if origin]


def warn_of_misspelt_names(from_file: Mapping[str, str | None]) -> None:
    """A name in .env that is close to a setting's but isn't one (PAGESIZE) is said, not silently unused."""
    names = [setting.name for setting in SETTINGS]
    for name in from_file:
        if name in names:
            continue
        meant = difflib.get_close_matches(name.upper(), names, n=1, cutoff=0.85)
        if meant:
            log.warning(f".env sets {name}, which is no setting; did you mean {meant[0]}?")


def check_bounds(setting: Setting, value: int) -> None:
    """Refuse a whole number outside the setting's bounds, saying what they are."""
    if setting.most is not None and not setting.least <= value <= setting.most:
        raise SettingError(f"{setting.name} must be from {setting.least} to {setting.most}, not {value}.")
    if value < setting.least:
        raise SettingError(f"{setting.name} must be at least {setting.least}, not {value}.")


def refuse_unsafe_production(settings: Mapping[str, Any]) -> None:
    """Production never runs with debug on or a secret someone could guess."""
    problems = production_problems(settings)
    if problems:
        raise SettingError(" ".join(problems))


def production_problems(settings: Mapping[str, Any]) -> list[str]:
    """What makes these settings unsafe on a public server, each with its fix."""
    problems = []
    if settings["DEBUG"]:
        problems.append(
            "DEBUG must be false when PRODUCTION is true, and FLASK_DEBUG unset: it lets visitors run code."
        )
    key = settings["SECRET_KEY"] or ""
    if len(key) < 32 or len(set(key)) < 10 or repeats(key) or looks_made_up(key):
        problems.append(
            "SECRET_KEY is missing or too weak for production; set it in .env to the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    return problems


def repeats(key: str) -> bool:
    """Whether `key` is a shorter piece written again and again ('abcdefghij' * 4)."""
    return any(
        key == (key[:size] * (len(key) // size + 1))[: len(key)] for size in range(1, len(key) // 2 + 1)
    )


PLACEHOLDERS = ("change", "secret", "replace", "example", "placeholder", "default", "password", "insecure")


def looks_made_up(key: str) -> bool:
    """Whether `key` was typed rather than generated: a placeholder's words, or a run like 'abcdefgh'."""
    if any(word in key.lower() for word in PLACEHOLDERS):
        return True
    run = 1
    for before, after in itertools.pairwise(key):
        run = run + 1 if ord(after) == ord(before) + 1 else 1
        if run >= 8:
            return True
    return False


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL, or None for other databases."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])


def local_secret(path: Path) -> str:
    """A random key made on first use and kept in the git-ignored instance folder."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def env_example() -> str:
    """The text of .env.example, made from the settings table."""
    blocks = ["# Copy to .env and change what you need. Every setting the kit reads is here."]
    for setting in SETTINGS:
        blocks.append(f"# {setting.help}\n{setting.name}={setting.default}")
    return "\n\n".join(blocks) + "\n"


def readme_table() -> str:
    """The README's settings table, made from the settings table."""
    lines = ["| Setting | Default | What it does |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        lines.append(f"| `{setting.name}` | `{setting.default}` | {setting.help} |")
    return "\n".join(lines)
