"""The JSON API: every declared entity at /api/<entity>, through the same model layer as the admin.

Reads of an entity declared `public_read=True` need nothing; everything else
needs an API token (`Authorization: Bearer ...`) or a logged-in session,
whose writes must also send the CSRF token in `X-CSRFToken`.  Viewers read,
editors and admins write.  Every error is one JSON envelope (kit/errors.py).
What exists - entities, fields, parameters - comes from kit/openapi.py, which
also writes the OpenAPI document served at /api/openapi.json.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from flask import Blueprint, Flask, Response, current_app, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import BadData, URLSafeSerializer
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError as CSRFInvalid

from kit import openapi, tokens
from kit.auth import csrf
from kit.errors import Changed, KitError, NotFound, ValidationError
from kit.fields import FROM_JSON, TO_JSON, Field, Integer, Reference, Value, as_json
from kit.openapi import Json
from kit.schema import VERSION
from kit.store import After, Filter, Query, Repository, Row, store

bp = Blueprint("api", __name__, url_prefix="/api")
health = Blueprint("health", __name__)

WRITES = ("POST", "PATCH", "DELETE")
PAGE = Integer("_page", label="_page", min=1, max=openapi.MAX_PAGE)
PER_PAGE = Integer("_per_page", label="_per_page", min=1, max=openapi.MAX_PER_PAGE)
OPTIONS = ("_page", "_per_page", "_sort", "_search", "_cursor")
PLACES = ("_page", "_cursor")  # where a list starts: a page number, or the place after a row
CURSOR_SALT = "kit.api.cursor"
"""Cursors are signed with SECRET_KEY and this salt, so no other signed value of the app passes for one."""


class Unauthorized(KitError):
    """No login and no token (or a revoked one) where one is needed."""

    status = 401


class Forbidden(KitError):
    """The caller's role can't do this, or a session write came without its CSRF token."""

    status = 403


class PreconditionFailed(KitError):
    """If-Match named a version of the row that is no longer the stored one."""

    status = 412

    def __init__(self, repo: Repository, changed: Changed) -> None:
        super().__init__(changed.message)
        self.fields = changed.fields
        self.current = row_json(repo, changed.current)  # for the client to see what changed
        self.etag = etag(changed.current)  # the stored version, to send as If-Match to save anyway


class UnsupportedMediaType(KitError):
    """A body that is not JSON."""

    status = 415


# == WHO IS ASKING ==============================================================


@bp.before_request
def check_access() -> None:
    """Resolve the entity, then the caller, then whether the caller may do this."""
    if request.method == "OPTIONS":
        return  # a CORS preflight carries no credentials
    name = (request.view_args or {}).get("entity")
    public = name is None or (repository(name).entity.public_read and request.endpoint != "api.row_history")
    if request.method not in WRITES and public:
        known = bool(request.headers.get("Authorization")) or current_user.is_authenticated
        if known:
            caller()  # a token sent is checked even where none is needed
        # the same answer for all callers, which a cache may keep, unless it names the caller's rows
        g.kit_same_for_all = request.endpoint != "api.session_info" and not known
        return
    role, by_token = caller()
    if role is None:
        raise Unauthorized("Log in, or send an API token as 'Authorization: Bearer <token>'.")
    if request.method not in WRITES:
        return
    if role not in openapi.ROLES_THAT_WRITE:
        raise Forbidden(f"Your role ({role}) can read but not change data; ask an admin.")
    if not by_token:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except CSRFInvalid:
            raise Forbidden("Send the CSRF token from GET /api/session in the X-CSRFToken header.") from None


def caller() -> tuple[str | None, bool]:
    """(role, came with a token) of whoever sent the request; (None, False) for nobody."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        user = tokens.user_for(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Unauthorized(
                "The API token is not valid or was revoked; send 'Authorization: Bearer <token>'."
            )
        g.kit_actor = f"{user['email']} (API token)"
        return user["role"], True
    if current_user.is_authenticated:
        return current_user.role, False
    return None, False


