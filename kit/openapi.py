"""What the JSON API offers, made from the declarations: its surface and its OpenAPI 3.1 document.

The API's own code (kit/api.py) asks this module which entities, fields and
query parameters exist, so the document and the behaviour can't drift apart.
Component names carry a dot ("product.input"), which no entity name can, so
they never clash with an entity.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from kit.fields import Field, Integer
from kit.store import MAX_FILTERS, MAX_PAGE_SIZE, MAX_SEARCH_WORDS, Repository, Store

Json = dict[str, Any]

MAX_PER_PAGE = min(100, MAX_PAGE_SIZE)
MAX_PAGE = 1_000_000_000
MANAGED_READ_ONLY = ("id", "created_at", "updated_at")
ROLES_THAT_WRITE = ("admin", "editor")
CURSOR_PATTERN = r"^\.?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$"
"""An opaque cursor as itsdangerous' URLSafeSerializer writes one: base64url (after a dot if
compressed), a dot, the signature."""
LARGEST = 2**63 // 100 - 1
"""Integer and Money fields refuse anything larger (see fields.Integer.bounded)."""
SOMETHING = r"\S"
"""A required text: at least one character that isn't a space (the API trims text before it checks)."""
WEB_ADDRESS = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/$.?#]\S*$"
"""What a Url field takes (fields.Url.pattern): http or https only."""


# == THE SURFACE ================================================================


def exposed(kit_store: Store) -> Iterator[Repository]:
    """Every entity the API serves: the declared ones, never the kit's own (users, tokens)."""
    return (repo for repo in kit_store if not repo.name.startswith("kit_"))


def visible(repo: Repository) -> list[Field]:
    """The fields the API shows and accepts: id, the declared ones, timestamps; never hidden ones."""
    fields = [
        repo.fields["id"],
        *repo.entity.fields.values(),
        *(repo.fields[n] for n in MANAGED_READ_ONLY[1:]),
    ]
    return [f for f in fields if not f.hidden]


def writable(repo: Repository) -> list[Field]:
    """The fields a client may send in a body."""
    return [f for f in visible(repo) if f.name not in MANAGED_READ_ONLY]


def filter_parameters(repo: Repository) -> dict[str, tuple[Field, str]]:
    """Query parameter -> (field, operator): `price` is price equals, `price__gte` price at least."""
    found: dict[str, tuple[Field, str]] = {}
    for f in visible(repo):
        for op in f.operators:
            found.setdefault(f.name if op == "eq" else f"{f.name}__{op}", (f, op))
    return found


def sort_options(repo: Repository) -> list[str]:
    """Every value `_sort` takes: a field name, or the name after "-" for descending."""
    shown = {f.name for f in visible(repo)}
    names = [name for name in repo.entity.sortable if name in shown]
    return [*names, *(f"-{name}" for name in names)]


# == THE DOCUMENT ===============================================================


def document(kit_store: Store, title: str) -> Json:
    """The OpenAPI 3.1 document of every exposed entity."""
    schemas: Json = {"kit.error": ERROR_SCHEMA, "kit.session": SESSION_SCHEMA, "kit.history": HISTORY_SCHEMA}
    paths: Json = {}
    for repo in exposed(kit_store):
        name = repo.name
        schemas[name] = row_schema(repo)
        schemas[f"{name}.input"] = input_schema(repo, creating=True)
        schemas[f"{name}.patch"] = input_schema(repo, creating=False)
        schemas[f"{name}.page"] = page_schema(name)
        paths[f"/api/{name}"] = {"get": list_operation(repo), "post": create_operation(repo)}
        paths[f"/api/{name}/{{id}}"] = row_operations(repo)
        paths[f"/api/{name}/{{id}}/history"] = history_operation(repo)
    paths.update(KIT_PATHS)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{title} API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


