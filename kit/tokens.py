"""API tokens: shown once when made, kept only as a hash, each acting with its user's role.

A token is 32 random bytes, so a plain SHA-256 is enough to keep it (a slow
password hash guards guessable secrets, and these are not guessable).
Revoking a token is deleting its row, in the admin or with `flask revoke-tokens`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

import click
from flask import Flask
from flask.cli import with_appcontext

from kit.errors import KitError, NotFound, ValidationError
from kit.fields import Value
from kit.store import Filter, Query, Row, store

PREFIX = "kit_"
"""Marks a token as this kit's, so secret scanners and people can tell it apart."""


def digest(secret: str) -> str:
    """What is stored for a token: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue(data: Mapping[str, Value]) -> tuple[Row, str]:
    """Store a new token for data's `user` and `name`; returns the row and the secret, shown once."""
    try:
        user = store()["kit_user"].get(data.get("user"))
    except NotFound:
        user = None  # the token's own checks name the missing user
    if user is not None and not user["active"]:
        # it would stay dead, and come alive with the login: deactivating revokes tokens
        raise ValidationError({"user": f"{user['email']} is deactivated; activate the login first."})
    secret = PREFIX + secrets.token_urlsafe(32)
    row = store()["kit_token"].create({**data, "token_hash": digest(secret)}, hidden=True)
    return row, secret


def user_for(secret: str) -> Row | None:
    """The active user a token belongs to, or None for an unknown or revoked token."""
    wanted = digest(secret)
    token = store()["kit_token"].find("token_hash", wanted)
    if token is None or not hmac.compare_digest(token["token_hash"] or "", wanted):
        return None
    try:
        user = store()["kit_user"].get(token["user"])
    except KitError:
        return None
    return user if user["active"] else None


def revoke_all(user: Row) -> int:
    """Revoke every API token of this user; returns how many there were."""
    tokens = store()["kit_token"]
    ids = [row["id"] for row in tokens.iterate(Query(filters=[Filter("user", "eq", user["id"])]))]
    return tokens.delete_many(ids)


def find_user(email: str, hint: bool = True) -> Row:
    """The user with this email, or a ClickException saying so (and, with `hint`, how to make one)."""
    user = store()["kit_user"].find("email", email)
    if user is None:
        make = f"; make one with: flask create-admin {email} --role editor" if hint and "@" in email else "."
        raise click.ClickException(f"There is no user {email}{make}")
    return user


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="API client", show_default=True, help="What will use the token.")
@with_appcontext
def create_token(email: str, name: str) -> None:
    """Make an API token that acts as the user with this email."""
    user = find_user(email)
    try:
        _, secret = issue({"user": user["id"], "name": name})
    except KitError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Token '{name}' for {user['email']} (role {user['role']}); it is shown only this once:")
    click.echo(secret)


@click.command("revoke-tokens")
@click.argument("email")
@with_appcontext
def revoke_tokens(email: str) -> None:
    """Revoke every API token of the user with this email."""
    user = find_user(email, hint=False)  # no one to make: there are no tokens to revoke
    count = revoke_all(user)
    click.echo(f"Revoked {count} token{'' if count == 1 else 's'} of {user['email']}.")


def init_app(app: Flask) -> None:
    """`flask create-token` and `flask revoke-tokens`."""
    app.cli.add_command(create_token)
    app.cli.add_command(revoke_tokens)
