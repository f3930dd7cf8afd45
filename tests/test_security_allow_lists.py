"""Allow-lists: only declared, visible fields, by their exact names; capped pages and bodies.

Issue 4, group 4. Every name a client sends - a form field, a filter, a sort, an operator - is
tried spelt differently for every field of every entity of both model sets; each is refused
with a sentence naming it, nothing is written and no column appears.
"""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
from flask import Flask

from kit import fake
from kit.errors import ValidationError
from kit.store import Filter, Query
from tests.conftest import MODEL_SETS, PASSWORD, csrf_token, log_in, make_app
from tests.test_admin import page_text
from tests.test_security_accounts_roles import EVERY_ENTITY, open_entity

ENGINE_NAMES = ["id", "created_at", "updated_at", "rowid", "oid", "_rowid_", "_limit", "_offset", "__class__"]
BAD_OPERATORS = ["like", "in", "regex", "EQ", "eq ", "__eq__", "=", "eq; --", ""]


def spellings(name: str) -> list[str]:
    """Ways a client might spell a declared name to slip past a check that compares loosely."""
    return [
        name.upper(),
        name.capitalize(),
        f" {name}",
        f"{name} ",
        f"{name}\x00",
        "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in name),  # full-width letters
        f"{name[:1]}\u200b{name[1:]}",  # a zero-width space inside
        f'"{name}"',
        f"{name};--",
        f"_{name}",
    ]


@pytest.fixture
def entity(tmp_path, request):
    """(app, repo, a valid new row) for one entity of one model set, inside an app context."""
    app, repo, refs = open_entity(tmp_path, request.param)
    with app.app_context():
        yield app, repo, fake.row(repo, 5, refs)
    app.extensions["kit.store"].close()


def columns(repo) -> set[str]:
    return {c["name"] for c in repo.store.db.inspect.get_columns(repo.name)}


# == WRITING ===================================================================


@EVERY_ENTITY
def test_a_field_spelt_differently_is_refused_and_never_becomes_a_column(entity):
    app, repo, row = entity
    before, count = columns(repo), repo.count()
    for name in [n for field in repo.entity.fields for n in spellings(field)] + ENGINE_NAMES:
        with pytest.raises(ValidationError) as caught:
            repo.create({**row, name: "1"})
        assert caught.value.fields.get(name) == f"{repo.entity.label} has no field '{name}'.", name
    assert repo.count() == count
    assert columns(repo) == before


@EVERY_ENTITY
def test_a_change_spelt_differently_changes_nothing(entity):
    app, repo, row = entity
    saved = repo.create(row)
    for name in [n for field in repo.entity.fields for n in spellings(field)] + ENGINE_NAMES:
        with pytest.raises(ValidationError):
            repo.update(saved["id"], {name: "1"})
    assert repo.get(saved["id"]) == saved


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_admin_forms_never_write_undeclared_or_hidden_names(tmp_path, model_set):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    client = log_in(app)
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        repo = kit_store[kit_store.schema.load_order()[0].name]
        saved = repo.create(fake.row(repo, 1, {}))
        before = columns(repo)
    token = csrf_token(client, f"/admin/{repo.name}/")
    extra = {"id": "999", "created_at": "2000-01-01", "rowid": "7", "password_hash": "x", "Unknown": "y"}
    client.post(f"/admin/{repo.name}/edit/?id={saved['id']}", data={**extra, "csrf_token": token})
    with app.app_context():
        after = repo.get(saved["id"])
        assert (after["id"], after["created_at"]) == (saved["id"], saved["created_at"])
        assert columns(repo) == before
    app.extensions["kit.store"].close()


def test_the_model_layer_writes_hidden_fields_only_when_the_kit_asks(app):
    with app.app_context():
        users = app.extensions["kit.store"]["kit_user"]
        me = users.create({"email": "ana@example.com", "role": "viewer"})
        forged = {"password_hash": "pbkdf2:sha256:1$salt$00", "session_token": "known-token"}
        with pytest.raises(ValidationError) as refused:
            users.update(me["id"], {"role": "admin", **forged})
        assert refused.value.fields == {
            "password_hash": "User has no field 'password_hash'.",
            "session_token": "User has no field 'session_token'.",
        }
        with pytest.raises(ValidationError):
            users.create({"email": "eve@example.com", **forged})
        assert users.get(me["id"]) == me and users.find("email", "eve@example.com") is None
        assert users.update(me["id"], forged, hidden=True)["session_token"] == "known-token"