GUIDE = (
    (
        "Values",
        'money is text with two decimals (`"12.50"`, never a float); dates are `2026-11-26`; times are '
        "UTC, `2026-11-26T14:30:00Z`. A reference is the id of the row it points to; its label is in "
        "`_labels`, and each row's own label in `_label`. `_version` is raised by every save; "
        '`If-Match: "<_version>"` changes a row only if nobody saved it since it was read.',
    ),
    (
        "Lists",
        "`_page` (from 1) and `_per_page` (at most 100), in a stable order; `_sort=-price` for descending; "
        "`_search` looks in the entity's search fields. `_cursor` instead of `_page` reads on after the "
        "last row of a page, from that page's `next_cursor`, with the same filters, search and sort: "
        "deep in a long list it is as fast as the first page, and rows added meanwhile don't shift it. "
        "A filter is a field name (equals) or a field name, "
        "two underscores and an operator: `price__gte=10`, `name__contains=tea`, `note__empty=true`. "
        "Options start with an underscore, so they never clash with a field.",
    ),
    ("Errors", 'always `{"error": {"status", "message", "fields"}}`; `fields` names each refused field.'),
    (
        "Auth",
        "reading an entity declared `public_read=True` needs nothing. Everything else needs a token "
        "(`Authorization: Bearer kit_...`, made in the admin or by `flask create-token EMAIL`) or a "
        "logged-in session, whose writes also send the `X-CSRFToken` header from `GET /api/session`. "
        "Viewers read; editors and admins also write.",
    ),
)
DESCRIPTION = "Every entity declared in models.py: list, create, get, change and delete.\n\n" + "\n".join(
    f"* **{heading}**: {text}" for heading, text in GUIDE
)

SECURITY_SCHEMES = {
    "token": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from the admin (API tokens) or `flask create-token EMAIL`.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The cookie of a login at /login; writes also need the X-CSRFToken header.",
    },
}
SIGNED_IN = [{"token": []}, {"session": []}]
ANYONE = [{}, *SIGNED_IN]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message", "fields"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string", "description": "One sentence to show as it is."},
                "fields": {
                    "type": "object",
                    "description": "Each refused field or parameter, with the sentence naming it.",
                    "additionalProperties": {"type": "string"},
                },
            },
        }
    },
}
SESSION_SCHEMA = {
    "type": "object",
    "required": ["user", "csrf_token"],
    "properties": {
        "user": {
            "type": ["object", "null"],
            "required": ["email", "role"],
            "properties": {"email": {"type": "string"}, "role": {"type": "string"}},
        },
        "csrf_token": {"type": "string", "description": "Send it as X-CSRFToken on session writes."},
    },
}
HISTORY_SCHEMA = {
    "type": "object",
    "required": ["rows"],
    "properties": {
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["action", "fields", "values", "by", "at"],
                "properties": {
                    "action": {"enum": ["created", "changed", "deleted"]},
                    "fields": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The fields a change set; empty when a row is created or deleted.",
                    },
                    "values": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["before", "after"],
                            "properties": {"before": {}, "after": {}},
                        },
                        "description": "Each field a change set with its values before and after, as rows "
                        "show them; long text is only named in `fields`.",
                    },
                    "by": {
                        "type": "string",
                        "description": 'An email, "<email> (API token)", "a visitor" or "a command".',
                    },
                    "at": {"type": "string", "format": "date-time"},
                },
            },
        }
    },
}


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


IF_MATCH: Json = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag a GET gave: the change is made only if nobody saved the row since (else 412).",
    "schema": {"type": "string"},
}


ETAG: Json = {
    "description": 'The row\'s _version in quotes ("3"): send it back as If-Match.',
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}


def json_content(schema: Json) -> Json:
    return {"application/json": {"schema": schema}}


def errors(*statuses: int, row: str | None = None) -> Json:
    """The error responses of an operation; a 412's also carries `row`, the row as stored now."""
    reasons = {
        400: "A parameter or field was refused; `fields` names each.",
        401: "No login or token, or the token was revoked.",
        403: "The role can't do this, or a session write lacks its CSRF token.",
        404: "No such entity or row.",
        409: "A unique field's value is taken, or other rows still refer to this one.",
        412: "If-Match named an older version: someone saved the row since; `current` is the row now.",
        415: "The body was not sent as application/json.",
    }
    found = {str(s): {"description": reasons[s], "content": json_content(ref("kit.error"))} for s in statuses}
    if 412 in statuses and row is not None:
        found["412"]["headers"] = {"ETag": ETAG}  # the version saved meanwhile
        current = {"properties": {"error": {"required": ["current"], "properties": {"current": ref(row)}}}}
        found["412"]["content"] = json_content({"allOf": [ref("kit.error"), current]})
    return found


