"""CSRF: every request that changes something carries a token bound to the session; GETs change nothing.

Issue 4, group 3. The login, logout, waitlist and one admin form are in test_auth.py and
test_pages.py; here every POST route of the app is tried, for both model sets, with a table of
bad tokens, and every GET of the admin is checked to change no row.
"""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from kit import fake
from kit.store import Query
from tests.conftest import MODEL_SETS, csrf_token, log_in, make_app
from tests.test_admin import fill_references, page_text

BAD_TOKENS = {
    "missing": None,
    "empty": "",
    "garbage": "not-a-token",
    "truncated": "TRUNCATE",
    "another session's": "OTHER",
}


def state(app: Flask) -> dict[str, list[dict]]:
    """Every row of every entity, users included: what a forged request must not change."""
    kit_store = app.extensions["kit.store"]
    with app.app_context():
        return {repo.name: repo.list(Query(sort="id", per_page=500)).rows for repo in kit_store}


def filled_app(tmp_path, model_set: str) -> tuple[Flask, dict[str, int]]:
    """An app with two rows of every entity; returns the first id of each."""
    app = make_app(tmp_path, MODEL_SETS[model_set])
    kit_store = app.extensions["kit.store"]
    first: dict[str, int] = {}
    with app.app_context():
        declared = [e for e in kit_store.schema.load_order() if not e.name.startswith("kit_")]
        fill_references(kit_store, declared[-1])
        assert all(kit_store[e.name].count() for e in declared)
        for repo in kit_store:
            rows = repo.list(Query(sort="id", per_page=1)).rows
            first[repo.name] = rows[0]["id"] if rows else 1
    return app, first


def post_routes(app: Flask) -> list[str]:
    """Every URL that takes a POST, the JSON API aside (its own module decides how it is protected)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    )


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_every_post_without_a_valid_token_is_refused_and_changes_nothing(tmp_path, model_set, kind):
    app, first = filled_app(tmp_path, model_set)
    client = log_in(app)
    real = csrf_token(client, "/admin/")
    other = csrf_token(log_in(app, "editor"), "/admin/")
    token = {"TRUNCATE": real[:-4], "OTHER": other}.get(BAD_TOKENS[kind], BAD_TOKENS[kind])
    before = state(app)
    routes = post_routes(app)
    assert "/login" in routes and "/logout" in routes and "/" in routes
    for rule in routes:
        entity = next((name for name in first if f"/{name}/" in rule or rule.startswith("/admin/users")), "")
        id = first.get(entity if not rule.startswith("/admin/users") else "kit_user", 1)
        data = {
            "id": id,
            "rowid": [id],
            "action": "delete",
            "list_form_pk": id,
            "name": "Forged",
            "email": "f@x.io",
        }
        if token is not None:
            data["csrf_token"] = token
        response = client.post(f"{rule}?id={id}", data=data)
        assert response.status_code == 400, (rule, response.status_code)
        assert "The form expired or came from another site" in page_text(response)
    assert state(app) == before
    assert client.get("/admin/").status_code == 200  # still logged in: logout was refused too
    app.extensions["kit.store"].close()


def test_a_token_from_an_https_page_of_another_site_is_refused(tmp_path):
    app = make_app(tmp_path, PRODUCTION=True)
    client = log_in_https(app)
    token = csrf_token(client, "/admin/category/new/")
    for referer in ("https://evil.example/admin/", None, "http://localhost/admin/"):
        headers = {"Referer": referer} if referer else {}
        response = client.post(
            "/admin/category/new/",
            base_url="https://localhost",
            data={"name": "Forged", "csrf_token": token},
            headers=headers,
        )
        assert response.status_code == 400, referer
    with app.app_context():
        assert app.extensions["kit.store"]["category"].count() == 0
    response = client.post(
        "/admin/category/new/",
        base_url="https://localhost",
        data={"name": "Echt", "csrf_token": token},
        headers={"Referer": "https://localhost/admin/category/new/"},
    )
    assert response.status_code == 302
    app.extensions["kit.store"].close()


def log_in_https(app: Flask):
    from kit.auth import save_user
    from tests.conftest import PASSWORD

    with app.app_context():
        save_user("admin@example.com", PASSWORD)
    client = app.test_client()
    client.get("/login", base_url="https://localhost")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302, response.text
    return client


@pytest.mark.parametrize("model_set", sorted(MODEL_SETS))
def test_no_get_in_the_admin_changes_a_row(tmp_path, model_set):
    app, first = filled_app(tmp_path, model_set)
    client = log_in(app)
    before = state(app)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods or "static" in rule.endpoint:
            continue
        entity = next((name for name in first if f"/{name}/" in rule.rule), "kit_user")
        url = rule.rule.replace("<export_type>", "csv")
        query = f"id={first[entity]}&rowid={first[entity]}&action=delete&name=category&query=a"
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 302, 404), (url, response.status_code)
        response.close()  # ends a streamed export here, not when garbage collected in a later test
    assert state(app) == before
    app.extensions["kit.store"].close()


def test_exports_are_downloads_by_get(admin_client, app):
    with app.app_context():
        kit_store = app.extensions["kit.store"]
        repo = kit_store["product"]
        refs = fill_references(kit_store, repo.entity)
        repo.create(fake.row(repo, 9, refs))
        products = repo.count()
    response = admin_client.get("/admin/product/export/csv/")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert len(list(csv.reader(io.StringIO(response.text)))) == 1 + products
    assert admin_client.post("/admin/product/export/csv/").status_code == 405