@bp.after_request
def keep_out_of_caches(response: Response) -> Response:
    """Only what everyone may read may be kept by a cache: a token's answers never are.

    Session answers get no-store from kit/security.py; a token's would otherwise stay in
    the browser's or a proxy's cache for the next person to read.
    """
    if not g.get("kit_same_for_all"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(KitError)
def refused(error: KitError) -> Response:
    """The error envelope of kit/errors.py, its keys in reading order; a 401 says how to authenticate."""
    body = {
        "error": {"status": error.status, "message": error.message, "fields": getattr(error, "fields", {})}
    }
    return reply(body, error.status, {"WWW-Authenticate": "Bearer"} if error.status == 401 else None)


# == ROWS AS JSON ===============================================================


def repository(name: str) -> Repository:
    """The exposed entity `name`, or NotFound (the kit's own entities are never exposed)."""
    if name.startswith("kit_") or name not in store().schema:
        raise NotFound(f"There is no entity '{name}'.")
    return store()[name]


class Surface(NamedTuple):
    """What the API offers for one entity (see kit/openapi.py), worked out once per app."""

    shown: list[tuple[str, Callable[[Any], Any] | None]]  # field name, its JSON form where not as is
    writable: frozenset[str]
    filters: dict[str, tuple[Field, str]]
    sorts: frozenset[str]
    references: list[Reference]


KIND_TYPES: dict[str, type] = {
    "integer": int,
    "reference": int,
    "money": Decimal,
    "boolean": bool,
    "date": dt.date,
    "datetime": dt.datetime,
}
"""What a cleaned value of each kind is; every other kind is text."""


def surface(repo: Repository) -> Surface:
    surfaces = current_app.extensions.setdefault("kit.api", {})
    if repo.name not in surfaces:
        surfaces[repo.name] = Surface(
            shown=[(f.name, TO_JSON.get(f.kind)) for f in openapi.visible(repo)],
            writable=frozenset(f.name for f in openapi.writable(repo)),
            filters=openapi.filter_parameters(repo),
            sorts=frozenset(openapi.sort_options(repo)),
            references=[f for f in repo.entity.references if not f.hidden],
        )
    return surfaces[repo.name]


def rows_json(repo: Repository, rows: list[Row]) -> list[Json]:
    """Rows as the API shows them, labelled with one query per reference field.

    An answer everyone may read labels only rows everyone may read: a public
    review's customer stays an id, not the customer's email.
    """
    offers = surface(repo)
    own = own_labels(repo, rows)
    labels = {
        f.name: store()[f.to].labels(row[f.name] for row in rows) if shown_to_caller(f.to) else {}
        for f in offers.references
    }
    shown = []
    for row in rows:
        item = {
            name: value if convert is None or value is None else convert(value)
            for name, convert in offers.shown
            for value in (row[name],)
        }
        item["_label"] = own[row["id"]]
        item["_labels"] = {name: labels[name].get(row[name]) for name in labels}
        item["_version"] = row[VERSION]  # what ETag says, for an If-Match straight from a list
        shown.append(item)
    return shown


def own_labels(repo: Repository, rows: list[Row]) -> dict[int, str]:
    """Each row's label; read off the rows themselves unless the title is a reference to look up."""
    title = repo.fields[repo.entity.title]
    if isinstance(title, Reference):
        if shown_to_caller(title.to):
            return repo.labels(row["id"] for row in rows)
        return {row["id"]: f"{repo.entity.label} {row['id']}" for row in rows}
    return {row["id"]: title.format(row[title.name]) or f"{repo.entity.label} {row['id']}" for row in rows}


def shown_to_caller(entity: str) -> bool:
    """Whether this answer may name rows of `entity`: any caller's may, one for everyone only public ones."""
    return not g.get("kit_same_for_all") or store()[entity].entity.public_read


def row_json(repo: Repository, row: Row) -> Json:
    return rows_json(repo, [row])[0]


# == READING ====================================================================


def list_query(repo: Repository, args: MultiDict[str, str]) -> Query:
    """The model-layer query a list's parameters ask for; every refusal names its parameter."""
    problems: dict[str, str] = {}
    for name in OPTIONS:
        if len(args.getlist(name)) > 1:  # which one was meant is anyone's guess
            problems[name] = f"{name} is sent {len(args.getlist(name))} times; send it once."
    filters = list_filters(repo, args, problems)
    page = option(PAGE, args, 1, problems)
    per_page = option(PER_PAGE, args, current_app.config["PAGE_SIZE"], problems)
    sort, desc = None, False
    if "_sort" in args:
        wanted = args["_sort"]
        if wanted in surface(repo).sorts:
            sort, desc = wanted.lstrip("-"), wanted.startswith("-")
        else:
            problems["_sort"] = f"{repo.entity.label} can't be sorted by '{wanted}'."
    search = args.get("_search", "")
    if search and not repo.entity.search:
        problems["_search"] = f"{repo.entity.label} has no fields to search in."
    query = Query(filters=filters, search=search, sort=sort, desc=desc, page=page - 1, per_page=per_page)
    if "_cursor" in args:
        query = dataclasses.replace(query, after=cursor_place(repo, query, args, problems))
    if problems:
        raise ValidationError(problems)
    return query


def list_filters(repo: Repository, args: MultiDict[str, str], problems: dict[str, str]) -> list[Filter]:
    """The filters among a list's parameters; an unknown name goes into `problems`."""
    known = surface(repo).filters
    filters = []
    for key, value in args.items(multi=True):
        if key in OPTIONS:
            continue
        if key not in known:
            what = "option" if key.startswith("_") else "field"
            problems[key] = f"{repo.entity.label} has no {what} '{key}' to filter by."
        else:
            f, op = known[key]
            filters.append(Filter(f.name, op, value))
    return filters


def option(f: Integer, args: MultiDict[str, str], default: int, problems: dict[str, str]) -> int:
    """A whole-number option's value, or its default; a refusal goes into `problems`."""
    try:
        return f.clean(args.get(f.name)) or default
    except ValueError as error:
        problems[f.name] = str(error)
        return default


def reply(data: Json, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact UTF-8 JSON, keys in the order written (Flask would sort them): id first, then as declared."""
    text = current_app.json.dumps(data, sort_keys=False, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status, headers, mimetype="application/json")


# -- cursors --------------------------------------------------------------------


def cursor_place(
    repo: Repository, query: Query, args: MultiDict[str, str], problems: dict[str, str]
) -> After | None:
    """Where `_cursor` says the page starts; a refusal goes into `problems`."""
    if "_page" in args:
        problems["_cursor"] = "_cursor can't be sent with _page; send one or the other."
        return None
    after = read_cursor(repo, args["_cursor"])
    if after is None:
        problems["_cursor"] = "_cursor is not one this list gave out; start again without it."
        return None
    if (after.sort, after.desc) != repo.ordering(query):
        problems["_cursor"] = "_cursor was made for another _sort; send the _sort it came with."
        return None
    return after


def make_cursor(repo: Repository, after: After) -> str:
    """An opaque, signed `_cursor`: the entity, the order, and the last row's sort value and id."""
    value = as_json(repo.fields[after.sort], after.value)
    signer = URLSafeSerializer(current_app.secret_key, salt=CURSOR_SALT)  # no client can make or alter one
    return signer.dumps([repo.name, after.sort, after.desc, value, after.id])


def read_cursor(repo: Repository, text: str) -> After | None:
    """The place a cursor names, or None unless this app signed it for this entity as it is declared now."""
    try:
        name, sort, desc, value, id = URLSafeSerializer(current_app.secret_key, salt=CURSOR_SALT).loads(text)
        kind = repo.fields[sort].kind
        if value is not None and kind in FROM_JSON:
            value = FROM_JSON[kind](value)
    except (BadData, ValueError, TypeError, KeyError, AttributeError, InvalidOperation):
        return None
    fits = value is None or type(value) is KIND_TYPES.get(kind, str)  # exactly: a bool is no integer
    if name != repo.name or type(desc) is not bool or not fits or type(id) is not int:
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return After(sort, desc, value, id)


@bp.get("/<entity>")
def list_rows(entity: str) -> Response:
    """One page of rows: filters, search, sort and page (or cursor) from the query string."""
    repo = repository(entity)
    page = repo.list(list_query(repo, request.args))
    asked = {key: values for key, values in request.args.to_dict(flat=False).items() if key not in PLACES}
    cursor = None if page.after is None else make_cursor(repo, page.after)
    by_cursor = None if cursor is None else url_for("api.list_rows", entity=entity, **asked, _cursor=[cursor])
    following = by_cursor  # a walk by cursor goes on by cursor
    if page.page is not None and page.after is not None:
        following = url_for("api.list_rows", entity=entity, **asked, _page=[str(page.page + 2)])
    return reply(
        {
            "rows": rows_json(repo, page.rows),
            "total": page.total,
            "estimated": page.estimated,
            "page": None if page.page is None else page.page + 1,
            "per_page": page.per_page,
            "pages": page.pages,
            "next": following,
            "next_cursor": cursor,
            "next_cursor_url": by_cursor,
        }
    )


@bp.get("/<entity>/<id>")
def get_row(entity: str, id: str) -> Response:
    """One row, with its version as ETag: send it back as If-Match to change only that version."""
    repo = repository(entity)
    row = repo.get(id)
    return reply(row_json(repo, row), headers={"ETag": etag(row)})


@bp.get("/<entity>/<id>/history")
def row_history(entity: str, id: str) -> Response:
    """Who made, changed and deleted the row, newest first; a deleted row's history too."""
    repo = repository(entity)
    changes = repo.history(id)
    if not changes:
        repo.get(id)  # 404 for a row that never was
    visible = {f.name for f in openapi.visible(repo)}
    lines = [
        {
            "action": c.action,
            "fields": list(c.fields),
            "values": {
                name: {"before": before, "after": after}
                for name, (before, after) in c.values.items()
                if name in visible
            },
            "by": c.by,
            "at": TO_JSON["datetime"](c.at),
        }
        for c in changes
    ]
    return reply({"rows": lines})


def etag(row: Row) -> str:
    """The row's version as an entity tag: it changes with every save."""
    return f'"{row[VERSION]}"'


def if_match(repo: Repository, current: Row) -> int | None:
    """The version a PATCH or DELETE may change, from If-Match: None without one (or with *).

    A tag other than the stored version is refused before anything is read from
    the body; the write itself checks the version again, in the same statement.
    """
    wanted = request.if_match
    if not wanted and request.headers.get("If-Match", "").strip():
        # werkzeug reads a malformed header as none: that must not turn the check off
        raise ValidationError({"If-Match": 'If-Match must be an entity tag as ETag sends it, like "3".'})
    if not wanted or wanted.star_tag:
        return None
    if not wanted.contains(etag(current).strip('"')):
        raise PreconditionFailed(repo, Changed({}, current))
    return int(current[VERSION])


@bp.errorhandler(PreconditionFailed)
def precondition_failed(error: PreconditionFailed) -> Response:
    refusal = {"status": 412, "message": error.message, "fields": error.fields, "current": error.current}
    return reply({"error": refusal}, 412, {"ETag": error.etag})


# == WRITING ====================================================================


def body(repo: Repository) -> dict[str, Value]:
    """The JSON object sent, numbers kept exact; names the API doesn't accept are refused."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
    try:
        data = json.loads(request.get_data(), parse_float=Decimal, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        raise ValidationError({"_body": "The body is not valid JSON."}) from None
    if not isinstance(data, dict):
        raise ValidationError({"_body": "The body must be a JSON object of field names and values."})
    names = surface(repo).writable
    problems = {}
    for key, value in data.items():
        if not encodable(key):
            shown = key.encode("utf-8", "backslashreplace").decode()
            problems[shown] = f"{repo.entity.label} has no field '{shown}'."
        elif key in openapi.MANAGED_READ_ONLY or key in ("_label", "_labels", "_version"):
            problems[key] = f"{key} is set by the kit; leave it out."
        elif key not in names:
            problems[key] = f"{repo.entity.label} has no field '{key}'."
        elif isinstance(value, str) and not encodable(value):
            problems[key] = f"{repo.fields[key].label} has characters that can't be stored."
    if problems:
        raise ValidationError(problems)
    return data


def refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def encodable(text: str) -> bool:
    """False for text with lone surrogates ("\\ud800"), which JSON allows and UTF-8 doesn't."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@bp.post("/<entity>")
def create_row(entity: str) -> Response:
    repo = repository(entity)
    row = repo.create(body(repo))
    location = url_for("api.get_row", entity=entity, id=row["id"])
    return reply(row_json(repo, row), 201, {"Location": location, "ETag": etag(row)})


@bp.patch("/<entity>/<id>")
def update_row(entity: str, id: str) -> Response:
    repo = repository(entity)
    current = repo.get(id)  # a missing row is a 404 before the body is looked at
    version = if_match(repo, current)
    try:
        row = repo.update(current["id"], body(repo), expected_version=version)
    except Changed as error:
        raise PreconditionFailed(repo, error) from None
    return reply(row_json(repo, row), headers={"ETag": etag(row)})


@bp.delete("/<entity>/<id>")
def delete_row(entity: str, id: str) -> tuple[str, int]:
    repo = repository(entity)
    current = repo.get(id)
    try:
        repo.delete(current["id"], expected_version=if_match(repo, current))
    except Changed as error:
        raise PreconditionFailed(repo, error) from None
    return "", 204


# == THE KIT'S OWN ==============================================================


@bp.get("", strict_slashes=False)
def index() -> Response:
    """Where to start: each entity's list, the OpenAPI document and the page that explains it."""
    lists = {repo.name: url_for("api.list_rows", entity=repo.name) for repo in openapi.exposed(store())}
    return reply({"entities": lists, "openapi": url_for("api.openapi_json"), "docs": url_for("api.docs")})


@bp.get("/session")
def session_info() -> Json:
    """Who is logged in, and the CSRF token a page needs for session writes."""
    user = {"email": current_user.email, "role": current_user.role} if current_user.is_authenticated else None
    return {"user": user, "csrf_token": generate_csrf()}


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return reply(describe())


@bp.get("/docs")
def docs() -> str:
    """The OpenAPI document as a page to read; nothing is fetched from elsewhere."""
    doc = describe()
    guide = [(heading, code_spans(text)) for heading, text in openapi.GUIDE]
    return render_template("api/docs.html", doc=doc, guide=guide, sections=openapi.sections(doc))


def code_spans(text: str) -> Markup:
    """`name` as <code>name</code>, everything else escaped."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def describe() -> Json:
    """The OpenAPI document, made once per app."""
    app = current_app
    if "kit.openapi" not in app.extensions:
        app.extensions["kit.openapi"] = openapi.document(store(), app.config["APP_NAME"])
    return app.extensions["kit.openapi"]


@health.get("/healthz")
def healthz() -> Json:
    """The process is up."""
    return {"status": "ok"}


@health.get("/readyz")
def readyz() -> Any:
    """The database answers: 200, else 503."""
    try:
        store()["kit_user"].count()
    except Exception:
        current_app.logger.exception("The database can't be reached")
        message = "The database can't be reached."
        return {"error": {"status": 503, "message": message, "fields": {}}}, 503
    return {"status": "ready"}


# == CORS =======================================================================


@bp.after_app_request
def allow_origins(response: Response) -> Response:
    """Let the sites named in CORS_ORIGINS call the API from their pages; none by default."""
    origin = request.headers.get("Origin")
    allowed = current_app.config["CORS_ORIGINS"]  # a list: kit/config.py reads the setting once
    if not origin or not request.path.startswith("/api/") or not allowed:
        return response
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    response.headers["Access-Control-Expose-Headers"] = "Location, ETag"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def init_app(app: Flask) -> None:
    """The API under /api, /healthz and /readyz, and the token commands."""
    csrf.exempt(bp)  # session writes are checked in check_access; token writes need no CSRF
    app.register_blueprint(bp)
    app.register_blueprint(health)
    tokens.init_app(app)