# -- values ---------------------------------------------------------------------


def value_schema(f: Field, writing: bool = False) -> Json:
    """The JSON Schema of one field's value (without null)."""
    schema: Json = {"title": f.label}
    if f.help:
        schema["description"] = f.help
    if writing and isinstance(f.default, bool | int | str) and f.kind != "money":
        schema["default"] = f.default  # what a create without this field stores
    kind = f.kind
    if kind == "integer":
        return {**schema, "type": "integer", **bounds(f)}
    if kind == "money":
        return {**schema, **money_schema(f, writing)}
    if kind == "boolean":
        return {**schema, "type": "boolean"}
    if kind == "date":
        return {**schema, "type": "string", "format": "date"}
    if kind == "datetime":
        return {**schema, "type": "string", "format": "date-time"}
    if kind == "choice":
        options = f.options  # type: ignore[attr-defined]
        return {**schema, "type": "string", "enum": list(options), "x-enum-labels": dict(options)}
    if kind == "reference":
        about = f"The id of a row of {f.to}; its label is in _labels.{f.name}."  # type: ignore[attr-defined]
        ids = {"minimum": 1, "maximum": 2**63 - 1}
        return {**schema, "type": "integer", **ids, "description": about, "x-references": f.to}  # type: ignore[attr-defined]
    schema.update(type="string", maxLength=getattr(f, "max_length", 200))
    if writing and f.required:
        schema.update(minLength=1, pattern=SOMETHING)  # blank is "is required."
    if kind == "email":
        schema["format"] = "email"
    if kind == "url":
        schema.update(format="uri", pattern=WEB_ADDRESS)
    return schema


def bounds(f: Field) -> Json:
    """An integer or money field's min and max as JSON numbers, within what the kit can store."""
    low, high = getattr(f, "min", None), getattr(f, "max", None)
    low = -LARGEST if low is None else max(low, -LARGEST)
    high = LARGEST if high is None else min(high, LARGEST)
    return {"minimum": number(low), "maximum": number(high)}


def number(value: int | Decimal) -> int | float:
    """A bound as JSON writes it: a whole one exactly, an amount like 0.50 as a float."""
    return int(value) if value == int(value) else float(value)


def money_schema(f: Field, writing: bool) -> Json:
    """Money: read back always as text with two decimals; sent as such text or a JSON number.

    JSON Schema bounds only numbers, so the text's pattern carries what it can of min and max
    (no minus sign unless min is negative, no more digits than the widest bound has) and the
    description says them.
    """
    given = (("least", getattr(f, "min", None)), ("most", getattr(f, "max", None)))
    about = [f.help, "An amount like 12.50.", *(f"At {w} {f.format(v)}." for w, v in given if v is not None)]
    described = {"description": " ".join(a for a in about if a)}
    if not writing:
        return {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["12.50"], **described}
    return {**money_text(f), "type": ["string", "number"], **bounds(f), "multipleOf": 0.01, **described}


def money_text(f: Field) -> Json:
    """The text a money field takes (in a body or a filter): the pattern its bounds allow."""
    limits = bounds(f)
    sign = "-?" if limits["minimum"] < 0 else ""
    widest = max(abs(limits["minimum"]), abs(limits["maximum"]))
    # Every amount within declared bounds fits (the API tells those past them); at the kit's own
    # limit, one digit fewer keeps out amounts it can't store, and none that are ever real.
    digits = len(str(int(widest))) - (widest >= LARGEST)
    return {"type": "string", "pattern": rf"^{sign}[0-9]{{1,{digits}}}(\.[0-9]{{1,2}})?$"}


