"""What can go wrong with a request for data, each carrying its HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge


class KitError(Exception):
    """A refusal that is the user's to fix; `message` is safe to show."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(KitError):
    """One or more fields were refused; `fields` maps each name to its sentence."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__(" ".join(self.fields.values()))


class Conflict(ValidationError):
    """A unique field already holds the value in another row."""

    status = 409


class Changed(Conflict):
    """The row was saved by someone else since the caller read it; `current` is the row now.

    `fields` names what changed, with its new value, where the caller said what it had seen.
    """

    def __init__(self, fields: Mapping[str, str], current: Mapping[str, Any]) -> None:
        super().__init__(fields)
        self.current = dict(current)
        self.message = " ".join(["This record changed since you opened it.", *self.fields.values()])


class NotFound(KitError):
    """The row or entity asked for doesn't exist."""

    status = 404


class InUse(KitError):
    """The row can't be deleted while other rows refer to it."""

    status = 409


class TooManyAttempts(KitError):
    """Too many tries in too short a time; `retry_after` says how many seconds to wait."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StartupError(click.ClickException):
    """The app can't start; the message says what to change (shown without a traceback)."""


READ_ONLY = "The database is read-only right now, so nothing can be saved; try again later."
FULL = "The server's disk is full, so nothing can be saved; try again later."
BUSY = "The database is busy; try again in a moment."
UNREACHABLE = "The database can't be reached right now; try again in a moment."
UNAVAILABLE = (
    ("readonly", READ_ONLY),  # SQLite: attempt to write a readonly database
    ("read-only", READ_ONLY),  # PostgreSQL: cannot execute INSERT in a read-only transaction
    ("disk is full", FULL),  # SQLite: database or disk is full
    ("no space left", FULL),  # PostgreSQL: could not extend file ... No space left on device
    ("database is locked", BUSY),
    ("deadlock detected", BUSY),
    ("could not serialize", BUSY),
    ("too many clients", BUSY),
    ("unable to open database file", UNREACHABLE),
    ("disk i/o error", UNREACHABLE),
    ("connect", UNREACHABLE),  # could not connect, server closed the connection, ...
    ("starting up", UNREACHABLE),
    ("shutting down", UNREACHABLE),
)
"""A database refusal that is nobody's input, by a phrase of its driver's message: one sentence each."""


def unavailable_message(error: Exception) -> str | None:
    """The sentence for a database that can't answer now (read-only, full, busy, gone), else None."""
    if isinstance(error, sa.exc.TimeoutError):
        return "The server is busy; try again in a moment."
    text = str(getattr(error, "orig", None) or error).lower()
    return next((message for phrase, message in UNAVAILABLE if phrase in text), None)


def init_app(app: Flask) -> None:
    """One error page for every status, JSON under /api; no traceback outside debug."""

    @app.errorhandler(KitError)
    def kit_error(error: KitError) -> Any:
        return render_error(error.status, error.message, getattr(error, "fields", {}))

    @app.errorhandler(TooManyAttempts)
    def too_many_attempts(error: TooManyAttempts) -> Any:
        response = make_response(render_error(error.status, error.message))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> Any:
        limit = app.config["MAX_BODY_KB"]
        return render_error(413, f"That was more than this site takes at once ({limit:,} KB); send less.")

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return render_error(400, "The form expired or came from another site; reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        response = make_response(render_error(error.code or 500, error.description or error.name))
        for name, value in error.get_headers():  # Allow on a 405, WWW-Authenticate on a 401, ...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InternalError)  # PostgreSQL's read-only transaction
    @app.errorhandler(sa.exc.TimeoutError)
    def database_unavailable(error: Exception) -> Any:
        message = unavailable_message(error)
        if message is None:
            return server_error(error)  # a mistake in a statement, not an outage
        app.logger.error("Database unavailable on %s: %s", request.path, error)
        response = make_response(render_error(503, message))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Any:
        if app.debug or app.testing:
            raise error
        app.logger.exception("Unhandled error on %s", request.path)
        return render_error(500, "Something went wrong on our side. It has been logged.")


def render_error(status: int, message: str, fields: Mapping[str, str] | None = None) -> Any:
    """The error page (templates/error.html, overridable), or JSON for API requests."""
    if request.path.startswith("/api/"):
        return {"error": {"status": status, "message": message, "fields": dict(fields or {})}}, status
    return render_template("error.html", status=status, message=message), status
