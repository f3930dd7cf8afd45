"""What can go wrong with a request for data, each carrying its HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
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
        return render_error(error.code or 500, error.description or error.name)

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