def nullable(schema: Json) -> Json:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    widened = {**schema, "type": [*kinds, "null"]}
    if "enum" in schema:
        widened["enum"] = [*schema["enum"], None]
    return widened


def row_schema(repo: Repository) -> Json:
    """A row as the API returns it; any value may be null in rows stored before a field existed."""
    properties = {f.name: nullable(value_schema(f)) for f in visible(repo)}
    for name in MANAGED_READ_ONLY:
        properties[name] = {**value_schema(repo.fields[name]), "readOnly": True}
    refs = [f.name for f in repo.entity.references if not f.hidden]
    properties["_label"] = {"type": "string", "readOnly": True, "description": "What names this row."}
    properties["_labels"] = {
        "type": "object",
        "readOnly": True,
        "description": "The label of each referenced row, by field name.",
        "properties": {name: {"type": ["string", "null"]} for name in refs},
        "required": refs,
        "additionalProperties": False,
    }
    properties["_version"] = {
        "type": "integer",
        "readOnly": True,
        "description": "Raised by every save; the row's ETag is this number in quotes, for If-Match.",
    }
    return {
        "type": "object",
        "title": repo.entity.label,
        "description": repo.entity.help or f"One {repo.entity.noun(many=False)}.",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "x-columns": [name for name in repo.entity.columns if name in properties],
    }


def needed(f: Field) -> bool:
    """A field a new row can't do without: required, and no default fills it."""
    return f.required and f.initial() is None and f.kind != "boolean"


def input_schema(repo: Repository, creating: bool) -> Json:
    """The body of a create (needed fields required) or of a partial update (nothing required)."""
    fields = writable(repo)
    schema: Json = {
        "type": "object",
        "properties": {
            f.name: value_schema(f, writing=True) if f.required else nullable(value_schema(f, writing=True))
            for f in fields
        },
        "additionalProperties": False,
    }
    wanted = [f.name for f in fields if needed(f)] if creating else []
    if wanted:
        schema["required"] = wanted
    return schema


def page_schema(name: str) -> Json:
    """One page of a list: its rows, how many match, and the way to the next page."""
    properties = {
        "rows": {"type": "array", "items": ref(name)},
        "total": {"type": "integer", "description": "Rows matching the filters, on all pages."},
        "estimated": {
            "type": "boolean",
            "description": "true when so many rows match that counting stopped: total is a lower bound.",
        },
        "page": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "The page number; null for a page read by _cursor.",
        },
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "pages": {"type": "integer", "minimum": 1},
        "next": {
            "type": ["string", "null"],
            "description": "The URL of the next page, if any: by _page, or by _cursor after a _cursor.",
        },
        "next_cursor": {
            "type": ["string", "null"],
            "description": "Send it as _cursor for the rows after this page; null on the last page.",
        },
        "next_cursor_url": {
            "type": ["string", "null"],
            "description": "The URL of the rows after this page by _cursor, if any.",
        },
    }
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }


# -- operations -----------------------------------------------------------------


