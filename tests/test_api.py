"""The JSON API, walked for every declared entity of both model sets."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import types
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from itsdangerous import URLSafeSerializer

from kit import api, fake, openapi, tokens
from kit.auth import save_user
from kit.declare import Email, Entity, Integer, Money, Reference, Text
from kit.fields import Field
from kit.store import Filter, Query
from tests.conftest import MODEL_SETS, PASSWORD, csrf_token, log_in, make_app, sqlite_only
from tests.test_admin import BAD_VALUES, WALKS, fill_references
from tests.test_store import awkward_rows


def declared(kind: type) -> list[tuple[str, str, Field]]:
    """(model set, entity, field) for every declared field of a kind, in both model sets."""
    return [
        (model_set, entity.name, f)
        for model_set, module in sorted(MODEL_SETS.items())
        for entity in vars(module).values()
        if isinstance(entity, Entity)
        for f in entity._declared
        if isinstance(f, kind)
    ]


MONEY_FIELDS = [(model_set, entity, f.name) for model_set, entity, f in declared(Money)]
REFERRERS = [(model_set, entity, f.name) for model_set, entity, f in declared(Reference) if f.to != entity]


@pytest.fixture
def walk(request, tmp_path):
    """(app, store, repository, token of an editor) for one (model set, entity) of WALKS."""
    model_set, entity_name = request.param
    app = make_app(tmp_path, MODEL_SETS[model_set])
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        yield app, kit_store, kit_store[entity_name], token_for(app, "editor")
    app.extensions["kit.store"].close()


def token_for(app, role: str, email: str | None = None) -> str:
    """An API token of a user with `role` (and no password: a token is all it needs)."""
    with app.app_context():
        user = app.extensions["kit.store"]["kit_user"].create(
            {"email": email or f"{role}.api@example.com", "role": role}
        )
        return tokens.issue({"user": user["id"], "name": f"{role} client"})[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_json(value):
    """A cleaned value as the API writes it."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.datetime):
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def body_of(repo, row) -> dict:
    return {name: as_json(value) for name, value in row.items()}


def made_rows(kit_store, repo, count: int = 5) -> list[int]:
    """Ids of rows of `repo` (and of everything it refers to), made through the model layer."""
    refs = fill_references(kit_store, repo.entity)
    for n in range(count):
        repo.create(fake.row(repo, 50 + n, refs))
    return [row["id"] for row in repo.iterate()]


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [row["id"] for row in response.json["rows"]]


def refusal(response, status: int) -> dict:
    """The error envelope, checked to be JSON with `status`; returns its fields."""
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["status"] == status and error["message"]
    return error["fields"]


# == CREATE, READ, UPDATE, DELETE ===============================================


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_rows_round_trip_through_the_api(walk):
    app, kit_store, repo, token = walk
    client = app.test_client()
    refs = fill_references(kit_store, repo.entity)
    sent = body_of(repo, fake.row(repo, 7, refs))
    created = client.post(f"/api/{repo.name}", json=sent, headers=bearer(token))
    assert created.status_code == 201, created.json
    own = repo.get(created.json["id"])
    expected = body_of(repo, repo.clean(sent, own))
    assert {name: created.json[name] for name in expected} == expected
    assert created.headers["Location"] == f"/api/{repo.name}/{created.json['id']}"
    url = created.headers["Location"]
    assert client.get(url, headers=bearer(token)).json == created.json

    change = body_of(repo, fake.row(repo, 8, refs))
    changed = client.patch(url, json=change, headers=bearer(token))
    assert changed.status_code == 200, changed.json
    assert {name: changed.json[name] for name in change} == body_of(repo, repo.clean(change, own))

    assert client.delete(url, headers=bearer(token)).status_code == 204
    gone = refusal(client.get(url, headers=bearer(token)), 404)
    assert gone == {}


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_references_come_with_their_labels(walk):
    app, kit_store, repo, token = walk
    made_rows(kit_store, repo, 2)
    rows = app.test_client().get(f"/api/{repo.name}?_per_page=100", headers=bearer(token)).json["rows"]
    for row in rows:
        assert row["_label"] == repo.label(repo.get(row["id"]))
        for ref in repo.entity.references:
            target = row[ref.name]
            expected = None if target is None else kit_store[ref.to].label(kit_store[ref.to].get(target))
            assert row["_labels"][ref.name] == expected


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_a_create_without_needed_fields_names_each_and_stores_nothing(walk):
    app, kit_store, repo, token = walk
    needed = {f.name for f in openapi.writable(repo) if openapi.needed(f)}
    response = app.test_client().post(f"/api/{repo.name}", json={}, headers=bearer(token))
    if needed:
        assert set(refusal(response, 400)) == needed
        assert repo.count() == 0
    else:
        assert response.status_code == 201


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_a_bad_value_is_refused_naming_its_field(walk):
    app, kit_store, repo, token = walk
    refs = fill_references(kit_store, repo.entity)
    before = repo.count()
    client = app.test_client()
    for f in openapi.writable(repo):
        if f.kind not in BAD_VALUES:
            continue
        bad, message = BAD_VALUES[f.kind]
        sent = {**body_of(repo, fake.row(repo, 9, refs)), f.name: bad}
        fields = refusal(client.post(f"/api/{repo.name}", json=sent, headers=bearer(token)), 400)
        assert fields[f.name] == f"{f.label} {message}"
    assert repo.count() == before


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_a_taken_unique_value_is_a_409_naming_the_field(walk):
    app, kit_store, repo, token = walk
    unique = [f.name for f in openapi.writable(repo) if f.unique]
    if not unique:
        pytest.skip(f"{repo.name} has no unique field")
    refs = fill_references(kit_store, repo.entity)
    sent = body_of(repo, fake.row(repo, 11, refs))
    client = app.test_client()
    assert client.post(f"/api/{repo.name}", json=sent, headers=bearer(token)).status_code == 201
    fields = refusal(client.post(f"/api/{repo.name}", json=sent, headers=bearer(token)), 409)
    assert set(fields) == set(unique)