def test_password_hash_and_session_token_cannot_be_set_through_the_user_form(app, admin_client):
    with app.app_context():
        from kit.auth import save_user

        other = save_user("zoë@example.com", PASSWORD, "viewer")
    token = csrf_token(admin_client, "/admin/users/")
    data = {"email": other["email"], "role": "viewer", "active": "y", "csrf_token": token}
    forged = {"password_hash": "pbkdf2:sha256:1$salt$00", "session_token": "known-token"}
    admin_client.post(f"/admin/users/edit/?id={other['id']}", data={**data, **forged})
    with app.app_context():
        after = app.extensions["kit.store"]["kit_user"].get(other["id"])
    assert after["password_hash"] == other["password_hash"]
    assert after["session_token"] == other["session_token"]


# == FILTERING, SORTING, SEARCHING =============================================


@EVERY_ENTITY
def test_filters_and_sorts_by_a_name_spelt_differently_are_refused(entity):
    app, repo, _ = entity
    for name in [n for field in repo.entity.fields for n in spellings(field)] + ENGINE_NAMES[3:]:
        with pytest.raises(ValidationError) as caught:
            repo.list(Query(filters=[Filter(name, "eq", "1")]))
        assert f"has no field '{name}' to filter by." in caught.value.message
        with pytest.raises(ValidationError):
            repo.list(Query(sort=name))


@EVERY_ENTITY
def test_operators_outside_a_fields_kind_are_refused(entity):
    app, repo, _ = entity
    for field in repo.entity.fields.values():
        for op in BAD_OPERATORS:
            with pytest.raises(ValidationError) as caught:
                repo.list(Query(filters=[Filter(field.name, op, "1")]))
            assert f"{field.label} can't be filtered with '{op}'" in caught.value.message


def test_users_are_never_searched_by_their_hidden_fields(app, admin_client):
    with app.app_context():
        row = app.extensions["kit.store"]["kit_user"].find("email", "admin@example.com")
    for secret in (row["password_hash"][:12], row["session_token"][:8]):
        text = page_text(admin_client.get(f"/admin/users/?search={secret}"))
        assert "admin@example.com" not in text.split("Log out", 1)[1], secret


def test_hidden_fields_are_never_shown_or_exported(app, admin_client):
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        me = kit_store["kit_user"].find("email", "admin@example.com")
    held = [me["password_hash"], me["password_hash"].rsplit("$", 1)[-1], me["session_token"]]
    pages = [
        "/admin/users/",
        f"/admin/users/details/?id={me['id']}",
        f"/admin/users/edit/?id={me['id']}",
        "/admin/users/export/csv/",
        "/admin/users/?flt0_email_equals=admin@example.com",
    ]
    for path in pages:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        for value in held:
            assert value not in response.text, path
        for hidden in ("password_hash", "session_token", "Password hash", "Session token"):
            assert hidden not in response.text, (path, hidden)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("flt0_password_hash_equals=x", "There is no filter 'flt0_password_hash_equals'"),
        ("flt0_session_token_contains=a", "There is no filter 'flt0_session_token_contains'"),
        ("flt1_Email_equals=a", "There is no filter 'flt1_Email_equals'"),
        ("sort=99", "The list can't be sorted by '99'"),
        ("sort=-1", "The list can't be sorted by '-1'"),
        ("sort=password_hash", "The list can't be sorted by 'password_hash'"),
        ("page_size=100000", "A page shows 20, 50, 100 rows, not '100000'."),
        ("page_size=-5", "A page shows 20, 50, 100 rows, not '-5'."),
    ],
)
def test_unknown_list_parameters_are_reported_not_dropped_silently(admin_client, query, message):
    response = admin_client.get(f"/admin/users/?{query}")
    assert response.status_code == 200
    assert message in page_text(response)