def query_parameter(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def filter_schema(f: Field, op: str) -> Json:
    if op == "empty":
        return {"type": "boolean"}
    if op in ("contains", "startswith"):
        return {"type": "string"}
    if isinstance(f, Integer):
        f = f.unbounded()  # a filter asks, whatever the field's min and max
    if f.kind == "money":
        return money_text(f)  # parsed as a body's text is
    schema = {key: value for key, value in value_schema(f).items() if key not in ("title", "description")}
    return {**schema, "minLength": 1} if schema["type"] == "string" else schema  # "" filters by nothing


def list_operation(repo: Repository) -> Json:
    """GET /api/<entity>: its query parameters (options, then a filter per field and operator)."""
    entity = repo.entity
    parameters = [
        query_parameter("_page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page, from 1."),
        query_parameter(
            "_per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Rows per page."
        ),
        query_parameter(
            "_sort", {"type": "string", "enum": sort_options(repo)}, f"Order; default {entity.order}."
        ),
        query_parameter(
            "_cursor",
            {"type": "string", "pattern": CURSOR_PATTERN},
            "The next_cursor of a page, for the rows after it; never with _page; same filters and _sort.",
        ),
    ]
    if entity.search:
        parameters.append(
            query_parameter("_search", {"type": "string"}, f"Words to find in: {', '.join(entity.search)}.")
        )
    for name, (f, op) in filter_parameters(repo).items():
        parameters.append(query_parameter(name, filter_schema(f, op), f"{f.label}: {op}."))
    return {
        "operationId": f"list_{repo.name}",
        "summary": f"List {entity.plural}",
        "tags": [repo.name],
        "security": ANYONE if entity.public_read else SIGNED_IN,
        "parameters": parameters,
        "responses": {
            "200": {"description": "One page of rows.", "content": json_content(ref(f"{repo.name}.page"))},
            **errors(400, 401),
            "400": {"description": LIST_REFUSALS, "content": json_content(ref("kit.error"))},
        },
    }


LIST_REFUSALS = (
    "A parameter was refused; `fields` names each. Besides what each parameter's schema says: "
    "`_cursor` is taken only as a list gave it out, with the same `_sort`, and never with `_page`; "
    f"a list takes at most {MAX_FILTERS} filters and a search at most {MAX_SEARCH_WORDS} words."
)


def one(label: str) -> str:
    """The label with its article, in the label's own case: "an Order line", "a Bestellung"."""
    return f"{'an' if label[:1].lower() in 'aeiou' else 'a'} {label}"


def stored(name: str, description: str, created: bool = False) -> Json:
    """A response with the row as stored, its ETag header and, for a new row, its Location."""
    headers = {"ETag": ETAG}
    if created:
        headers["Location"] = {"description": "The URL of the new row.", "schema": {"type": "string"}}
    return {"description": description, "headers": headers, "content": json_content(ref(name))}


def create_operation(repo: Repository) -> Json:
    return {
        "operationId": f"create_{repo.name}",
        "summary": f"Create {one(repo.entity.label)}",
        "tags": [repo.name],
        "security": SIGNED_IN,
        "requestBody": {"required": True, "content": json_content(ref(f"{repo.name}.input"))},
        "responses": {
            "201": stored(repo.name, "Created; the row as stored.", created=True),
            **errors(400, 401, 403, 409, 415),
        },
    }


ID_PARAMETER: Json = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


def row_operations(repo: Repository) -> Json:
    label, name = one(repo.entity.label), repo.name
    row = stored(name, "The row as stored.")
    common = {"tags": [name], "security": SIGNED_IN}
    return {
        "parameters": [ID_PARAMETER],
        "get": {
            **common,
            "operationId": f"get_{name}",
            "summary": f"Get {label}",
            "security": ANYONE if repo.entity.public_read else SIGNED_IN,
            "responses": {"200": row, **errors(401, 404)},
        },
        "patch": {
            **common,
            "operationId": f"update_{name}",
            "summary": f"Change some fields of {label}",
            "parameters": [IF_MATCH],
            "requestBody": {"required": True, "content": json_content(ref(f"{name}.patch"))},
            "responses": {"200": row, **errors(400, 401, 403, 404, 409, 412, 415, row=name)},
        },
        "delete": {
            **common,
            "operationId": f"delete_{name}",
            "summary": f"Delete {label}",
            "parameters": [IF_MATCH],
            "responses": {"204": {"description": "Deleted."}, **errors(401, 403, 404, 409, 412, row=name)},
        },
    }


def history_operation(repo: Repository) -> Json:
    """Who made, changed and deleted a row: for logins and tokens only, as it names people."""
    history = {
        "description": "The row's latest 20 changes, newest first.",
        "content": json_content(ref("kit.history")),
    }
    return {
        "parameters": [ID_PARAMETER],
        "get": {
            "tags": [repo.name],
            "operationId": f"history_{repo.name}",
            "summary": f"Who made and changed {one(repo.entity.label)}, newest first",
            "security": SIGNED_IN,
            "responses": {"200": history, **errors(401, 404)},
        },
    }


KIT_PATHS: Json = {
    "/api": {
        "get": {
            "operationId": "get_index",
            "summary": "Where to start: each entity's list, this document and its page",
            "tags": ["kit"],
            "security": ANYONE,
            "responses": {
                "200": {
                    "description": "Links.",
                    "content": json_content(
                        {
                            "type": "object",
                            "required": ["entities", "openapi", "docs"],
                            "properties": {
                                "entities": {"type": "object", "additionalProperties": {"type": "string"}},
                                "openapi": {"type": "string"},
                                "docs": {"type": "string"},
                            },
                        }
                    ),
                }
            },
        }
    },
    "/api/session": {
        "get": {
            "operationId": "get_session",
            "summary": "Who is logged in, and the CSRF token for session writes",
            "tags": ["kit"],
            "security": ANYONE,
            "responses": {
                "200": {"description": "The session.", "content": json_content(ref("kit.session"))}
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "get_openapi",
            "summary": "This document",
            "tags": ["kit"],
            "security": ANYONE,
            "responses": {
                "200": {"description": "OpenAPI 3.1.", "content": json_content({"type": "object"})}
            },
        }
    },
    "/api/docs": {
        "get": {
            "operationId": "get_docs",
            "summary": "This document as a page to read",
            "tags": ["kit"],
            "security": ANYONE,
            "responses": {
                "200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}
            },
        }
    },
}


# == THE DOCS PAGE ==============================================================


def sections(doc: Json) -> list[Json]:
    """The document regrouped for /api/docs: per entity its fields, filters and operations."""
    schemas = doc["components"]["schemas"]
    found = []
    for path, item in doc["paths"].items():
        if "{" in path or "post" not in item:
            continue
        name = path.rsplit("/", 1)[1]
        listing, creating = item["get"], schemas[f"{name}.input"]
        operators: dict[str, list[str]] = {}
        for parameter in listing["parameters"]:
            field, _, op = parameter["name"].partition("__")
            if not field.startswith("_"):
                operators.setdefault(field, []).append(op or "eq")
        found.append(
            {
                "name": name,
                "path": path,
                "title": schemas[name]["title"],
                "public": {} in listing["security"],
                "operations": [
                    (method.upper(), route, op["summary"])
                    for route in (path, f"{path}/{{id}}", f"{path}/{{id}}/history")
                    for method, op in doc["paths"][route].items()
                    if method != "parameters"
                ],
                "fields": [
                    {
                        "name": field,
                        "type": describe_type(creating["properties"].get(field, schema)),
                        "needed": field in creating.get("required", ()),
                        "read_only": schema.get("readOnly", False),
                        "about": schema.get("description", ""),
                        "operators": operators.get(field, []),
                    }
                    for field, schema in schemas[name]["properties"].items()
                ],
                "sorts": [o for o in listing["parameters"] if o["name"] == "_sort"][0]["schema"]["enum"],
                "search": any(o["name"] == "_search" for o in listing["parameters"]),
            }
        )
    return found


def describe_type(schema: Json) -> str:
    """A JSON Schema in a few words: "text (date)", "one of: new, asc (Aufsteigend)", "whole number"."""
    kinds = schema.get("type", "object")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    words = {"string": "text", "integer": "whole number", "boolean": "true/false", "object": "object"}
    base = " or ".join(words.get(k, k) for k in kinds if k != "null")
    if "enum" in schema:
        labels = schema.get("x-enum-labels", {})
        base = "one of: " + ", ".join(
            shown_option(v, labels.get(v, v)) for v in schema["enum"] if v is not None
        )
    elif "format" in schema:
        base = f"{base} ({schema['format']})"
    elif "multipleOf" in schema or "examples" in schema:  # money, as sent or as read
        base = f"{base} (an amount like 12.50)"
    return base + (", or null" if "null" in kinds else "")


def shown_option(value: str, label: str) -> str:
    """A choice's value, with its label where that says more than the value's own case."""
    return value if label.casefold() == value.casefold() else f"{value} ({label})"