@pytest.mark.parametrize(("model_set", "entity_name", "field_name"), REFERRERS)
def test_deleting_a_row_still_referred_to_is_a_409(tmp_path, model_set, entity_name, field_name):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    token = token_for(app, "editor")
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        repo = kit_store[entity_name]
        made_rows(kit_store, repo, 1)
        row = next(r for r in repo.iterate() if r[field_name] is not None)
        target = kit_store[repo.fields[field_name].to]
        response = app.test_client().delete(f"/api/{target.name}/{row[field_name]}", headers=bearer(token))
        assert "can't be deleted" in response.json["error"]["message"]
        refusal(response, 409)
        assert target.get(row[field_name])


# == LISTS ======================================================================


def sample(repo, f, op, rows):
    """A value to filter `f` with `op` that some row matches (or a plain one)."""
    if op == "empty":
        return "true"
    values = [row[f.name] for row in rows if row[f.name] is not None]
    if not values:
        return "1" if f.kind in ("integer", "money", "reference") else "x"
    value = values[len(values) // 2]
    if op in ("contains", "startswith"):
        return str(value)[:3]
    text = as_json(value)
    return str(text).lower() if isinstance(text, bool) else str(text)


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_every_filter_finds_what_the_model_layer_finds(walk):
    app, kit_store, repo, token = walk
    made_rows(kit_store, repo)
    rows = list(repo.iterate())
    client = app.test_client()
    for parameter, (f, op) in openapi.filter_parameters(repo).items():
        value = sample(repo, f, op, rows)
        expected = repo.list(Query(filters=[Filter(f.name, op, value)], per_page=100)).rows
        response = client.get(
            f"/api/{repo.name}", query_string={parameter: value, "_per_page": 100}, headers=bearer(token)
        )
        assert ids_of(response) == [row["id"] for row in expected], parameter


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_every_sort_orders_as_the_model_layer(walk):
    app, kit_store, repo, token = walk
    made_rows(kit_store, repo)
    client = app.test_client()
    for option in openapi.sort_options(repo):
        expected = repo.list(Query(sort=option.lstrip("-"), desc=option.startswith("-"), per_page=100)).rows
        response = client.get(f"/api/{repo.name}?_sort={option}&_per_page=100", headers=bearer(token))
        assert ids_of(response) == [row["id"] for row in expected], option


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_pages_cover_every_row_once_and_follow_next(walk):
    app, kit_store, repo, token = walk
    every = made_rows(kit_store, repo, 5)
    client = app.test_client()
    seen, url = [], f"/api/{repo.name}?_per_page=3"
    while url:
        response = client.get(url, headers=bearer(token))
        seen += ids_of(response)
        assert response.json["total"] == len(every)
        url = response.json["next"]
    assert sorted(seen) == sorted(every) and len(seen) == len(set(seen))


BAD_LIST_PARAMETERS = [
    ("_per_page=101", "_per_page"),
    ("_per_page=0", "_per_page"),
    ("_page=0", "_page"),
    ("_page=two", "_page"),
    ("_sort=nope", "_sort"),
    ("_sort=--id", "_sort"),
    ("nope=1", "nope"),
    ("_nope=1", "_nope"),
    ("id__like=1", "id__like"),
    ("id=one", "id"),
    ("id__gt=99999999999999999999999", "id"),
    ("created_at__empty=maybe", "created_at"),
]


@pytest.mark.parametrize("walk", WALKS[:1] + WALKS[-1:], indirect=True, ids=["shop", "unusual"])
def test_a_bad_list_parameter_is_a_400_naming_it(walk):
    app, kit_store, repo, token = walk
    for query, named in BAD_LIST_PARAMETERS:
        fields = refusal(app.test_client().get(f"/api/{repo.name}?{query}", headers=bearer(token)), 400)
        assert named in fields, query


def test_a_search_with_nul_characters_is_an_ordinary_search(client):
    for words in ("00\x00", "café\x00 größe", "\x00\x00\x00 ab"):
        response = client.get("/api/product", query_string={"_search": words})
        assert response.status_code == 200 and response.json["rows"] == [], repr(words)


def test_search_is_refused_where_there_is_nothing_to_search(tmp_path):
    module = types.ModuleType("counts")
    module.tally = Entity("tally", Money("amount"))
    app = make_app(tmp_path, module)
    fields = refusal(
        app.test_client().get("/api/tally?_search=x", headers=bearer(token_for(app, "viewer"))), 400
    )
    assert fields == {"_search": "Tally has no fields to search in."}


# == CURSORS ====================================================================


def walk_by_cursor(client, url: str, token: str) -> list[int]:
    """Ids of every row of a list: its first page, then on by next_cursor_url and next."""
    response = client.get(url, headers=bearer(token))
    seen, url = ids_of(response), response.json["next_cursor_url"]
    while url:
        assert set(parse_qs(urlsplit(url).query)) & {"_page", "_cursor"} == {"_cursor"}
        response = client.get(url, headers=bearer(token))
        seen += ids_of(response)
        assert response.json["page"] is None and response.json["next"] == response.json["next_cursor_url"]
        url = response.json["next"]
    return seen


def plain_ids(repo, **query) -> list[int]:
    return [row["id"] for row in repo.list(Query(per_page=500, **query)).rows]


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_a_walk_by_cursor_yields_the_rows_of_the_plain_list_for_every_sort(walk):
    app, kit_store, repo, token = walk
    awkward_rows(kit_store, repo)  # NULLs and repeated values in every sortable field
    client = app.test_client()
    for option in openapi.sort_options(repo):
        expected = plain_ids(repo, sort=option.lstrip("-"), desc=option.startswith("-"))
        for per_page in (1, 4):
            url = f"/api/{repo.name}?_sort={option}&_per_page={per_page}&_page=1"
            assert walk_by_cursor(client, url, token) == expected, (option, per_page)


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_a_walk_by_cursor_keeps_the_filters_and_the_search(walk):
    app, kit_store, repo, token = walk
    ids = awkward_rows(kit_store, repo)
    asked = [({"id__ne": ids[2]}, {"filters": [Filter("id", "ne", str(ids[2]))]})]
    if repo.entity.search:
        word = str(repo.get(ids[2])[repo.entity.search[0]]).split()[0]
        asked.append(
            (
                {"_search": word, "id__ne": ids[5]},
                {"search": word, "filters": [Filter("id", "ne", str(ids[5]))]},
            )
        )
    client = app.test_client()
    for parameters, query in asked:
        for option in ["", *openapi.sort_options(repo)]:
            expected = plain_ids(repo, sort=option.lstrip("-") or None, desc=option.startswith("-"), **query)
            assert expected and len(expected) < repo.count()
            sort = {"_sort": option} if option else {}
            url = url_for_list(repo, {**parameters, **sort, "_per_page": 2})
            assert walk_by_cursor(client, url, token) == expected, (parameters, option)


def url_for_list(repo, parameters) -> str:
    return f"/api/{repo.name}?" + urlencode(parameters)


def test_rows_added_before_a_cursor_dont_shift_the_walk(client):
    app = client.application
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        tea = kit_store["category"].create({"name": "Tee"})
        for name in ("Darjeeling", "Earl Grey", "Genmaicha", "Sencha"):
            kit_store["product"].create({"name": name, "category": tea["id"], "price": "4.50"})
    first = client.get("/api/product?_sort=name&_per_page=2").json
    with app.app_context():
        app.extensions["kit.store"]["product"].create({"name": "Assam", "category": tea["id"], "price": "3"})
    second = client.get(first["next_cursor_url"]).json
    assert [row["name"] for row in first["rows"] + second["rows"]] == [
        "Darjeeling",
        "Earl Grey",
        "Genmaicha",
        "Sencha",
    ]
    assert second["next_cursor"] is None and second["next"] is None and second["total"] == 5


def forged(secret: str, *place) -> str:
    return URLSafeSerializer(secret, salt=api.CURSOR_SALT).dumps(list(place))


def test_a_cursor_that_is_malformed_changed_forged_or_misused_is_a_400_naming_it(client):
    app = client.application
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        tea = kit_store["category"].create({"name": "Tee"})
        for name in ("Darjeeling", "Earl Grey", "Genmaicha"):
            kit_store["product"].create({"name": name, "category": tea["id"], "price": "4.50"})
    cursor = client.get("/api/product?_sort=name&_per_page=1").json["next_cursor"]
    payload, _, signature = cursor.rpartition(".")
    other = client.get("/api/category?_per_page=1&_sort=name").json
    assert other["next_cursor"] is None  # one category: no page follows
    secret = app.secret_key
    for bad, asked in [
        ("", "_sort=name"),
        ("abc", "_sort=name"),
        ("W10.abc", "_sort=name"),
        (payload[:-2] + "AA." + signature, "_sort=name"),  # the place changed, the signature kept
        (forged("guessed-secret", "product", "name", False, "A", 1), "_sort=name"),
        (forged(secret, "category", "name", False, "Darjeeling", 1), "_sort=name"),  # another entity's
        (forged(secret, "product", "price", False, "Darjeeling", 1), "_sort=price"),  # text for money
        (forged(secret, "product", "name", False, "Darjeeling", True), "_sort=name"),
        (forged(secret, "product", "nope", False, "x", 1), "_sort=name"),
        (forged(secret, "product", ["name"], False, "x", 1), "_sort=name"),
        (forged(secret, "product", "name", False), "_sort=name"),
        (cursor, "_sort=-name"),  # made for another order
        (cursor, "_sort=price"),
        (cursor, "_search=tee"),  # without _sort a search lists the newest first, not by name
        (cursor, "_sort=name&_page=2"),
    ]:
        response = client.get(f"/api/product?{asked}&_cursor={bad}")
        assert "_cursor" in refusal(response, 400), (bad, asked)
    assert ids_of(client.get(f"/api/product?_sort=name&_cursor={cursor}"))


def test_a_public_answer_names_only_rows_everyone_may_read(tmp_path):
    module = types.ModuleType("reviews")
    module.customer = Entity("customer", Email("email", unique=True))
    module.review = Entity("review", Text("body"), Reference("customer"), public_read=True)
    module.mention = Entity("mention", Reference("customer"), title="customer", public_read=True)
    app = make_app(tmp_path, module)
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        jane = kit_store["customer"].create({"email": "jane.doe@private.example"})
        kit_store["review"].create({"body": "Gut", "customer": jane["id"]})
        kit_store["mention"].create({"customer": jane["id"]})
    client = app.test_client()
    for path in ("/api/review", "/api/mention"):
        anonymous = client.get(path)
        assert anonymous.status_code == 200 and "jane" not in anonymous.text, path
        assert anonymous.json["rows"][0]["customer"] == jane["id"]
    assert client.get("/api/mention").json["rows"][0]["_label"] == "Mention 1"
    headers = {"Authorization": f"Bearer {token_for(app, 'viewer')}"}
    known = client.get("/api/review", headers=headers)
    assert known.json["rows"][0]["_labels"] == {"customer": "jane.doe@private.example"}
    assert "no-store" in known.headers["Cache-Control"]
    assert client.get("/api/review", headers={"Authorization": "Bearer forged"}).status_code == 401
    app.extensions["kit.store"].close()


def test_a_cursor_made_before_its_field_changed_kind_is_a_400(tmp_path):
    before = types.ModuleType("before")
    before.note = Entity("note", Money("rank"), order="rank", public_read=True)
    app = make_app(tmp_path, before)
    with app.app_context():
        for rank in ("1.00", "2.50"):
            app.extensions["kit.store"]["note"].create({"rank": rank})
    cursor = app.test_client().get("/api/note?_per_page=1").json["next_cursor"]
    with app.app_context():  # an empty column may change from money (see sync_kinds)
        app.extensions["kit.store"]["note"].delete_many([1, 2])
    app.extensions["kit.store"].close()
    after = types.ModuleType("after")
    after.note = Entity("note", Integer("rank"), order="rank", public_read=True)  # both store integers
    app = make_app(tmp_path, after)
    assert "_cursor" in refusal(app.test_client().get(f"/api/note?_cursor={cursor}"), 400)
    app.extensions["kit.store"].close()


# == VALUES =====================================================================


@pytest.mark.parametrize(("model_set", "entity_name", "field_name"), MONEY_FIELDS)
def test_money_is_exact_text_in_and_out(tmp_path, model_set, entity_name, field_name):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    token = token_for(app, "editor")
    client = app.test_client()
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        repo = kit_store[entity_name]
        base = body_of(repo, fake.row(repo, 3, fill_references(kit_store, repo.entity)))
    url = f"/api/{entity_name}"
    # a JSON number is read as written, never through a float
    for sent, stored in ((json.dumps("12.50"), "12.50"), ("12.5", "12.50"), ("1234567.89", "1234567.89")):
        data = json.dumps({**base, field_name: "PLACEHOLDER"}).replace('"PLACEHOLDER"', sent)
        response = client.post(url, data=data, content_type="application/json", headers=bearer(token))
        assert response.status_code == 201, response.json
        assert response.json[field_name] == stored
        client.delete(f"{url}/{response.json['id']}", headers=bearer(token))
    data = json.dumps({**base, field_name: "PLACEHOLDER"}).replace('"PLACEHOLDER"', "0.125")
    response = client.post(url, data=data, content_type="application/json", headers=bearer(token))
    assert "can have at most two decimals" in refusal(response, 400)[field_name]


def test_hidden_fields_never_appear_and_cant_be_written(tmp_path):
    module = types.ModuleType("notes")
    module.note = Entity("note", Text("title"), Text("secret", hidden=True), public_read=True)
    app = make_app(tmp_path, module)
    with app.app_context():
        app.extensions["kit.store"]["note"].create({"title": "Grüße", "secret": "s3cret"}, hidden=True)
    client = app.test_client()
    assert "secret" not in client.get("/api/note").json["rows"][0]
    assert "secret" not in client.get("/api/note/1").json
    assert "secret" not in json.dumps(client.get("/api/openapi.json").json)
    refusal(client.get("/api/note?secret=s3cret"), 400)
    refusal(client.get("/api/note?_sort=secret"), 400)
    sent = {"title": "x", "secret": "y"}
    assert "secret" in refusal(
        client.post("/api/note", json=sent, headers=bearer(token_for(app, "editor"))), 400
    )


def test_the_kits_own_entities_are_never_served(app):
    token = token_for(app, "admin")
    with app.app_context():
        names = [repo.name for repo in app.extensions["kit.store"] if repo.name.startswith("kit_")]
    for name in [*names, "nope"]:
        assert refusal(app.test_client().get(f"/api/{name}", headers=bearer(token)), 404) == {}
        assert refusal(app.test_client().get(f"/api/{name}/1", headers=bearer(token)), 404) == {}


UNTAKEABLE_BODIES = [
    ('{"name": "x"}', "text/plain", 415, None),
    ("name=x", "application/x-www-form-urlencoded", 415, None),
    ('{"name": ', "application/json", 400, "_body"),
    ("[1, 2]", "application/json", 400, "_body"),
    ('{"name": NaN}', "application/json", 400, "_body"),
    ("[" * 100_000, "application/json", 400, "_body"),
    ('{"id": 5}', "application/json", 400, "id"),
    ('{"_labels": {}}', "application/json", 400, "_labels"),
    ('{"nope": 1}', "application/json", 400, "nope"),
    ('{"name": "\\ud800"}', "application/json", 400, "name"),
    ('{"\\ud800": 1}', "application/json", 400, "\\ud800"),
    ('{"name\\udfff": "x"}', "application/json", 400, "name\\udfff"),
]


def test_a_body_the_api_cant_take_is_refused_before_anything_changes(app):
    token = token_for(app, "editor")
    client = app.test_client()
    for data, content_type, status, named in UNTAKEABLE_BODIES:
        response = client.post("/api/category", data=data, content_type=content_type, headers=bearer(token))
        fields = refusal(response, status)
        assert named is None or named in fields, data[:40]
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 0


# == WHO MAY DO WHAT ============================================================


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_reads_are_public_only_where_declared_and_writes_never(walk):
    app, kit_store, repo, token = walk
    made_rows(kit_store, repo, 1)
    client = app.test_client()
    for url in (f"/api/{repo.name}", f"/api/{repo.name}/1"):
        if repo.entity.public_read:
            assert client.get(url).status_code == 200
        else:
            refusal(client.get(url), 401)
            assert client.get(url).headers["WWW-Authenticate"] == "Bearer"
    refusal(client.post(f"/api/{repo.name}", json={}), 401)
    refusal(client.patch(f"/api/{repo.name}/1", json={}), 401)
    refusal(client.delete(f"/api/{repo.name}/1"), 401)
    assert repo.count() >= 1


@pytest.mark.parametrize("walk", WALKS, indirect=True, ids=["-".join(w) for w in WALKS])
def test_a_viewer_token_reads_but_cant_write(walk):
    app, kit_store, repo, _ = walk
    made_rows(kit_store, repo, 1)
    viewer = bearer(token_for(app, "viewer"))
    client = app.test_client()
    assert client.get(f"/api/{repo.name}/1", headers=viewer).status_code == 200
    assert "viewer" in client.post(f"/api/{repo.name}", json={}, headers=viewer).json["error"]["message"]
    refusal(client.post(f"/api/{repo.name}", json={}, headers=viewer), 403)
    refusal(client.patch(f"/api/{repo.name}/1", json={}, headers=viewer), 403)
    refusal(client.delete(f"/api/{repo.name}/1", headers=viewer), 403)


def test_a_thousand_search_words_or_filters_are_a_400_not_a_500(app):
    client = app.test_client()
    words = client.get("/api/product?_search=" + "+".join(["ab"] * 1000))
    assert (words.status_code, words.json["error"]["fields"]) == (
        400,
        {"_search": "A search takes at most 20 words."},
    )
    filters = client.get("/api/product?" + "&".join(["name__contains=a"] * 1000))
    assert filters.status_code == 400 and "at most 30 filters" in filters.json["error"]["message"]


def test_the_api_root_links_each_entity_the_document_and_the_docs(app, client):
    for path in ("/api", "/api/"):
        links = client.get(path).json
        assert links == {
            "entities": {
                name: f"/api/{name}"
                for name in ("category", "product", "customer", "order", "order_line", "signup")
            },
            "openapi": "/api/openapi.json",
            "docs": "/api/docs",
        }


@pytest.mark.parametrize(
    "option", ["_per_page=1&_per_page=200", "_sort=name&_sort=-price", "_page=1&_page=1"]
)
def test_a_list_option_sent_twice_is_refused_not_guessed(app, option):
    response = app.test_client().get(f"/api/product?{option}")
    name = option.split("=")[0]
    assert refusal(response, 400) == {name: f"{name} is sent 2 times; send it once."}


def test_a_filter_past_a_fields_bounds_asks_rather_than_refuses(app, client):
    with app.app_context():
        category = app.extensions["kit.store"]["category"].create({"name": "Tee"})
        app.extensions["kit.store"]["product"].create(
            {"name": "Sencha", "category": category["id"], "price": "4"}
        )
    assert client.get("/api/product?stock__lt=-1").json["rows"] == []  # stock has min=0
    assert client.get("/api/product?price__gte=-5").json["total"] == 1  # price has min=0
    assert refusal(client.get("/api/product?stock__lt=x"), 400) == {"stock": "Stock must be a whole number."}


def test_a_revoked_or_unknown_token_or_inactive_user_is_refused(app):
    token = token_for(app, "editor")
    client = app.test_client()
    assert client.get("/api/order", headers=bearer(token)).status_code == 200
    for header in ("Bearer kit_nope", "Basic " + token, "Bearer", token):
        refusal(client.get("/api/order", headers={"Authorization": header}), 401)
    with app.app_context():
        users = app.extensions["kit.store"]["kit_user"]
        users.update(users.find("email", "editor.api@example.com")["id"], {"active": False})
    refusal(client.get("/api/order", headers=bearer(token)), 401)
    with app.app_context():
        users.update(users.find("email", "editor.api@example.com")["id"], {"active": True})
        app.extensions["kit.store"]["kit_token"].delete(1)
    refusal(client.get("/api/order", headers=bearer(token)), 401)


@sqlite_only
def test_tokens_are_stored_only_as_hashes(app, tmp_path):
    token = token_for(app, "editor")
    with sqlite3.connect(tmp_path / "test.db") as db:
        stored = db.execute("select token_hash from kit_token").fetchall()
    assert stored == [(tokens.digest(token),)]
    assert token.encode() not in (tmp_path / "test.db").read_bytes()


def test_answers_that_need_a_token_are_kept_by_no_cache(app):
    token = bearer(token_for(app, "editor"))
    client = app.test_client()
    with app.app_context():
        category = app.extensions["kit.store"]["category"].create({"name": "Gewürze"})
    private = [
        client.get("/api/order", headers=token),
        client.get("/api/customer/1", headers=token),  # a 404 says whether the row exists
        client.post("/api/category", json={"name": "Tee"}, headers=token),
        client.patch(f"/api/category/{category['id']}", json={"name": "Kräuter"}, headers=token),
        client.get("/api/order"),  # a 401
        client.get("/api/session"),  # the caller's own CSRF token
    ]
    for response in private:
        assert response.headers.get("Cache-Control") == "no-store", (response.request.path, response.status)
    for public in (client.get("/api/category"), client.get("/api/openapi.json")):
        assert "no-store" not in public.headers.get("Cache-Control", ""), public.request.path


def test_a_session_write_needs_the_csrf_header(app):
    client = log_in(app, "editor")
    refusal(client.post("/api/category", json={"name": "Töpferei"}), 403)
    session = client.get("/api/session").json
    assert session["user"] == {"email": "editor@example.com", "role": "editor"}
    headers = {"X-CSRFToken": session["csrf_token"]}
    assert client.post("/api/category", json={"name": "Töpferei"}, headers=headers).status_code == 201
    refusal(client.post("/api/category", json={"name": "Glas"}, headers={"X-CSRFToken": "forged"}), 403)


def test_a_session_viewer_cant_write(app):
    client = log_in(app, "viewer")
    headers = {"X-CSRFToken": client.get("/api/session").json["csrf_token"]}
    refusal(client.post("/api/category", json={"name": "Glas"}, headers=headers), 403)
    assert client.get("/api/order").status_code == 200


def test_csrf_is_still_checked_outside_the_api(app):
    client = log_in(app, "editor")
    response = client.post("/admin/category/new/", data={"name": "Ohne Token"})
    assert response.status_code in (200, 400)
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 0


def test_create_token_command_makes_a_working_token(app):
    runner = app.test_cli_runner()
    with app.app_context():
        save_user("maria@example.com", PASSWORD, "editor")
    result = runner.invoke(args=["create-token", "maria@example.com", "--name", "Handy-App"])
    assert result.exit_code == 0, result.output
    assert "Token 'Handy-App' for maria@example.com (role editor)" in result.output
    token = result.output.strip().splitlines()[-1]
    client = app.test_client()
    assert client.post("/api/category", json={"name": "Käse"}, headers=bearer(token)).status_code == 201
    result = runner.invoke(args=["revoke-tokens", "maria@example.com"])
    assert result.exit_code == 0, result.output
    assert result.output == "Revoked 1 token of maria@example.com.\n"
    refusal(client.post("/api/category", json={"name": "Brot"}, headers=bearer(token)), 401)


def test_create_token_for_an_unknown_user_says_how_to_make_one_and_revoke_tokens_only_that(runner):
    result = runner.invoke(args=["create-token", "nobody@example.com"])
    assert result.exit_code == 1
    assert "There is no user nobody@example.com; make one with: flask create-admin" in result.output
    revoking = runner.invoke(args=["revoke-tokens", "nobody@example.com"])
    assert revoking.exit_code == 1 and revoking.output == "Error: There is no user nobody@example.com.\n"


def test_a_deactivated_login_gets_no_new_token(app, runner):
    with app.app_context():
        maria = save_user("maria@example.com", PASSWORD, "editor")
        app.extensions["kit.store"]["kit_user"].update(maria["id"], {"active": False})
    result = runner.invoke(args=["create-token", "maria@example.com"])
    assert result.exit_code == 1
    assert "maria@example.com is deactivated; activate the login first." in result.output
    with app.app_context():
        assert app.extensions["kit.store"]["kit_token"].count() == 0


def make_token_in_admin(app, admin_client, name: str = "Kassensystem"):
    """POST the admin's new-token form for a new editor; the answer to that POST."""
    with app.app_context():
        editor = save_user("editor@example.com", PASSWORD, "editor")
    token = csrf_token(admin_client, "/admin/tokens/new/")
    return admin_client.post(
        "/admin/tokens/new/", data={"user": str(editor["id"]), "name": name, "csrf_token": token}
    )


def shown_secret(response) -> str:
    found = re.search(r'<code id="token-secret">([^<]+)</code>', response.text)
    assert found, response.text
    return found.group(1)


def test_admins_make_and_revoke_tokens_in_the_admin(app, admin_client):
    made = make_token_in_admin(app, admin_client)
    assert made.status_code == 200
    assert "Copy it now, it is shown only this once" in made.text
    secret = shown_secret(made)
    client = app.test_client()
    assert client.post("/api/category", json={"name": "Tee"}, headers=bearer(secret)).status_code == 201
    admin_client.post(
        "/admin/tokens/delete/", data={"id": "1", "csrf_token": csrf_token(admin_client, "/admin/tokens/")}
    )
    refusal(client.post("/api/category", json={"name": "Kaffee"}, headers=bearer(secret)), 401)


def test_a_token_form_sent_again_by_a_reload_makes_no_second_token(app, admin_client):
    with app.app_context():
        editor = save_user("editor@example.com", PASSWORD, "editor")
    form = admin_client.get("/admin/tokens/new/").text
    once = re.search(r'name="form_once" type="hidden" value="([^"]+)"', form).group(1)
    sent = {
        "user": str(editor["id"]),
        "name": "Kasse",
        "csrf_token": csrf_token(admin_client, "/admin/tokens/new/"),
    }
    assert shown_secret(admin_client.post("/admin/tokens/new/", data={**sent, "form_once": once}))
    again = admin_client.post("/admin/tokens/new/", data={**sent, "form_once": once}, follow_redirects=True)
    assert "That form made its token already; it is in this list (a token is shown once)." in again.text
    assert 'id="token-secret"' not in again.text
    with app.app_context():
        assert app.extensions["kit.store"]["kit_token"].count() == 1


def test_deactivating_a_user_revokes_their_tokens_for_good(app, admin_client):
    secret = shown_secret(make_token_in_admin(app, admin_client))
    client = app.test_client()
    assert client.get("/api/order", headers=bearer(secret)).status_code == 200
    with app.app_context():
        editor = app.extensions["kit.store"]["kit_user"].find("email", "editor@example.com")
    edit = f"/admin/users/edit/?id={editor['id']}"
    token = csrf_token(admin_client, "/admin/users/")
    form = {"email": editor["email"], "role": "editor", "csrf_token": token}
    deactivated = admin_client.post(edit, data=form, follow_redirects=True)  # "active" unticked
    assert "Revoked 1 API token of editor@example.com." in deactivated.text
    assert admin_client.post(edit, data={**form, "active": "y"}).status_code == 302
    refusal(client.get("/api/order", headers=bearer(secret)), 401)
    with app.app_context():
        assert app.extensions["kit.store"]["kit_token"].count() == 0


def test_a_token_made_in_the_admin_is_never_in_the_session_cookie(app, admin_client):
    made = make_token_in_admin(app, admin_client, "Kassensystem – Filiale Köln")
    secret = shown_secret(made)
    cookies = made.headers.getlist("Set-Cookie")
    assert cookies and not any(secret in header for header in cookies)
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(admin_client.get_cookie("session").value)
    assert secret not in json.dumps(session)
    shown_later = admin_client.get("/admin/tokens/").text
    assert "Kassensystem" in shown_later and secret not in shown_later


def test_only_admins_open_the_tokens_screen(app):
    assert log_in(app, "editor").get("/admin/tokens/").status_code == 403


# == ERRORS, HEALTH, CORS =======================================================


def test_errors_under_api_are_always_the_json_envelope(app):
    token = token_for(app, "admin")
    for method, url, status in [
        ("GET", "/api/nope", 404),
        ("GET", "/api/category/1/more", 404),
        ("GET", "/api/category/1", 404),
        ("GET", "/api/category/abc", 404),
        ("PUT", "/api/category/1", 405),
        ("DELETE", "/api/category", 405),
    ]:
        refusal(app.test_client().open(url, method=method, headers=bearer(token)), status)


def test_a_method_the_api_doesnt_take_is_a_405_naming_those_it_does(app):
    token = bearer(token_for(app, "admin"))
    for method, url, allowed in [
        ("PUT", "/api/category/1", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/api/category", {"GET", "POST"}),
    ]:
        response = app.test_client().open(url, method=method, headers=token)
        refusal(response, 405)
        assert allowed <= {name.strip() for name in response.headers["Allow"].split(",")}, url


@sqlite_only
def test_a_server_error_under_api_is_json_without_its_exception_text(tmp_path):
    app = make_app(tmp_path, TESTING=False)
    with app.app_context():
        app.extensions["kit.store"]["category"].create({"name": "Keramik"})
    with sqlite3.connect(tmp_path / "test.db") as db:
        db.execute("drop table category")  # the database no longer matches models.py
    response = app.test_client().get("/api/category")
    refusal(response, 500)
    assert "category" not in response.text.lower() and "sqlite" not in response.text.lower()


def test_health_and_readiness(app, tmp_path):
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


@sqlite_only
def test_readiness_fails_when_the_database_is_gone(tmp_path):
    app = make_app(tmp_path, TESTING=False)
    kit_store = app.extensions["kit.store"]
    kit_store.release()
    kit_store.db.engine.dispose()
    (tmp_path / "test.db").unlink()
    (tmp_path / "test.db").mkdir()  # a folder where the file was: SQLite can't open it
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["message"] == "The database can't be reached."
    assert app.test_client().get("/healthz").status_code == 200


def test_cors_is_off_by_default(app):
    response = app.test_client().get("/api/category", headers={"Origin": "https://app.example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_the_origins_named(tmp_path):
    app = make_app(tmp_path, CORS_ORIGINS="https://app.example.com, https://m.example.com/")
    client = app.test_client()
    allowed = client.get("/api/category", headers={"Origin": "https://m.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://m.example.com"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/category", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/category",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert set(preflight.headers["Access-Control-Allow-Headers"].split(", ")) == {
        "Authorization",
        "Content-Type",
        "If-Match",  # a stale-write check from another origin
    }
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    page = client.get("/", headers={"Origin": "https://app.example.com"})
    assert "Access-Control-Allow-Origin" not in page.headers


# == DOCS =======================================================================


@pytest.fixture(params=sorted(MODEL_SETS))
def docs_page(request, tmp_path):
    app = make_app(tmp_path, MODEL_SETS[request.param])
    yield app, app.test_client().get("/api/docs")
    app.extensions["kit.store"].close()


def test_the_docs_page_lists_every_entity_and_fetches_nothing_from_elsewhere(docs_page):
    app, response = docs_page
    assert response.status_code == 200
    with app.app_context():
        for repo in openapi.exposed(app.extensions["kit.store"]):
            assert f'id="{repo.name}"' in response.text
            assert f"/api/{repo.name}/{{id}}/history" in response.text
            for f in openapi.visible(repo):
                assert f"<code>{f.name}</code>" in response.text
    for attribute in ('src="http', 'href="http', 'src="//', 'href="//'):
        assert attribute not in response.text


def test_the_landing_page_links_the_example_front_end(client):
    assert 'href="/static/spa/index.html"' in client.get("/").text