@pytest.mark.parametrize(
    "query",
    [
        "_limit=1",
        "page=-1",
        "page=99999999999999999999",
        "desc=2",
        "page_size=0",
        "search=%00",
        "flt0_=",
        "flt_=x",
    ],
)
@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_odd_list_parameters_never_break_a_list(tmp_path, model_set, query):
    app = make_app(tmp_path, MODEL_SETS[model_set])
    client = log_in(app)
    for entity in app.extensions["kit.store"].schema.declared:
        response = client.get(f"/admin/{entity.name}/?{query}")
        assert response.status_code == 200, (entity.name, query)
    app.extensions["kit.store"].close()


def test_a_page_never_holds_more_than_the_largest_offered_size(app, admin_client):
    with app.app_context():
        repo = app.extensions["kit.store"]["category"]
        for n in range(120):
            repo.create({"name": f"Kategorie {n:03}"})
    html = admin_client.get("/admin/category/?page_size=100000").text
    assert html.count('name="rowid"') == 20
    assert admin_client.get("/admin/category/?page_size=100").text.count('name="rowid"') == 100


# == BODIES ====================================================================


@pytest.fixture
def small_bodies(tmp_path) -> Flask:
    app = make_app(tmp_path, MAX_BODY_KB=4)
    yield app
    app.extensions["kit.store"].close()


@pytest.mark.parametrize("path", ["/", "/login", "/admin/category/new/", "/logout"])
def test_a_body_over_the_cap_gets_a_413_page_and_changes_nothing(small_bodies, path):
    client = log_in(small_bodies)
    token = csrf_token(client, "/admin/category/new/")
    big = "ü" * 4096
    response = client.post(path, data={"name": big, "email": "a@b.io", "comment": big, "csrf_token": token})
    assert response.status_code == 413
    assert "That was more than this site takes at once (4 KB); send less." in page_text(response)
    with small_bodies.app_context():
        kit_store = small_bodies.extensions["kit.store"]
        assert kit_store["category"].count() == kit_store["signup"].count() == 0
    assert client.get("/admin/").status_code == 200


def test_an_upload_over_the_cap_is_refused_before_it_is_read(small_bodies):
    client = log_in(small_bodies)
    data = {"file": (io.BytesIO(b"x" * 10_000), "big.csv")}
    response = client.post("/admin/category/new/", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_a_body_under_the_cap_goes_through(small_bodies):
    client = log_in(small_bodies)
    token = csrf_token(client, "/admin/category/new/")
    response = client.post("/admin/category/new/", data={"name": "Kaffee ☕", "csrf_token": token})
    assert response.status_code == 302


def post_chunked(client, path: str, body: bytes, content_type: str, **headers):
    """POST `body` as servers pass a chunked one on: no Content-Length, the stream ended by the server."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked", **headers},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )


@pytest.mark.parametrize("size, status, rows", [(4096, 413, 0), (100, 302, 1)])
def test_a_chunked_form_is_measured_whole_against_the_cap(small_bodies, size, status, rows):
    client = log_in(small_bodies)
    token = csrf_token(client, "/admin/category/new/")
    body = urlencode({"csrf_token": token, "name": "Kaffee ☕", "description": "ü" * size}).encode()
    response = post_chunked(client, "/admin/category/new/", body, "application/x-www-form-urlencoded")
    assert response.status_code == status
    with small_bodies.app_context():
        assert small_bodies.extensions["kit.store"]["category"].count() == rows


def test_a_chunked_json_body_over_the_cap_is_a_413_in_json(small_bodies):
    client = log_in(small_bodies)
    token = csrf_token(client, "/admin/category/new/")
    body = json.dumps({"name": "Kaffee", "description": "ü" * 4096}).encode()
    response = post_chunked(client, "/api/category", body, "application/json", **{"X-CSRFToken": token})
    assert response.status_code == 413
    assert response.json["error"]["status"] == 413
    with small_bodies.app_context():
        assert small_bodies.extensions["kit.store"]["category"].count() == 0


def test_max_body_kb_below_one_stops_the_start(tmp_path):
    from kit.config import SettingError

    with pytest.raises(SettingError, match="MAX_BODY_KB must be at least 1, not 0."):
        make_app(tmp_path, MAX_BODY_KB=0)
